"""Wrong answers to chapter 09."""
import minitorch as torch
from minitorch import nn
from minitorch.nn.utils import parametrize

from . import solution

ok = solution(9)


class InverseIsIdentity(ok.RowStochastic):
    """right_inverse returns P itself: softmax(P) is not P."""

    def right_inverse(self, P):
        return P


class ColumnsSumToOne(ok.RowStochastic):
    """Softmax over the columns (dim 0) instead of the rows."""

    def forward(self, X):
        return torch.softmax(X, dim=0)


class NoRightInverse(nn.Module):
    """Only a forward: the weight cannot be assigned (nor registered on a weight that needs one)."""

    def forward(self, X):
        return torch.softmax(X, dim=-1)


class SoftmaxSubclass(nn.Softmax):
    """The library's Softmax module with a right_inverse added."""

    def __init__(self):
        super().__init__(dim=-1)

    def right_inverse(self, P):
        return torch.log(P)


def state_with_weight_norm_originals():
    """Believes weight_norm's right_inverse runs again: original0 and original1 replace original."""
    return "ParametrizedLinear", [("bias", (3,)), ("parametrizations.weight.original0", (3, 1)),
                                  ("parametrizations.weight.original1", (3, 5)),
                                  ("parametrizations.weight.0._u", (3,)), ("parametrizations.weight.0._v", (5,))]


def state_plain_linear():
    """Believes the class stays Linear and the weight keeps its key."""
    return "Linear", [("weight", (3, 5)), ("bias", (3,)), ("parametrizations.weight.0._u", (3,)),
                      ("parametrizations.weight.0._v", (5,))]


def bake_children_only(model):
    """Only the direct children, every tensor, parametrized values kept: nested layers stay parametrized."""
    for module in model.children():
        if parametrize.is_parametrized(module):
            for name in list(module.parametrizations):
                parametrize.remove_parametrizations(module, name)
    return model


def bake_weights_only(model):
    """Every module, but only "weight": parametrized biases stay."""
    for module in model.modules():
        if parametrize.is_parametrized(module, "weight"):
            parametrize.remove_parametrizations(module, "weight")
    return model


def bake_originals(model):
    """leave_parametrized=False: every tensor goes back to its unconstrained original (where it can)."""
    for module in list(model.modules()):
        if parametrize.is_parametrized(module):
            for name in list(module.parametrizations):
                original = module.parametrizations[name]
                leave = not hasattr(original, "original") or original.original.shape != getattr(module, name).shape
                parametrize.remove_parametrizations(module, name, leave_parametrized=leave)
    return model


WRONG = {
    "ch09.1": {
        "right_inverse returns P": {"RowStochastic": InverseIsIdentity},
        "columns instead of rows": {"RowStochastic": ColumnsSumToOne},
        "no right_inverse": {"RowStochastic": NoRightInverse},
        "a subclass of nn.Softmax": {"RowStochastic": SoftmaxSubclass},
    },
    "ch09.2": {
        "weight norm's originals appear": {"predict_parametrized_state": state_with_weight_norm_originals},
        "the class and key unchanged": {"predict_parametrized_state": state_plain_linear},
    },
    "ch09.3": {
        "direct children only": {"bake_parametrizations": bake_children_only},
        "weights only": {"bake_parametrizations": bake_weights_only},
        "originals restored": {"bake_parametrizations": bake_originals},
    },
}
