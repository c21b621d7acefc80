"""Eager-mode quantization, as torch.ao.quantization does it:

1. propagate_qconfig_: every submodule inherits its parent's `qconfig` unless it has its own;
2. prepare: each leaf module of a quantizable type (and each fused module) gets an output observer,
   `activation_post_process`, called by a forward hook; calibration data then runs through the model;
3. convert: each observed module is swapped for its quantized twin (`from_float` reads the observers),
   children first; QuantStub becomes Quantize and DeQuantStub DeQuantize.
quantize_dynamic swaps Linear / LSTM for dynamic versions without calibration; prepare_qat swaps in QAT
modules with fake quantizers, to be trained and then converted. torch 2.13 marks these functions as
deprecated (in favour of torchao's `quantize_`), and so do they here (see `torchao_style.py`)."""
import copy
import inspect

from ... import _warnings, nn
from ..nn.intrinsic.modules import _FusedModule
from .fake_quantize import FakeQuantizeBase
from .observer import _is_activation_post_process
from .qconfig import default_dynamic_qconfig
from .quantization_mappings import (get_default_dynamic_quant_module_mappings, get_default_qat_module_mappings,
                                    get_default_qconfig_propagation_list, get_default_static_quant_module_mappings)
from .stubs import DeQuantStub, QuantWrapper

__all__ = ["propagate_qconfig_", "add_quant_dequant", "prepare", "quantize", "quantize_dynamic", "prepare_qat",
           "quantize_qat", "convert", "swap_module"]

DEPRECATION_WARNING = (
    "torch.ao.quantization is deprecated and will be removed in 2.10. \n"
    "For migrations of users: \n"
    "1. Eager mode quantization (torch.ao.quantization.quantize, torch.ao.quantization.quantize_dynamic), please "
    "migrate to use torchao eager mode quantize_ API instead \n"
    "2. FX graph mode quantization (torch.ao.quantization.quantize_fx.prepare_fx,"
    "torch.ao.quantization.quantize_fx.convert_fx, please migrate to use torchao pt2e quantization API instead "
    "(prepare_pt2e, convert_pt2e) \n"
    "3. pt2e quantization has been migrated to torchao (https://github.com/pytorch/ao/tree/main/torchao/"
    "quantization/pt2e) \n"
    "see https://github.com/pytorch/ao/issues/2259 for more details")


def _deprecated():
    _warnings.warn(DEPRECATION_WARNING, DeprecationWarning)


def _is_leaf(module):
    return len(module._modules) == 0


# ----- qconfig propagation -------------------------------------------------------------------------------------
def _propagate(module, qconfig_dict, parent_qconfig, prefix):
    qconfig = qconfig_dict.get(type(module), parent_qconfig)
    qconfig = qconfig_dict.get(prefix, qconfig)
    qconfig = getattr(module, "qconfig", qconfig)
    module.qconfig = qconfig
    for name, child in module.named_children():
        _propagate(child, qconfig_dict, qconfig, f"{prefix}.{name}" if prefix else name)


def propagate_qconfig_(module, qconfig_dict=None, prepare_custom_config_dict=None):
    """Give every submodule a `qconfig`: its own if set, else the one `qconfig_dict` has for its name or
    type, else its parent's (None at the top)."""
    _propagate(module, qconfig_dict or {}, None, "")


# ----- observers -----------------------------------------------------------------------------------------------
def _observer_forward_hook(self, input, output):
    """Forward hook: the output passes through the observer (a fake quantizer may change it)."""
    return self.activation_post_process(output)


def _observer_forward_pre_hook(self, input):
    """Forward pre-hook for observers without memory: they watch the input instead."""
    return self.activation_post_process(input[0])


def _activation_is_memoryless(qconfig):
    """Whether the activation observer keeps no history (a moving average with constant 1)."""
    act = qconfig.activation()
    if isinstance(act, FakeQuantizeBase):
        act = act.activation_post_process
    return getattr(act, "averaging_constant", None) == 1


def _needs_observation(m):
    return getattr(m, "qconfig", None) is not None


def _insert_observer(m):
    """Add `activation_post_process` and the hook that calls it, as the first hook (DeQuantStub gets none)."""
    if not _needs_observation(m) or isinstance(m, DeQuantStub):
        return
    m.add_module("activation_post_process", m.qconfig.activation())
    if _activation_is_memoryless(m.qconfig):
        m.register_forward_pre_hook(_observer_forward_pre_hook, prepend=True)
    else:
        m.register_forward_hook(_observer_forward_hook, prepend=True)


def _add_observer_(module, qconfig_propagation_list, non_leaf_module_list=None):
    """Observers on fused modules, listed non-leaf modules and quantizable leaves (not Dropout)."""
    for child in module.children():
        if type(child) is nn.Dropout:
            continue
        if isinstance(child, _FusedModule) or (non_leaf_module_list and type(child) in non_leaf_module_list):
            _insert_observer(child)
        else:
            _add_observer_(child, qconfig_propagation_list, non_leaf_module_list)
    if _is_leaf(module) and not isinstance(module, nn.Sequential) and type(module) in qconfig_propagation_list:
        _insert_observer(module)


def _check_single_device(module):
    devices = {t.device for t in (*module.parameters(), *module.buffers())}
    if len(devices) > 1:
        raise AssertionError(f"_add_observer_ only works with cpu or single-device CUDA modules, but got devices "
                             f"{devices}")
    return next(iter(devices), None)


def prepare(model, inplace=False, allow_list=None, observer_non_leaf_module_list=None,
            prepare_custom_config_dict=None):
    """A copy of `model` (or the model itself with inplace) with qconfigs propagated and an observer after
    every quantizable layer, ready for calibration or QAT."""
    _deprecated()
    if not inplace:
        model = copy.deepcopy(model)
    propagation_list = allow_list if allow_list is not None else get_default_qconfig_propagation_list()
    propagate_qconfig_(model)
    if not any(getattr(m, "qconfig", None) for m in model.modules()):
        _warnings.warn("None of the submodule got qconfig applied. Make sure you passed correct configuration "
                       "through `qconfig_dict` or by assigning the `.qconfig` attribute directly on submodules")
    device = _check_single_device(model)
    _add_observer_(model, propagation_list, observer_non_leaf_module_list)
    if device is not None:
        model.to(device)
    return model


def _remove_activation_post_process(module):
    if _is_activation_post_process(getattr(module, "activation_post_process", None)):
        del module.activation_post_process
    for hooks, observer_hook in ((module._forward_pre_hooks, _observer_forward_pre_hook),
                                 (module._forward_hooks, _observer_forward_hook)):
        for handle in [h for h, fn in hooks.items() if fn is observer_hook]:
            del hooks[handle]


def _remove_qconfig(module):
    """Drop the qconfigs and the observers that convert did not consume."""
    for child in module.children():
        _remove_qconfig(child)
    if hasattr(module, "qconfig"):
        del module.qconfig
    _remove_activation_post_process(module)


def add_quant_dequant(module):
    """Wrap each leaf with a qconfig in QuantWrapper (the module itself, if it is such a leaf)."""
    if _is_leaf(module) and getattr(module, "qconfig", None):
        return QuantWrapper(module)
    for name, child in module.named_children():
        module._modules[name] = add_quant_dequant(child)
    return module


# ----- module swapping -----------------------------------------------------------------------------------------
def swap_module(mod, mapping, custom_module_class_mapping=None, use_precomputed_fake_quant=False):
    """`mapping[type(mod)].from_float(mod)` for a module with a qconfig, keeping its forward pre-hooks and
    its forward hooks (not the observer's) and its device; other modules come back unchanged."""
    if getattr(mod, "qconfig", None) is None or type(mod) not in mapping:
        return mod
    qmod = mapping[type(mod)]
    if "use_precomputed_fake_quant" in inspect.signature(qmod.from_float).parameters:
        new_mod = qmod.from_float(mod, use_precomputed_fake_quant=use_precomputed_fake_quant)
    else:
        new_mod = qmod.from_float(mod)
    for hook in mod._forward_pre_hooks.values():
        if hook is not _observer_forward_pre_hook:
            new_mod.register_forward_pre_hook(hook)
    for hook in mod._forward_hooks.values():
        if hook is not _observer_forward_hook:
            new_mod.register_forward_hook(hook)
    device = _check_single_device(mod)
    if device is not None:
        new_mod.to(device)
    return new_mod


def _convert(module, mapping, use_precomputed_fake_quant=False):
    """Swap the children (fused modules as one unit), each after its own children."""
    swapped = {}
    for name, child in module.named_children():
        if not isinstance(child, _FusedModule):
            _convert(child, mapping, use_precomputed_fake_quant)
        swapped[name] = swap_module(child, mapping, use_precomputed_fake_quant=use_precomputed_fake_quant)
    module._modules.update(swapped)
    return module


def convert(module, mapping=None, inplace=False, remove_qconfig=True, is_reference=False,
            convert_custom_config_dict=None, use_precomputed_fake_quant=False):
    """Swap every observed module for its quantized version (`mapping`: float type -> quantized type,
    the static one by default); the qconfigs and left-over observers are removed afterwards."""
    _deprecated()
    if is_reference:
        raise NotImplementedError("reference quantized modules are not part of minitorch")
    if not inplace:
        module = copy.deepcopy(module)
    _convert(module, get_default_static_quant_module_mappings() if mapping is None else mapping,
             use_precomputed_fake_quant)
    if remove_qconfig:
        _remove_qconfig(module)
    return module


def quantize(model, run_fn, run_args, mapping=None, inplace=False):
    """prepare, calibrate with run_fn(model, *run_args), convert: post-training static quantization."""
    _deprecated()
    if not inplace:
        model = copy.deepcopy(model)
    model.eval()
    prepare(model, inplace=True)
    run_fn(model, *run_args)
    convert(model, get_default_static_quant_module_mappings() if mapping is None else mapping, inplace=True)
    return model


def quantize_dynamic(model, qconfig_spec=None, dtype=None, mapping=None, inplace=False):
    """Replace Linear and LSTM layers (by default; or the types / names in `qconfig_spec`, a set, or a dict
    to QConfigs) with dynamically quantized ones: int8 weights, inputs quantized on every call."""
    from ... import _dtype
    _deprecated()
    dtype = _dtype.qint8 if dtype is None else dtype
    if dtype is not _dtype.qint8:
        raise ValueError(f"Don't know how to quantize with default settings for {dtype}. Provide full qconfig "
                         "please")
    if qconfig_spec is None:
        qconfig_spec = {nn.Linear: default_dynamic_qconfig, nn.LSTM: default_dynamic_qconfig}
    elif isinstance(qconfig_spec, set):
        qconfig_spec = dict.fromkeys(qconfig_spec, default_dynamic_qconfig)
    if not inplace:
        model = copy.deepcopy(model)
    model.eval()
    propagate_qconfig_(model, qconfig_spec)
    convert(model, get_default_dynamic_quant_module_mappings() if mapping is None else mapping, inplace=True)
    return model


def prepare_qat(model, mapping=None, inplace=False):
    """A copy of a training-mode model with QAT modules (fake-quantized weights) and fake quantizers on the
    outputs; train it, then convert."""
    _deprecated()
    if not model.training:
        raise AssertionError("prepare_qat only works on models in training mode")
    mapping = get_default_qat_module_mappings() if mapping is None else mapping
    if not inplace:
        model = copy.deepcopy(model)
    propagate_qconfig_(model)
    convert(model, mapping=mapping, inplace=True, remove_qconfig=False)
    prepare(model, observer_non_leaf_module_list=set(mapping.values()), inplace=True)
    return model


def quantize_qat(model, run_fn, run_args, inplace=False):
    """prepare_qat, train with run_fn(model, *run_args), convert."""
    _deprecated()
    if not inplace:
        model = copy.deepcopy(model)
    model.train()
    prepare_qat(model, inplace=True)
    run_fn(model, *run_args)
    convert(model, inplace=True)
    return model
