"""Nested structures (lists, tuples, dicts of leaves): the helpers Keras calls ``keras.tree``.

Models take and return nested inputs and outputs; these walk them without knowing what the leaves
are. Nothing here imports the rest of numdeep.

Example:
    >>> from numdeep import tree
    >>> tree.map_structure(lambda x: x * 10, {"a": [1, 2], "b": (3,)})
    {'a': [10, 20], 'b': (30,)}
    >>> tree.flatten({"a": [1, 2], "b": (3,)})
    [1, 2, 3]
"""

__all__ = ["map_structure", "flatten"]


def map_structure(fn, *structures, is_leaf=None):
    """Apply ``fn`` to the leaves of nested lists/tuples/dicts, keeping the nesting.

    Args:
        fn: called with one leaf from each structure.
        *structures: structures of the same nesting.
        is_leaf: optional predicate marking a value as a leaf even if it is a list/tuple/dict.
    """
    first = structures[0]
    if is_leaf is not None and is_leaf(first):
        return fn(*structures)
    if isinstance(first, dict):
        return {k: map_structure(fn, *(s[k] for s in structures), is_leaf=is_leaf) for k in first}
    if isinstance(first, list | tuple):
        out = [map_structure(fn, *items, is_leaf=is_leaf) for items in zip(*structures)]
        return out if isinstance(first, list) else tuple(out)
    return fn(*structures)


def flatten(structure):
    """The leaves of nested lists/tuples/dicts, in order (dicts in insertion order)."""
    if isinstance(structure, dict):
        return [x for k in structure for x in flatten(structure[k])]
    if isinstance(structure, list | tuple):
        return [x for item in structure for x in flatten(item)]
    return [structure]
