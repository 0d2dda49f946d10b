"""Walking several nested structures together: ``map_structure`` (and its variants) and the
structure checks."""

import warnings

from numdeep.tree.nodes import _KINDS, NAMEDTUPLE, _is_namedtuple, is_nested, kind_of, mismatch
from numdeep.tree.walk import flatten_with_path

__all__ = ["map_structure", "map_structure_up_to", "map_shape_structure",
           "assert_same_structure", "assert_same_paths"]


def _map_one(func, x):
    """``map_structure(func, x)`` with the default options: the per-batch path, which calls
    itself only for nested containers."""
    kind = _KINDS.get(type(x))
    if kind is None:
        if not _is_namedtuple(x):
            return func(x)
        kind = NAMEDTUPLE
    if kind.mapping:
        values = {}
        for k in kind.keys(x):
            v = x[k]
            values[k] = func(v) if type(v) not in _KINDS and not isinstance(v, tuple) else \
                _map_one(func, v)
        return kind.from_values(x, {k: values[k] for k in x})
    out = [func(c) if type(c) not in _KINDS and not isinstance(c, tuple) else _map_one(func, c)
           for c in kind.children(x)]
    x_type = type(x)
    if x_type is list:
        return out
    return tuple(out) if x_type is tuple else kind.rebuild(x, out)


def _map(func, structures, none_is_leaf, is_leaf, own_order=True):
    x = structures[0]
    if is_leaf is not None and is_leaf(x):
        return func(*structures)
    kind = kind_of(x)
    if kind is None:
        if x is None and not none_is_leaf:
            if any(s is not None for s in structures):
                raise ValueError(f"Structure mismatch: some arguments are None, others are "
                                 f"not. Received arguments: {structures}.")
            return None
        return func(*structures)
    for other in structures[1:]:
        problem = mismatch(kind, x, other)
        if problem is not None:
            raise ValueError(problem)
    if kind.mapping:
        # Matched by key, so a dict and an OrderedDict with another order still pair up.
        values = {k: _map(func, [s[k] for s in structures], none_is_leaf, is_leaf, own_order)
                  for k in kind.keys(x)}
        return kind.from_values(x, {k: values[k] for k in x} if own_order else values)
    columns = zip(*(kind_of(s).children(s) for s in structures))
    return kind.rebuild(x, [_map(func, c, none_is_leaf, is_leaf, own_order) for c in columns])


def map_structure(func, *structures, none_is_leaf=True, is_leaf=None):
    """Apply ``func`` to the leaves of one or more structures of the same nesting and return
    the results in that nesting.

    ``func`` is called in flatten order (dict values by sorted key); the output takes the
    container types of the first structure (namedtuples are rebuilt as the same namedtuple
    class; a dict keeps its own key order). Several structures must have
    the same containers; a ``dict``, an ``OrderedDict`` and a ``defaultdict`` with the same keys
    match, and are paired by key.

    Args:
        func: called with one leaf from each structure.
        *structures: one or more nested structures.
        none_is_leaf: when False, ``None`` leaves stay ``None`` without calling ``func``.
        is_leaf: optional predicate marking a value of the first structure as a leaf even if
            it is a container (numdeep's extension).

    Returns:
        A new structure with ``func``'s results as leaves.

    Raises:
        ValueError: no structure was given, or the structures do not match.
        TypeError: ``func`` is not callable.

    Example:
        >>> import collections
        >>> from numdeep import tree
        >>> tree.map_structure(lambda x, y: x * y, [[1], [2]], [[3], [4]])
        [[3], [8]]
        >>> Foo = collections.namedtuple("Foo", ["a", "b"])
        >>> tree.map_structure(lambda v: v * 2, Foo(a=1, b={"y": 2, "x": 3}))
        Foo(a=2, b={'y': 4, 'x': 6})
    """
    if len(structures) == 1 and none_is_leaf and is_leaf is None:
        x = structures[0]
        if type(x) not in _KINDS and not isinstance(x, tuple):
            return func(x)
        return _map_one(func, x)
    if not structures:
        raise ValueError("Must provide at least one structure")
    return _map(func, structures, none_is_leaf, is_leaf)


def map_structure_up_to(shallow_structure, func, *structures):
    """``map_structure`` down to the leaves of ``shallow_structure`` only: ``func`` receives
    whatever sub-structures of ``structures`` sit at those positions.

    Raises:
        ValueError: no structure was given, or one is shallower than ``shallow_structure``.

    Example:
        >>> from numdeep import tree
        >>> tree.map_structure_up_to([None, None], len, [[1, 1], [2, 2, 2]])
        [2, 3]
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    return _map(lambda _, *values: func(*values), (shallow_structure,) + structures, True, None)


def _is_shape_tuple(x):
    return isinstance(x, list | tuple) and all(isinstance(e, int | type(None)) for e in x)


def map_shape_structure(func, structure):
    """``map_structure`` that treats shapes (lists/tuples of ints and ``None``) as leaves; dicts
    come back in sorted key order, as in Keras.

    Example:
        >>> from numdeep import tree
        >>> tree.map_shape_structure(lambda s: s[1:], {"b": [(2, 4, 5)], "a": (None, 3)})
        {'a': (3,), 'b': [(4, 5)]}
    """
    return _map(func, (structure,), True, _is_shape_tuple, own_order=False)


def _no_deeper(a, b):
    if is_nested(a) or is_nested(b):
        raise ValueError("Structures don't have the same nested structure.")


def assert_same_structure(a, b, check_types=None):
    """Raise ``ValueError`` unless ``a`` and ``b`` nest the same way: the same container types
    at each level (``dict``/``OrderedDict``/``defaultdict`` are interchangeable; ``list``,
    ``tuple``, ``deque`` and each namedtuple class are not), lengths and keys.

    Args:
        a: a nested structure.
        b: another one.
        check_types: deprecated and ignored (as in Keras); use ``assert_same_paths`` for a
            check that ignores sequence types.

    Example:
        >>> from numdeep import tree
        >>> tree.assert_same_structure([(0, 1)], [(2, 3)])
        >>> tree.assert_same_structure([0, 1], (2, 3))
        Traceback (most recent call last):
            ...
        ValueError: Node type mismatch; expected <class 'list'>, but got <class 'tuple'>.
    """
    if check_types is not None:
        advice = (", please remove." if check_types else
                  ". For a looser check, use `keras.tree.assert_same_paths()`, which considers "
                  "`list`, `tuple`, `namedtuple` and `deque` as matching")
        warnings.warn("The `check_types` argument is deprecated and no longer has any effect"
                      + advice, DeprecationWarning, stacklevel=2)
    _map(_no_deeper, (a, b), True, None)


def assert_same_paths(a, b):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same leaf paths (positions and
    keys), whatever their container types.

    Example:
        >>> import collections
        >>> from numdeep import tree
        >>> Point = collections.namedtuple("Point", ["x", "y"])
        >>> tree.assert_same_paths([0, 1], Point(2, 3))
        >>> tree.assert_same_paths({"a": 1}, {"b": 1})
        Traceback (most recent call last):
            ...
        ValueError: `a` and `b` don't have the same paths.
        Paths in `a` missing in `b`:
        {('a',)}
        Paths in `b` missing in `a`:
        {('b',)}
    """
    a_paths = {path for path, _ in flatten_with_path(a)}
    b_paths = {path for path, _ in flatten_with_path(b)}
    if a_paths != b_paths:
        msg = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            msg += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            msg += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(msg)
