"""Chapter 04 exercises: module state (buffers, state_dict, extra state).

Run `python -m grader --chapter 04` from the repository root to check your answers."""
import minitorch as torch  # noqa: F401  (you may need it)
from minitorch import nn


class RunningMean(nn.Module):
    """ch04.1: keep an exponential running mean of the inputs.

    __init__(num_features, momentum=0.9): store `momentum` and register a *persistent buffer* named
    'mean', zeros of shape (num_features,).
    forward(x): update mean <- momentum * mean + (1 - momentum) * x (x has shape (num_features,)),
    without recording autograd history, and return the new mean.

    Hint: `self.register_buffer(name, tensor)`; assigning a tensor to `self.mean` later replaces the
    buffer. `x.detach()` drops the history."""

    def __init__(self, num_features, momentum=0.9):
        super().__init__()
        raise NotImplementedError("ch04.1: register a zero 'mean' buffer and store momentum")

    def forward(self, x):
        raise NotImplementedError("ch04.1: update the running mean buffer and return it")


def copy_matching(source, target):
    """ch04.2: copy the entries of state dict `source` into state dict `target` (in place) when the
    key exists in `target` and the shapes agree; leave every other entry of `target` alone.

    Return (copied_keys, skipped_keys): two sorted lists of keys of `source`. Copied values must not
    share memory with `source`.

    Hint: loop over `source.items()`; compare `.shape`; use `.clone()`."""
    raise NotImplementedError("ch04.2: copy same-key, same-shape entries and report copied/skipped keys")


class Counter(nn.Module):
    """ch04.3: an identity module that counts how often it was called, and saves the count.

    forward(x) returns x unchanged and adds one to `self.calls` (an int, starting at 0).
    The count is not a tensor, so store it as *extra state*: implement get_extra_state() returning
    {'calls': count} and set_extra_state(state) restoring it. Then `state_dict()` has the key
    '_extra_state' and `load_state_dict` restores the count.

    Hint: torch calls these two methods for you whenever a subclass defines them."""

    def __init__(self):
        super().__init__()
        raise NotImplementedError("ch04.3: start the call count at 0")

    def forward(self, x):
        raise NotImplementedError("ch04.3: count the call and return x")

    def get_extra_state(self):
        raise NotImplementedError("ch04.3: return {'calls': count}")

    def set_extra_state(self, state):
        raise NotImplementedError("ch04.3: restore the count from state")
