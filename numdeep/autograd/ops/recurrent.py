"""Fused recurrent primitives: a whole SimpleRNN, LSTM or GRU sequence in one op.

A recurrent layer built from elementwise ops records ~15 graph nodes per time step; these ops
record one per layer call. ``forward`` projects the inputs of every time step with one matmul,
then loops over time with one matmul per step and keeps the activated gates. ``backward`` runs
backpropagation through time over the kept gates (gate derivatives precomputed for all steps at
once), collects every step's pre-activation gradient, and ends with one matmul each for the
input, kernel and recurrent-kernel gradients.

Shared conventions (Keras semantics and weight layouts):

- Inputs: ``x`` (batch, time, features), ``kernel`` (features, G * units), ``recurrent_kernel``
  (units, G * units), ``bias`` (``None``, (G * units,), or (2, G * units) for a GRU with
  ``reset_after``: input bias, recurrent bias), then the initial states, each (batch, units) or
  ``None`` for zeros. All of them can receive gradients.
- Parameters: ``mask`` (batch, time) booleans, where False steps keep the previous state and
  output it (zeros with ``zero_output_for_mask``); ``go_backwards`` walks time in reverse and
  returns outputs in that order; ``return_sequences``; ``recurrent_mask`` (batch, units)
  multiplies the state entering the recurrent matmul (recurrent dropout); ``activation`` and
  ``recurrent_activation`` names from ``FUSED_ACTIVATIONS``.
- Output: one array (batch, n_out + n_states, units), the outputs (every step, or the last one)
  followed by the final states (``h``; for the LSTM ``h`` then ``c``). Layers slice it.

Buffers are time-major, (time, batch, ...), so each step reads and writes contiguous blocks.
"""

from numdeep.autograd.function import Function

FUSED_ACTIVATIONS = ("tanh", "sigmoid", "hard_sigmoid", "relu", "linear")


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


def _derivative(xp, name, y):
    """The activation's derivative, written through its output ``y`` (a new array)."""
    if name == "tanh":
        return 1.0 - y * y
    if name == "sigmoid":
        return y * (1.0 - y)
    if name == "hard_sigmoid":
        return ((y > 0.0) & (y < 1.0)).astype(y.dtype) * (1.0 / 6.0)
    if name == "relu":
        return (y > 0.0).astype(y.dtype)
    return xp.ones_like(y)


class _Gates:
    """Activations of consecutive gate blocks of width ``units`` (LSTM: i, f, c, o)."""

    def __init__(self, xp, names, units, dtype):
        self.xp, self.names, self.units = xp, names, units
        self.affine = None
        if len(set(names)) > 1 and set(names) <= {"tanh", "sigmoid"}:
            # Every block is a * tanh(s * x) + b (sigmoid: a = s = b = 1/2): four array calls
            # for all gates instead of four per sigmoid block.
            half = [0.5 if n == "sigmoid" else 1.0 for n in names]
            shift = [0.5 if n == "sigmoid" else 0.0 for n in names]
            self.affine = tuple(xp.repeat(xp.asarray(v, dtype=dtype), units) for v in
                                (half, half, shift))

    def __call__(self, a):
        xp, u = self.xp, self.units
        if self.affine is not None:
            scale, post, shift = self.affine
            a *= scale
            xp.tanh(a, out=a)
            a *= post
            a += shift
        elif len(set(self.names)) == 1:
            _activate(xp, self.names[0], a)
        else:
            for k, name in enumerate(self.names):
                _activate(xp, name, a[..., k * u:(k + 1) * u])
        return a

    def derivative(self, a):
        if len(set(self.names)) == 1:
            return _derivative(self.xp, self.names[0], a)
        u = self.units
        d = self.xp.empty_like(a)
        for k, name in enumerate(self.names):
            d[..., k * u:(k + 1) * u] = _derivative(self.xp, name, a[..., k * u:(k + 1) * u])
        return d


class _Sequence(Function):
    """Shared by the three ops: input projection, reversal, masks, output packing."""

    n_states = 1
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
        xt = xp.ascontiguousarray(x.transpose(1, 0, 2), dtype=dtype).reshape(-1, features)
        proj = (xt @ kernel).reshape(steps, n, -1)
        in_bias, rec_bias = (None, None) if bias is None else (
            (bias[0], bias[1]) if bias.ndim == 2 else (bias, None))
        if in_bias is not None:
            proj += in_bias
        self.keep = self.drop = None
        if self.mask is not None:
            keep = xp.asarray(self.mask, dtype=bool).T[:, :, None]
            self.keep = keep[::-1] if self.go_backwards else keep
            self.drop = ~self.keep
        if self.go_backwards:
            proj = proj[::-1]
        if self.recurrent_mask is not None:
            self.recurrent_mask = xp.asarray(self.recurrent_mask, dtype=dtype)
        states = [xp.zeros((n, units), dtype) if s is None else xp.asarray(s, dtype=dtype)
                  for s in states]
        seq, finals = self._scan(proj, recurrent_kernel, rec_bias, states)
        self.xt, self.kernel, self.rkernel = xt, kernel, recurrent_kernel
        self.steps, self.bias_ndim = steps, (None if bias is None else bias.ndim)
        if self.zero_output_for_mask and self.keep is not None:
            seq = seq * self.keep
        n_out = steps if self.return_sequences else 1
        y = xp.empty((n, n_out + len(finals), units), dtype)
        y[:, :n_out] = seq.transpose(1, 0, 2) if self.return_sequences else seq[-1][:, None]
        for k, s in enumerate(finals):
            y[:, n_out + k] = s
        return y

    def backward(self, gy):
        xp = self.xp
        steps, n = self.steps, gy.shape[0]
        n_out = steps if self.return_sequences else 1
        g_final = [gy[:, n_out + k].copy() for k in range(self.n_states)]
        zeroing = self.zero_output_for_mask and self.keep is not None
        g_seq = None
        if self.return_sequences:
            g_seq = gy[:, :n_out].transpose(1, 0, 2)
            g_seq = g_seq * self.keep if zeroing else g_seq
        else:
            g_final[0] += gy[:, 0] * self.keep[-1] if zeroing else gy[:, 0]
        dproj, g_rkernel, g_rbias, g_states = self._bptt(g_seq, g_final)
        if self.go_backwards:
            dproj = dproj[::-1]
        d2 = dproj.reshape(steps * n, -1)
        need = self.needs_input_grad
        gx = gk = gb = None
        if need[0]:
            gx = (d2 @ self.kernel.T).reshape(steps, n, -1).transpose(1, 0, 2)
        if need[1]:
            gk = self.xt.T @ d2
        if need[3]:
            gb = d2.sum(axis=0)
            if self.bias_ndim == 2:
                gb = xp.stack([gb, g_rbias])
        return (gx, gk, g_rkernel, gb, *g_states)

    def _mask_split(self, t, grads):
        """Send the masked rows' gradients straight to the previous state (kept rows: to the
        cell); returns the carried parts."""
        carried = [g * self.drop[t] for g in grads]
        for g in grads:
            g *= self.keep[t]
        return carried

    def _recurrent_input(self, h):
        return h if self.recurrent_mask is None else h * self.recurrent_mask


class SimpleRNNSequence(_Sequence):
    """Keras ``SimpleRNN`` over a sequence: ``h_t = activation(x_t W + b + h_{t-1} U)``.

    ``recurrent_activation`` is unused. See the module docstring for inputs and parameters.

    Example:
        >>> import numpy as np
        >>> from numdeep.autograd import Tensor
        >>> x = Tensor(np.ones((2, 5, 3), "float32"), requires_grad=True)
        >>> w, u = Tensor(np.full((3, 4), 0.1, "float32")), Tensor(np.eye(4, dtype="float32"))
        >>> y = SimpleRNNSequence.apply(x, w, u, None, None)
        >>> y.shape  # 5 outputs, then the final state
        (2, 6, 4)
        >>> y.sum().backward()
        >>> x.grad.shape
        (2, 5, 3)
    """

    def _scan(self, proj, rk, rec_bias, states):
        xp = self.xp
        steps, n, units = proj.shape
        h_all = xp.empty((steps + 1, n, units), proj.dtype)
        h_all[0] = states[0]
        for t in range(steps):
            h = h_all[t + 1]
            xp.matmul(self._recurrent_input(h_all[t]), rk, out=h)
            h += proj[t]
            _activate(xp, self.activation, h)
            if self.keep is not None:
                xp.copyto(h, h_all[t], where=self.drop[t])
        self.save_for_backward(h_all)
        return h_all[1:], [h_all[steps]]

    def _bptt(self, g_seq, g_final):
        xp = self.xp
        (h_all,) = self.saved
        # Masked rows get a zero gradient below, so the derivative there may use the kept state.
        deriv = _derivative(xp, self.activation, h_all[1:])
        rk_t = self.rkernel.T
        d_pre = xp.empty_like(deriv)
        (dh,) = g_final
        for t in range(len(deriv) - 1, -1, -1):
            if g_seq is not None:
                dh += g_seq[t]
            carried = self._mask_split(t, [dh]) if self.keep is not None else None
            xp.multiply(dh, deriv[t], out=d_pre[t])
            dh = self._recurrent_input(d_pre[t] @ rk_t)
            if carried:
                dh += carried[0]
        units = h_all.shape[-1]
        h_in = self._recurrent_input(h_all[:-1]).reshape(-1, units)
        return d_pre, h_in.T @ d_pre.reshape(-1, units), None, [dh]


class LSTMSequence(_Sequence):
    """Keras ``LSTM`` over a sequence, gates i, f, c, o in the kernel columns.

    ``z = x_t W + b + h_{t-1} U``; ``i, f, o = recurrent_activation(z_i, z_f, z_o)``;
    ``c_t = f * c_{t-1} + i * activation(z_c)``; ``h_t = o * activation(c_t)``. Initial states
    ``h0, c0``; final states ``h, c``. See the module docstring for the rest.

    Example:
        >>> import numpy as np
        >>> from numdeep.autograd import Tensor
        >>> x = Tensor(np.ones((2, 5, 3), "float32"))
        >>> w = Tensor(np.full((3, 16), 0.1, "float32"), requires_grad=True)
        >>> u = Tensor(np.zeros((4, 16), "float32"), requires_grad=True)
        >>> y = LSTMSequence.apply(x, w, u, None, None, None, return_sequences=False)
        >>> y.shape  # the last output, then h and c
        (2, 3, 4)
        >>> y[:, 0].sum().backward()
        >>> w.grad.shape, u.grad.shape
        ((3, 16), (4, 16))
    """

    n_states = 2

    def _gates(self, units, dtype):
        rec = self.recurrent_activation
        return _Gates(self.xp, (rec, rec, self.activation, rec), units, dtype)

    def _scan(self, proj, rk, rec_bias, states):
        xp = self.xp
        steps, n, width = proj.shape
        u = width // 4
        gates = self._gates(u, proj.dtype)
        a_all = xp.empty_like(proj)
        h_all = xp.empty((steps + 1, n, u), proj.dtype)
        c_all = xp.empty_like(h_all)
        tc_all = xp.empty((steps, n, u), proj.dtype)
        h_all[0], c_all[0] = states
        for t in range(steps):
            a = a_all[t]
            xp.matmul(self._recurrent_input(h_all[t]), rk, out=a)
            a += proj[t]
            gates(a)
            c = c_all[t + 1]
            xp.multiply(a[:, u:2 * u], c_all[t], out=c)
            c += a[:, :u] * a[:, 2 * u:3 * u]
            _activate(xp, self.activation, c, out=tc_all[t])
            xp.multiply(a[:, 3 * u:], tc_all[t], out=h_all[t + 1])
            if self.keep is not None:
                xp.copyto(h_all[t + 1], h_all[t], where=self.drop[t])
                xp.copyto(c, c_all[t], where=self.drop[t])
        self.save_for_backward(a_all, c_all, tc_all, h_all)
        return h_all[1:], [h_all[steps], c_all[steps]]

    def _bptt(self, g_seq, g_final):
        xp = self.xp
        a_all, c_all, tc_all, h_all = self.saved
        steps, n, width = a_all.shape
        u = width // 4
        d = self._gates(u, a_all.dtype).derivative(a_all)
        # d z_i = dc * g * d_i, d z_f = dc * c_prev * d_f, d z_c = dc * i * d_c: one product
        # per step with these precomputed factors; d z_o = dh * act(c) * d_o.
        factors = xp.empty((steps, n, 3, u), a_all.dtype)
        factors[:, :, 0] = a_all[..., 2 * u:3 * u] * d[..., :u]
        factors[:, :, 1] = c_all[:-1] * d[..., u:2 * u]
        factors[:, :, 2] = a_all[..., :u] * d[..., 2 * u:3 * u]
        out_factor = tc_all * d[..., 3 * u:]
        cell_factor = a_all[..., 3 * u:] * _derivative(xp, self.activation, tc_all)
        forget = a_all[..., u:2 * u]
        dz = xp.empty_like(a_all)
        dz4 = dz.reshape(steps, n, 4, u)
        rk_t = self.rkernel.T
        dh, dc = g_final
        for t in range(steps - 1, -1, -1):
            if g_seq is not None:
                dh += g_seq[t]
            carried = self._mask_split(t, [dh, dc]) if self.keep is not None else None
            dc += dh * cell_factor[t]
            xp.multiply(dh, out_factor[t], out=dz4[t, :, 3])
            xp.multiply(dc[:, None, :], factors[t], out=dz4[t, :, :3])
            dc *= forget[t]
            dh = self._recurrent_input(dz[t] @ rk_t)
            if carried:
                dh += carried[0]
                dc += carried[1]
        h_in = self._recurrent_input(h_all[:-1]).reshape(-1, u)
        return dz, h_in.T @ dz.reshape(-1, width), None, [dh, dc]


class GRUSequence(_Sequence):
    """Keras ``GRU`` over a sequence, gates z, r, h in the kernel columns.

    ``z, r = recurrent_activation(x W_zr + b + h U_zr (+ b_rec))``; with ``reset_after``
    (Keras default, cuDNN/PyTorch convention) ``hh = activation(x W_h + b_h + r * (h U_h +
    b_rec_h))``, otherwise ``hh = activation(x W_h + b_h + (r * h) U_h)``; then
    ``h_t = z * h_{t-1} + (1 - z) * hh``. Recurrent dropout only touches the matmul inputs.

    Example:
        >>> import numpy as np
        >>> from numdeep.autograd import Tensor
        >>> x = Tensor(np.ones((2, 5, 3), "float32"))
        >>> w, u = Tensor(np.full((3, 12), 0.1, "float32")), Tensor(np.zeros((4, 12), "float32"))
        >>> b = Tensor(np.zeros((2, 12), "float32"), requires_grad=True)
        >>> y = GRUSequence.apply(x, w, u, b, None, reset_after=True)
        >>> y.sum().backward()
        >>> b.grad.shape
        (2, 12)
    """

    reset_after = True

    def _scan(self, proj, rk, rec_bias, states):
        xp = self.xp
        steps, n, width = proj.shape
        u = width // 3
        gates = _Gates(xp, (self.recurrent_activation,) * 2, u, proj.dtype)
        a_all = xp.empty((steps, n, 2 * u), proj.dtype)
        h_all = xp.empty((steps + 1, n, u), proj.dtype)
        hh_all = xp.empty((steps, n, u), proj.dtype)
        rh_all = xp.empty_like(hh_all)  # h U_h + b (reset_after) or r * h (before)
        rec = xp.empty((n, width), proj.dtype)
        h_all[0] = states[0]
        for t in range(steps):
            h_prev, a, hh, rh = h_all[t], a_all[t], hh_all[t], rh_all[t]
            h_in = self._recurrent_input(h_prev)
            if self.reset_after:
                xp.matmul(h_in, rk, out=rec)
                if rec_bias is not None:
                    rec += rec_bias
                xp.add(proj[t, :, :2 * u], rec[:, :2 * u], out=a)
                gates(a)
                rh[...] = rec[:, 2 * u:]
                xp.multiply(a[:, u:], rh, out=hh)
            else:
                xp.matmul(h_in, rk[:, :2 * u], out=a)
                a += proj[t, :, :2 * u]
                gates(a)
                xp.multiply(a[:, u:], h_in, out=rh)
                xp.matmul(rh, rk[:, 2 * u:], out=hh)
            hh += proj[t, :, 2 * u:]
            _activate(xp, self.activation, hh)
            h = h_all[t + 1]
            xp.subtract(h_prev, hh, out=h)
            h *= a[:, :u]
            h += hh
            if self.keep is not None:
                xp.copyto(h, h_prev, where=self.drop[t])
        self.save_for_backward(a_all, hh_all, rh_all, h_all)
        return h_all[1:], [h_all[steps]]

    def _bptt(self, g_seq, g_final):
        xp = self.xp
        a_all, hh_all, rh_all, h_all = self.saved
        steps, n, u = hh_all.shape
        d = _Gates(xp, (self.recurrent_activation,) * 2, u, a_all.dtype).derivative(a_all)
        z, r = a_all[..., :u], a_all[..., u:]
        h_in = self._recurrent_input(h_all[:-1])
        dz_factor = (h_all[:-1] - hh_all) * d[..., :u]
        dh_factor = (1.0 - z) * _derivative(xp, self.activation, hh_all)
        # reset_after: d z_r = d hh_pre * (h U_h + b); before: d z_r = (d hh_pre U_h^T) * h.
        dr_factor = (rh_all if self.reset_after else h_in) * d[..., u:]
        dx = xp.empty((steps, n, 3 * u), a_all.dtype)
        drec = xp.empty_like(dx) if self.reset_after else None
        rk = self.rkernel
        (dh,) = g_final
        for t in range(steps - 1, -1, -1):
            if g_seq is not None:
                dh += g_seq[t]
            carried = self._mask_split(t, [dh]) if self.keep is not None else None
            g = dx[t]
            xp.multiply(dh, dz_factor[t], out=g[:, :u])
            xp.multiply(dh, dh_factor[t], out=g[:, 2 * u:])
            if self.reset_after:
                xp.multiply(g[:, 2 * u:], dr_factor[t], out=g[:, u:2 * u])
                drec[t, :, :2 * u] = g[:, :2 * u]
                xp.multiply(g[:, 2 * u:], r[t], out=drec[t, :, 2 * u:])
                dh_in = drec[t] @ rk.T
            else:
                d_rh = g[:, 2 * u:] @ rk[:, 2 * u:].T
                xp.multiply(d_rh, dr_factor[t], out=g[:, u:2 * u])
                dh_in = g[:, :2 * u] @ rk[:, :2 * u].T
                dh_in += d_rh * r[t]
            dh = dh * z[t] + self._recurrent_input(dh_in)
            if carried:
                dh += carried[0]
        h2 = h_in.reshape(-1, u)
        if self.reset_after:
            d2 = drec.reshape(-1, 3 * u)
            return dx, h2.T @ d2, d2.sum(axis=0), [dh]
        dx2 = dx.reshape(-1, 3 * u)
        g_rk = xp.concatenate([h2.T @ dx2[:, :2 * u],
                               rh_all.reshape(-1, u).T @ dx2[:, 2 * u:]], axis=1)
        return dx, g_rk, None, [dh]
