"""BERT encoders built from numdeep layers, loading Hugging Face checkpoints (safetensors only).

``BertModel`` follows ``transformers.BertModel``: embeddings (word + position + token type,
LayerNorm), ``num_hidden_layers`` post-norm Transformer blocks (``MultiHeadAttention`` with a
residual ``LayerNormalization``, then a GELU feed-forward with another), and the pooler
``tanh(Dense(h[:, 0]))``. ``from_pretrained(directory)`` reads ``config.json`` and
``model.safetensors`` through numdeep's own validating reader; ``pytorch_model.bin`` (pickle) is
never read.
"""

import numpy as np

from numdeep import initializers
from numdeep.autograd import Tensor, data_of, no_grad
from numdeep.autograd.function import NoGradient
from numdeep.autograd.primitives import TakeRows
from numdeep.layers import Dense, Dropout, Layer, LayerNormalization, MultiHeadAttention
from numdeep.models import Model
from numdeep.pretrained.config import ACTIVATIONS, BertConfig
from numdeep.pretrained.outputs import BertOutput, SequenceClassifierOutput

__all__ = ["BertConfig", "BertModel", "BertForSequenceClassification", "BertOutput",
           "SequenceClassifierOutput"]


class BertEmbeddings(Layer):
    """Word + position + token-type embeddings, then LayerNorm and dropout."""

    def __init__(self, config, initializer, **kwargs):
        super().__init__(**kwargs)
        self.config, self.initializer = config, initializer
        self.layer_norm = LayerNormalization(epsilon=config.layer_norm_eps, name="LayerNorm")
        self.dropout = Dropout(config.hidden_dropout_prob, name="dropout")

    def build(self, input_shape):
        c = self.config
        init = self.initializer
        self.word_embeddings = self.add_weight((c.vocab_size, c.hidden_size), init,
                                               name="word_embeddings")
        self.position_embeddings = self.add_weight((c.max_position_embeddings, c.hidden_size),
                                                   init, name="position_embeddings")
        self.token_type_embeddings = self.add_weight((c.type_vocab_size, c.hidden_size), init,
                                                     name="token_type_embeddings")

    def call(self, inputs, training=False):
        # ``ids`` alone (no token types: all type 0) or ``[ids, token_type_ids]``.
        input_ids, token_type_ids = inputs if isinstance(inputs, list | tuple) else (inputs, None)
        steps = input_ids.shape[1]
        if steps > self.config.max_position_embeddings:
            raise ValueError(f"BERT input of {steps} tokens exceeds max_position_embeddings="
                             f"{self.config.max_position_embeddings}.")
        # The lookups are ops that check their ids (TakeRows), and no branch depends on the
        # ids' values: an inference plan replays this for every batch.
        x = TakeRows.apply(self.word_embeddings,
                           _ids(input_ids, "input_ids"),
                           what="BERT input_ids")
        x = x + self.position_embeddings[:steps]
        if token_type_ids is None:  # all type 0: row 0, the same bits as looking it up
            x = x + self.token_type_embeddings[0]
        else:
            types = _ids(token_type_ids, "token_type_ids")
            x = x + TakeRows.apply(self.token_type_embeddings, types,
                                   what="BERT token_type_ids")
        return self.dropout(self.layer_norm(x), training=training)


class KeyMask(NoGradient):
    """``(batch, steps)`` attention mask (1 real, 0 padding) -> the ``(batch, 1, steps)``
    booleans the attention layers take, as an op (no gradient) so that a plan computes it for
    every batch."""

    def forward(self, mask):
        return mask.astype(bool)[:, None, :]


def _ids(ids, what):
    """Token ids as an integer array (whole-number floats are accepted). Their range is checked
    by the lookup itself (``TakeRows``), once per call and again at every replayed batch."""
    ids = ids.data if isinstance(ids, Tensor) else np.asarray(ids)
    if ids.dtype.kind not in "iu":
        if ids.dtype.kind != "f" or not np.array_equal(ids, np.round(ids)):
            raise ValueError(f"BERT {what} must be integer token ids; received {ids.dtype}.")
        ids = ids.astype(np.int64)
    return ids


class BertLayer(Layer):
    """One post-norm Transformer block: attention + residual + LayerNorm, GELU MLP + residual +
    LayerNorm."""

    def __init__(self, config, initializer, **kwargs):
        super().__init__(**kwargs)
        c = config
        self.attention = MultiHeadAttention(c.num_attention_heads, c.head_dim,
                                            dropout=c.attention_probs_dropout_prob,
                                            kernel_initializer=initializer, name="attention")
        self.attention_dropout = Dropout(c.hidden_dropout_prob, name="attention_output_dropout")
        self.attention_norm = LayerNormalization(epsilon=c.layer_norm_eps, name="LayerNorm")
        self.intermediate = Dense(c.intermediate_size, activation=ACTIVATIONS[c.hidden_act],
                                  kernel_initializer=initializer, name="intermediate")
        self.output_dense = Dense(c.hidden_size, kernel_initializer=initializer, name="output")
        self.output_dropout = Dropout(c.hidden_dropout_prob, name="output_dropout")
        self.output_norm = LayerNormalization(epsilon=c.layer_norm_eps, name="output_LayerNorm")

    def call(self, inputs, training=False, attention_mask=None):
        x = inputs
        a = self.attention(x, x, attention_mask=attention_mask, training=training)
        x = self.attention_norm(x + self.attention_dropout(a, training=training))
        h = self.output_dense(self.intermediate(x))
        return self.output_norm(x + self.output_dropout(h, training=training))


class BertModel(Model):
    """A BERT encoder (``transformers.BertModel`` semantics) made of numdeep layers.

    Args:
        config: a ``BertConfig`` (or a ``config.json`` dict).
        add_pooling_layer: build the pooler (``pooler_output``).
        initializer: initializer of the embeddings and kernels (default, as Hugging Face:
            normal with ``stddev=config.initializer_range``); biases start at 0, LayerNorms at 1.
        name: model name.

    Call arguments:
        input_ids: integer token ids ``(batch, steps)``; or ``[input_ids, attention_mask]``
            (optionally ``token_type_ids`` third); or a tokenizer's dict with those keys.
        attention_mask: 1 for real tokens, 0 for padding (also as a keyword, as in
            transformers: ``bert(input_ids=..., attention_mask=...)`` or ``bert(**encoded)``).
        token_type_ids: segment ids (keyword too).
        training: apply dropout.

    Returns:
        A ``BertOutput`` dict with ``last_hidden_state`` and ``pooler_output`` (the latter
        only with a pooler); in functional models index the symbolic output by key.

    Example:
        >>> import numpy as np
        >>> from numdeep.pretrained import BertConfig, BertModel
        >>> config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2,
        ...                     num_attention_heads=2, intermediate_size=32)
        >>> bert = BertModel(config)
        >>> out = bert([np.array([[2, 7, 9, 0]]), np.array([[1, 1, 1, 0]])])
        >>> out.last_hidden_state.shape, out.pooler_output.shape
        ((1, 4, 16), (1, 16))
    """

    def __init__(self, config, add_pooling_layer=True, initializer=None, name=None, **kwargs):
        super().__init__(name=name or "bert", **kwargs)
        self.config = config if isinstance(config, BertConfig) else BertConfig.from_dict(config)
        self.add_pooling_layer = bool(add_pooling_layer)
        init = initializers.get(initializer or initializers.RandomNormal(
            stddev=self.config.initializer_range))
        self.embeddings = BertEmbeddings(self.config, init, name="embeddings")
        self.encoder_layers = []
        for i in range(self.config.num_hidden_layers):
            layer = BertLayer(self.config, init, name=f"layer_{i}")
            setattr(self, f"layer_{i}", layer)  # tracked as a sublayer, in order
            self.encoder_layers.append(layer)
        self.pooler = None
        if self.add_pooling_layer:
            self.pooler = Dense(self.config.hidden_size, activation="tanh",
                                kernel_initializer=init, name="pooler")

    def build(self, input_shape):
        with no_grad():
            self.call([np.zeros((1, 2), np.int64), np.ones((1, 2), np.int64)])

    def call(self, input_ids, attention_mask=None, token_type_ids=None, training=False):
        input_ids, attention_mask, token_type_ids = _merge_inputs(input_ids, attention_mask,
                                                                  token_type_ids)
        ids = _ids(input_ids, "input_ids")
        x = self.embeddings(ids if token_type_ids is None else [ids, _array(token_type_ids)],
                            training=training)
        keys = None if attention_mask is None else KeyMask.apply(_array(attention_mask)).data
        for layer in self.encoder_layers:
            x = layer(x, training=training, attention_mask=keys)
        out = BertOutput(last_hidden_state=x)
        if self.pooler is not None:
            out["pooler_output"] = self.pooler(x[:, 0])
        return out

    def compute_output_shape(self, input_shape):
        shape = _unpack_inputs(input_shape, shapes=True)[0]
        h = self.config.hidden_size
        out = {"last_hidden_state": (shape[0], shape[1], h)}
        if self.pooler is not None:
            out["pooler_output"] = (shape[0], h)
        return out

    def compute_output_dtype(self, inputs):
        return self.dtype

    @classmethod
    def from_pretrained(cls, name_or_dir, add_pooling_layer=True, revision=None, cache_dir=None,
                        **kwargs):
        """Load a Hugging Face BERT checkpoint (``config.json`` + ``model.safetensors``).

        Args:
            name_or_dir: the checkpoint folder, or a model name (``"bert-base-uncased"``,
                ``"org/name"``) found in the Hugging Face cache or, with the optional
                ``huggingface_hub``, downloaded (see ``numdeep.pretrained.hub``).
            add_pooling_layer: load the pooler (its weights must then be in the checkpoint).
            revision, cache_dir: the hub revision and cache folder, for names.

        Raises:
            FileNotFoundError: no checkpoint by that name, or no ``config.json`` /
                ``model.safetensors`` (a ``pytorch_model.bin`` is refused: pickle files are
                never read).
            ValueError: the tensors disagree with the config; the message lists every missing,
                unexpected and mismatched tensor.
        """
        from numdeep.pretrained.hub import resolve_checkpoint
        from numdeep.pretrained.weights import (
            check_checkpoint,
            load_bert_weights,
            read_checkpoint,
        )

        directory = resolve_checkpoint(name_or_dir, revision=revision, cache_dir=cache_dir)
        config, tensors = read_checkpoint(directory)
        check_checkpoint(config, tensors, directory, pooler=add_pooling_layer)
        kwargs.setdefault("initializer", "zeros")  # every weight is overwritten
        model = cls(config, add_pooling_layer=add_pooling_layer, **kwargs)
        model.build(None)
        model.built = True
        load_bert_weights(model, tensors, directory)
        return model


class BertForSequenceClassification(Model):
    """``BertModel`` + dropout + ``Dense(num_labels)`` on the pooled output (logits), loading
    ``transformers.BertForSequenceClassification`` checkpoints (``classifier.weight/bias``).

    Args:
        config: a ``BertConfig``; ``num_labels`` defaults to ``len(config.id2label)`` or 2.
        num_labels: number of classes.
        initializer: as in ``BertModel`` (also used for the classifier kernel).

    Call arguments:
        As ``BertModel``'s (ids, a list, a tokenizer's dict, or keywords).

    Returns:
        A ``SequenceClassifierOutput`` dict with ``logits`` ``(batch, num_labels)``
        (``out.logits`` or ``out["logits"]``; ``fit`` takes one loss for it as it is).

    Example:
        >>> import numpy as np
        >>> from numdeep.pretrained import BertConfig, BertForSequenceClassification
        >>> config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
        ...                     num_attention_heads=2, intermediate_size=32)
        >>> BertForSequenceClassification(config, num_labels=3)(np.array([[2, 7]])).logits.shape
        (1, 3)
    """

    def __init__(self, config, num_labels=None, initializer=None, name=None, **kwargs):
        super().__init__(name=name or "bert_classifier", **kwargs)
        config = config if isinstance(config, BertConfig) else BertConfig.from_dict(config)
        self.config = config
        self.num_labels = num_labels or len(config.id2label) or 2
        self.bert = BertModel(config, initializer=initializer)
        self.dropout = Dropout(config.hidden_dropout_prob, name="dropout")
        self.classifier = Dense(self.num_labels, name="classifier",
                                kernel_initializer=self.bert.embeddings.initializer)

    def build(self, input_shape):
        with no_grad():
            self.call(np.zeros((1, 2), np.int64))

    def call(self, input_ids, attention_mask=None, token_type_ids=None, training=False):
        pooled = self.bert(input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids, training=training)["pooler_output"]
        return SequenceClassifierOutput(
            logits=self.classifier(self.dropout(pooled, training=training)))

    def compute_output_shape(self, input_shape):
        return {"logits": (_unpack_inputs(input_shape, shapes=True)[0][0], self.num_labels)}

    @classmethod
    def from_pretrained(cls, name_or_dir, revision=None, cache_dir=None, **kwargs):
        """Load a fine-tuned ``BertForSequenceClassification`` checkpoint (a folder or a model
        name, as ``BertModel.from_pretrained``)."""
        from numdeep.pretrained.hub import resolve_checkpoint
        from numdeep.pretrained.weights import (
            CheckpointMismatchError,
            check_checkpoint,
            load_bert_weights,
            read_checkpoint,
        )

        directory = resolve_checkpoint(name_or_dir, revision=revision, cache_dir=cache_dir)
        config, tensors = read_checkpoint(directory)
        if "classifier.weight" not in tensors:
            raise CheckpointMismatchError(
                f"Checkpoint {directory} has no classification head (classifier.weight/bias): "
                f"text classification needs a BertForSequenceClassification checkpoint.")
        kwargs.setdefault("num_labels", tensors["classifier.weight"].shape[0])
        check_checkpoint(config, tensors, directory, num_labels=kwargs["num_labels"])
        kwargs.setdefault("initializer", "zeros")  # every weight is overwritten
        model = cls(config, **kwargs)
        model.build(None)
        model.built = True
        load_bert_weights(model.bert, tensors, directory, classifier=model.classifier)
        return model


def _array(x):
    return np.asarray(data_of(x))


def _merge_inputs(inputs, attention_mask, token_type_ids):
    """The three inputs from the first argument (ids, a list or a tokenizer's dict) and the
    keywords; a value given both ways is an error."""
    ids, mask, types = _unpack_inputs(inputs)
    for name, given, keyword in (("attention_mask", mask, attention_mask),
                                 ("token_type_ids", types, token_type_ids)):
        if given is not None and keyword is not None:
            raise ValueError(f"BERT received {name} both inside the inputs and as a keyword "
                             f"argument; pass it once.")
    return ids, mask if attention_mask is None else attention_mask, (
        types if token_type_ids is None else token_type_ids)


def _unpack_inputs(inputs, shapes=False):
    """``(input_ids, attention_mask, token_type_ids)`` from a list, a dict or ids alone."""
    if isinstance(inputs, dict):
        unknown = set(inputs) - {"input_ids", "attention_mask", "token_type_ids"}
        if unknown or "input_ids" not in inputs:
            raise ValueError(f"BERT dict inputs take 'input_ids' (required), 'attention_mask' "
                             f"and 'token_type_ids'; received keys {sorted(inputs)}.")
        return (inputs["input_ids"], inputs.get("attention_mask"), inputs.get("token_type_ids"))
    single = (isinstance(inputs, tuple) and all(isinstance(s, int | type(None)) for s in inputs)
              if shapes else not isinstance(inputs, list | tuple))
    if single:
        return inputs, None, None
    if not 1 <= len(inputs) <= 3:
        raise ValueError(f"BERT takes [input_ids, attention_mask] or [input_ids, attention_mask, "
                         f"token_type_ids]; received {len(inputs)} inputs.")
    inputs = list(inputs) + [None] * (3 - len(inputs))
    return inputs[0], inputs[1], inputs[2]
