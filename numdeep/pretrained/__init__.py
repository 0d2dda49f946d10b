"""Pretrained Transformer encoders: Hugging Face BERT checkpoints on numdeep layers.

``BertModel.from_pretrained(directory)`` loads ``config.json`` + ``model.safetensors`` (never a
pickle), ``Tokenizer.from_pretrained(directory)`` wraps the ``tokenizers`` library (the optional
``numdeep[nlp]`` extra), and ``pipeline(task, model=directory)`` gives sentence embeddings and
text classification in one call.

Example:
    >>> import numpy as np
    >>> from numdeep.pretrained import BertConfig, BertModel
    >>> bert = BertModel(BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1,
    ...                             num_attention_heads=2, intermediate_size=16))
    >>> bert([np.array([[1, 2, 3]]), np.array([[1, 1, 0]])])["last_hidden_state"].shape
    (1, 3, 8)
"""

from numdeep.pretrained.bert import (
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    BertOutput,
)
from numdeep.pretrained.pipeline import pipeline
from numdeep.pretrained.safetensors import load_file, save_file
from numdeep.pretrained.tokenizer import Tokenizer
from numdeep.pretrained.weights import CheckpointMismatchError

__all__ = [
    "BertConfig", "BertForSequenceClassification", "BertModel", "BertOutput",
    "CheckpointMismatchError", "Tokenizer", "load_file", "pipeline", "save_file",
]
