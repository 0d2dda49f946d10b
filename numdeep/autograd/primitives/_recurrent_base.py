"""Shared machinery of the fused recurrent ops in ``recurrent.py``: activations with their
derivatives written through the outputs, gate blocks, the packed-output slice and the
``_Sequence`` base class (augmented weights, inputs, masks, reversal, output packing)."""

import contextlib

import numpy as np

from numdeep.autograd.engine import is_grad_enabled
from numdeep.autograd.function import Function, NoGradient
from numdeep.backend import threads, xp_of
from numdeep.backend.symbolic_scope import state_frozen

FUSED_ACTIVATIONS = ("tanh", "sigmoid", "hard_sigmoid", "relu", "linear")
# Per-step multiply-adds from which BLAS's own threads pay off: at 1e6 (LSTM(64), batch 64)
# two OpenBLAS threads gained 10% of wall time for twice the CPU time, and made inference
# slower than one thread on a busy machine; at 1e8 they scale well.
_BLAS_THREADS_MIN = 1 << 23
_CHUNK_BYTES = 1 << 19  # gate rows per backward chunk: the derivative arrays stay in cache
# Columns (steps * batch) from which the stacked weights are copied to row-major order first.
# The stacking leaves them column-major; BLAS reads either, but per-step products of an
# LSTM(64) at batch 64 ran 29 us row-major against 41 us column-major, while the transposing
# copy costs ~190 us for LSTM(128) on 40 features: most of a 1-step call at batch 1, where
# column-major products are as fast (10 vs 12 us).
_ROW_MAJOR_MIN = 256


def _activate(xp, name, x, out=None):
    """Apply activation ``name`` to ``x``, writing into ``out`` (default: in place)."""
    out = x if out is None else out
    if name == "tanh":
        xp.tanh(x, out=out)
    elif name == "sigmoid":
        # sigmoid(x) = (1 + tanh(x / 2)) / 2: no exp overflow for large negative x.
        xp.multiply(x, 0.5, out=out)
        xp.tanh(out, out=out)
        out *= 0.5
        out += 0.5
    elif name == "hard_sigmoid":
        xp.multiply(x, 1.0 / 6.0, out=out)
        out += 0.5
        xp.clip(out, 0.0, 1.0, out=out)
    elif name == "relu":
        xp.maximum(x, 0.0, out=out)
    elif out is not x:
        out[...] = x
    return out


def _derivative(xp, name, y, out=None):
    """The activation's derivative written through its output ``y`` (into ``out`` if given)."""
    out = xp.empty_like(y) if out is None else out
    if name == "tanh":
        xp.multiply(y, y, out=out)
        xp.subtract(1.0, out, out=out)
    elif name == "sigmoid":
        xp.subtract(1.0, y, out=out)
        out *= y
    elif name == "hard_sigmoid":
        out[...] = (y > 0.0) & (y < 1.0)
        out *= 1.0 / 6.0
    elif name == "relu":
        xp.greater(y, 0.0, out=out)
    else:
        out[...] = 1.0
    return out


class _Gates:
    """Activations of consecutive gate blocks of ``units`` rows, grouped in runs of equal
    activations. With only sigmoid and tanh, ``prescale`` multiplies the weights' sigmoid rows
    by -1 and tanh rows by -2 so that one ``exp`` call serves every gate:
    sigmoid(z) = 1 / (1 + exp(-z)) and tanh(z) = 2 / (1 + exp(-2z)) - 1. NumPy's float32
    ``exp`` costs half of its ``tanh`` (1.35 vs 2.6 ns an element here), so this is ~40%
    faster than the former single ``tanh`` call with sigmoid(z) = (1 + tanh(z / 2)) / 2.
    ``exp`` overflows to ``inf`` for very negative ``z``, which gives the exact limits 0 and -1;
    callers run it under ``np.errstate(over="ignore")``."""

    def __init__(self, xp, names, units, dtype):
        self.xp = xp
        self.runs = []
        for k, name in enumerate(names):
            if self.runs and self.runs[-1][0] == name:
                self.runs[-1][2] = (k + 1) * units
            else:
                self.runs.append([name, k * units, (k + 1) * units])
        self.prescale = None
        self.one, self.two = xp.asarray(1.0, dtype), xp.asarray(2.0, dtype)
        if set(names) <= {"tanh", "sigmoid"}:
            self.prescale = xp.repeat(xp.asarray([-1.0 if n == "sigmoid" else -2.0
                                                  for n in names], dtype=dtype), units)

    def __call__(self, a):
        xp = self.xp
        if self.prescale is not None:
            xp.exp(a, out=a)
            a += self.one
        for name, start, stop in self.runs:
            block = a[..., start:stop, :]
            if self.prescale is None:
                _activate(xp, name, block)
            elif name == "sigmoid":
                xp.divide(self.one, block, out=block)
            else:
                xp.divide(self.two, block, out=block)
                block -= self.one
        return a

    def derivative(self, a):
        d = self.xp.empty_like(a)
        for name, start, stop in self.runs:
            _derivative(self.xp, name, a[..., start:stop, :], out=d[..., start:stop, :])
        return d


def _rows_first(a):
    """A (time, rows, batch) array as one contiguous (rows, time * batch) matrix."""
    return xp_of(a).ascontiguousarray(a.transpose(1, 0, 2)).reshape(a.shape[1], -1)


def _blas_scope(macs):
    """BLAS on one thread for per-step products of fewer than ``_BLAS_THREADS_MIN``
    multiply-adds (``threads.single_threaded_blas``), else BLAS's own threads."""
    if macs < _BLAS_THREADS_MIN:
        return threads.single_threaded_blas()
    return contextlib.nullcontext()


def _outer_sum(a, b):
    """``sum_t a[t] @ b[t].T`` for (time, m, batch) and (time, n, batch) arrays: one product
    of (m, time * batch) by (time * batch, n), as fast as the 50 per-step products on one
    thread, and one that BLAS's own threads split well."""
    return _rows_first(a) @ _rows_first(b).T


class ZeroState(NoGradient):
    """An all-zero initial state of ``shape`` and ``dtype`` (no inputs). A recurrent layer's
    default states are made by this op rather than by NumPy, so a training or inference plan
    makes them afresh at each replay instead of keeping the traced call's batch-sized array
    as a constant (which a plan refuses).

    Example:
        >>> ZeroState.apply(shape=(2, 3), dtype="float32").numpy()
        array([[0., 0., 0.],
               [0., 0., 0.]], dtype=float32)
    """

    def forward(self):
        return self.xp.zeros(self.shape, self.dtype)


class ReadState(NoGradient):
    """A copy of the state a ``stateful`` recurrent layer carries from one batch to the next
    (param ``state``: the Variable's array). Read by an op, a plan (training or inference) hands
    the op the Variable's current array at each replay, where a copy made with NumPy would be
    frozen into the plan as the traced batch's constant (which a plan refuses).

    Example:
        >>> import numpy as np
        >>> ReadState.apply(state=np.ones((1, 2), "float32")).numpy()
        array([[1., 1.]], dtype=float32)
    """

    def forward(self):
        return self.state.copy()


class WriteState(NoGradient):
    """Write ``x`` in place into ``state`` (param: a ``stateful`` layer's Variable array), the
    state the next batch starts from; nothing while the state is frozen (symbolic tracing, a
    recomputation). Written by an op, a plan writes it again at each replay, as a training
    plan does ``BatchNorm``'s moving statistics. Returns an empty array.

    Example:
        >>> import numpy as np
        >>> state = np.zeros((1, 2), "float32")
        >>> _ = WriteState.apply(np.array([[3.0, 4.0]], "float32"), state=state)
        >>> state
        array([[3., 4.]], dtype=float32)
    """

    writes_state = True  # an inference plan keeps it although no output reads its result

    def forward(self, x):
        if x.shape != self.state.shape:
            raise ValueError(f"A stateful RNN's carried state has shape {self.state.shape}; "
                             f"received a new state of shape {x.shape}.")
        if not state_frozen():
            self.state[...] = x
        return self.xp.empty((0,), self.state.dtype)


class Unpack(Function):
    """``y[index]`` of a recurrent op's packed output (a sequence, the last output or a state).

    Like ``GetItem``, but backward allocates the gradient in ``y``'s own memory layout (time-
    and batch-minor), so neither this op nor the recurrent op's backward copies it across.

    Example:
        >>> import numpy as np
        >>> from numdeep.autograd import Tensor
        >>> y = Tensor(np.ones((2, 4, 3), "float32"), requires_grad=True)
        >>> Unpack.apply(y, index=(slice(None), 3)).sum().backward()
        >>> y.grad[:, :, 0]
        array([[0., 0., 0., 1.],
               [0., 0., 0., 1.]], dtype=float32)
    """

    def forward(self, y):
        self.like = y
        return y[self.index]

    def backward(self, gy):
        g = self.xp.zeros_like(self.like)
        g[self.index] = gy
        return g


class _Sequence(Function):
    """Shared by the three ops: augmented weights, inputs, reversal, masks, output packing.

    Subclasses give ``_weights`` (the augmented ``W``, rows in their internal order, times
    ``scale`` row by row when given),
    ``_scan`` (the time loop), ``_bptt`` (its reverse, returning ``dA``) and ``_weight_grads``
    (``sum_t z_t dA_t^T`` back to Keras's kernel, recurrent kernel and bias).
    """

    n_states = 1
    order = None  # internal order of the gate blocks, if not Keras's
    mask = None
    recurrent_mask = None
    go_backwards = False
    return_sequences = True
    zero_output_for_mask = False
    activation = "tanh"
    recurrent_activation = "sigmoid"

    def forward(self, x, kernel, recurrent_kernel, bias, *states):
        xp = self.xp
        n, steps, features = x.shape
        units = recurrent_kernel.shape[0]
        dtype = xp.result_type(x, kernel, recurrent_kernel)
        self.steps, self.units, self.features = steps, units, features
        self.bias_shape = None if bias is None else bias.shape
        self.gates = self._make_gates(units, dtype)
        kernel = kernel.astype(dtype, copy=False)
        recurrent_kernel = recurrent_kernel.astype(dtype, copy=False)
        prescale = self.gates.prescale
        if prescale is not None and not is_grad_enabled():
            # No backward will run: only the scaled weights are needed, made in one buffer.
            self.w, w = None, self._weights(kernel, recurrent_kernel, bias, scale=prescale)
        else:
            self.w = self._weights(kernel, recurrent_kernel, bias)
            w = self.w if prescale is None else self.w * prescale[:, None]
        # z_all[t] = [h_{t-1} (times the dropout mask); x_t; 1], the right factor of every step.
        z_all = xp.empty((steps + 1, units + features + 1, n), dtype)
        xt = x.transpose(1, 2, 0)
        z_all[:steps, units:units + features] = xt[::-1] if self.go_backwards else xt
        z_all[:, -1] = 1.0
        self.keep = self.drop = None
        if self.mask is not None:
            keep = xp.asarray(self.mask, dtype=bool).T[:, None, :]
            self.keep = keep[::-1] if self.go_backwards else keep
            self.drop = ~self.keep
        rmask = self.recurrent_mask
        if rmask is not None:
            rmask = self.recurrent_mask = xp.ascontiguousarray(rmask.T, dtype=dtype)
            h_all = xp.empty((steps + 1, units, n), dtype)
        else:
            h_all = z_all[:, :units]
        h_all[0] = 0.0 if states[0] is None else states[0].T
        if rmask is not None:
            xp.multiply(h_all[0], rmask, out=z_all[0, :units])
        rest = [xp.zeros((units, n), dtype) if s is None else s.T for s in states[1:]]
        if steps * n >= _ROW_MAJOR_MIN:
            w = xp.ascontiguousarray(w)  # a transposing copy, repaid over the steps
        # Small per-step products: BLAS's threads would cost more than they save.
        self.macs = w.shape[0] * w.shape[1] * n
        with np.errstate(over="ignore"), _blas_scope(self.macs):
            seq, finals = self._scan(z_all, h_all, w, rest)
        self.out_mask = self._output_mask(states[0] is not None)
        if self.out_mask is not None:
            seq = seq * self.out_mask
        n_out = steps if self.return_sequences else 1
        y = xp.empty((n_out + len(finals), units, n), dtype)
        y[:n_out] = seq if self.return_sequences else seq[-1:]
        for j, s in enumerate(finals):
            y[n_out + j] = s
        return y.transpose(2, 0, 1)

    def backward(self, gy):
        xp = self.xp
        steps, units, features = self.steps, self.units, self.features
        n_out = steps if self.return_sequences else 1
        gy = gy.transpose(1, 2, 0)
        g_final = [xp.array(gy[n_out + j]) for j in range(self.n_states)]
        out_mask = self.out_mask
        g_seq = None
        if self.return_sequences:
            g_seq = gy[:n_out] * out_mask if out_mask is not None else \
                xp.ascontiguousarray(gy[:n_out])
        else:
            g_final[0] += gy[0] * out_mask[-1] if out_mask is not None else gy[0]
        with _blas_scope(self.macs):
            d_pre, extra, g_states = self._bptt(g_seq, g_final)
        # The all-steps products run with BLAS's own threads, which wake once here: they split
        # a product better than rows over numdeep's pool, where each part packed the whole
        # right-hand matrix again (2 cores, LSTM(64) kernel gradient (66, 3200) @ (3200, 256):
        # 1.24 ms on the pool, 0.99 ms on BLAS's threads, 1.52 ms on one thread).
        z_all = self.saved[0]
        d_rows = _rows_first(d_pre)  # (rows, time * batch)
        gw = _rows_first(z_all[:steps]) @ d_rows.T
        gx = None
        if self.needs_input_grad[0]:
            # (time * batch, features) is (time, batch, features): the input's layout.
            gx = d_rows.T @ self.w[:, units:units + features]
            gx = gx.reshape(steps, -1, features)
            gx = (gx[::-1] if self.go_backwards else gx).transpose(1, 0, 2)
        gk, g_rk, gb = self._weight_grads(gw, extra)
        return (gx, gk, g_rk, gb if self.bias_shape is not None else None,
                *(g.T for g in g_states))

    def _output_mask(self, has_initial_state):
        """Which outputs survive masking: with ``zero_output_for_mask`` the kept steps; else,
        when the sequence starts from a given state, the steps from the first kept one on (the
        masked steps before it output zeros, as Keras's loop does, not the initial state)."""
        if self.keep is None:
            return None
        if self.zero_output_for_mask:
            return self.keep
        if has_initial_state:
            return self.xp.logical_or.accumulate(self.keep, axis=0)
        return None

    def _make_gates(self, units, dtype):
        rec = self.recurrent_activation
        return _Gates(self.xp, (rec,) * 2, units, dtype)

    def _stack(self, kernel, recurrent_kernel, bias, scale=None):
        """``[U; K; b]^T`` with the gate blocks in internal order: (G * units, u + F + 1), times
        ``scale`` (the gates' ``prescale``, one factor per row) when given. Block copies into
        one buffer, then one contiguous multiply: concatenating, reordering and scaling a
        transposed view took three passes (LSTM(128) on 40 features: ~58 -> ~43 us alone)."""
        xp = self.xp
        u, f = recurrent_kernel.shape[0], kernel.shape[0]
        w = xp.empty((u + f + 1, kernel.shape[1]), kernel.dtype)
        order = range(kernel.shape[1] // u) if self.order is None else self.order
        for j, k in enumerate(order):
            src, dst = slice(k * u, (k + 1) * u), slice(j * u, (j + 1) * u)
            w[:u, dst] = recurrent_kernel[:, src]
            w[u:u + f, dst] = kernel[:, src]
            w[-1, dst] = 0.0 if bias is None else bias[src]
        if scale is not None:
            xp.multiply(w, scale, out=w)
        return w.T

    def _reorder(self, w, order):
        if order is None:
            return w
        u = w.shape[-1] // len(order)
        return self.xp.concatenate([w[..., k * u:(k + 1) * u] for k in order], axis=-1)

    def _split_stacked(self, gw):
        """Kernel, recurrent kernel and bias gradients from a ``_stack``-shaped gradient."""
        if self.order is not None:
            gw = self._reorder(gw, [self.order.index(k) for k in range(len(self.order))])
        u, f = self.units, self.features
        return gw[u:u + f], gw[:u], gw[u + f]

    def _chunks(self, steps, row):
        """Time ranges ``[t0, t1)`` from the end, each holding about ``_CHUNK_BYTES`` of ``row``
        (one step's gate array)."""
        size = max(1, _CHUNK_BYTES // max(1, row.nbytes))
        for stop in range(steps, 0, -size):
            yield max(0, stop - size), stop

    def _finish_step(self, t, z_all, h_all):
        """Apply the mask to the new state ``h_all[t + 1]`` and feed it to the next matmul."""
        if self.keep is not None:
            self.xp.copyto(h_all[t + 1], h_all[t], where=self.drop[t])
        if self.recurrent_mask is not None:
            self.xp.multiply(h_all[t + 1], self.recurrent_mask, out=z_all[t + 1, :self.units])

    def _mask_split(self, t, grads):
        """Send the masked columns' gradients straight to the previous state (kept ones: to the
        cell); returns the carried parts."""
        carried = [g * self.drop[t] for g in grads]
        for g in grads:
            g *= self.keep[t]
        return carried

    def _recurrent_input(self, g):
        """The gradient wrt ``h`` of one wrt ``h * recurrent_mask``."""
        return g if self.recurrent_mask is None else g * self.recurrent_mask
