"""Layouts: how a tensor's elements are stored. `minitorch.strided` is the dense layout every tensor has
unless a sparse kind says otherwise (`sparse_coo`, `sparse_csr` ...)."""


class layout:
    """A storage layout, printed as torch prints it (`torch.strided`)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
