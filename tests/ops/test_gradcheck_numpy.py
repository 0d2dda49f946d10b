"""Float64 gradient checks (and float32 PyTorch parity) of the ``keras.ops.numpy`` functions added
beyond the core table of ``tests/autograd/test_ops_gradcheck.py``: math, reductions, sorting and
statistics, shapes, joins, indexing and products.

Rows follow that table's ``Case`` format; ``tests/autograd/test_table_coverage.py`` checks that
every differentiable ``numdeep.ops`` function has a row here or there.
"""

import numpy as np
import pytest

from numdeep import ops
from numdeep.autograd import Tensor, gradcheck
from tests.autograd.test_ops_gradcheck import Case, away, distinct, normal, uniform

SEL = np.array([[True, False, True], [False, True, True]])
IDX = np.array([[2, 0], [1, 1]])


def _F(T):
    return T.nn.functional


CASES = [
    # --- elementwise math ---
    Case("sin", ops.sin, (normal(3, 4),), lambda T, x: T.sin(x)),
    Case("cos", ops.cos, (normal(3, 4),), lambda T, x: T.cos(x)),
    Case("tan", ops.tan, (uniform(-1.2, 1.2, 3, 4),), lambda T, x: T.tan(x)),
    Case("arcsin", ops.arcsin, (uniform(-0.9, 0.9, 3, 4),), lambda T, x: T.asin(x)),
    Case("arccos", ops.arccos, (uniform(-0.9, 0.9, 3, 4),), lambda T, x: T.acos(x)),
    Case("arctan", ops.arctan, (normal(3, 4),), lambda T, x: T.atan(x)),
    Case("arctan2", ops.arctan2, (normal(3, 4), away(3, 4, gap=0.3)),
         lambda T, a, b: T.atan2(a, b)),
    Case("sinh", ops.sinh, (normal(3, 4),), lambda T, x: T.sinh(x)),
    Case("cosh", ops.cosh, (normal(3, 4),), lambda T, x: T.cosh(x)),
    Case("arcsinh", ops.arcsinh, (normal(3, 4),), lambda T, x: T.asinh(x)),
    Case("arccosh", ops.arccosh, (uniform(1.2, 3, 3, 4),), lambda T, x: T.acosh(x)),
    Case("arctanh", ops.arctanh, (uniform(-0.8, 0.8, 3, 4),), lambda T, x: T.atanh(x)),
    Case("expm1", ops.expm1, (normal(3, 4),), lambda T, x: T.expm1(x)),
    Case("exp2", ops.exp2, (normal(3, 4),), lambda T, x: T.exp2(x)),
    Case("log2", ops.log2, (uniform(0.2, 3, 3, 4),), lambda T, x: T.log2(x)),
    Case("log10", ops.log10, (uniform(0.2, 3, 3, 4),), lambda T, x: T.log10(x)),
    Case("cbrt", ops.cbrt, (away(3, 4, gap=0.3),), lambda T, x: T.sign(x) * T.abs(x) ** (1 / 3)),
    Case("deg2rad", ops.deg2rad, (normal(3, 4),), lambda T, x: T.deg2rad(x)),
    Case("rad2deg", ops.rad2deg, (normal(3, 4),), lambda T, x: T.rad2deg(x)),
    Case("sinc", ops.sinc, (away(3, 4, gap=0.2),), lambda T, x: T.sinc(x)),
    Case("hypot", ops.hypot, (normal(3, 4), normal(3, 4)), lambda T, a, b: T.hypot(a, b)),
    Case("logaddexp", ops.logaddexp, (normal(3, 4), normal(3, 4)),
         lambda T, a, b: T.logaddexp(a, b)),
    Case("logaddexp2", ops.logaddexp2, (normal(3, 4), normal(3, 4)),
         lambda T, a, b: T.logaddexp2(a, b)),
    Case("divide_no_nan", lambda a, b: ops.divide_no_nan(a, b * Tensor([1.0, 0.0, 1.0])),
         (normal(2, 3), away(2, 3, gap=0.5)), None),
    Case("true_divide", ops.true_divide, (normal(3, 4), away(3, 4, gap=0.5)),
         lambda T, a, b: a / b),
    Case("mod", ops.mod, (uniform(0.1, 0.9, 3, 4), uniform(1.1, 2, 3, 4)),
         lambda T, a, b: T.remainder(a, b)),
    Case("fmod", ops.fmod, (uniform(-0.9, 0.9, 3, 4), uniform(1.1, 2, 3, 4)),
         lambda T, a, b: T.fmod(a, b)),
    Case("fmax", ops.fmax, (distinct(3, 4), normal(4, scale=0.01)),
         lambda T, a, b: T.fmax(a, b)),
    Case("fmin", ops.fmin, (distinct(3, 4), normal(4, scale=0.01)),
         lambda T, a, b: T.fmin(a, b)),
    Case("absolute", ops.absolute, (away(3, 4),), lambda T, x: T.abs(x)),
    Case("fabs", ops.fabs, (away(3, 4),), lambda T, x: T.abs(x)),
    Case("reciprocal", ops.reciprocal, (away(3, 4, gap=0.5),), lambda T, x: T.reciprocal(x)),
    Case("nan_to_num", ops.nan_to_num, (normal(3, 4),), lambda T, x: T.nan_to_num(x)),
    Case("real", ops.real, (normal(3),), lambda T, x: x * 1.0),
    Case("conjugate", ops.conjugate, (normal(3),), lambda T, x: x * 1.0),
    Case("conj", ops.conj, (normal(3),), lambda T, x: x * 1.0),
    Case("array", lambda x: ops.array(x) * 2.0, (normal(3),), lambda T, x: x * 2.0),
    Case("saturate_cast", lambda x: ops.saturate_cast(x * 1e3, "float64"), (normal(3),), None),
    Case("ldexp", lambda x: ops.ldexp(x, np.array([1, -1, 2])), (normal(2, 3),),
         lambda T, x: x * T.tensor([2.0, 0.5, 4.0])),  # torch.ldexp truncates 2**-1 to 0
    # --- reductions ---
    Case("prod", lambda x: ops.prod(x, axis=1), (uniform(0.5, 1.5, 3, 4),),
         lambda T, x: T.prod(x, 1)),
    Case("prod:with-zero", lambda x: ops.prod(x * Tensor([1.0, 0.0, 1.0])), (normal(3),), None),
    Case("cumsum", lambda x: ops.cumsum(x, axis=1), (normal(3, 4),), lambda T, x: T.cumsum(x, 1)),
    Case("cumsum:flat", ops.cumsum, (normal(2, 3),), lambda T, x: T.cumsum(x.flatten(), 0)),
    Case("cumprod", lambda x: ops.cumprod(x, axis=0), (uniform(0.5, 1.5, 4, 3),),
         lambda T, x: T.cumprod(x, 0)),
    Case("cumprod:with-zero", lambda x: ops.cumprod(x * Tensor([1.0, 0.0, 1.0, 1.0]), axis=-1),
         (normal(2, 4),), None),
    Case("amax", lambda x: ops.amax(x, axis=0), (distinct(3, 4),), lambda T, x: T.amax(x, 0)),
    Case("amin", lambda x: ops.amin(x, axis=1), (distinct(3, 4),), lambda T, x: T.amin(x, 1)),
    Case("ptp", lambda x: ops.ptp(x, axis=1), (distinct(3, 4),),
         lambda T, x: T.amax(x, 1) - T.amin(x, 1)),
    Case("average", lambda x, w: ops.average(x, axis=1, weights=w),
         (normal(3, 4), uniform(0.5, 1, 4)), None),
    Case("nansum", ops.nansum, (normal(3, 4),), lambda T, x: T.nansum(x)),
    Case("nanprod", ops.nanprod, (uniform(0.5, 1.5, 5),), lambda T, x: T.prod(x)),
    Case("nanmean", lambda x: ops.nanmean(x, axis=0), (normal(3, 4),),
         lambda T, x: T.nanmean(x, 0)),
    Case("nanvar", lambda x: ops.nanvar(x, axis=1), (normal(3, 4),),
         lambda T, x: T.var(x, 1, correction=0)),
    Case("nanstd", lambda x: ops.nanstd(x, axis=1), (normal(3, 4),),
         lambda T, x: T.std(x, 1, correction=0)),
    Case("nanmax", lambda x: ops.nanmax(x, axis=1), (distinct(3, 4),),
         lambda T, x: T.amax(x, 1)),
    Case("nanmin", lambda x: ops.nanmin(x, axis=1), (distinct(3, 4),),
         lambda T, x: T.amin(x, 1)),
    Case("nancumsum", lambda x: ops.nancumsum(x, axis=1), (normal(3, 4),),
         lambda T, x: T.cumsum(x, 1)),
    Case("nancumprod", lambda x: ops.nancumprod(x, axis=1), (uniform(0.5, 1.5, 3, 4),),
         lambda T, x: T.cumprod(x, 1)),
    # --- sorting and statistics ---
    Case("sort", lambda x: ops.sort(x, axis=1), (distinct(3, 4),),
         lambda T, x: T.sort(x, 1).values),
    Case("median", lambda x: ops.median(x, axis=1), (distinct(3, 4),),
         lambda T, x: T.quantile(x, 0.5, dim=1)),
    Case("quantile", lambda x: ops.quantile(x, np.array([0.3, 0.8]), axis=0), (distinct(5, 3),),
         lambda T, x: T.quantile(x, T.tensor([0.3, 0.8], dtype=x.dtype), dim=0)),
    Case("percentile", lambda x: ops.percentile(x, 40.0), (distinct(6),),
         lambda T, x: T.quantile(x, 0.4)),
    Case("nanmedian", lambda x: ops.nanmedian(x, axis=0), (distinct(5, 2),),
         lambda T, x: T.quantile(x, 0.5, dim=0)),
    Case("nanquantile", lambda x: ops.nanquantile(x, 0.25), (distinct(7),),
         lambda T, x: T.quantile(x, 0.25)),
    Case("nanpercentile", lambda x: ops.nanpercentile(x, 75.0), (distinct(7),),
         lambda T, x: T.quantile(x, 0.75)),
    Case("corrcoef", ops.corrcoef, (normal(3, 6),), lambda T, x: T.corrcoef(x)),
    Case("trapezoid", ops.trapezoid, (normal(3, 5),), lambda T, y: T.trapezoid(y)),
    Case("trapezoid:x", lambda y, x: ops.trapezoid(y, x), (normal(2, 4), normal(4)),
         lambda T, y, x: T.trapezoid(y, x)),
    # --- shapes ---
    Case("rearrange", lambda x: ops.rearrange(x, "b (h h1) w -> b h (w h1)", h1=2),
         (normal(2, 4, 3),),
         lambda T, x: x.reshape(2, 2, 2, 3).permute(0, 1, 3, 2).reshape(2, 2, 6)),
    Case("ravel", ops.ravel, (normal(2, 3),), lambda T, x: x.ravel()),
    Case("moveaxis", lambda x: ops.moveaxis(x, 0, -1), (normal(2, 3, 4),),
         lambda T, x: T.movedim(x, 0, -1)),
    Case("swapaxes", lambda x: ops.swapaxes(x, 0, 2), (normal(2, 3, 4),),
         lambda T, x: T.swapaxes(x, 0, 2)),
    Case("flip", lambda x: ops.flip(x, 1), (normal(2, 3),), lambda T, x: T.flip(x, (1,))),
    Case("fliplr", ops.fliplr, (normal(2, 3),), lambda T, x: T.fliplr(x)),
    Case("flipud", ops.flipud, (normal(2, 3),), lambda T, x: T.flipud(x)),
    Case("rot90", lambda x: ops.rot90(x, 3), (normal(2, 3),), lambda T, x: T.rot90(x, 3)),
    Case("roll", lambda x: ops.roll(x, 2, axis=1), (normal(2, 5),),
         lambda T, x: T.roll(x, 2, 1)),
    Case("tile", lambda x: ops.tile(x, (2, 1, 3)), (normal(2, 3),),
         lambda T, x: T.tile(x, (2, 1, 3))),
    Case("repeat", lambda x: ops.repeat(x, [1, 3], axis=0), (normal(2, 3),),
         lambda T, x: T.repeat_interleave(x, T.tensor([1, 3]), 0)),
    Case("copy", ops.copy, (normal(2, 3),), lambda T, x: x.clone()),
    Case("meshgrid", lambda a, b: ops.stack(ops.meshgrid(a, b)), (normal(3), normal(2)),
         lambda T, a, b: T.stack(T.meshgrid(a, b, indexing="xy"))),
    Case("diff", lambda x: ops.diff(x, n=2, axis=0), (normal(4, 3),),
         lambda T, x: T.diff(x, n=2, dim=0)),
    Case("pad:reflect", lambda x: ops.pad(x, ((1, 2), (2, 0)), mode="reflect"), (normal(3, 4),),
         lambda T, x: _F(T).pad(x[None], (2, 0, 1, 2), mode="reflect")[0]),
    # --- joins and splits ---
    Case("hstack", lambda a, b: ops.hstack([a, b]), (normal(2, 3), normal(2, 1)),
         lambda T, a, b: T.hstack([a, b])),
    Case("vstack", lambda a, b: ops.vstack([a, b]), (normal(3), normal(2, 3)),
         lambda T, a, b: T.vstack([a, b])),
    Case("dstack", lambda a, b: ops.dstack([a, b]), (normal(2, 3), normal(2, 3)),
         lambda T, a, b: T.dstack([a, b])),
    Case("append", ops.append, (normal(2, 3), normal(4)),
         lambda T, a, b: T.cat([a.flatten(), b])),
    Case("split", lambda x: ops.concatenate(ops.split(x, [1, 3], axis=1)[::-1], axis=1),
         (normal(2, 4),), lambda T, x: T.cat(T.tensor_split(x, [1, 3], 1)[::-1], 1)),
    Case("array_split", lambda x: ops.array_split(x, 3)[1], (normal(7),),
         lambda T, x: T.tensor_split(x, 3)[1]),
    Case("hsplit", lambda x: ops.hsplit(x, 2)[1], (normal(2, 4),),
         lambda T, x: T.hsplit(x, 2)[1]),
    Case("vsplit", lambda x: ops.vsplit(x, 2)[0], (normal(4, 2),),
         lambda T, x: T.vsplit(x, 2)[0]),
    Case("dsplit", lambda x: ops.dsplit(x, 2)[1], (normal(2, 2, 4),),
         lambda T, x: T.dsplit(x, 2)[1]),
    # --- indexing ---
    Case("get_item", lambda x: ops.get_item(x, (slice(None), [2, 2, 0])), (normal(2, 3),),
         lambda T, x: x[:, [2, 2, 0]]),
    Case("take_along_axis", lambda x: ops.take_along_axis(x, IDX, axis=1), (normal(2, 3),),
         lambda T, x: T.take_along_dim(x, T.as_tensor(IDX), 1)),
    Case("diagonal", lambda x: ops.diagonal(x, 1), (normal(3, 4),),
         lambda T, x: T.diagonal(x, 1)),
    Case("diag", ops.diag, (normal(3),), lambda T, x: T.diag(x)),
    Case("diag:matrix", lambda x: ops.diag(x, -1), (normal(3, 3),), lambda T, x: T.diag(x, -1)),
    Case("diagflat", ops.diagflat, (normal(2, 2),), lambda T, x: T.diagflat(x)),
    Case("tril", ops.tril, (normal(3, 4),), lambda T, x: T.tril(x)),
    Case("triu", lambda x: ops.triu(x, 1), (normal(3, 4),), lambda T, x: T.triu(x, 1)),
    Case("trace", ops.trace, (normal(3, 3),), lambda T, x: T.trace(x)),
    Case("select", lambda a, b: ops.select([SEL, ~SEL], [a, b]), (normal(2, 3), normal(2, 3)),
         lambda T, a, b: T.where(T.as_tensor(SEL), a, b)),
    # --- products ---
    Case("vdot", ops.vdot, (normal(2, 3), normal(2, 3)),
         lambda T, a, b: T.vdot(a.flatten(), b.flatten())),
    Case("inner", ops.inner, (normal(2, 3), normal(4, 3)), lambda T, a, b: T.inner(a, b)),
    Case("outer", ops.outer, (normal(3), normal(4)), lambda T, a, b: T.outer(a, b)),
    Case("tensordot", lambda a, b: ops.tensordot(a, b, axes=([1, 0], [0, 1])),
         (normal(2, 3, 4), normal(3, 2, 5)),
         lambda T, a, b: T.tensordot(a, b, dims=([1, 0], [0, 1]))),
    Case("einsum", lambda a, b: ops.einsum("bij,bjk->bik", a, b),
         (normal(2, 3, 4), normal(2, 4, 2)), lambda T, a, b: T.einsum("bij,bjk->bik", a, b)),
    Case("einsum:summed-and-diagonal", lambda a, b: ops.einsum("iij,k->j", a, b),
         (normal(3, 3, 2), normal(4)), lambda T, a, b: T.einsum("iij,k->j", a, b)),
    Case("einsum:ellipsis-broadcast", lambda a, b: ops.einsum("...ij,...jk", a, b),
         (normal(2, 1, 3, 4), normal(3, 4, 2)), lambda T, a, b: T.einsum("...ij,...jk", a, b)),
    Case("kron", ops.kron, (normal(2, 3), normal(2, 2)), lambda T, a, b: T.kron(a, b)),
    Case("cross", ops.cross, (normal(4, 3), normal(4, 3)), lambda T, a, b: T.cross(a, b, dim=-1)),
    Case("cross:2d", ops.cross, (normal(4, 2), normal(4, 2)),
         lambda T, a, b: a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]),
    Case("correlate", lambda a, b: ops.correlate(a, b, mode="full"), (normal(5), normal(3)),
         None),
    Case("vander", lambda x: ops.vander(x, 4), (normal(3),),
         lambda T, x: T.stack([x**3, x**2, x, T.ones_like(x)], -1)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradcheck(case):
    assert gradcheck(case.fn, case.sample(), mode=case.mode)


TORCH_CASES = [c for c in CASES if c.torch is not None]


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c.name for c in TORCH_CASES])
def test_forward_and_gradients_match_torch(case):
    from tests.autograd.test_torch_parity import test_forward_and_gradients_match_torch as check

    pytest.importorskip("torch")
    check(case)
