"""Fused recurrent primitives: float64 forward against a step-by-step reference, and gradchecks.

``CASES`` is this module's table: one row per primitive variant (cell type, masks, direction,
initial states, recurrent dropout, activations). Each row is checked twice: the forward output
equals a plain per-step NumPy implementation of Keras's semantics, and every input's gradient
(inputs, kernels, bias, initial states) passes a float64 central-difference gradcheck.
PyTorch parity of the default configurations lives in ``tests/layers/test_recurrent.py``.
"""

import zlib
from dataclasses import dataclass, field

import numpy as np
import pytest

from numdeep.autograd import Tensor, gradcheck, no_grad
from numdeep.autograd.primitives.recurrent import (
    FUSED_ACTIVATIONS,
    GRUSequence,
    LSTMSequence,
    SimpleRNNSequence,
    Unpack,
)

OPS = {"simple_rnn": (SimpleRNNSequence, 1, 1), "lstm": (LSTMSequence, 4, 2),
       "gru": (GRUSequence, 3, 1)}
MASK = np.array([[True, True, False, True], [False, True, True, False]])
ALL_MASKED = np.array([[True, False, True, True], [False, False, False, False]])


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


ACT = {"tanh": np.tanh, "sigmoid": _sigmoid, "relu": lambda x: np.maximum(x, 0.0),
       "linear": lambda x: x, "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0)}


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    params: dict = field(default_factory=dict)
    bias: str = "1d"  # "1d", "2d" (GRU reset_after) or "none"
    initial_state: bool = True
    recurrent_mask: bool = False
    steps: int = 4

    def sample(self):
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        _, gates, n_states = OPS[self.kind]
        batch, features, units = 2, 3, 2
        width = gates * units
        bias = {"1d": rng.standard_normal(width) * 0.5, "none": None,
                "2d": rng.standard_normal((2, width)) * 0.5}[self.bias]
        states = [rng.standard_normal((batch, units)) if self.initial_state else None
                  for _ in range(n_states)]
        rmask = (rng.random((batch, units)) > 0.3) * 1.5 if self.recurrent_mask else None
        return ([rng.standard_normal((batch, self.steps, features)),
                 rng.standard_normal((features, width)) * 0.6,
                 rng.standard_normal((units, width)) * 0.6, bias, *states], rmask)


CASES = [
    Case("simple_rnn", "simple_rnn"),
    Case("simple_rnn:mask", "simple_rnn", {"mask": MASK}),
    Case("simple_rnn:backwards-mask-last", "simple_rnn",
         {"mask": MASK, "go_backwards": True, "return_sequences": False}),
    Case("simple_rnn:relu-dropout-no-bias", "simple_rnn", {"activation": "relu"}, bias="none",
         recurrent_mask=True),
    Case("simple_rnn:zero-state", "simple_rnn", initial_state=False),
    Case("lstm", "lstm"),
    Case("lstm:mask", "lstm", {"mask": MASK}),
    Case("lstm:all-masked-row", "lstm", {"mask": ALL_MASKED, "return_sequences": False}),
    Case("lstm:zero-output-mask", "lstm", {"mask": MASK, "zero_output_for_mask": True}),
    Case("lstm:zero-output-mask-last", "lstm",
         {"mask": MASK, "zero_output_for_mask": True, "return_sequences": False}),
    Case("lstm:backwards", "lstm", {"go_backwards": True}),
    Case("lstm:backwards-mask", "lstm", {"mask": MASK, "go_backwards": True}),
    Case("lstm:last", "lstm", {"return_sequences": False}, initial_state=False),
    Case("lstm:dropout", "lstm", recurrent_mask=True),
    Case("lstm:hard-sigmoid-linear", "lstm",
         {"recurrent_activation": "hard_sigmoid", "activation": "linear"}, bias="none"),
    Case("lstm:one-step", "lstm", steps=1),
    Case("gru", "gru", bias="2d", params={"reset_after": True}),
    Case("gru:mask", "gru", {"mask": MASK, "reset_after": True}, bias="2d"),
    Case("gru:backwards-last", "gru",
         {"go_backwards": True, "return_sequences": False, "reset_after": True}, bias="2d"),
    Case("gru:dropout-no-bias", "gru", {"reset_after": True}, bias="none", recurrent_mask=True),
    Case("gru:reset-before", "gru", {"reset_after": False}),
    Case("gru:reset-before-mask-dropout", "gru", {"reset_after": False, "mask": MASK},
         recurrent_mask=True),
    Case("gru:reset-before-hard-sigmoid", "gru",
         {"reset_after": False, "recurrent_activation": "hard_sigmoid"}, initial_state=False),
]


def reference(case, x, kernel, rkernel, bias, *states, recurrent_mask=None):
    """One Keras cell call per step, with the masking rules of Keras's NumPy ``rnn`` backend
    (a masked step keeps the states and repeats the previous output, zeros at first)."""
    p = {"return_sequences": True, "reset_after": True, **case.params}
    act = ACT[p.get("activation", "tanh")]
    rec = ACT[p.get("recurrent_activation", "sigmoid")]
    batch, steps, _ = x.shape
    units = rkernel.shape[0]
    states = [np.zeros((batch, units)) if s is None else s for s in states]
    b_in, b_rec = (0.0, 0.0) if bias is None else (
        (bias[0], bias[1]) if bias.ndim == 2 else (bias, 0.0))
    order = range(steps - 1, -1, -1) if p.get("go_backwards") else range(steps)
    outputs, prev = [], np.zeros((batch, units))
    for t in order:
        h = states[0]
        hd = h if recurrent_mask is None else h * recurrent_mask
        xw = x[:, t] @ kernel + b_in
        if case.kind == "simple_rnn":
            new = [act(xw + hd @ rkernel)]
        elif case.kind == "lstm":
            zi, zf, zc, zo = np.split(xw + hd @ rkernel, 4, axis=1)
            c = rec(zf) * states[1] + rec(zi) * act(zc)
            new = [rec(zo) * act(c), c]
        else:
            xz, xr, xh = np.split(xw, 3, axis=1)
            if p["reset_after"]:
                rz, rr, rh = np.split(hd @ rkernel + b_rec, 3, axis=1)
                z, r = rec(xz + rz), rec(xr + rr)
                hh = act(xh + r * rh)
            else:
                rz, rr = np.split(hd @ rkernel[:, :2 * units], 2, axis=1)
                z, r = rec(xz + rz), rec(xr + rr)
                hh = act(xh + (r * hd) @ rkernel[:, 2 * units:])
            new = [z * h + (1 - z) * hh]
        out = new[0]
        if p.get("mask") is not None:
            m = p["mask"][:, t][:, None]
            # A masked step repeats the previous output (zeros before the first kept step).
            out = np.where(m, new[0], 0.0 if p.get("zero_output_for_mask") else prev)
            new = [np.where(m, n, s) for n, s in zip(new, states)]
        states = new
        prev = out
        outputs.append(out)
    seq = np.stack(outputs, axis=1)
    seq = seq if p["return_sequences"] else seq[:, -1:]
    return np.concatenate([seq] + [s[:, None] for s in states], axis=1)


def _apply(case, rmask):
    op = OPS[case.kind][0]
    return lambda *inputs: op.apply(*inputs, recurrent_mask=rmask, **case.params)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_forward_matches_step_by_step_reference(case):
    inputs, rmask = case.sample()
    got = _apply(case, rmask)(*inputs).data
    np.testing.assert_allclose(got, reference(case, *inputs, recurrent_mask=rmask), atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradcheck_float64(case):
    inputs, rmask = case.sample()
    present = [k for k, a in enumerate(inputs) if a is not None]

    def fn(*arrays):
        full = list(inputs)
        for k, a in zip(present, arrays):
            full[k] = a
        return _apply(case, rmask)(*full)

    assert gradcheck(fn, [inputs[k] for k in present], atol=1e-6, rtol=1e-5)


def test_table_covers_every_primitive_and_activation():
    kinds = {c.kind for c in CASES}
    assert kinds == set(OPS)
    used = {c.params.get(k, d) for c in CASES
            for k, d in (("activation", "tanh"), ("recurrent_activation", "sigmoid"))}
    assert used == set(FUSED_ACTIVATIONS)


def test_float32_in_float32_out_and_no_grad_inputs_get_none():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((3, 5, 2)).astype("float32"))
    w = Tensor(rng.standard_normal((2, 8)).astype("float32"), requires_grad=True)
    u = Tensor(rng.standard_normal((2, 8)).astype("float32"), requires_grad=True)
    y = LSTMSequence.apply(x, w, u, None, None, None)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad is None and w.grad.dtype == np.float32 and u.grad.shape == (2, 8)


def test_backward_twice_needs_retain_graph():
    rng = np.random.default_rng(1)
    w = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    y = SimpleRNNSequence.apply(rng.standard_normal((2, 4, 2)), w, np.eye(3), None, None)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "lstm"], ids=lambda c: c.name)
def test_inference_without_graph_matches(case):
    inputs, rmask = case.sample()
    with no_grad():
        got = _apply(case, rmask)(*inputs).data
    np.testing.assert_allclose(got, reference(case, *inputs, recurrent_mask=rmask), atol=1e-12)


@pytest.mark.parametrize("index", [(slice(None), slice(1, 3)), (slice(None), 2)])
def test_unpack_gradcheck_and_layout(index):
    y = np.random.default_rng(3).standard_normal((4, 3, 2)).transpose(2, 0, 1)  # (2, 4, 3) view
    assert gradcheck(lambda t: Unpack.apply(t, index=index), [y])
    t = Tensor(np.ascontiguousarray(y.transpose(1, 2, 0)).transpose(2, 0, 1), requires_grad=True)
    Unpack.apply(t, index=index).sum().backward()
    assert t.grad.strides == t.data.strides  # the gradient keeps the packed output's layout
