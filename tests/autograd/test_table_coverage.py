"""Every primitive and every differentiable ``numdeep.ops`` function has a gradcheck row.

The rows live in one table per op family (elementwise/reduce/movement/linalg/losses in
``test_ops_gradcheck``, convolution/pooling/batch-norm in ``test_conv_ops``, layer norm/masked
softmax/GELU in ``test_attention_ops``, the recurrent sequences in ``test_recurrent_ops``, the
rest of ``keras.ops`` in ``tests/ops/test_gradcheck_numpy`` and ``test_gradcheck_nn_linalg``); a
new primitive or ops function without a row fails here.
"""

from numdeep import ops
from numdeep.autograd import Tensor, primitives
from numdeep.autograd.function import Function
from tests.ops.test_gradcheck_nn_linalg import CASES as NN_LINALG_CASES
from tests.ops.test_gradcheck_numpy import CASES as NUMPY_CASES

from .test_attention_ops import CASES as ATTENTION_CASES
from .test_conv_ops import CASES as CONV_CASES
from .test_ops_gradcheck import CASES as CORE_CASES
from .test_ops_gradcheck import NOT_DIFFERENTIABLE, _primitives_in_graph
from .test_recurrent_ops import CASES as RECURRENT_CASES
from .test_recurrent_ops import OPS as RECURRENT_OPS

CASES = CORE_CASES + CONV_CASES + ATTENTION_CASES + NUMPY_CASES + NN_LINALG_CASES


def test_table_covers_every_primitive():
    used = set()
    for case in CASES:
        inputs = [Tensor(x, requires_grad=True) for x in case.sample()]
        used |= _primitives_in_graph(case.fn(*inputs))
    used |= {RECURRENT_OPS[case.kind][0].__name__ for case in RECURRENT_CASES}
    defined = {name for name in primitives.__all__ if isinstance(getattr(primitives, name), type)
               and issubclass(getattr(primitives, name), Function)}
    assert defined - used == set()


def test_table_covers_every_ops_function():
    covered = {case.name.split(":")[0] for case in CASES}
    assert set(ops.__all__) - NOT_DIFFERENTIABLE - covered == set()
