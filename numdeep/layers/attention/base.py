"""What ``MultiHeadAttention`` and ``GroupedQueryAttention`` share: argument checks, the
padding/causal/sliding-window masks in Keras's override points (``_compute_attention_mask``,
``_compute_causal_mask``), sublayer arguments, dropout on the weights and the flash-attention
flag (numdeep has no flash kernel; the flag only brings Keras's argument checks)."""

from numdeep import constraints, initializers, regularizers
from numdeep.autograd import Tensor
from numdeep.backend.config import is_flash_attention_enabled
from numdeep.layers.attention import masks
from numdeep.layers.layer import Layer
from numdeep.random import SeedGenerator
from numdeep.random import dropout as random_dropout


def check_positive_int(name, value, none_ok=False):
    if none_ok and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"Received an invalid value for argument `{name}`, expected a positive "
                         f"integer{' or `None`' if none_ok else ''}. Received: {name}={value}")


def check_sliding_window(sliding_window):
    if sliding_window is not None and (isinstance(sliding_window, bool) or not isinstance(
            sliding_window, int) or sliding_window <= 0):
        raise ValueError(f"`sliding_window` must be `None` or a positive integer. Received: "
                         f"sliding_window={sliding_window}")


def check_flash_attention(flash_attention, dropout):
    """The layer's flash-attention flag (numdeep computes exact attention either way)."""
    flash = flash_attention or is_flash_attention_enabled()
    if flash and dropout > 0.0:
        raise ValueError("Dropout is not supported when flash attention is enabled. Please set "
                         "dropout to 0.0 to use flash attention.")
    return flash


def keras_mask(x):
    return getattr(x, "_keras_mask", None)


def as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


class AttentionBase(Layer):
    """What ``MultiHeadAttention`` and ``GroupedQueryAttention`` share: masks, sublayer
    arguments, dropout on the weights and the flash-attention checks."""

    def _sublayer_args(self):
        return dict(kernel_initializer=masks.clone_initializer(self.kernel_initializer),
                    bias_initializer=masks.clone_initializer(self.bias_initializer),
                    kernel_regularizer=self.kernel_regularizer,
                    bias_regularizer=self.bias_regularizer,
                    activity_regularizer=self._activity_reg,
                    kernel_constraint=self.kernel_constraint,
                    bias_constraint=self.bias_constraint, dtype=self.dtype)

    def _compute_causal_mask(self, query, value=None):
        """``(1, T, S)`` lower-triangular boolean mask."""
        t = query.shape[1]
        return masks.causal_mask(t, t if value is None else value.shape[1])[None]

    def _compute_sliding_window_mask(self, query, value=None):
        """``(1, T, S)`` band ``|i - j| < sliding_window``."""
        t = query.shape[1]
        s = t if value is None else value.shape[1]
        return masks.sliding_window_mask(t, s, self._window())[None]

    def _compute_attention_mask(self, query, value, query_mask=None, value_mask=None,
                                key_mask=None, attention_mask=None, use_causal_mask=False):
        """The ``(B, T, S)`` boolean mask merging the padding masks, the causal and sliding
        window masks and ``attention_mask`` (``None`` when there is none)."""
        auto = masks.padding_and_causal_mask(query.shape[1], value.shape[1], query_mask,
                                             value_mask, key_mask, use_causal_mask,
                                             self._window())
        return masks.merge_masks(masks.as_bool(attention_mask), auto)

    def _call_masks(self, query, value, key, query_mask, value_mask, key_mask, attention_mask,
                    use_causal_mask, base_cls):
        """``(mask, causal_only, query_mask)``: with a causal mask as the only mask source (and
        ``_compute_attention`` not overridden), ``_compute_attention`` builds it itself."""
        query_mask = keras_mask(query) if query_mask is None else query_mask
        value_mask = keras_mask(value) if value_mask is None else value_mask
        if key_mask is None and key is not value:
            key_mask = keras_mask(key)
        causal_only = (use_causal_mask and query_mask is None and value_mask is None
                       and key_mask is None and attention_mask is None
                       and self._window() is None
                       and type(self)._compute_attention is base_cls._compute_attention)
        if causal_only:
            return None, True, query_mask
        mask = self._compute_attention_mask(query, value, query_mask, value_mask, key_mask,
                                            attention_mask, use_causal_mask)
        return mask, False, query_mask

    def _dropout_fn(self, training):
        if not (training and self.dropout > 0.0):
            return None
        return lambda w: random_dropout(w, self.dropout, seed=self.seed_generator)

    def _check_scores_flag(self, return_attention_scores):
        if self._flash_attention and return_attention_scores:
            raise ValueError("Returning attention scores is not supported when flash attention "
                             "is enabled. Please disable flash attention to access attention "
                             "scores.")

    def _track_private(self, name, layer):
        # Keras keeps some sublayers in private attributes (``_gate_dense``): they still count.
        object.__setattr__(self, name, layer)
        self._track(layer)
        return layer

    def _base_config(self):
        config = super().get_config()
        config.update(
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            activity_regularizer=regularizers.serialize(self._activity_reg),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
        )
        return config

    def _store_common(self, dropout, use_bias, use_gate, sliding_window, flash_attention,
                      kernel_initializer, bias_initializer, kernel_regularizer,
                      bias_regularizer, activity_regularizer, kernel_constraint,
                      bias_constraint, seed):
        check_sliding_window(sliding_window)
        self.dropout, self.use_bias, self.use_gate = float(dropout), bool(use_bias), use_gate
        self._sliding_window = sliding_window
        self._flash_attention = check_flash_attention(flash_attention, self.dropout)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_reg = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        if self.dropout > 0.0:
            self.seed_generator = SeedGenerator(seed)

    def _window(self):
        return self._sliding_window
