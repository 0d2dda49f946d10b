"""``numdeep.tree`` against ``keras.tree`` (torch backend) on the same structures: leaves, paths,
rebuilt structures (key order included) and error types. Skips without Keras."""

import collections
import os

os.environ["KERAS_BACKEND"] = "torch"

import pytest  # noqa: E402

pytest.importorskip("torch")
keras = pytest.importorskip("keras")

from numdeep import tree  # noqa: E402

Point = collections.namedtuple("Point", ["x", "y"])
# Keras on torch sorts only the outermost dict of a dict-in-dict (its `_dict_to_ordered_dict`
# stops there); numdeep sorts at every depth, as Keras's optree and dm-tree backends do. The
# structures below keep dicts out of dicts so that both rules give the same answer.
STRUCTURES = [
    1, None, "s", [], (), {}, [1, [2, (3,)]], {"b": 1, "a": 2},
    collections.OrderedDict([("b", 1), ("a", 2)]),
    collections.defaultdict(int, [("b", 1), ("a", 2)]),
    collections.deque([1, 2]), Point(y=2, x=1),
    ({"b": [2, 3], "a": (1,)}, Point(y=[4], x=5), [{"d": 6, "c": 7}], None),
    {"z": (1, None), "y": [(2, 3), 4], "x": Point(5, [6])},
]


def _same(a, b):
    assert a == b and type(a) is type(b)
    if isinstance(a, dict):
        assert list(a) == list(b)  # key order too
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, list | tuple | collections.deque):
        for x, y in zip(a, b):
            _same(x, y)


@pytest.mark.parametrize("structure", STRUCTURES, ids=repr)
def test_same_leaves_paths_and_rebuilt_structures(structure):
    _same(tree.flatten(structure), keras.tree.flatten(structure))
    _same(tree.flatten_with_path(structure), keras.tree.flatten_with_path(structure))
    _same(tree.is_nested(structure), keras.tree.is_nested(structure))
    count = len(tree.flatten(structure))
    flat = [f"leaf{i}" for i in range(count)]
    _same(tree.pack_sequence_as(structure, flat), keras.tree.pack_sequence_as(structure, flat))
    _same(tree.map_structure(repr, structure), keras.tree.map_structure(repr, structure))
    _same(tree.map_structure(lambda a, b: (a, b), structure, structure),
          keras.tree.map_structure(lambda a, b: (a, b), structure, structure))
    _same(tree.lists_to_tuples(structure), keras.tree.lists_to_tuples(structure))
    _same(tree.map_shape_structure(repr, structure),
          keras.tree.map_shape_structure(repr, structure))


@pytest.mark.parametrize("a, b", [
    ((1, 2), [1, 2]), ([1, 2], [1]), ({"a": 1}, {"b": 1}), ([], 1), (1, []),
    (Point(1, 2), (1, 2)), ({"a": 1}, collections.OrderedDict(a=1)), ([1, [2]], [3, [4]]),
])
def test_same_structure_verdicts_and_messages(a, b):
    def outcome(fn):
        try:
            fn(a, b)
        except ValueError as e:
            return str(e).replace("<function namedtuple", "namedtuple")
        return None

    ours, theirs = outcome(tree.assert_same_structure), outcome(keras.tree.assert_same_structure)
    assert (ours is None) == (theirs is None)
    if ours is not None and "namedtuple" not in theirs:
        assert ours == theirs
