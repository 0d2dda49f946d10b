"""The ``numdeep.ops`` functions as numdeep's own layers, losses and activations call them: on
concrete Tensors, without the check for symbolic arguments that the public ``numdeep.ops``
makes on every call (~0.4 us; a layer's ``call`` never sees symbolic tensors)."""

from numdeep.ops.control_flow import *  # noqa: F403
from numdeep.ops.convolution import *  # noqa: F403
from numdeep.ops.core import *  # noqa: F403
from numdeep.ops.linalg import *  # noqa: F403
from numdeep.ops.math import *  # noqa: F403
from numdeep.ops.nn import *  # noqa: F403
from numdeep.ops.numpy import *  # noqa: F403
