"""Chapter 09 exercises: parametrizations.

Replace each `raise NotImplementedError(...)` with your code, then run `python -m grader --chapter 9`."""
import minitorch as torch  # noqa: F401
from minitorch import nn  # noqa: F401
from minitorch.nn.utils import parametrizations, parametrize  # noqa: F401


class RowStochastic(nn.Module):
    """ch09.1: a parametrization whose matrices have positive rows that sum to 1 (each row a probability
    distribution, as in the transition matrix of a Markov chain).

    - `forward(X)`: the softmax of each row of X (over the last dimension);
    - `right_inverse(P)`: for a matrix P with positive rows summing to 1, a tensor of P's shape that forward
      maps back to P, so that `layer.weight = P` works once it is registered on a layer. (Registering also
      passes the layer's current weight through right_inverse: give the layer a row-stochastic weight first.)

    Hint: what does softmax do to log(P)?"""

    def forward(self, X):
        raise NotImplementedError("ch09.1: map X to a row-stochastic matrix")

    def right_inverse(self, P):
        raise NotImplementedError("ch09.1: an X with forward(X) == P")


def predict_parametrized_state():
    """ch09.2 (predict, then check): what this gives, without running it first:

        m = nn.Linear(5, 3)
        parametrizations.spectral_norm(m)
        parametrizations.weight_norm(m)

    Return (type(m).__name__, [(key, tuple(shape)) for each entry of m.state_dict(), in order]).
    Then check with the notebook's code."""
    raise NotImplementedError("ch09.2: return (class name, [(key, shape), ...])")


def bake_parametrizations(model):
    """ch09.3 (debugging): make every parametrization of `model` permanent. Afterwards no module of the model
    (the model itself and its submodules at any depth) is parametrized, each has its class from before, and
    every tensor that was parametrized is a plain Parameter holding the value it had when parametrized (so the
    model computes exactly what it computed before). Returns `model`.
    The code below runs but is wrong: delete the `raise` line and fix it."""
    raise NotImplementedError("ch09.3: delete this line, then find the bugs below")
    for module in model.children():
        if parametrize.is_parametrized(module, "weight"):
            parametrize.remove_parametrizations(module, "weight", leave_parametrized=False)
    return model
