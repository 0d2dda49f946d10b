"""Model outputs as in ``transformers``: dicts whose items are also attributes and positions.

``out.last_hidden_state``, ``out["last_hidden_state"]`` and ``out[0]`` are the same value
(positions follow the fields in the order the model filled them, like ``ModelOutput``'s
``to_tuple()``). Each class is a nested structure for ``numdeep.tree`` (values by sorted key,
like a dict), so it can be a layer's output in functional models and ``fit``.

Example:
    >>> from numdeep.pretrained import BertOutput
    >>> out = BertOutput(last_hidden_state=1, pooler_output=2)
    >>> out.pooler_output, out["last_hidden_state"], out[1], out.to_tuple()
    (2, 1, 2, (1, 2))
"""

from numdeep import tree

__all__ = ["ModelOutput", "BertOutput", "SequenceClassifierOutput"]


class ModelOutput(dict):
    """A dict with attribute access and integer indexing (``transformers.ModelOutput``)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}; it holds "
                                 f"{list(self)}.") from None

    def __getitem__(self, key):
        if isinstance(key, int | slice):
            return self.to_tuple()[key]
        return super().__getitem__(key)

    def to_tuple(self):
        """The values in field order."""
        return tuple(self.values())

    def tree_flatten(self):
        keys = sorted(self)
        return [dict.__getitem__(self, k) for k in keys], keys, keys

    @classmethod
    def tree_unflatten(cls, keys, values):
        return cls(zip(keys, values))


@tree.register_tree_node_class
class BertOutput(ModelOutput):
    """The encoder's outputs: ``last_hidden_state`` ``(batch, steps, hidden)`` and
    ``pooler_output`` ``(batch, hidden)`` (with a pooler)."""


@tree.register_tree_node_class
class SequenceClassifierOutput(ModelOutput):
    """A classifier's outputs: ``logits`` ``(batch, num_labels)``."""
