"""What a layer owns: the layers, weights, seed generators and metrics assigned to it.

Assigning one of those to an attribute of a layer (``self.dense = Dense(4)``) adds it to the
layer's collections, which ``weights``, ``variables``, ``metrics`` and saving walk. A list or dict
assigned to an attribute becomes a ``TrackedList``/``TrackedDict``, so what is appended later
(``self.blocks.append(Dense(4))`` in a loop) is owned too, and what is removed stops being
owned. Once a layer is built its ``Tracker`` is locked: new state then has to be created in
``__init__`` or ``build``, as Keras requires.

Example:
    >>> import numdeep as nd
    >>> class Stack(nd.layers.Layer):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.blocks = []
    ...         for units in (4, 2):
    ...             self.blocks.append(nd.layers.Dense(units))
    ...     def call(self, x):
    ...         for block in self.blocks:
    ...             x = block(x)
    ...         return x
    >>> layer = Stack()
    >>> _ = layer(nd.ops.ones((1, 3)))
    >>> len(layer.trainable_weights)
    4
"""

from numdeep import tree

__all__ = ["Tracker", "TrackedList", "TrackedDict", "LOCKED_MESSAGE"]

LOCKED_MESSAGE = ("You cannot add new elements of state (variables or sub-layers) to a layer "
                  "that is already built. All state must be created in the `__init__()` method "
                  "or in the `build()` method.")


class Tracker:
    """Whether a layer may still take on new state (``locked`` after ``build``)."""

    def __init__(self):
        self.locked = False
        self.message = LOCKED_MESSAGE

    def lock(self, msg=None):
        self.locked = True
        if msg is not None:
            self.message = msg

    def unlock(self):
        self.locked = False


@tree.register_tree_node_class
class TrackedList(list):
    """A list attribute of a layer: items added later are tracked, removed ones untracked."""

    def __init__(self, values=(), owner=None):
        super().__init__(values)
        self._owner = owner

    def _add(self, value):
        if self._owner is not None:
            self._owner._track(value)
        return value

    def _drop(self, value):
        if self._owner is not None:
            self._owner._untrack(value)

    def append(self, value):
        super().append(self._add(value))

    def insert(self, index, value):
        super().insert(index, self._add(value))

    def extend(self, values):
        values = list(values)
        for v in values:
            self._add(v)
        super().extend(values)

    def __iadd__(self, values):
        self.extend(values)
        return self

    def __setitem__(self, index, value):
        old = self[index]
        if isinstance(index, slice):
            for v in value:
                self._add(v)
            for v in old:
                self._drop(v)
        else:
            self._add(value)
            self._drop(old)
        super().__setitem__(index, value)

    def __delitem__(self, index):
        old = self[index]
        super().__delitem__(index)
        for v in old if isinstance(index, slice) else [old]:
            self._drop(v)

    def remove(self, value):
        super().remove(value)
        self._drop(value)

    def pop(self, index=-1):
        value = super().pop(index)
        self._drop(value)
        return value

    def clear(self):
        for v in self:
            self._drop(v)
        super().clear()

    def __reduce__(self):
        return (TrackedList, (list(self), self._owner))

    def tree_flatten(self):
        return list(self), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return list(children)


@tree.register_tree_node_class
class TrackedDict(dict):
    """A dict attribute of a layer: values added later are tracked, removed ones untracked."""

    def __init__(self, values=(), owner=None):
        super().__init__(values)
        self._owner = owner

    def __setitem__(self, key, value):
        if self._owner is not None:
            self._owner._track(value)
            if key in self:
                self._owner._untrack(self[key])
        super().__setitem__(key, value)

    def __delitem__(self, key):
        value = self[key]
        super().__delitem__(key)
        if self._owner is not None:
            self._owner._untrack(value)

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key, *default):
        if key not in self:
            return super().pop(key, *default)
        value = self[key]
        del self[key]
        return value

    def clear(self):
        for key in list(self):
            del self[key]

    def __reduce__(self):
        return (TrackedDict, (dict(self), self._owner))

    def tree_flatten(self):
        try:
            keys = sorted(self)
        except TypeError:  # keys of mixed types: insertion order
            keys = list(self)
        return [self[k] for k in keys], keys, keys

    @classmethod
    def tree_unflatten(cls, keys, children):
        return dict(zip(keys, children))
