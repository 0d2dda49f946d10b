"""What counts as a container in a nested structure, and how each kind is taken apart and rebuilt.

A value is a container only if its exact type is one of ``list``, ``tuple``, a namedtuple class,
``collections.deque``, ``dict``, ``OrderedDict``, ``defaultdict``, or a class passed to
``register_tree_node_class``; everything else is a leaf (``None``, strings, sets, arrays,
tensors, and subclasses of the built-in containers that were not registered), as in Keras.
Children come out in *flatten order*: positions for sequences, sorted keys for ``dict`` and
``defaultdict`` (so the order does not depend on how a dict was built), insertion order for
``OrderedDict``.
"""

import collections

# The public names; ``kind_of``, ``mismatch`` and ``describe`` serve the package's other modules.
__all__ = ["is_nested", "register_tree_node_class"]


class _Sequence:
    """``list``, ``tuple``, ``deque`` and namedtuples: children by position."""

    mapping = False

    def __init__(self, make):
        self.make = make

    def children(self, x):
        return x

    def keys(self, x):
        return range(len(x))

    def context(self, x):
        return None

    def rebuild(self, x, children):
        return self.make(x, children)


class _Mapping:
    """``dict``, ``OrderedDict`` and ``defaultdict``: children by key."""

    mapping = True

    def __init__(self, make, sort):
        self.make, self.sort = make, sort

    def keys(self, x):
        if not self.sort:
            return list(x)
        try:
            return sorted(x)
        except TypeError as e:
            raise TypeError(f"Nested structures sort the keys of a dict to flatten it, and these "
                            f"keys cannot be sorted: {list(x)} ({e}).") from None

    def children(self, x):
        return [x[k] for k in self.keys(x)]

    def context(self, x):
        return None

    def rebuild(self, x, children):
        # In flatten order (sorted keys for a dict), as Keras rebuilds dicts on torch.
        return self.make(x, dict(zip(self.keys(x), children)))

    def from_values(self, x, values):
        """A mapping like ``x`` (its type, ``default_factory``) holding ``values`` (a dict, in
        the key order wanted)."""
        return self.make(x, values)


class _Registered:
    """A class passed to ``register_tree_node_class``: Keras's ``tree_flatten`` protocol."""

    mapping = False

    def __init__(self, cls):
        self.cls = cls

    def children(self, x):
        return list(x.tree_flatten()[0])

    def keys(self, x):
        flat = x.tree_flatten()
        if len(flat) > 2 and flat[2] is not None:
            return list(flat[2])
        return range(len(flat[0]))

    def context(self, x):
        return x.tree_flatten()[1]

    def rebuild(self, x, children):
        return self.cls.tree_unflatten(x.tree_flatten()[1], list(children))


NAMEDTUPLE = _Sequence(lambda x, children: type(x)(*children))
_KINDS = {
    list: _Sequence(lambda x, children: list(children)),
    tuple: _Sequence(lambda x, children: tuple(children)),
    collections.deque: _Sequence(lambda x, children: collections.deque(children, x.maxlen)),
    dict: _Mapping(lambda x, values: values, sort=True),
    collections.OrderedDict: _Mapping(lambda x, values: collections.OrderedDict(values),
                                      sort=False),
    collections.defaultdict: _Mapping(
        lambda x, values: collections.defaultdict(x.default_factory, values), sort=True),
}


def _is_namedtuple(x):
    return isinstance(x, tuple) and isinstance(getattr(type(x), "_fields", None), tuple)


def kind_of(x):
    """The container kind of ``x``, or ``None`` when ``x`` is a leaf."""
    kind = _KINDS.get(type(x))
    if kind is None and _is_namedtuple(x):
        return NAMEDTUPLE
    return kind


def is_nested(structure):
    """Whether ``structure`` is a container (a sequence, a mapping, a namedtuple or a
    registered class) rather than a leaf.

    Example:
        >>> from numdeep import tree
        >>> tree.is_nested({"foo": 42}), tree.is_nested(42), tree.is_nested("abc")
        (True, False, False)
    """
    return type(structure) in _KINDS or _is_namedtuple(structure)


def register_tree_node_class(cls):
    """Make instances of ``cls`` containers for every function of ``numdeep.tree``.

    ``cls`` follows Keras's protocol: ``obj.tree_flatten()`` returns ``(children, metadata)``
    or ``(children, metadata, keys)`` (the path keys of the children), and the class method
    ``cls.tree_unflatten(metadata, children)`` builds a new instance. Two instances match in
    ``assert_same_structure`` when their metadata are equal.

    Args:
        cls: the class to register (only that exact class, not its subclasses).

    Returns:
        ``cls``, so this works as a class decorator.

    Example:
        >>> from numdeep import tree
        >>> @tree.register_tree_node_class
        ... class Pair:
        ...     def __init__(self, a, b):
        ...         self.a, self.b = a, b
        ...     def tree_flatten(self):
        ...         return [self.a, self.b], None
        ...     @classmethod
        ...     def tree_unflatten(cls, metadata, children):
        ...         return cls(*children)
        >>> tree.flatten([Pair(1, 2), 3])
        [1, 2, 3]
        >>> tree.map_structure(lambda v: v * 10, Pair(1, 2)).b
        20
    """
    for method in ("tree_flatten", "tree_unflatten"):
        if not callable(getattr(cls, method, None)):
            raise TypeError(f"register_tree_node_class needs a class with `{method}` "
                            f"(Keras's tree protocol). Received: {cls}")
    _KINDS[cls] = _Registered(cls)
    return cls


def describe(value_type):
    """A type as mismatch messages name it (namedtuples say so)."""
    if issubclass(value_type, tuple) and isinstance(getattr(value_type, "_fields", None), tuple):
        return f"namedtuple {value_type!r}"
    return repr(value_type)


def _arity(kind, x):
    return len(kind.children(x)) if isinstance(kind, _Registered) else len(x)


def mismatch(kind, x, other):
    """Why ``other`` is not a container of the same shape as ``x`` (whose kind is ``kind``):
    an error message worded as Keras's, or ``None`` when they match at this level."""
    other_kind = kind_of(other)
    if other_kind is None or kind.mapping != other_kind.mapping or (
            not kind.mapping and type(other) is not type(x)):
        return (f"Node type mismatch; expected {describe(type(x))}, but got "
                f"{describe(type(other))}.")
    arity, other_arity = _arity(kind, x), _arity(other_kind, other)
    if arity != other_arity:
        return f"Node arity mismatch; expected {arity}, but got {other_arity}."
    if kind.mapping and x.keys() != other.keys():
        missing = set(x) - set(other)
        extra = set(other) - set(x)
        return f"Node keys mismatch; missing key(s): {missing}; extra key(s): {extra}."
    if isinstance(kind, _Registered) and kind.context(x) != other_kind.context(other):
        return f"Node context mismatch for custom node type {type(x)!r}."
    return None
