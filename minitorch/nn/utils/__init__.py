"""`minitorch.nn.utils`: gradient clipping, parameter <-> vector conversion, `skip_init`, pruning,
parametrizations and the hook-based weight / spectral normalisation (torch.nn.utils).
See https://pytorch.org/docs/stable/nn.html#utilities"""
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .init import skip_init
from . import parametrizations, parametrize, prune
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grads_with_norm_", "clip_grad_value_", "get_total_norm",
           "parameters_to_vector", "vector_to_parameters", "skip_init", "remove_spectral_norm", "spectral_norm",
           "remove_weight_norm", "weight_norm"]
