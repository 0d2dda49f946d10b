"""LoRA (low-rank adaptation, Hu et al., 2021) for the layers with one big weight: ``Dense``,
``EinsumDense`` and ``Embedding`` mix in ``LoRA``.

``layer.enable_lora(rank)`` freezes the weight ``W`` and adds two trainable factors ``A``
(``W.shape[:-1] + (rank,)``) and ``B`` (``(rank, W.shape[-1])``, zeros at first); the layer then
computes with ``W + (lora_alpha / rank) * A @ B``. Saving writes that merged weight in place of
``W`` (and not the factors), so files load into layers with or without LoRA, as in Keras.
"""

from numdeep import initializers
from numdeep.ops import eager as ops


class LoRA:
    """Mixin: ``enable_lora`` and LoRA-aware saving for a layer whose adapted weight lives in
    ``self._<_lora_weight>`` and is read through a property of that name.

    A subclass sets ``_lora_weight`` (``'kernel'``, ``'embeddings'``) and ``_lora_what`` (the
    constraint wording of the error message), calls ``_init_lora`` in ``__init__``, reads the
    weight through ``_lora_merged`` and calls ``enable_lora`` at the end of ``build`` when
    ``lora_rank`` is set.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.Dense(4)
        >>> layer.build((None, 8))
        >>> layer.enable_lora(2)
        >>> layer.lora_kernel_a.shape, layer.lora_kernel_b.shape
        ((8, 2), (2, 4))
        >>> [w.name for w in layer.trainable_weights]
        ['bias', 'lora_kernel_a', 'lora_kernel_b']
    """

    _lora_weight = "kernel"
    _lora_what = "kernel"

    def _init_lora(self, lora_rank, lora_alpha):
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def _lora_base(self):
        return getattr(self, "_" + self._lora_weight)

    def _lora_factors(self):
        name = self._lora_weight
        return getattr(self, f"lora_{name}_a"), getattr(self, f"lora_{name}_b")

    def _lora_merged(self, base):
        """``base + (lora_alpha / lora_rank) * A @ B`` when LoRA is on, else ``base``."""
        if not self.lora_enabled:
            return base
        a, b = self._lora_factors()
        delta = ops.matmul(a, b) * (self.lora_alpha / self.lora_rank)
        return base + ops.cast(delta, base.dtype)

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform",
                    b_initializer="zeros"):
        """Freeze the weight and train a rank-``rank`` update ``A @ B`` of it instead.

        Args:
            rank: the rank of the update (the inner size of ``A`` and ``B``).
            lora_alpha: scale of the update is ``lora_alpha / rank`` (default ``rank``: 1).
            a_initializer, b_initializer: initializers of the factors (``B`` starts at zero,
                so enabling LoRA leaves the outputs unchanged).
        """
        if getattr(self, f"{self._lora_weight}_constraint", None) is not None:
            raise ValueError(f"Lora is incompatible with {self._lora_what} constraints. In order "
                             f"to enable lora on this layer, remove the "
                             f"`{self._lora_weight}_constraint` argument.")
        if not self.built:
            raise ValueError("Cannot enable lora on a layer that isn't yet built.")
        if self.lora_enabled:
            raise ValueError("lora is already enabled. This can only be done once per layer.")
        base = self._lora_base()
        regularizer = getattr(self, f"{self._lora_weight}_regularizer", None)
        name = self._lora_weight
        # Float32 factors whatever the layer's dtype: small updates must not underflow.
        with self._unlocked_state():  # new weights on a built layer, as Keras allows here
            a = self.add_weight(shape=tuple(base.shape[:-1]) + (rank,), dtype="float32",
                                initializer=initializers.get(a_initializer),
                                regularizer=regularizer, name=f"lora_{name}_a")
            b = self.add_weight(shape=(rank, base.shape[-1]), dtype="float32",
                                initializer=initializers.get(b_initializer),
                                regularizer=regularizer, name=f"lora_{name}_b")
            setattr(self, f"lora_{name}_a", a)
            setattr(self, f"lora_{name}_b", b)
        base.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def _lora_own_variables(self):
        """The layer's own variables a file holds: all but the LoRA factors."""
        factors = self._lora_factors() if self.lora_enabled else ()
        own = self._trainable_weights + self._non_trainable_weights
        return [v for v in own if not any(v is f for f in factors)]

    def save_own_variables(self, store):
        """Write the own variables, the adapted weight merged with its LoRA update."""
        base = self._lora_base() if self.built else None
        for i, v in enumerate(self._lora_own_variables()):
            store[f"{i}"] = (self._lora_merged(v) if v is base else v).numpy()

    def load_own_variables(self, store):
        """Read the variables ``save_own_variables`` wrote; with LoRA on, the factors restart
        from zero (the file's weight already holds the update)."""
        own = self._lora_own_variables()
        if len(store.keys()) != len(own):
            raise ValueError(f"Layer '{self.name}' expected {len(own)} variables, but received "
                             f"{len(store.keys())} variables during loading. Expected: "
                             f"{[v.name for v in own]}")
        for i, v in enumerate(own):
            v.assign(store[f"{i}"])
        if self.lora_enabled:
            for factor in self._lora_factors():
                factor.assign(factor.numpy() * 0)

    def _lora_config(self):
        if not self.lora_rank:
            return {}
        return {"lora_rank": self.lora_rank, "lora_alpha": self.lora_alpha}
