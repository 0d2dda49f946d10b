"""``Discretization``: continuous values to bucket indices, with boundaries given or learnt by
``adapt`` from approximate quantiles (Keras's mergeable weighted summaries)."""

import numpy as np

from numdeep.autograd import Tensor
from numdeep.layers.layer import Layer
from numdeep.layers.preprocessing import categorical
from numdeep.ops.symbolic import KerasTensor

__all__ = ["Discretization"]


def summarize(values, epsilon):
    """A weighted summary ``[[values], [weights]]`` of about ``1/epsilon`` evenly spaced order
    statistics of ``values`` (all of them, weight 1, when there are fewer)."""
    values = np.sort(np.reshape(values, -1))
    step = max(values.size * epsilon, 1)
    points = values[int(step - 1)::int(step)]
    return np.stack([points, np.full_like(points, step)])


def compress(summary, epsilon):
    """Re-sample ``summary`` at the cumulative-weight fractions ``epsilon, 2 epsilon, ..., 1``
    (interpolating values and cumulative weights); small summaries are kept as they are."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    position = cumulative / cumulative[-1]
    points = np.interp(fractions, position, summary[0])
    weights = np.diff(np.interp(fractions, position, cumulative), prepend=0.0)
    return np.stack((points, weights)).astype("float32")


def merge(a, b, epsilon):
    """Two summaries of disjoint data merged (sorted by value) and compressed."""
    merged = np.concatenate((a, b), axis=1)
    return compress(merged[:, np.argsort(merged[0])], epsilon)


def _is_one_array(data):
    return isinstance(data, np.ndarray | Tensor) or not hasattr(data, "__iter__")


class Discretization(Layer):
    """Buckets continuous features: ``bin_boundaries=[0., 1., 2.]`` sends ``x < 0`` to 0,
    ``0 <= x < 1`` to 1, ``1 <= x < 2`` to 2 and ``x >= 2`` to 3.

    Args:
        bin_boundaries: sorted boundaries; or learn ``num_bins - 1`` of them with ``adapt``.
        num_bins: number of buckets ``adapt`` aims for (exclusive with ``bin_boundaries``).
        epsilon: error tolerance of the quantile summaries (``~1/epsilon`` points each).
        output_mode: ``'int'`` (bucket indices, int32), ``'one_hot'``, ``'multi_hot'`` or
            ``'count'`` (vectors of ``len(bin_boundaries) + 1``).
        sparse: unsupported (numdeep arrays are dense); must be False.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
        >>> layer(np.array([[-1.5, 1.0, 0.4, 2.5]])).data
        array([[0, 2, 1, 3]], dtype=int32)
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None):
        super().__init__(name=name, dtype=dtype)
        if sparse and output_mode == "int":
            raise ValueError(f"`sparse=True` may only be used if `output_mode` is `'one_hot'`, "
                             f"`'multi_hot'`, or `'count'`. Received: sparse={sparse} and "
                             f"output_mode={output_mode}")
        if sparse:
            raise ValueError("`sparse=True` cannot be used with backend numdeep")
        categorical.check_choice(output_mode, ("int", "one_hot", "multi_hot", "count"),
                                 type(self).__name__, "output_mode")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: "
                             f"`num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"Both `num_bins` and `bin_boundaries` should not be set. "
                             f"Received: `num_bins={num_bins}` and "
                             f"`bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries, self.num_bins = bin_boundaries, num_bins
        self.epsilon, self.output_mode, self.sparse = epsilon, output_mode, sparse
        self.summary = None if bin_boundaries else np.array([[], []], dtype="float32")

    @property
    def output_dtype(self):
        return self.dtype if self.output_mode != "int" else "int32"

    def adapt(self, data, steps=None):
        """Learn ``num_bins - 1`` boundaries at the quantiles of ``data`` (an array, or an
        iterable of batches read for at most ``steps`` batches)."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized "
                             "with `bin_boundaries`, use `num_bins` instead.")
        self.reset_state()
        for batch in categorical.iterate_batches(data, steps, _is_one_array):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        data = categorical.to_numpy(data).astype("float32")
        self.summary = merge(summarize(data, self.epsilon), self.summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is None:
            return
        self.bin_boundaries = compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self):
        if self.num_bins is not None:
            self.summary = np.array([[], []], dtype="float32")

    def load_own_variables(self, store):
        if len(store) == 1:
            self.summary = store["0"]  # Keras's legacy files keep the summary as a variable

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at "
                             "construction time or call `adapt(dataset)` before you can start "
                             "using the `Discretization` layer.")
        values = categorical.to_numpy(inputs)
        indices = np.digitize(values, np.asarray(self.bin_boundaries, values.dtype))
        return Tensor(categorical.encode(indices, self.output_mode,
                                         len(self.bin_boundaries) + 1, self.output_dtype))

    def _depth(self):
        if self.bin_boundaries is not None:
            return len(self.bin_boundaries) + 1
        return self.num_bins

    def compute_output_shape(self, input_shape):
        return categorical.encoded_shape(input_shape, self.output_mode, self._depth())

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.output_dtype)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            # After `adapt` both are set, which the constructor refuses: boundaries go after.
            config = dict(config)
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)
