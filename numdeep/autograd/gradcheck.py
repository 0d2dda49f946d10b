"""Numerical gradient checks: autograd against float64 central differences.

Public so that users can check their own ops and layers the way numdeep checks its primitives.
"""

import numpy as np

from numdeep.autograd.engine import no_grad
from numdeep.autograd.tensor import Tensor
from numdeep.backend import to_numpy, xp_of

# Up to this many output elements, mode="full" builds the whole Jacobian (one backward per
# output element) instead of one vector-Jacobian product; both cost 2 forwards per input element.
_FULL_JACOBIAN_MAX_OUTPUTS = 32


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, mode="full", n_directions=4, seed=0,
              raise_exception=True):
    """Check the gradients autograd computes for ``fn`` against float64 central differences.

    Args:
        fn: callable taking one Tensor per entry of ``inputs`` and returning a Tensor.
        inputs: sequence of arrays (or Tensors). Float ones are cast to float64 and checked;
            integer and boolean ones (labels, masks) are passed to ``fn`` unchanged.
        eps: step of the central difference ``(f(x + eps) - f(x - eps)) / (2 eps)``.
        atol: absolute tolerance; an entry fails when
            ``|analytic - numeric| > atol + rtol * |numeric|`` (or either is NaN).
        rtol: relative tolerance.
        mode: ``"full"`` perturbs every input element and compares the vector-Jacobian product
            for a random output cotangent (the whole Jacobian when the output has at most 32
            elements); ``"random"`` compares directional derivatives along ``n_directions``
            random directions per input (cheap for large inputs, as in Chainer).
        n_directions: number of random directions per input in ``"random"`` mode.
        seed: seed of the random cotangent and directions.
        raise_exception: raise on a mismatch (otherwise return False).

    Returns:
        True when all gradients match.

    Raises:
        AssertionError: naming the input, its shape, the max abs error and where it occurs.

    Example:
        >>> import numpy as np
        >>> from numdeep.autograd import gradcheck
        >>> gradcheck(lambda x, w: (x @ w).tanh().sum(), [np.ones((2, 3)), np.eye(3)])
        True
        >>> gradcheck(lambda x: x * x, [np.ones(3)], mode="random")
        True
    """
    if mode not in ("full", "random"):
        raise ValueError(f"gradcheck mode must be 'full' or 'random'; received {mode!r}.")
    rng = np.random.default_rng(seed)
    args, checked = _prepare(inputs)
    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor; it returned {type(out).__name__}.")
    if mode == "full" and out.size <= _FULL_JACOBIAN_MAX_OUTPUTS:
        cotangents = np.eye(out.size).reshape((out.size,) + out.shape)
    else:
        cotangents = rng.standard_normal((1,) + out.shape)
    analytic = _analytic(out, args, checked, cotangents)

    for k in checked:
        x = to_numpy(args[k].data)

        def f(value, k=k):
            call = list(args)
            call[k] = Tensor(xp_of(args[k].data).asarray(value))
            with no_grad():
                return to_numpy(fn(*call).data).astype(np.float64)

        if mode == "full":
            got = analytic[k].reshape(len(cotangents), -1)
            numeric = _numeric_vjps(f, x, cotangents, eps)
        else:
            directions = rng.standard_normal((n_directions,) + x.shape)
            got = np.array([np.sum(analytic[k][0] * u) for u in directions])
            numeric = np.array([
                np.sum(cotangents[0] * (f(x + eps * u) - f(x - eps * u))) / (2 * eps)
                for u in directions
            ])
        problem = _mismatch(got, numeric, atol, rtol)
        if problem is None:
            continue
        if not raise_exception:
            return False
        r, j = problem["index"] if got.ndim == 2 else (problem["index"][0], None)
        if j is None:
            where = f"random direction {r}"
        elif len(cotangents) > 1:
            where = f"d out{_at(r, out.shape)} / d in{_at(j, x.shape)}"
        else:
            where = f"input element {_at(j, x.shape)}"
        raise AssertionError(
            f"gradcheck failed for input {k} (shape {x.shape}): max abs error "
            f"{problem['max_err']:.3g} in {problem['count']} mismatching entries; worst at "
            f"{where}: analytic {problem['analytic']:.6g}, numeric {problem['numeric']:.6g} "
            f"(atol={atol}, rtol={rtol})."
        )
    return True


def _at(flat, shape):
    return list(int(i) for i in np.unravel_index(flat, shape))


def _numeric_vjps(f, x, cotangents, eps):
    """``cotangent . df/dx_j`` for every input element ``j``, by central differences."""
    numeric = np.empty((len(cotangents), x.size))
    flat_cot = cotangents.reshape(len(cotangents), -1)
    for j in range(x.size):
        step = np.zeros(x.size)
        step[j] = eps
        step = step.reshape(x.shape)
        column = (f(x + step) - f(x - step)) / (2 * eps)
        numeric[:, j] = flat_cot @ column.reshape(-1)
    return numeric


def _mismatch(got, numeric, atol, rtol):
    """Describe the worst entry outside the tolerance (NaN counts as a mismatch), or None."""
    err = np.abs(got - numeric)
    bad = ~(err <= atol + rtol * np.abs(numeric))
    if not bad.any():
        return None
    worst = int(np.argmax(np.where(bad, np.nan_to_num(err, nan=np.inf), -1.0)))
    return {
        "max_err": float(np.max(err[bad])), "count": int(bad.sum()),
        "index": np.unravel_index(worst, err.shape),
        "analytic": float(got.flat[worst]), "numeric": float(numeric.flat[worst]),
    }


def _prepare(inputs):
    """Float inputs become float64 leaf Tensors to check; the rest pass through as arrays."""
    args, checked = [], []
    for k, x in enumerate(inputs):
        data = x.data if isinstance(x, Tensor) else x
        xp = xp_of(data)
        data = xp.asarray(data)
        if data.dtype.kind == "f":
            args.append(Tensor(data.astype(np.float64), requires_grad=True))
            checked.append(k)
        else:
            args.append(data)
    return args, checked


def _analytic(out, args, checked, cotangents):
    """Gradient of every checked input for each cotangent: {k: array (n_cotangents, *shape)}."""
    grads = {k: np.zeros((len(cotangents),) + args[k].shape) for k in checked}
    if not out.requires_grad:
        return grads  # fn does not depend on any input: every gradient is zero
    xp = xp_of(out.data)
    for r, c in enumerate(cotangents):
        for k in checked:
            args[k].grad = None
        out.backward(xp.asarray(c, dtype=out.dtype), retain_graph=True)
        for k in checked:
            if args[k].grad is not None:
                grads[k][r] = to_numpy(args[k].grad)
    return grads
