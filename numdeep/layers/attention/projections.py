"""The projections of the multi-head attention layers, shaped as Keras's ``EinsumDense``
sublayers (so weights and files move between numdeep and Keras unchanged), each computed as one
matrix product. Like ``EinsumDense`` they take LoRA (``layer.query_dense.enable_lora(rank)``)."""

from numdeep import activations
from numdeep.autograd import Tensor, is_grad_enabled
from numdeep.layers.layer import Layer
from numdeep.layers.lora import LoRA
from numdeep.ops import eager as ops


class _Projection(LoRA, Layer):
    """The kernel, read through LoRA (its low-rank update merged in once enabled)."""

    def _add_kernel(self, shape):
        self._kernel = self.add_weight(shape, self.kernel_initializer, name="kernel",
                                       regularizer=self.kernel_regularizer,
                                       constraint=self.kernel_constraint)

    @property
    def kernel(self):
        return self._lora_merged(self._kernel)


class HeadsDense(_Projection):
    """``(..., in) -> (..., heads, size)``: Keras's ``EinsumDense`` ``...c,cde->...de`` with kernel
    ``(in, heads, size)``, bias ``(heads, size)`` and an optional activation (the gate's
    sigmoid)."""

    def __init__(self, heads, size, use_bias, kernel_initializer, bias_initializer,
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, activation=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.heads, self.size, self.use_bias = heads, size, use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.activation = activations.get(activation) if activation is not None else None
        self._init_lora(None, None)

    def build(self, input_shape):
        self._add_kernel((input_shape[-1], self.heads, self.size))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight((self.heads, self.size), self.bias_initializer,
                                        name="bias", regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def call(self, inputs):
        width = self.heads * self.size
        kernel = self.kernel
        y = inputs @ kernel.reshape(kernel.shape[0], width)
        if self.bias is not None:
            y = y + self.bias.reshape(width)
        y = y.reshape(inputs.shape[:-1] + (self.heads, self.size))
        return y if self.activation is None else self.activation(y)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.heads, self.size)


class OutputDense(_Projection):
    """``(..., heads, size) -> (..., *out)``: kernel ``(heads, size, *out)``, bias ``out``."""

    def __init__(self, out_shape, use_bias, kernel_initializer, bias_initializer,
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.out_shape, self.use_bias = tuple(out_shape), use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self._init_lora(None, None)

    def build(self, input_shape):
        heads, size = input_shape[-2:]
        self._add_kernel((heads, size, *self.out_shape))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(self.out_shape, self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def call(self, inputs):
        kernel = self.kernel
        heads, size = kernel.shape[:2]
        y = inputs.reshape(inputs.shape[:-2] + (heads * size,))
        y = y @ kernel.reshape(heads * size, -1)
        if self.bias is not None:
            y = y + self.bias.reshape(-1)
        return y.reshape(inputs.shape[:-2] + self.out_shape)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-2], *self.out_shape)


def fused_projections(x, denses):
    """``[d(x) for d in denses]`` for ``HeadsDense`` layers applied to the same input, as one
    matrix product against their concatenated kernels; ``None`` where that does not apply.

    Self-attention projects one input three times (query, key, value): one ``(rows, dim) @
    (dim, 3 * width)`` GEMM runs closer to BLAS's peak than three of a third the width
    (measured on MiniLM's ``(4096, 384)`` projections: 45 -> 43 ms at one thread). Only
    inference (no gradient recorded: slicing the product would cost the backward three
    full-size scatters) of plain projections takes this path: no LoRA, activation, activity
    regularizer or rematerialization. Built from primitives, so inference plans trace it.
    """
    if is_grad_enabled():
        return None
    first = denses[0]
    for d in denses:
        if (type(d) is not HeadsDense or not d.built or d.lora_enabled or d.activation is not None
                or d.activity_regularizer is not None or d._remat_mode is not None
                or d.use_bias != first.use_bias or d._kernel.dtype != first._kernel.dtype):
            return None
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim < 2 or x.dtype != first._kernel.dtype:
        return None
    dim = x.shape[-1]
    y = x @ ops.concatenate([d._kernel.reshape((dim, -1)) for d in denses], axis=1)
    if first.use_bias:
        y = y + ops.concatenate([d.bias.reshape((-1,)) for d in denses], axis=0)
    out, start = [], 0
    for d in denses:
        width = d.heads * d.size
        out.append(y[..., start:start + width].reshape(x.shape[:-1] + (d.heads, d.size)))
        start += width
    return out
