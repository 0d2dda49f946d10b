"""Every primitive and every differentiable ``numdeep.ops`` function has a gradcheck row.

The rows live in one table per op family (elementwise/reduce/movement/linalg/losses in
``test_ops_gradcheck``, convolution/pooling/batch-norm in ``test_conv_ops``); a new primitive or
ops function without a row fails here.
"""

from numdeep import ops
from numdeep.autograd import Tensor
from numdeep.autograd import ops as primitives
from numdeep.autograd.function import Function

from .test_conv_ops import CASES as CONV_CASES
from .test_ops_gradcheck import CASES as CORE_CASES
from .test_ops_gradcheck import NOT_DIFFERENTIABLE, _primitives_in_graph

CASES = CORE_CASES + CONV_CASES
# Argument helpers re-exported with the conv functions; they compute shapes, not tensors.
SHAPE_HELPERS = {"normalize_tuple", "conv_padding", "conv_output_length",
                 "conv_transpose_geometry"}


def test_table_covers_every_primitive():
    used = set()
    for case in CASES:
        inputs = [Tensor(x, requires_grad=True) for x in case.sample()]
        used |= _primitives_in_graph(case.fn(*inputs))
    defined = {name for name in primitives.__all__ if isinstance(getattr(primitives, name), type)
               and issubclass(getattr(primitives, name), Function)}
    assert defined - used == set()


def test_table_covers_every_ops_function():
    covered = {case.name.split(":")[0] for case in CASES}
    assert set(ops.__all__) - NOT_DIFFERENTIABLE - SHAPE_HELPERS - covered == set()
