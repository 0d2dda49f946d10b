"""A thin wrapper over the ``tokenizers`` library for BERT checkpoint directories.

``tokenizers`` (Hugging Face's Rust tokenizer, the optional ``numdeep[nlp]`` extra) is imported
only when a tokenizer is created. The checkpoint's ``tokenizer.json`` is used when present, else
its WordPiece ``vocab.txt`` (lower-casing as its ``tokenizer_config.json`` says).
"""

import json
import os

import numpy as np

__all__ = ["Tokenizer", "BertTokenizer", "BertTokenizerFast", "AutoTokenizer"]

_EXTRA_HINT = ("numdeep's tokenizer needs the `tokenizers` package: pip install 'numdeep[nlp]' "
               "(or pip install tokenizers).")


def _import_tokenizers():
    try:
        import tokenizers
    except ImportError as exc:
        raise ImportError(_EXTRA_HINT) from exc
    return tokenizers


def _read_json(path):
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Tokenizer:
    """Turns text into the ``input_ids`` / ``attention_mask`` / ``token_type_ids`` BERT takes.

    Args:
        backend: a ``tokenizers.Tokenizer``.
        model_max_length: the longest sequence ``truncation`` allows by default.
        pad_token: the padding token (its id pads ``input_ids``).

    Example:
        >>> import os, tempfile
        >>> from numdeep.pretrained import Tokenizer
        >>> d = tempfile.mkdtemp()
        >>> with open(os.path.join(d, "vocab.txt"), "w") as f:
        ...     _ = f.write("\\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world"]))
        >>> tok = Tokenizer.from_pretrained(d)
        >>> tok(["Hello world", "hello"])["input_ids"].tolist()
        [[2, 4, 5, 3], [2, 4, 3, 0]]
    """

    def __init__(self, backend, model_max_length=512, pad_token="[PAD]"):
        self.backend = backend
        self.model_max_length = int(model_max_length)
        self.pad_token = pad_token
        self.pad_token_id = backend.token_to_id(pad_token)
        if self.pad_token_id is None:
            raise ValueError(f"Tokenizer: padding token {pad_token!r} is not in the vocabulary.")

    @classmethod
    def from_pretrained(cls, name_or_dir, model_max_length=None, revision=None, cache_dir=None):
        """Load the tokenizer of a checkpoint.

        Args:
            name_or_dir: a folder holding ``tokenizer.json`` or ``vocab.txt`` (and optionally
                ``tokenizer_config.json``), or a model name found in the Hugging Face cache or
                downloaded (see ``numdeep.pretrained.hub``).
            model_max_length: override the maximum length (default: the config's, else 512).
            revision, cache_dir: the hub revision and cache folder, for names.

        Raises:
            FileNotFoundError: no such checkpoint, or neither tokenizer file is in it.
            ImportError: the ``tokenizers`` package is not installed (the ``nlp`` extra).
        """
        from numdeep.pretrained.hub import resolve_checkpoint

        directory = resolve_checkpoint(name_or_dir, revision=revision, cache_dir=cache_dir)
        tok_json = os.path.join(directory, "tokenizer.json")
        vocab = os.path.join(directory, "vocab.txt")
        if not os.path.isfile(tok_json) and not os.path.isfile(vocab):
            raise FileNotFoundError(
                f"No tokenizer.json or vocab.txt in {directory} (a tokenizer is needed to turn "
                f"text into token ids; copy the checkpoint's tokenizer files there).")
        tokenizers = _import_tokenizers()
        config = _read_json(os.path.join(directory, "tokenizer_config.json"))
        if os.path.isfile(tok_json):
            backend = tokenizers.Tokenizer.from_file(tok_json)
        else:
            backend = tokenizers.BertWordPieceTokenizer(
                vocab, lowercase=bool(config.get("do_lower_case", True)),
                strip_accents=config.get("strip_accents"),
                handle_chinese_chars=bool(config.get("tokenize_chinese_chars", True)))
        max_len = model_max_length or config.get("model_max_length") or 512
        if max_len > 100_000:  # transformers' "no limit" sentinel
            max_len = 512
        return cls(backend, model_max_length=max_len, pad_token=config.get("pad_token", "[PAD]"))

    @property
    def vocab_size(self):
        return self.backend.get_vocab_size()

    def __call__(self, text, text_pair=None, padding=True, truncation=True, max_length=None,
                 return_tensors="np"):
        """Tokenize one text or a list of texts (optionally paired with ``text_pair``).

        Args:
            text: a string or a list of strings.
            text_pair: a second segment per text (``token_type_ids`` 1), or None.
            padding: ``True``/``"longest"`` pads to the longest text, ``"max_length"`` to
                ``max_length``; ``False`` requires equal lengths.
            truncation: cut texts to ``max_length`` (default ``model_max_length``).
            max_length: the length limit for truncation and ``"max_length"`` padding.
            return_tensors: ``"np"`` (int64 arrays); ``"tf"`` (from TensorFlow snippets) gives
                the same NumPy arrays, which numdeep models take.

        Returns:
            ``{"input_ids", "attention_mask", "token_type_ids"}``, each ``(batch, steps)``.
        """
        if return_tensors not in ("np", "tf", None):
            raise ValueError(f"Tokenizer returns NumPy arrays; received "
                             f"return_tensors={return_tensors!r}.")
        if padding not in (True, False, "longest", "max_length"):
            raise ValueError(f"Tokenizer padding must be True, False, 'longest' or 'max_length'; "
                             f"received {padding!r}.")
        texts = [text] if isinstance(text, str) else list(text)
        pairs = None
        if text_pair is not None:
            pairs = [text_pair] if isinstance(text_pair, str) else list(text_pair)
            if len(pairs) != len(texts):
                raise ValueError(f"Tokenizer: {len(texts)} texts but {len(pairs)} text pairs.")
        limit = int(max_length or self.model_max_length)
        b = self.backend
        if truncation:
            b.enable_truncation(limit)
        else:
            b.no_truncation()
        if padding == "max_length":
            b.enable_padding(pad_id=self.pad_token_id, pad_token=self.pad_token, length=limit)
        elif padding:
            b.enable_padding(pad_id=self.pad_token_id, pad_token=self.pad_token)
        else:
            b.no_padding()
        batch = b.encode_batch(list(zip(texts, pairs)) if pairs else texts)
        lengths = {len(e.ids) for e in batch}
        if len(lengths) > 1:
            raise ValueError("Tokenizer: texts have different lengths; pass padding=True.")
        return {key: np.array([getattr(e, attr) for e in batch], dtype=np.int64).reshape(
                    len(batch), -1)
                for key, attr in (("input_ids", "ids"), ("attention_mask", "attention_mask"),
                                  ("token_type_ids", "type_ids"))}

    def encode(self, text):
        """The token ids of one text (with ``[CLS]``/``[SEP]``), no padding."""
        return self(text, padding=False)["input_ids"][0].tolist()

    def decode(self, ids, skip_special_tokens=True):
        """Text for a sequence of token ids."""
        return self.backend.decode([int(i) for i in ids], skip_special_tokens=skip_special_tokens)


# transformers' names, so its snippets run with the import line changed.
BertTokenizer = BertTokenizerFast = AutoTokenizer = Tokenizer
