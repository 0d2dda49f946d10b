"""Fused recurrent primitives: a whole SimpleRNN, LSTM or GRU sequence in one op.

A recurrent layer built from elementwise ops records ~15 graph nodes per time step; these ops
record one per layer call, and keep the time loop and its backpropagation through time inside.

Kernel design. The weights are stacked into one augmented matrix ``W = [U; K; b]^T`` and each
step computes all its gate pre-activations with a single matmul ``W @ [h_{t-1}; x_t; 1]``: the
input projection and the bias ride along with the recurrence, so there is no separate pass over
a projected (time, gates, batch) array and no per-step addition of it. Backward collects every
step's pre-activation gradient ``dA`` and gets all weight gradients from one batched product
``sum_t [h_{t-1}; x_t; 1] dA_t^T`` (rows: recurrent kernel, kernel, bias) and the input
gradient from ``K dA``, each one product over (time * batch) columns. Gate derivatives are
computed a chunk of steps at a time, right before the steps that use them, so few array calls
touch them and the chunk stays in cache. Sigmoid and tanh gates come from one ``exp`` call
(``_Gates``). BLAS runs on one thread inside the time loops: its threads cost more than they
save on per-step products this small, and its spinning workers burned a second core for
nothing (LSTM inference was slower on 2 threads than on 1); the all-steps products of backward
come after the loop and use BLAS's threads.

Buffers are time-major and batch-minor, (time, rows, batch): each step's gate blocks are
contiguous rows (NumPy runs strided 2-D blocks several times slower), and the (batch, time,
units) output is a transposed view, which a stacked recurrent op reads back without a copy.

Shared conventions (Keras semantics and weight layouts):

- Inputs: ``x`` (batch, time, features), ``kernel`` (features, G * units), ``recurrent_kernel``
  (units, G * units), ``bias`` (``None``, (G * units,), or (2, G * units) for a GRU with
  ``reset_after``: input bias, recurrent bias), then the initial states, each (batch, units) or
  ``None`` for zeros. All of them can receive gradients.
- Parameters: ``mask`` (batch, time) booleans, where False steps keep the previous state and
  output it again (zeros with ``zero_output_for_mask``; before the first kept step the output is
  zeros, not the initial state, as in Keras); ``go_backwards`` walks time in reverse and
  returns outputs in that order; ``return_sequences``; ``recurrent_mask`` (batch, units)
  multiplies the state entering the recurrent matmul (recurrent dropout); ``activation`` and
  ``recurrent_activation`` names from ``FUSED_ACTIVATIONS``.
- Output: one array (batch, n_out + n_states, units), the outputs (every step, or the last one)
  followed by the final states (``h``; for the LSTM ``h`` then ``c``). Layers slice it.
"""

from numdeep.autograd.engine import is_grad_enabled
from numdeep.autograd.primitives._recurrent_base import (
    FUSED_ACTIVATIONS,
    ReadState,
    Unpack,
    WriteState,
    ZeroState,
    _activate,
    _derivative,
    _Gates,
    _outer_sum,
    _Sequence,
)

__all__ = ["FUSED_ACTIVATIONS", "GRUSequence", "LSTMSequence", "ReadState", "SimpleRNNSequence",
           "Unpack", "WriteState", "ZeroState"]


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

    def _make_gates(self, units, dtype):
        return _Gates(self.xp, (self.activation,), units, dtype)

    def _weights(self, kernel, recurrent_kernel, bias, scale=None):
        return self._stack(kernel, recurrent_kernel, bias, scale)

    def _weight_grads(self, gw, extra):
        return self._split_stacked(gw)

    def _scan(self, z_all, h_all, w, rest):
        xp = self.xp
        for t in range(self.steps):
            h = h_all[t + 1]
            xp.matmul(w, z_all[t], out=h)
            self.gates(h)
            self._finish_step(t, z_all, h_all)
        self.save_for_backward(z_all, h_all)
        return h_all[1:], [h_all[self.steps]]

    def _bptt(self, g_seq, g_final):
        xp = self.xp
        _, h_all = self.saved
        d_pre = xp.empty_like(h_all[1:])
        rk = xp.ascontiguousarray(self.w[:, :self.units].T)
        (dh,) = g_final
        for t0, t1 in self._chunks(self.steps, d_pre[0]):
            # Masked columns get a zero gradient, so their derivative may use the kept state.
            deriv = self.gates.derivative(h_all[t0 + 1:t1 + 1])
            for t in range(t1 - 1, t0 - 1, -1):
                if g_seq is not None:
                    dh += g_seq[t]
                carried = self._mask_split(t, [dh]) if self.keep is not None else None
                xp.multiply(dh, deriv[t - t0], out=d_pre[t])
                dh = self._recurrent_input(rk @ d_pre[t])
                if carried:
                    dh += carried[0]
        return d_pre, None, [dh]


class LSTMSequence(_Sequence):
    """Keras ``LSTM`` over a sequence, gates i, f, c, o in the kernel columns.

    ``z = x_t W + b + h_{t-1} U``; ``i, f, o = recurrent_activation(z_i, z_f, z_o)``;
    ``c_t = f * c_{t-1} + i * activation(z_c)``; ``h_t = o * activation(c_t)``. Initial states
    ``h0, c0``; final states ``h, c``. Internally the gate blocks are ordered o, i, f, c: the
    sigmoid gates are then adjacent, and so are the three gates whose gradient comes from ``c``.

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
    order = (3, 0, 1, 2)

    def _make_gates(self, units, dtype):
        rec = self.recurrent_activation
        return _Gates(self.xp, (rec, rec, rec, self.activation), units, dtype)

    def _weights(self, kernel, recurrent_kernel, bias, scale=None):
        return self._stack(kernel, recurrent_kernel, bias, scale)

    def _weight_grads(self, gw, extra):
        return self._split_stacked(gw)

    def _scan(self, z_all, h_all, w, rest):
        xp = self.xp
        steps, u, n = self.steps, self.units, z_all.shape[-1]
        # a_all[t] holds the gates o, i, f, g of step t and then c_{t-1}, so that one product
        # [i; f] * [g; c_{t-1}] serves both terms of c_t. Without a graph to record, two such
        # buffers alternate (they stay in cache); otherwise every step's are kept for backward.
        kept = steps if is_grad_enabled() else 1
        a_all = xp.empty((kept + 1, 5 * u, n), z_all.dtype)
        tc_all = xp.empty((kept, u, n), z_all.dtype)
        products = xp.empty((2 * u, n), z_all.dtype)
        a_all[0, 4 * u:] = rest[0]
        # Whole-buffer views of each block: the loop then only does integer indexing.
        gates_, sig_, o_, if_, gc_, c_ = (a_all[:, :4 * u], a_all[:, :3 * u], a_all[:, :u],
                                          a_all[:, u:3 * u], a_all[:, 3 * u:], a_all[:, 4 * u:])
        g_ = a_all[:, 3 * u:4 * u]
        prod_i, prod_f = products[:u], products[u:]
        one, two = self.gates.one, self.gates.two  # 0-d arrays: cheaper per call than floats
        matmul, multiply, add, tanh = xp.matmul, xp.multiply, xp.add, xp.tanh
        exp, divide, subtract = xp.exp, xp.divide, xp.subtract
        fast = self.activation == "tanh" and self.gates.prescale is not None
        plain = self.keep is None and self.recurrent_mask is None
        # The loop passes ``out`` positionally: NumPy parses keyword arguments per call.
        for t in range(steps):
            k = t if kept > 1 else t & 1
            k_next, tc = (k + 1, tc_all[t]) if kept > 1 else (1 - k, tc_all[0])
            gates = gates_[k]
            matmul(w, z_all[t], gates)
            if fast:  # the default activations: self.gates() inlined
                exp(gates, gates)
                add(gates, one, gates)
                divide(one, sig_[k], sig_[k])
                g = g_[k]
                divide(two, g, g)
                subtract(g, one, g)
            else:
                self.gates(gates)
            multiply(if_[k], gc_[k], products)
            c = c_[k_next]
            add(prod_i, prod_f, c)
            if fast:
                tanh(c, tc)
            else:
                _activate(xp, self.activation, c, out=tc)
            multiply(o_[k], tc, h_all[t + 1])
            if not plain:
                if self.keep is not None:
                    xp.copyto(c, c_[k], where=self.drop[t])
                self._finish_step(t, z_all, h_all)
        self.save_for_backward(z_all, a_all, tc_all)
        return h_all[1:], [h_all[steps], c_[steps if kept > 1 else steps & 1]]

    def _factors(self, t0, t1, u):
        """Per-step multipliers: ``dA = [dh, dc, dc, dc] * factors`` and ``dc += dh * cell``."""
        _, a_all, tc_all = self.saved
        a, tc = a_all[t0:t1], tc_all[t0:t1]
        factors = self.gates.derivative(a[:, :4 * u])
        factors[:, :u] *= tc  # o: dh * act(c) * d_o
        factors[:, u:3 * u] *= a[:, 3 * u:]  # i, f: dc * g * d_i, dc * c_prev * d_f
        factors[:, 3 * u:] *= a[:, u:2 * u]  # c: dc * i * d_g
        cell = _derivative(self.xp, self.activation, tc)
        cell *= a[:, :u]
        return factors, cell

    def _bptt(self, g_seq, g_final):
        xp = self.xp
        _, a_all, tc_all = self.saved
        steps, u, n = tc_all.shape
        d_pre = xp.empty((steps, 4 * u, n), a_all.dtype)
        d_o, d_ifc = d_pre[:, :u], d_pre.reshape(steps, 4, u, n)[:, 1:]
        forget = a_all[:, 2 * u:3 * u]
        rk = xp.ascontiguousarray(self.w[:, :u].T)
        matmul, multiply, add = xp.matmul, xp.multiply, xp.add
        dh, dc = g_final
        tmp = xp.empty_like(dc)
        for t0, t1 in self._chunks(steps, d_pre[0]):
            factors, cell = self._factors(t0, t1, u)
            f_o, f_ifc = factors[:, :u], factors.reshape(t1 - t0, 4, u, n)[:, 1:]
            for t in range(t1 - 1, t0 - 1, -1):
                j = t - t0
                if g_seq is not None:
                    add(dh, g_seq[t], dh)
                carried = self._mask_split(t, [dh, dc]) if self.keep is not None else None
                multiply(dh, cell[j], tmp)
                add(dc, tmp, dc)
                multiply(dh, f_o[j], d_o[t])
                multiply(dc, f_ifc[j], d_ifc[t])
                multiply(dc, forget[t], dc)
                matmul(rk, d_pre[t], dh)
                if self.recurrent_mask is not None:
                    dh *= self.recurrent_mask
                if carried:
                    dh += carried[0]
                    dc += carried[1]
        return d_pre, None, [dh, dc]


class GRUSequence(_Sequence):
    """Keras ``GRU`` over a sequence, gates z, r, h in the kernel columns.

    ``z, r = recurrent_activation(x W_zr + b + h U_zr (+ b_rec))``; with ``reset_after``
    (Keras default, cuDNN/PyTorch convention) ``hh = activation(x W_h + b_h + r * (h U_h +
    b_rec_h))``, otherwise ``hh = activation(x W_h + b_h + (r * h) U_h)``; then
    ``h_t = z * h_{t-1} + (1 - z) * hh``. Recurrent dropout only touches the matmul inputs.
    The augmented matmul gives the rows z, r, then (reset_after) ``h U_h + b_rec_h`` and
    ``x W_h + b_h`` separately, or (before) ``x W_h + b_h`` alone.

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

    def _make_gates(self, units, dtype):
        gates = super()._make_gates(units, dtype)
        if gates.prescale is not None:  # the candidate's rows keep scale 1
            rest = (2 if self.reset_after else 1) * units
            gates.prescale = self.xp.concatenate([gates.prescale, self.xp.ones(rest, dtype)])
        return gates

    def _weights(self, kernel, recurrent_kernel, bias, scale=None):
        w = self._stack_gru(kernel, recurrent_kernel, bias)
        return w if scale is None else w * scale[:, None]

    def _stack_gru(self, kernel, recurrent_kernel, bias):
        """The augmented ``W``: rows z, r, (with ``reset_after``) ``h U_h + b_rec_h``, then
        ``x W_h + b_h``; sets ``rk_h`` for the candidate's recurrent product."""
        xp = self.xp
        u, f = recurrent_kernel.shape[0], kernel.shape[0]
        b_in = b_rec = xp.zeros(3 * u, kernel.dtype)
        if bias is not None:
            b_in, b_rec = (bias[0], bias[1]) if bias.ndim == 2 else (bias, b_rec)
        zr = xp.concatenate([recurrent_kernel[:, :2 * u], kernel[:, :2 * u],
                             (b_in[:2 * u] + b_rec[:2 * u])[None]])
        x_h = xp.concatenate([xp.zeros((u, u), kernel.dtype), kernel[:, 2 * u:],
                              b_in[None, 2 * u:]])
        self.rk_h = recurrent_kernel[:, 2 * u:]
        if not self.reset_after:
            return xp.concatenate([zr, x_h], axis=1).T
        h_h = xp.concatenate([self.rk_h, xp.zeros((f, u), kernel.dtype), b_rec[None, 2 * u:]])
        return xp.concatenate([zr, h_h, x_h], axis=1).astype(kernel.dtype).T

    def _weight_grads(self, gw, rh_and_grad):
        xp = self.xp
        u, f = self.units, self.features
        g_x_h = gw[:, -u:]  # the x W_h + b_h rows
        gk = xp.concatenate([gw[u:u + f, :2 * u], g_x_h[u:u + f]], axis=1)
        g_rk_h = gw[:u, 2 * u:3 * u] if self.reset_after else _outer_sum(*rh_and_grad)
        g_rk = xp.concatenate([gw[:u, :2 * u], g_rk_h], axis=1)
        g_in = xp.concatenate([gw[-1, :2 * u], g_x_h[-1]])
        if self.bias_shape is None or len(self.bias_shape) == 1:
            return gk, g_rk, g_in
        return gk, g_rk, xp.stack([g_in, gw[-1, :3 * u]])

    def _scan(self, z_all, h_all, w, rest):
        xp = self.xp
        steps, u, n = self.steps, self.units, z_all.shape[-1]
        a_all = xp.empty((steps, len(w), n), z_all.dtype)  # z, r, [h U_h + b_rec_h], x W_h + b_h
        hh_all = xp.empty((steps, u, n), z_all.dtype)
        rh_all = xp.empty_like(hh_all)  # r * h (before); unused with reset_after
        rk_h_t = xp.ascontiguousarray(self.rk_h.T)
        for t in range(steps):
            a, hh = a_all[t], hh_all[t]
            xp.matmul(w, z_all[t], out=a)
            self.gates(a[:2 * u])
            if self.reset_after:
                xp.multiply(a[u:2 * u], a[2 * u:3 * u], out=hh)
            else:
                xp.multiply(a[u:2 * u], z_all[t, :u], out=rh_all[t])
                xp.matmul(rk_h_t, rh_all[t], out=hh)
            hh += a[-u:]
            _activate(xp, self.activation, hh)
            h = h_all[t + 1]
            xp.subtract(h_all[t], hh, out=h)
            h *= a[:u]
            h += hh
            self._finish_step(t, z_all, h_all)
        self.save_for_backward(z_all, a_all, hh_all, rh_all, h_all)
        return h_all[1:], [h_all[steps]]

    def _factors(self, t0, t1, u):
        """``dz_pre = dh * fz``, ``d hh_pre = dh * fh``; ``fr`` gives ``dr_pre`` (see below)."""
        z_all, a_all, hh_all, _, h_all = self.saved
        a, hh = a_all[t0:t1], hh_all[t0:t1]
        d = self.gates.derivative(a[:, :2 * u])
        fz = h_all[t0:t1] - hh
        fz *= d[:, :u]
        fh = _derivative(self.xp, self.activation, hh)
        fh *= 1.0 - a[:, :u]
        # reset_after: dr_pre = d hh_pre * (h U_h + b); before: dr_pre = (U_h d hh_pre) * h.
        fr = a[:, 2 * u:3 * u] if self.reset_after else z_all[t0:t1, :u]
        return fz, fh, fr * d[:, u:]

    def _bptt(self, g_seq, g_final):
        xp = self.xp
        _, a_all, _, rh_all, _ = self.saved
        steps, rows, n = a_all.shape
        u = self.units
        d_pre = xp.empty_like(a_all)
        # U's z, r columns (and with reset_after its h columns, the rows h U_h + b_rec_h).
        rk = xp.ascontiguousarray(self.w[:(3 if self.reset_after else 2) * u, :u].T)
        rk_h = self.rk_h
        (dh,) = g_final
        for t0, t1 in self._chunks(steps, a_all[0]):
            fz, fh, fr = self._factors(t0, t1, u)
            for t in range(t1 - 1, t0 - 1, -1):
                j, g, z, r = t - t0, d_pre[t], a_all[t, :u], a_all[t, u:2 * u]
                if g_seq is not None:
                    dh += g_seq[t]
                carried = self._mask_split(t, [dh]) if self.keep is not None else None
                xp.multiply(dh, fz[j], out=g[:u])
                xp.multiply(dh, fh[j], out=g[-u:])
                if self.reset_after:
                    xp.multiply(g[-u:], fr[j], out=g[u:2 * u])
                    xp.multiply(g[-u:], r, out=g[2 * u:3 * u])
                    dh_in = rk @ g[:3 * u]
                else:
                    d_rh = rk_h @ g[-u:]
                    xp.multiply(d_rh, fr[j], out=g[u:2 * u])
                    dh_in = rk @ g[:2 * u]
                    dh_in += d_rh * r
                dh = dh * z + self._recurrent_input(dh_in)
                if carried:
                    dh += carried[0]
        # Without reset_after the recurrent kernel's h rows get their own all-steps product.
        extra = None if self.reset_after else (rh_all, d_pre[:, -u:])
        return d_pre, extra, [dh]
