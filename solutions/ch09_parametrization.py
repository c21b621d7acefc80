"""Chapter 09 reference solutions: parametrizations."""
import minitorch as torch
from minitorch import nn
from minitorch.nn.utils import parametrizations, parametrize  # noqa: F401


class RowStochastic(nn.Module):
    def forward(self, X):
        return torch.softmax(X, dim=-1)

    def right_inverse(self, P):
        return torch.log(P)  # softmax(log P) = P / (row sums of P) = P


def predict_parametrized_state():
    # weight_norm is chained after spectral_norm: a second parametrization is appended to the existing list
    # and its right_inverse is not called, so there is still a single `original`; spectral_norm's power
    # iteration vectors are buffers of the first parametrization (index 0): _u has the rows, _v the columns.
    return "ParametrizedLinear", [("bias", (3,)), ("parametrizations.weight.original", (3, 5)),
                                  ("parametrizations.weight.0._u", (3,)), ("parametrizations.weight.0._v", (5,))]


def bake_parametrizations(model):
    for module in list(model.modules()):  # every module, at any depth, and the model itself
        if parametrize.is_parametrized(module):
            for name in list(module.parametrizations):  # every parametrized tensor, not only "weight"
                parametrize.remove_parametrizations(module, name, leave_parametrized=True)
    return model
