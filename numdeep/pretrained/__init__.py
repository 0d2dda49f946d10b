"""Pretrained Transformer encoders: Hugging Face BERT checkpoints on numdeep layers.

``BertModel.from_pretrained(name_or_dir)`` loads ``config.json`` + ``model.safetensors`` (never a
pickle) from a folder or, by model name, from the Hugging Face cache (downloading with the
optional ``huggingface_hub``: the ``hub`` extra); ``Tokenizer.from_pretrained`` wraps the
``tokenizers`` library (the ``nlp`` extra), and ``pipeline(task, model=...)`` gives sentence
embeddings and text classification in one call. Outputs are dicts with attribute access
(``out.last_hidden_state``, ``out.pooler_output``, ``out.logits``), as in transformers, whose
class names (``TFBertModel``, ``BertTokenizer``, ``AutoTokenizer``...) are aliases here so its
snippets run with the import line changed.

Example:
    >>> import numpy as np
    >>> from numdeep.pretrained import BertConfig, BertModel
    >>> bert = BertModel(BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1,
    ...                             num_attention_heads=2, intermediate_size=16))
    >>> bert(input_ids=np.array([[1, 2, 3]]), attention_mask=np.array([[1, 1, 0]])
    ...      ).last_hidden_state.shape
    (1, 3, 8)
"""

from numdeep.pretrained.bert import (
    BertConfig,
    BertForSequenceClassification,
    BertModel,
)
from numdeep.pretrained.outputs import BertOutput, ModelOutput, SequenceClassifierOutput
from numdeep.pretrained.pipeline import pipeline
from numdeep.pretrained.safetensors import load_file, save_file
from numdeep.pretrained.tokenizer import AutoTokenizer, BertTokenizer, BertTokenizerFast, Tokenizer
from numdeep.pretrained.weights import CheckpointMismatchError

# transformers' class names (its TensorFlow and Auto classes) for the same numdeep models.
TFBertModel = AutoModel = TFAutoModel = BertModel
TFBertForSequenceClassification = BertForSequenceClassification
AutoModelForSequenceClassification = TFAutoModelForSequenceClassification = (
    BertForSequenceClassification)

__all__ = [
    "AutoModel", "AutoModelForSequenceClassification", "AutoTokenizer", "BertConfig",
    "BertForSequenceClassification", "BertModel", "BertOutput", "BertTokenizer",
    "BertTokenizerFast", "CheckpointMismatchError", "ModelOutput", "SequenceClassifierOutput",
    "TFAutoModel", "TFAutoModelForSequenceClassification", "TFBertForSequenceClassification",
    "TFBertModel", "Tokenizer", "load_file", "pipeline", "save_file",
]
