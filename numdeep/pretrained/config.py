"""``BertConfig``: the hyperparameters of a BERT encoder, read from a checkpoint's
``config.json`` with ``transformers.BertConfig``'s names and defaults."""

import json
import numbers
from dataclasses import asdict, dataclass, field, fields

from numdeep.ops import eager as ops

# transformers' ``hidden_act`` names.
ACTIVATIONS = {
    "gelu": lambda x: ops.gelu(x, approximate=False),
    "gelu_new": lambda x: ops.gelu(x, approximate=True),
    "gelu_pytorch_tanh": lambda x: ops.gelu(x, approximate=True),
    "relu": ops.relu, "tanh": ops.tanh, "silu": ops.silu, "swish": ops.silu,
}


_SIZES = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
          "intermediate_size", "max_position_embeddings", "type_vocab_size")


@dataclass
class BertConfig:
    """Hyperparameters of a BERT encoder, with ``transformers.BertConfig``'s names and defaults.

    Example:
        >>> from numdeep.pretrained import BertConfig
        >>> BertConfig(hidden_size=32, num_attention_heads=4).head_dim
        8
    """

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    position_embedding_type: str = "absolute"
    id2label: dict = field(default_factory=dict)
    problem_type: str | None = None

    def __post_init__(self):
        for name in _SIZES:
            value, least = getattr(self, name), 0 if name == "num_hidden_layers" else 1
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
                raise ValueError(f"BertConfig: {name} must be an integer >= {least}; received "
                                 f"{value!r}.")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(f"BertConfig: hidden_size={self.hidden_size} is not a multiple of "
                             f"num_attention_heads={self.num_attention_heads}.")
        if self.hidden_act not in ACTIVATIONS:
            raise ValueError(f"BertConfig: hidden_act={self.hidden_act!r} is not supported; "
                             f"expected one of {sorted(ACTIVATIONS)}.")
        if self.position_embedding_type != "absolute":
            raise ValueError(f"BertConfig: only position_embedding_type='absolute' is supported; "
                             f"received {self.position_embedding_type!r}.")
        self.id2label = {int(k): v for k, v in (self.id2label or {}).items()}

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_dict(cls, config):
        """Build from a ``config.json`` dict; keys this encoder does not use are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in config.items() if k in names})

    @classmethod
    def from_json_file(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))

    def to_dict(self):
        return asdict(self)
