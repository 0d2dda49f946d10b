"""numdeep's define-by-run reverse-mode autograd engine over NumPy arrays.

Example:
    >>> import numdeep as nd
    >>> x = nd.Tensor(3.0, requires_grad=True)
    >>> y = x * x + 2 * x
    >>> y.backward()
    >>> float(x.grad)
    8.0
"""

from numdeep.autograd import primitives  # noqa: F401 - defines Tensor's operators
from numdeep.autograd.engine import is_grad_enabled, no_grad, set_grad_enabled, unbroadcast
from numdeep.autograd.function import Function
from numdeep.autograd.gradcheck import gradcheck
from numdeep.autograd.tape import GradientTape, grad
from numdeep.autograd.tensor import Tensor, data_of
from numdeep.autograd.variable import Variable

__all__ = ["Tensor", "Variable", "data_of", "Function", "no_grad", "set_grad_enabled",
           "is_grad_enabled", "unbroadcast", "gradcheck", "GradientTape", "grad"]
