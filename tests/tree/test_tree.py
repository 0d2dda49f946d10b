"""``numdeep.tree``: what is a container, flatten order (sorted dict keys, OrderedDict in its own
order), rebuilding (namedtuples, deques, defaultdicts, registered classes), parallel mapping and
the structure checks with Keras's error wording."""

import collections
import warnings
from collections import OrderedDict, defaultdict, deque

import numpy as np
import pytest

from numdeep import tree
from numdeep.autograd import Tensor
from numdeep.ops.symbolic import KerasTensor

Point = collections.namedtuple("Point", ["x", "y"])
OtherPoint = collections.namedtuple("OtherPoint", ["x", "y"])


@tree.register_tree_node_class
class Box:
    """A registered container: two children and a label that must match."""

    def __init__(self, label, a, b):
        self.label, self.a, self.b = label, a, b

    def tree_flatten(self):
        return [self.a, self.b], self.label, ["a", "b"]

    @classmethod
    def tree_unflatten(cls, label, children):
        return cls(label, *children)


def test_leaves_and_containers():
    for leaf in (1, None, "abc", b"x", {1, 2}, np.ones(3), Tensor(np.ones(2)),
                 KerasTensor((None, 2))):
        assert not tree.is_nested(leaf)
        assert tree.flatten(leaf) == [leaf]
    class MyList(list):  # an unregistered subclass stays a leaf, as in Keras
        pass
    assert not tree.is_nested(MyList([1]))
    for nested in ([], (), deque(), Point(1, 2), {}, OrderedDict(), defaultdict(int),
                   Box("k", 1, 2)):
        assert tree.is_nested(nested)


def test_flatten_sorts_dict_keys_but_keeps_ordered_dict_order():
    assert tree.flatten({"b": 1, "a": 2}) == [2, 1]
    assert tree.flatten(OrderedDict([("b", 1), ("a", 2)])) == [1, 2]
    assert tree.flatten(defaultdict(int, [("b", 1), ("a", 2)])) == [2, 1]
    assert tree.flatten({100: "world", 6: "hello"}) == ["hello", "world"]
    # Sorted at every depth.
    assert tree.flatten([{"b": {"d": 1, "c": 2}, "a": 0}, (3, Point(y=5, x=4))]) == \
        [0, 2, 1, 3, 4, 5]
    assert tree.flatten([None, [None]]) == [None, None]
    with pytest.raises(TypeError, match="cannot be sorted"):
        tree.flatten({1: "a", "b": 2})


def test_flatten_with_path():
    assert tree.flatten_with_path(7) == [((), 7)]
    assert tree.flatten_with_path({"b": [1, {"z": 3, "y": 4}], "a": 2}) == [
        (("a",), 2), (("b", 0), 1), (("b", 1, "y"), 4), (("b", 1, "z"), 3)]
    assert tree.flatten_with_path(Point(y=2, x=1)) == [((0,), 1), ((1,), 2)]
    assert tree.flatten_with_path(Box("k", 5, 6)) == [(("a",), 5), (("b",), 6)]


def test_pack_sequence_as_inverts_flatten():
    structure = ({"b": [20, 30], "a": (10,)}, Point(y=90, x=80), deque([1], maxlen=3), 100)
    packed = tree.pack_sequence_as(structure, [1, 2, 3, 4, 5, 6, 7])
    assert packed == ({"a": (1,), "b": [2, 3]}, Point(x=4, y=5), deque([6]), 7)
    assert type(packed[1]) is Point and packed[2].maxlen == 3
    assert list(packed[0]) == ["a", "b"]  # rebuilt in flatten order, as Keras on torch
    ordered = tree.pack_sequence_as(OrderedDict([("b", 0), ("a", 0)]), [1, 2])
    assert list(ordered.items()) == [("b", 1), ("a", 2)]
    factory = tree.pack_sequence_as(defaultdict(list, {"b": 0, "a": 0}), [1, 2])
    assert factory == {"a": 1, "b": 2} and factory.default_factory is list
    assert tree.pack_sequence_as(10, [1]) == 1
    box = tree.pack_sequence_as(Box("k", 0, 0), ["p", "q"])
    assert (box.label, box.a, box.b) == ("k", "p", "q")
    values = [np.ones(2), np.zeros(2), np.full(2, 2.0)]
    assert tree.flatten(tree.pack_sequence_as({"b": 0, "c": 0, "a": 0}, values)) == values


def test_pack_sequence_as_errors():
    with pytest.raises(TypeError, match="not iterable"):
        tree.pack_sequence_as([10, 20], 1)
    with pytest.raises(ValueError, match="has 0 leaves, but the structure holds 1"):
        tree.pack_sequence_as(10, [])
    with pytest.raises(ValueError, match="has 3 leaves, but the structure holds 2"):
        tree.pack_sequence_as([10, 20], [1, 2, 3])


def test_map_structure_values_types_and_key_order():
    out = tree.map_structure(lambda v: v * 10, {"b": [1, (2, Point(3, 4))], "a": deque([5])})
    assert out == {"b": [10, (20, Point(30, 40))], "a": deque([50])}
    assert list(out) == ["b", "a"]  # the input dict's own key order
    assert type(out["b"][1][1]) is Point and type(out["a"]) is deque
    assert tree.map_structure(lambda v: v + 1, 1) == 2
    assert tree.map_structure(lambda v: v, None) is None
    # Called in flatten order (sorted keys).
    calls = []
    tree.map_structure(calls.append, {"b": 1, "a": 2, "c": [3]})
    assert calls == [2, 1, 3]
    box = tree.map_structure(lambda v: -v, Box("k", 1, 2))
    assert (box.label, box.a, box.b) == ("k", -1, -2)


def test_map_structure_with_several_structures_pairs_dicts_by_key():
    out = tree.map_structure(lambda a, b: a + b, {"a": 1, "b": 2},
                             OrderedDict([("b", 20), ("a", 10)]))
    assert out == {"a": 11, "b": 22} and type(out) is dict
    out = tree.map_structure(lambda a, b: a + b, OrderedDict([("b", 2), ("a", 1)]),
                             {"a": 10, "b": 20})
    assert list(out.items()) == [("b", 22), ("a", 11)]
    out = tree.map_structure(lambda a, b: a * b, [Point(1, 2)], [Point(3, 4)])
    assert out == [Point(3, 8)] and type(out[0]) is Point


def test_map_structure_options():
    calls = []
    out = tree.map_structure(lambda v: calls.append(v) or 0, [None, 1, (None,)],
                             none_is_leaf=False)
    assert out == [None, 0, (None,)] and calls == [1]
    with pytest.raises(ValueError, match="some arguments are None, others are not"):
        tree.map_structure(lambda a, b: a, [None], [1], none_is_leaf=False)
    # numdeep's `is_leaf`: a shape tuple stays whole.
    out = tree.map_structure(lambda s: s[1:], {"x": (None, 3), "y": [(2, 4)]},
                             is_leaf=lambda v: isinstance(v, tuple))
    assert out == {"x": (3,), "y": [(4,)]}


def test_map_structure_errors_use_keras_wording():
    f = lambda a, b: a  # noqa: E731
    with pytest.raises(ValueError, match="Must provide at least one structure"):
        tree.map_structure(f)
    with pytest.raises(TypeError, match="callable"):
        tree.map_structure("bad", [1])
    with pytest.raises(ValueError, match=r"expected <class 'tuple'>, but got <class 'list'>"):
        tree.map_structure(f, (1,), [1])
    with pytest.raises(ValueError, match=r"expected namedtuple .*Point.*namedtuple .*Other"):
        tree.map_structure(f, Point(1, 2), OtherPoint(1, 2))
    with pytest.raises(ValueError, match="Node arity mismatch; expected 2, but got 1"):
        tree.map_structure(f, [1, 2], [1])
    with pytest.raises(ValueError, match=r"missing key\(s\): \{'a'\}; extra key\(s\): \{'c'\}"):
        tree.map_structure(f, {"a": 1, "b": 2}, {"c": 1, "b": 2})


def test_map_structure_up_to_and_map_shape_structure():
    out = tree.map_structure_up_to(["evens", ["odds", "primes"]],
                                   lambda name, sec: f"{name}:{len(sec)}",
                                   ["evens", ["odds", "primes"]],
                                   [[2, 4, 6], [[1, 3], [3, 5, 7, 11]]])
    assert out == ["evens:3", ["odds:2", "primes:4"]]
    with pytest.raises(ValueError, match="Node type mismatch"):
        tree.map_structure_up_to([None, [None]], len, [[1], 2])
    out = tree.map_shape_structure(lambda s: tuple(s) + (10,),
                                   {"b": [2, 3], "a": (None,), "c": [(1,), [4, None]]})
    assert out == {"a": (None, 10), "b": (2, 3, 10), "c": [(1, 10), (4, None, 10)]}
    assert list(out) == ["a", "b", "c"]


def test_assert_same_structure():
    tree.assert_same_structure([(0, 1)], [(2, 3)])
    tree.assert_same_structure({"a": 1, "b": [2]}, OrderedDict([("b", [0]), ("a", 0)]))
    tree.assert_same_structure(np.ones(3), 5)
    cases = [
        ((1, ()), "Structures don't have the same nested structure."),
        (((), 1), r"Node type mismatch; expected <class 'tuple'>, but got <class 'int'>\."),
        (([], deque()), "expected <class 'list'>, but got <class 'collections.deque'>"),
        ((Point(1, 2), OtherPoint(1, 2)), r"[Ee]xpected.*[. ]Point"),
        (((1, 2), (1,)), "Node arity mismatch"),
        (({"a": 1}, {"b": 1}), "Node keys mismatch"),
        ((Box("k", 1, 2), Box("j", 1, 2)), "Node context mismatch for custom node type"),
    ]
    for (a, b), message in cases:
        with pytest.raises(ValueError, match=message):
            tree.assert_same_structure(a, b)


def test_assert_same_structure_check_types_is_deprecated():
    with pytest.warns(DeprecationWarning, match="no longer has any effect, please remove"):
        tree.assert_same_structure([1], [2], check_types=True)
    with pytest.warns(DeprecationWarning, match="assert_same_paths"):
        tree.assert_same_structure([1], [2], check_types=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tree.assert_same_structure([1], [2])


def test_assert_same_paths_ignores_sequence_types():
    tree.assert_same_paths([1, 2], Point(3, 4))
    tree.assert_same_paths(deque([1]), (2,))
    with pytest.raises(ValueError) as info:
        tree.assert_same_paths({"a": 1}, {"b": [1]})
    assert str(info.value) == ("`a` and `b` don't have the same paths.\n"
                               "Paths in `a` missing in `b`:\n{('a',)}\n"
                               "Paths in `b` missing in `a`:\n{('b', 0)}")


def test_traverse_top_down_and_bottom_up():
    seen = []
    out = tree.traverse(lambda x: seen.append(x), {"b": (1,), "a": [2]})
    assert out == {"a": [2], "b": (1,)} and list(out) == ["a", "b"]
    assert seen == [{"b": (1,), "a": [2]}, [2], 2, (1,), 1]
    structure = [(1, [2]), [3, (4, 5)]]
    assert tree.traverse(lambda x: "X" if isinstance(x, tuple) else None, structure) == \
        ["X", [3, "X"]]
    assert tree.traverse(lambda x: tree.MAP_TO_NONE if isinstance(x, tuple) else None,
                         structure) == [None, [3, None]]
    seen = []
    out = tree.traverse(lambda x: seen.append(x) or (x * 10 if isinstance(x, int) else None),
                        [(1, 2), 3], top_down=False)
    assert out == [(10, 20), 30]
    assert seen == [1, 2, (10, 20), 3, [(10, 20), 30]]
    with pytest.raises(TypeError, match="callable"):
        tree.traverse("bad", [1])


def test_lists_to_tuples():
    assert tree.lists_to_tuples([[1], [2, 3], {"a": [4]}]) == ((1,), (2, 3), {"a": (4,)})
    assert tree.lists_to_tuples(Point([1], 2)) == Point((1,), 2)


def test_register_tree_node_class_checks_the_protocol():
    with pytest.raises(TypeError, match="tree_flatten"):
        tree.register_tree_node_class(type("NoProtocol", (), {}))
