"""Stand-ins for frameworks some Keras test files import at module level but this harness does
not install (JAX, TensorFlow, SciPy, pandas, Orbax, Grain). Harness only.

``install()`` (called by the run's ``conftest.py``) lets a *test file* import them, so the file's
other tests can run; a test that actually uses one (``tf.data.Dataset``, ``jax.numpy``) is
skipped, as Keras skips its tests for another backend. Library code (Keras's own lazy imports,
numdeep) still finds them missing, so nothing else changes behaviour.
"""

import importlib.abc
import importlib.machinery
import sys
import types

NAMES = ("jax", "tensorflow", "scipy", "pandas", "orbax", "grain")


class _Unavailable:
    def __init__(self, name):
        self._name = name

    def _skip(self, *args, **kwargs):
        import pytest

        pytest.skip(f"needs {self._name.split('.')[0]}, which is not installed")

    # `isinstance(x, tf.SparseTensor)` uses the framework too (and without these, a stand-in
    # that answers no dunder makes it a TypeError instead of a skip).
    __call__ = __iter__ = __enter__ = __instancecheck__ = __subclasscheck__ = _skip

    def __getattr__(self, attr):
        # pytest inspects module-level names (`inspect.unwrap` asks for `__wrapped__`): a
        # dunder lookup must not skip the whole file.
        if attr.startswith("__"):
            raise AttributeError(attr)
        return self._skip()

    def __mro_entries__(self, bases):
        return (object,)


def stand_in(name):
    """The stand-in for framework ``name`` (what ``keras.src.utils.module_utils`` gives)."""
    return _Unavailable(name)


class _Module(types.ModuleType):
    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return sys.modules.get(f"{self.__name__}.{attr}") or _Unavailable(
            f"{self.__name__}.{attr}")


def _imported_by_a_test_file():
    """Whether the import statement being run is in a test module (not in Keras itself)."""
    frame = sys._getframe(2)
    while frame is not None and (frame.f_code.co_filename.startswith("<frozen importlib")
                                 or frame.f_code.co_filename.endswith("importlib/__init__.py")):
        frame = frame.f_back
    return frame is not None and frame.f_code.co_filename.endswith("_test.py")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in NAMES and _imported_by_a_test_file():
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Module(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def install():
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
