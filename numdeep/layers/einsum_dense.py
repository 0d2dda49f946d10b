"""``EinsumDense``: a dense layer whose contraction is an einsum equation (the projections of
attention layers, per-head output layers, dense layers over several axes).

The contraction of the input with the kernel is a composition of transposes, reshapes and one
batched matmul (``_einsum``), so its gradient needs no code of its own.
"""

import math
import re

from numdeep import activations, constraints, initializers, regularizers
from numdeep.initializers.random import VarianceScaling
from numdeep.layers.core import check_no_quantization
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer
from numdeep.layers.lora import LoRA
from numdeep.ops import eager as ops


class EinsumDense(LoRA, Layer):
    """A dense layer computing ``activation(einsum(equation, inputs, kernel) + bias)``.

    Args:
        equation: ``'ab,bc->ac'``-style equation (input, kernel -> output); the input and output
            may start (``'...b,bc->...c'``) or the input and output end (``'ab...,bc->ac...'``)
            with an ellipsis for any number of further axes.
        output_shape: the output shape without the batch axis and the ellipsis axes (an int
            for one axis); ``None`` entries are taken from the input.
        activation: activation name or function (``None``: linear).
        bias_axes: output letters that get a bias (``None``: no bias).
        kernel_initializer, bias_initializer: initializers (the kernel's fans count its
            input-letter axes and output-letter axes, as in Keras).
        kernel_regularizer, bias_regularizer: penalties added to the loss.
        kernel_constraint, bias_constraint: projections applied after each optimizer step.
        lora_rank, lora_alpha: enable LoRA once built (the factorization is on the kernel's
            last axis; see ``enable_lora``).

    Call arguments:
        inputs: a tensor whose rank matches the equation's input.

    Example:
        >>> import numdeep as nd
        >>> layer = nd.layers.EinsumDense("abc,cde->abde", output_shape=(10, 4, 8),
        ...                               bias_axes="e")
        >>> y = layer(nd.Input(shape=(10, 32)))
        >>> y.shape, layer.kernel.shape, layer.bias.shape
        ((None, 10, 4, 8), (32, 4, 8), (8,))
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        check_no_quantization(self, quantization_config)
        self.equation = equation
        self.partial_output_shape = ((output_shape,) if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._init_lora(lora_rank, lora_alpha)

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = _analyze_einsum_string(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        self.input_spec = InputSpec(ndim=len(input_shape))
        init = self.kernel_initializer
        if isinstance(init, VarianceScaling):
            init = _fanned(init, kernel_shape, input_axes, output_axes)
        self._kernel = self.add_weight(tuple(kernel_shape), init, constraint=self.kernel_constraint,
                                       regularizer=self.kernel_regularizer, name="kernel")
        self.bias = None
        if bias_shape is not None:
            self.bias = self.add_weight(tuple(bias_shape), self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, name="bias")
        if self.lora_rank:
            self.built = True  # enable_lora extends a built layer
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    @property
    def kernel(self):
        """The kernel (with its LoRA update merged in when LoRA is on)."""
        if not self.built:
            raise AttributeError("You must build the layer before accessing `kernel`.")
        return self._lora_merged(self._kernel)

    def call(self, inputs):
        y = _einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            y = y + self.bias
        return y if self.activation is None else self.activation(y)

    def compute_output_shape(self, input_shape):
        return tuple(_analyze_einsum_string(self.equation, self.bias_axes, input_shape,
                                            self.partial_output_shape)[2])

    def get_config(self):
        config = super().get_config()
        config.update(
            output_shape=self.partial_output_shape, equation=self.equation,
            activation=activations.serialize(self.activation), bias_axes=self.bias_axes,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
            **self._lora_config(),
        )
        return config


def _fanned(init, shape, input_axes, output_axes):
    """``init`` drawing with the fans of the einsum axes: the values are i.i.d., so drawing a
    ``(fan_in, fan_out)`` matrix and reshaping it gives the kernel the right variance."""
    fan_in = math.prod(shape[i] for i in input_axes)
    fan_out = math.prod(shape[i] for i in output_axes)

    def draw(shape, dtype=None):
        return init((fan_in, fan_out), dtype=dtype).reshape(shape)

    return draw


# ----- the equation ---------------------------------------------------------------------------
def _analyze_einsum_string(equation, bias_axes, input_shape, output_shape):
    """``(kernel_shape, bias_shape, full_output_shape, input_axes, output_axes)`` for an
    EinsumDense equation (Keras's function of the same name and results); ``input_axes`` and
    ``output_axes`` are the kernel axes shared with the input and with the output."""
    dotted = equation.replace("...", "0")
    for pattern, left in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", False),
                          ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
                          ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False)):
        match = re.match(pattern, dotted)
        if match:
            return _analyze_split(*match.groups(), bias_axes, tuple(input_shape), output_shape,
                                  left)
    raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form "
                     f"[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def _analyze_split(input_spec, weight_spec, output_spec, bias_axes, input_shape, output_shape,
                   left_elided):
    elided = len(input_shape) - len(input_spec)
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            out.insert(1, input_shape[i])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    if left_elided:
        input_dim = {d: i + elided - len(input_shape) for i, d in enumerate(input_spec)}
        output_dim = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        input_dim = {d: i for i, d in enumerate(input_spec)}
        output_dim = {d: i for i, d in enumerate(output_spec)}
    for d in input_spec:
        if d in output_dim and out[output_dim[d]] is not None and (
                out[output_dim[d]] != input_shape[input_dim[d]]):
            raise ValueError(f"Input shape and output shape do not match at shared dimension "
                             f"'{d}'. Input shape is {input_shape[input_dim[d]]}, and output "
                             f"shape is {out[output_dim[d]]}.")
    for d in output_spec:
        if d not in input_spec and d not in weight_spec:
            raise ValueError(f"Dimension '{d}' was specified in the output '{output_spec}' but "
                             f"has no corresponding dim in the input spec '{input_spec}' or "
                             f"weight spec '{weight_spec}'")
    kernel, input_axes, output_axes = [], [], []
    for i, d in enumerate(weight_spec):
        if d in output_dim:
            kernel.append(out[output_dim[d]])
            output_axes.append(i)
        elif d in input_dim:
            kernel.append(input_shape[input_dim[d]])
            input_axes.append(i)
        else:
            raise ValueError(f"Weight dimension '{d}' did not have a match in either the input "
                             f"spec '{input_spec}' or the output spec '{output_spec}'. For this "
                             f"layer, the weight must be fully specified.")
    bias = None
    if bias_axes is not None:
        offset = elided if left_elided else 0
        sizes = {c: out[i + offset] for i, c in enumerate(output_spec)}
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(f"Bias dimension '{c}' was requested, but is not part of the "
                                 f"output spec '{output_spec}'")
        first = min(output_spec.find(c) for c in bias_axes)
        bias = [sizes[c] if c in bias_axes else 1 for c in output_spec[first:]]
        if not left_elided:
            bias += [1] * max(elided, 0)
    return kernel, bias, out, input_axes, output_axes


def _einsum(equation, x, w):
    """``einsum(equation, x, w)`` for two operands, as one batched matmul between transposes
    and reshapes (an ellipsis stands for the axes of ``x`` the letters leave over)."""
    ins, out = equation.split("->")
    a, b = ins.split(",")
    if "..." in a:
        spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                 if c not in equation][:x.ndim - len(a) + 3]
        a, out = a.replace("...", "".join(spare)), out.replace("...", "".join(spare))
        b = b.replace("...", "")
    if len(set(a)) != len(a) or len(set(b)) != len(b):
        raise ValueError(f"einsum '{equation}': a letter repeated within one operand is not "
                         f"supported.")
    # Letters of one operand only and absent from the output are summed out first.
    x, a = _sum_out(x, a, b + out)
    w, b = _sum_out(w, b, a + out)
    batch = [c for c in a if c in b and c in out]
    contract = [c for c in a if c in b and c not in out]
    free_a = [c for c in a if c not in b]
    free_b = [c for c in b if c not in a]
    size = dict(zip(a, x.shape)) | dict(zip(b, w.shape))
    xt = ops.transpose(x, [a.index(c) for c in batch + free_a + contract])
    wt = ops.transpose(w, [b.index(c) for c in batch + contract + free_b])
    nb, nfa, nc, nfb = (math.prod(size[c] for c in group)
                        for group in (batch, free_a, contract, free_b))
    y = ops.matmul(xt.reshape(nb, nfa, nc), wt.reshape(nb, nc, nfb))
    order = batch + free_a + free_b
    y = y.reshape(tuple(size[c] for c in order))
    return ops.transpose(y, [order.index(c) for c in out])


def _sum_out(t, letters, keep):
    axes = tuple(i for i, c in enumerate(letters) if c not in keep)
    if not axes:
        return t, letters
    return ops.sum(t, axis=axes), "".join(c for c in letters if c in keep)
