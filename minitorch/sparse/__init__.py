"""minitorch.sparse: sparse tensors (torch.sparse), and pruning that really saves memory and time.

torch's pruning multiplies a dense weight by a mask: the zeros are still stored and still multiplied.
`sparsify(model)` finishes a pruning (prune.remove) and stores each nn.Linear weight as a CSR matrix with
int32 indices, which `F.linear` multiplies with one sparse product (SciPy on the cpu, cuSPARSE through cupyx
on a GPU). `minitorch.save` writes such tensors in their sparse form, so the file shrinks too.

    >>> prune.l1_unstructured(model.fc, "weight", amount=0.9)
    >>> sparsify(model)            # model.fc.weight.layout is minitorch.sparse_csr
    >>> minitorch.save(model.state_dict(), "small.pt")

Sparse tensors themselves: `Tensor.to_sparse()` / `to_sparse_csr()`, `minitorch.sparse_coo_tensor` /
`sparse_csr_tensor`, `indices()`, `crow_indices()`, `col_indices()`, `values()`, `to_dense()`, and
`sparse.mm` (also `torch.mm` and `@`). Their kernels are in `_kernels.py`, their data in
minitorch/backends/sparse.py."""
import numpy as np

from .. import _dispatch, serialization
from .._dtype import int32
from .._layout import sparse_coo, sparse_csr, strided
from .._tensor import Tensor
from ..ops import sparse as _dense_side
from ..ops.linalg import mm as _mm
from . import _kernels  # noqa: F401 (registers the sparse kernels with the dispatch door)

__all__ = ["mm", "sparsify"]



def _sparse_mm(mat1, mat2):
    """mat1 @ mat2 where mat1 is sparse (COO or CSR) and mat2 dense: a dense result. The gradient of mat1
    keeps its sparsity pattern. Two dense matrices are simply multiplied."""
    return _mm(mat1, mat2)


mm = _dispatch.public(_sparse_mm, "torch.sparse.mm", aten="aten::_sparse_mm")


def sparsify(module, index_dtype=int32):
    """Store the weight of every nn.Linear in `module` as a CSR matrix (in place; returns `module`).

    A pruned weight is made permanent first (`prune.remove`), so a pruned model needs this one call. The
    indices are `index_dtype` (int32 by default: at 90% sparsity a float32 weight then takes 0.2x its dense
    memory; torch's default int64 indices take 0.3x). Forward passes then multiply only the stored entries."""
    from ..nn import Linear, Parameter
    from ..nn.utils import parametrize, prune
    for name, layer in module.named_modules():
        if not isinstance(layer, Linear):
            continue
        if parametrize.is_parametrized(layer, "weight"):
            raise ValueError(f"sparsify: the weight of {name or 'the module'} is parametrized; call "
                             "parametrize.remove_parametrizations first")
        if hasattr(layer, "weight_orig"):
            prune.remove(layer, "weight")
        weight = layer.weight
        if weight.layout is strided:
            data = _dense_side.csr_of_array(weight.detach()._data, np.dtype(index_dtype.np))
            layer.weight = Parameter(Tensor._wrap(data), requires_grad=weight.requires_grad)
    return module


# ----- minitorch.save / load in sparse form ------------------------------------------------------------------
class _SparseTensorKind(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.layout is not strided


class SparseTensor(metaclass=_SparseTensorKind):
    """`isinstance(t, SparseTensor)` is true for tensors of a sparse layout (how minitorch.save picks them out)."""


def _to_plain(t):
    """A sparse tensor as what minitorch.save stores: its layout, size and index and value arrays (as tensors)."""
    from ..nn import Parameter
    data = t._data
    return {"layout": data.layout.name, "size": list(data.shape), "arrays": [Tensor._wrap(a) for a in data.arrays()],
            "coalesced": getattr(data, "coalesced", False), "requires_grad": t.requires_grad,
            "parameter": isinstance(t, Parameter)}


def _from_plain(plain):
    """Rebuild a saved sparse tensor, checking its indices as the factories do (the file is untrusted)."""
    from ..nn import Parameter
    layout, arrays, size = plain["layout"], plain["arrays"], tuple(plain["size"])
    if layout == sparse_csr.name and len(arrays) == 3:
        t = _dense_side.sparse_csr_tensor(*arrays, size)
    elif layout == sparse_coo.name and len(arrays) == 2:
        t = _dense_side.sparse_coo_tensor(*arrays, size, is_coalesced=plain["coalesced"] is True)
    else:
        raise ValueError(f"a sparse tensor of layout {layout!r} with {len(arrays)} arrays")
    if plain["parameter"] is True:
        return Parameter(t, requires_grad=plain["requires_grad"] is True)
    return t.requires_grad_(plain["requires_grad"] is True)


serialization.register_extension("sparse_tensor", SparseTensor, _to_plain, _from_plain)
