"""Nested structures (lists, tuples, namedtuples, deques, dicts of leaves): Keras's
``keras.tree``.

Models take and return nested inputs and outputs; these functions walk them without knowing what
the leaves are. A dict flattens in sorted-key order (an ``OrderedDict`` in its own order), so a
structure and ``pack_sequence_as`` always agree; ``map_structure`` keeps each dict's own key
order, while the functions that rebuild from flatten order (``pack_sequence_as``, ``traverse``)
return dicts in sorted-key order, as Keras does on torch. What counts as a container is decided
by exact type (``nodes.py``): arrays, tensors, strings, sets and ``None`` are leaves. Nothing here
imports the rest of numdeep.

Example:
    >>> from numdeep import tree
    >>> tree.map_structure(lambda x: x * 10, {"b": [1, 2], "a": (3,)})
    {'b': [10, 20], 'a': (30,)}
    >>> tree.flatten({"b": [1, 2], "a": (3,)})
    [3, 1, 2]
    >>> tree.pack_sequence_as({"b": [0, 0], "a": (0,)}, [3, 1, 2])
    {'a': (3,), 'b': [1, 2]}
"""

from numdeep.tree.mapping import (
    assert_same_paths,
    assert_same_structure,
    map_shape_structure,
    map_structure,
    map_structure_up_to,
)
from numdeep.tree.nodes import is_nested, register_tree_node_class
from numdeep.tree.walk import (
    MAP_TO_NONE,
    flatten,
    flatten_with_path,
    lists_to_tuples,
    pack_sequence_as,
    traverse,
)

__all__ = ["MAP_TO_NONE", "is_nested", "traverse", "flatten", "flatten_with_path",
           "map_structure", "map_structure_up_to", "assert_same_structure", "assert_same_paths",
           "pack_sequence_as", "lists_to_tuples", "map_shape_structure",
           "register_tree_node_class"]
