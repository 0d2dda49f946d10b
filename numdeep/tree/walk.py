"""Taking a nested structure apart and putting it back: ``flatten``, ``flatten_with_path``,
``pack_sequence_as``, ``traverse``, ``lists_to_tuples``."""

from numdeep.tree.nodes import _KINDS, NAMEDTUPLE, _is_namedtuple, kind_of

__all__ = ["MAP_TO_NONE", "flatten", "flatten_with_path", "pack_sequence_as", "traverse",
           "lists_to_tuples"]


class MAP_TO_NONE:  # noqa: N801 (Keras's name)
    """Returned by the function given to ``traverse`` to replace a sub-structure with ``None``
    (returning ``None`` itself means "keep going").

    Example:
        >>> from numdeep import tree
        >>> tree.traverse(lambda x: tree.MAP_TO_NONE if x == (1, 2) else None, [(1, 2), 3])
        [None, 3]
    """


def _flatten_into(x, out):
    kind = _KINDS.get(type(x))
    if kind is None:
        if not _is_namedtuple(x):
            out.append(x)
            return
        kind = NAMEDTUPLE
    for child in kind.children(x):
        if type(child) in _KINDS or isinstance(child, tuple):
            _flatten_into(child, out)
        else:
            out.append(child)


def flatten(structure):
    """The leaves of a nested structure, in flatten order, as a list.

    Sequences give their items in order; a ``dict`` (or ``defaultdict``) gives its values
    sorted by key, so that two dicts with the same keys flatten alike however they were built;
    an ``OrderedDict`` keeps its own order. ``pack_sequence_as`` follows the same order.

    Args:
        structure: a leaf or a nested structure of lists, tuples, namedtuples, deques, dicts.

    Returns:
        A list of the leaves (``[structure]`` for a leaf, ``None`` included).

    Example:
        >>> from numdeep import tree
        >>> tree.flatten([[1, 2, 3], [4, [5], [[6]]]])
        [1, 2, 3, 4, 5, 6]
        >>> tree.flatten({"b": 1, "a": 2}), tree.flatten(None)
        ([2, 1], [None])
    """
    structure_type = type(structure)
    if structure_type is list or structure_type is tuple:
        # The per-batch case (a list of tensors): no call per leaf.
        out = []
        for item in structure:
            if type(item) in _KINDS or isinstance(item, tuple):
                _flatten_into(item, out)
            else:
                out.append(item)
        return out
    if structure_type not in _KINDS and not isinstance(structure, tuple):
        return [structure]
    out = []
    _flatten_into(structure, out)
    return out


def _paths_into(x, prefix, out):
    kind = kind_of(x)
    if kind is None:
        out.append((prefix, x))
        return
    for key, child in zip(kind.keys(x), kind.children(x)):
        _paths_into(child, prefix + (key,), out)


def flatten_with_path(structure):
    """Like ``flatten``, with the path of each leaf: ``(path, leaf)`` pairs, where a path is a
    tuple of positions (sequences, namedtuples included) and keys (mappings).

    Example:
        >>> from numdeep import tree
        >>> tree.flatten_with_path([{"foo": 42, "bar": None}, 7])
        [((0, 'bar'), None), ((0, 'foo'), 42), ((1,), 7)]
    """
    out = []
    _paths_into(structure, (), out)
    return out


def _pack(x, leaves):
    kind = kind_of(x)
    if kind is None:
        return next(leaves)
    return kind.rebuild(x, [_pack(child, leaves) for child in kind.children(x)])


def pack_sequence_as(structure, flat_sequence):
    """The leaves of ``flat_sequence`` put into the nesting of ``structure`` (the inverse of
    ``flatten``, so dict values are taken in sorted-key order). Containers keep their types,
    namedtuples included; dicts come back in flatten (sorted key) order, as in Keras.

    Args:
        structure: the nested structure to copy.
        flat_sequence: as many leaves as ``structure`` holds.

    Returns:
        A new structure shaped like ``structure``.

    Raises:
        TypeError: ``flat_sequence`` is not iterable.
        ValueError: it does not hold exactly as many leaves as ``structure``.

    Example:
        >>> from numdeep import tree
        >>> tree.pack_sequence_as({"key3": "", "key1": "", "key2": ""}, ["v1", "v2", "v3"])
        {'key1': 'v1', 'key2': 'v2', 'key3': 'v3'}
        >>> tree.pack_sequence_as((("a", "b"), "c"), [1.0, 2.0, 3.0])
        ((1.0, 2.0), 3.0)
    """
    flat = list(flat_sequence)
    count = len(flatten(structure))
    if len(flat) != count:
        raise ValueError(f"pack_sequence_as: `flat_sequence` has {len(flat)} leaves, but the "
                         f"structure holds {count}. Received: structure={structure!r}")
    return _pack(structure, iter(flat))


def _rebuilt_children(func, x, top_down):
    kind = kind_of(x)
    if kind is None:
        return x
    return kind.rebuild(x, [traverse(func, child, top_down) for child in kind.children(x)])


def traverse(func, structure, top_down=True):
    """Call ``func`` on every sub-structure (containers and leaves), depth first, children in
    flatten order, and return the structure with the replacements ``func`` asked for.

    Top-down (parents first): ``func`` returning ``None`` means "go into this sub-structure";
    anything else replaces it (and its children are not visited). Bottom-up: children are
    traversed first and ``func`` sees the rebuilt parent; ``None`` keeps it. Return
    ``MAP_TO_NONE`` to replace a sub-structure with ``None``. Rebuilt dicts are in flatten
    (sorted key) order, as in Keras.

    Raises:
        TypeError: ``func`` is not callable.

    Example:
        >>> from numdeep import tree
        >>> seen = []
        >>> tree.traverse(seen.append, [(1, 2), {"a": 3}])
        [(1, 2), {'a': 3}]
        >>> seen
        [[(1, 2), {'a': 3}], (1, 2), 1, 2, {'a': 3}, 3]
        >>> tree.traverse(lambda x: "T" if isinstance(x, tuple) else None, [(1, 2), [3]])
        ['T', [3]]
    """
    if top_down:
        replaced = func(structure)
        if replaced is None:
            return _rebuilt_children(func, structure, top_down)
    else:
        structure = _rebuilt_children(func, structure, top_down)
        replaced = func(structure)
        if replaced is None:
            return structure
    return None if replaced is MAP_TO_NONE else replaced


def _list_to_tuple(x):
    return tuple(x) if isinstance(x, list) else None


def lists_to_tuples(structure):
    """The structure with every list (at any depth) turned into a tuple.

    Example:
        >>> from numdeep import tree
        >>> tree.lists_to_tuples({"b": (3,), "a": [1, [2]]})
        {'a': (1, (2,)), 'b': (3,)}
    """
    return traverse(_list_to_tuple, structure, top_down=False)
