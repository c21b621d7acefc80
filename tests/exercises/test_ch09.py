"""Graded tests for chapter 09 (parametrizations). Matrices and models are drawn afresh on every run; the
expected values come from minitorch itself (softmax, the parametrized values read before baking), and the
predicted state by running the code of the question."""
import random

import pytest

import minitorch as torch
from grader.checks import check, check_close, check_equal, check_own_class
from minitorch import nn
from minitorch.nn.utils import parametrizations, parametrize


def _stochastic(rows, cols):
    p = torch.rand(rows, cols, dtype=torch.float64) + 0.05
    return p / p.sum(dim=1, keepdim=True)


# ----- ch09.1 RowStochastic -------------------------------------------------------------------------------------
@pytest.mark.exercise("ch09.1", points=1)
def test_forward_gives_row_stochastic_matrices(ch09):
    """forward(X) is the softmax of each row of X: positive rows summing to 1"""
    check_own_class(ch09.RowStochastic, [nn.Softmax], "RowStochastic")
    rng = random.Random()
    for _ in range(5):
        X = torch.randn(rng.randint(1, 6), rng.randint(1, 6), dtype=torch.float64) * 3
        check_close(ch09.RowStochastic()(X), torch.softmax(X, dim=-1), f"forward of a {tuple(X.shape)} matrix",
                    rtol=1e-9, atol=1e-12)


@pytest.mark.exercise("ch09.1", points=2)
def test_right_inverse_round_trips(ch09):
    """forward(right_inverse(P)) == P for row-stochastic P, with P's shape"""
    rng = random.Random()
    for _ in range(5):
        P = _stochastic(rng.randint(1, 6), rng.randint(2, 6))
        p = ch09.RowStochastic()
        X = p.right_inverse(P)
        check_equal(tuple(X.shape), tuple(P.shape), "the shape of right_inverse(P)")
        check_close(p(X), P, "forward(right_inverse(P))", rtol=1e-9, atol=1e-12)


@pytest.mark.exercise("ch09.1", points=2)
def test_registered_on_a_layer(ch09):
    """on a Linear: the weight is row-stochastic, can be assigned, trains, and stays row-stochastic"""
    rng = random.Random()
    for _ in range(3):
        n_in, n_out = rng.randint(2, 6), rng.randint(2, 6)
        layer = nn.Linear(n_in, n_out).double()
        with torch.no_grad():  # registering passes the current weight through right_inverse
            layer.weight.copy_(_stochastic(n_out, n_in))
        parametrize.register_parametrization(layer, "weight", ch09.RowStochastic())
        check_close(layer.weight.sum(dim=1), torch.ones(n_out, dtype=torch.float64), "row sums of the weight")
        P = _stochastic(n_out, n_in)
        layer.weight = P
        check_close(layer.weight, P, "the weight after `layer.weight = P`", rtol=1e-9, atol=1e-12)
        optimizer = torch.optim.SGD(layer.parameters(), lr=0.5)
        layer(torch.randn(4, n_in, dtype=torch.float64)).pow(2).sum().backward()
        grad = layer.parametrizations.weight.original.grad
        check(grad is not None and bool((grad != 0).any().item()), "the gradient reaches the original", got=grad)
        optimizer.step()
        check(not torch.allclose(layer.weight, P), "a training step changes the weight")
        check_close(layer.weight.sum(dim=1), torch.ones(n_out, dtype=torch.float64), "row sums after a step")
        check(bool((layer.weight > 0).all().item()), "entries stay positive after a step")


# ----- ch09.2 predict the state_dict -------------------------------------------------------------------------------
def parametrized_state():
    """The question of ch09.2, run."""
    m = nn.Linear(5, 3)
    parametrizations.spectral_norm(m)
    parametrizations.weight_norm(m)
    return type(m).__name__, [(key, tuple(value.shape)) for key, value in m.state_dict().items()]


@pytest.mark.exercise("ch09.2", points=1)
def test_predicted_parametrized_state(ch09):
    """predict_parametrized_state() gives the class name and the state_dict entries with shapes"""
    got = ch09.predict_parametrized_state()
    check(isinstance(got, tuple) and len(got) == 2, "a (class name, entries) pair", got=got)
    name, entries = parametrized_state()
    check_equal(got[0], name, "the class name")
    check_equal([(k, tuple(s)) for k, s in got[1]], entries, "the state_dict entries (key, shape), in order")


# ----- ch09.3 bake_parametrizations ----------------------------------------------------------------------------------
class Double(nn.Module):
    def forward(self, X):
        return 2 * X


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


def _random_model(rng):
    """Nested Sequentials of square Linears, with parametrizations on weights and biases at every depth."""
    torch.manual_seed(rng.randrange(10 ** 6))
    n = rng.randint(2, 5)
    inner = nn.Sequential(nn.Linear(n, n), nn.Tanh(), nn.Linear(n, n))
    model = nn.Sequential(nn.Linear(n, n), inner, nn.Sequential(inner[0].__class__(n, n)))
    layers = [model[0], inner[0], inner[2], model[2][0]]
    for layer in layers:
        choice = rng.choice(["symmetric", "orthogonal", "weight_norm", "double", "none"])
        if choice == "symmetric":
            parametrize.register_parametrization(layer, "weight", Symmetric())
        elif choice == "orthogonal":
            parametrizations.orthogonal(layer)
        elif choice == "weight_norm":
            parametrizations.weight_norm(layer)
        elif choice == "double":
            parametrize.register_parametrization(layer, "weight", Double())
        if rng.random() < 0.6:
            parametrize.register_parametrization(layer, "bias", Double())
    parametrize.register_parametrization(layers[rng.randrange(4)], "weight", Double())  # at least one, chained
    return model, layers, n


@pytest.mark.exercise("ch09.3", points=3)
def test_bake_random_models(ch09):
    """every parametrization at any depth is baked in: plain classes, Parameters holding the parametrized values"""
    rng = random.Random()
    for trial in range(5):
        model, layers, n = _random_model(rng)
        values = [(layer.weight.detach().clone(), layer.bias.detach().clone()) for layer in layers]
        x = torch.randn(3, n)
        with torch.no_grad():
            before = model(x)
        check(ch09.bake_parametrizations(model) is model, "bake_parametrizations returns the model")
        left = [name for name, m in model.named_modules() if parametrize.is_parametrized(m)]
        check_equal(left, [], f"trial {trial}: modules still parametrized")
        check_equal([type(layer).__name__ for layer in layers], ["Linear"] * 4, f"trial {trial}: layer classes")
        for i, (layer, (weight, bias)) in enumerate(zip(layers, values)):
            for name, value in (("weight", weight), ("bias", bias)):
                tensor = getattr(layer, name)
                check(isinstance(tensor, nn.Parameter), f"trial {trial}: layer {i}'s {name} is a Parameter",
                      got=type(tensor))
                check_close(tensor, value, f"trial {trial}: layer {i}'s {name} keeps its parametrized value")
        with torch.no_grad():
            check_close(model(x), before, f"trial {trial}: the model's output")
