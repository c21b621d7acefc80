"""`minitorch.linalg`: torch.linalg's decompositions, solves, norms and matrix functions, on the last two
dims of a tensor (those before are batch dims). See https://pytorch.org/docs/stable/linalg.html"""
from .ops.decompositions import LinAlgError, householder_product, matrix_exp, qr, solve, svd, svdvals
from .ops.linalg import matmul
from .ops.norms import matrix_norm, norm, vector_norm

__all__ = ["LinAlgError", "householder_product", "matmul", "matrix_exp", "matrix_norm", "norm", "qr", "solve",
           "svd", "svdvals", "vector_norm"]
