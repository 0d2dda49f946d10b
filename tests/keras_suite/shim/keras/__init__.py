"""``keras`` as the Keras test files see it, answered by numdeep (test harness only).

Every ``keras`` / ``keras.src.*`` module becomes a thin module whose attributes are looked up in
the numdeep module that plays its part (``MODULES``); a deeper path the table does not name
(``keras.src.layers.core.dense``) looks in its nearest named ancestor, then in numdeep's public
namespaces. Nothing here implements a Keras feature: a name numdeep lacks raises the same
``ImportError``/``AttributeError`` Keras would for a missing name, and the test that needs it
fails. Two kinds of module are real files: numdeep's own ``keras.src.testing`` (next to this
file) and the copied Keras test modules that other test modules import helpers from (found in
the folder named by ``NUMDEEP_KERAS_TESTS``).
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types

# keras module path -> numdeep module path (public names only).
MODULES = {
    "keras": "numdeep",
    "keras.src": "numdeep",
    "keras.src.activations": "numdeep.activations",
    "keras.src.applications": "numdeep.applications",
    "keras.src.applications.imagenet_utils": "numdeep.applications.imagenet_utils",
    "keras.src.backend": "numdeep.backend",
    # The public `keras.backend` too: as a deeper path it would look `backend` up in `numdeep`
    # and find the module where `keras.backend.backend()` wants the function.
    "keras.backend": "numdeep.backend",
    "keras.src.backend.config": "numdeep.backend.config",
    "keras.src.backend.numpy": "numdeep.ops",
    "keras.src.backend.random": "numdeep.random",
    "keras.src.backend.common.keras_tensor": "numdeep.ops.symbolic",
    "keras.src.backend.common.dtypes": "numdeep.backend.dtypes",
    "keras.src.backend.common.variables": "numdeep.autograd",
    "keras.src.backend.common.backend_utils": "numdeep.ops.conv_shapes",
    "keras.src.callbacks": "numdeep.callbacks",
    "keras.src.constraints": "numdeep.constraints",
    "keras.src.initializers": "numdeep.initializers",
    "keras.src.layers": "numdeep.layers",
    "keras.src.layers.core.einsum_dense": "numdeep.layers.einsum_dense",
    "keras.src.layers.rnn": "numdeep.layers.recurrent",
    "keras.src.layers.attention": "numdeep.layers.attention",
    "keras.src.losses": "numdeep.losses",
    "keras.src.metrics": "numdeep.metrics",
    "keras.src.models": "numdeep.models",
    "keras.src.ops": "numdeep.ops",
    "keras.src.ops.image": "numdeep.ops.image",
    "keras.src.optimizers": "numdeep.optimizers",
    "keras.src.optimizers.schedules": "numdeep.optimizers.schedules",
    "keras.src.random": "numdeep.random",
    "keras.src.regularizers": "numdeep.regularizers",
    "keras.src.saving": "numdeep.saving",
    "keras.src.saving.saving_api": "numdeep.saving.api",
    "keras.src.saving.saving_lib": "numdeep.saving.saving_lib",
    "keras.src.saving.serialization_lib": "numdeep.saving.serialization_lib",
    "keras.src.saving.object_registration": "numdeep.registry",
    "keras.src.legacy.saving.legacy_h5_format": "numdeep.saving.legacy_h5",
    "keras.src.tree": "numdeep.tree",
    "keras.src.utils": "numdeep.utils",
    "keras.src.utils.file_utils": "numdeep.utils.file_utils",
    "keras.src.utils.io_utils": "numdeep.utils.io_utils",
    "keras.src.trainers": "numdeep.models",
    "keras.src.trainers.data_adapters": "numdeep.models.data_adapter",
    "keras.src.trainers.compile_utils": "numdeep.models.compile_utils",
    "keras.src.backend.torch.trainer": "numdeep.models.training",
    "keras.src.trainers.epoch_iterator": "numdeep.models.epoch_iterator",
    "keras.src.trainers.data_adapters.array_data_adapter": "numdeep.models.data_adapter",
    "keras.src.trainers.data_adapters.generator_data_adapter": "numdeep.models.data_adapter",
    "keras.src.trainers.data_adapters.py_dataset_adapter": "numdeep.models.data_adapter",
    "keras.src.trainers.data_adapters.torch_data_loader_adapter":
        "numdeep.models.data_adapter",
    "keras.src.backend.common.symbolic_scope": "numdeep.backend.symbolic_scope",
    "keras.src.backend.common.remat": "numdeep.autograd.remat",
    "keras.src.backend.common.global_state": "numdeep.backend",
}
# Names a numdeep module answers under another name (the shim's only renames).
ALIASES = {"keras.src.backend.torch.trainer": {"TorchTrainer": "Trainer"}}
# `backend()` as the test files see it: numdeep's own name, unless the runner runs a file that
# only imports under a Keras backend name (``scope.AS_TORCH``).
_BACKEND_NAME = os.environ.get("NUMDEEP_KERAS_BACKEND_NAME")
_BACKEND_MODULES = ("keras.src.backend", "keras.backend", "keras.src.backend.config")

# Public namespaces searched last, for a name whose module Keras splits differently.
FALLBACK = ("numdeep", "numdeep.layers", "numdeep.ops", "numdeep.models", "numdeep.saving",
            "numdeep.backend", "numdeep.utils", "numdeep.random", "numdeep.callbacks",
            "numdeep.optimizers", "numdeep.losses", "numdeep.metrics", "numdeep.initializers")
_SHIM = os.path.dirname(os.path.abspath(__file__))


def _numdeep_module(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _targets(fullname):
    """The numdeep modules answering for ``fullname``, most specific first."""
    parts = fullname.split(".")
    out = []
    for i in range(len(parts), 0, -1):
        mapped = MODULES.get(".".join(parts[:i]))
        if mapped is not None:
            out.append(mapped)
    out += [m for m in FALLBACK if m not in out]
    return out


def _keras_modules():
    """Every module name of the real Keras package (listed by the runner), so that
    ``from keras.src.layers.activations import relu`` gives the module, not a function."""
    path = os.environ.get("NUMDEEP_KERAS_MODULES")
    if not path or not os.path.exists(path):
        return frozenset()
    with open(path) as f:
        return frozenset(f.read().split())


_KERAS_MODULES = _keras_modules()


class _Proxy(types.ModuleType):
    """A keras module whose public attributes come from numdeep modules."""

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        if attr == "backend" and _BACKEND_NAME and self.__name__ in _BACKEND_MODULES:
            return lambda: _BACKEND_NAME
        if self.__name__ == "keras.src.utils.module_utils":
            # Keras's lazy handles on other frameworks: the harness's stand-ins (a test that
            # uses one is skipped, see ``unavailable.py``).
            import unavailable

            if attr in unavailable.NAMES:
                return unavailable.stand_in(attr)
        alias = ALIASES.get(self.__name__, {}).get(attr)
        if alias is not None:
            attr = alias
        # A named module (``keras.src.backend.random``) wins over a same-named attribute of the
        # parent's numdeep module (``numdeep.backend.random``, the RNG helpers).
        if f"{self.__name__}.{attr}" in _KERAS_MODULES or f"{self.__name__}.{attr}" in MODULES:
            return importlib.import_module(f"{self.__name__}.{attr}")
        for target in _targets(self.__name__):
            module = _numdeep_module(target)
            if module is not None and hasattr(module, attr):
                return getattr(module, attr)
        # A submodule (``from keras.src.layers import core``) is imported on demand; without
        # the runner's module list any name is tried as one (a missing class would then turn
        # into a module, so the list is what makes ``Functional`` fail as a missing name).
        if not _KERAS_MODULES:
            try:
                return importlib.import_module(f"{self.__name__}.{attr}")
            except ImportError:
                pass
        raise AttributeError(f"numdeep has no counterpart of {self.__name__}.{attr}")

    # Setting a name the numdeep module answers for sets it there (a test's
    # `mock.patch.object(saving_lib, "_LIMIT", 64)` must reach the code that reads it); deleting
    # it again (how mock undoes a patch) puts the numdeep value back.
    def __setattr__(self, attr, value):
        owner = None if attr.startswith("__") or attr in self.__dict__ or \
            isinstance(value, types.ModuleType) else self._owner(attr)
        if owner is None:
            return super().__setattr__(attr, value)
        self.__dict__.setdefault("_numdeep_originals", {}).setdefault(
            attr, (owner, getattr(owner, attr)))
        setattr(owner, attr, value)

    def __delattr__(self, attr):
        originals = self.__dict__.get("_numdeep_originals", {})
        if attr in originals:
            owner, value = originals.pop(attr)
            setattr(owner, attr, value)
            return
        super().__delattr__(attr)

    def _owner(self, attr):
        for target in _targets(self.__name__):
            module = _numdeep_module(target)
            if module is not None and hasattr(module, attr):
                return module
        return None


class _Skipper:
    """Stands for a name of an out-of-scope Keras module: using it skips the test."""

    def __init__(self, qualname, reason):
        self._qualname, self._reason = qualname, reason

    def _skip(self, *args, **kwargs):
        import pytest

        pytest.skip(f"out of scope ({self._qualname}): {self._reason}")

    def __getattr__(self, attr):
        if attr.startswith("__"):  # introspection (pytest's `__test__` at collection), not a use
            raise AttributeError(attr)
        in_scope = _in_scope_name(f"{self._qualname}.{attr}")
        if in_scope is not None:
            return in_scope
        self._skip()

    __call__ = _skip
    __iter__ = _skip
    __enter__ = _skip


class _OutOfScope(types.ModuleType):
    """A Keras module that exists only for an out-of-scope feature (see ``scope.py``)."""

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Skipper(f"{self.__name__}.{attr}", self.__reason__)


def _in_scope_name(qualname):
    """A name inside an out-of-scope module that numdeep does answer (``scope.IN_SCOPE_NAMES``:
    e.g. the global dtype policy getter a test's setUp saves and restores)."""
    try:
        import scope
    except ImportError:
        return None
    target = scope.IN_SCOPE_NAMES.get(qualname)
    if target is None:
        return None
    module, _, name = target.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _out_of_scope_reason(fullname):
    try:
        import scope
    except ImportError:
        return None
    for prefix, reason in scope.OUT_OF_SCOPE_MODULES.items():
        if fullname == prefix or fullname.startswith(prefix + "."):
            return reason
    return None


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras" and not fullname.startswith("keras."):
            return None
        real = self._real_file(fullname)
        if real is not None:
            return importlib.util.spec_from_file_location(
                fullname, real[0], submodule_search_locations=real[1])
        if _KERAS_MODULES and fullname.startswith("keras.src.") and \
                fullname not in _KERAS_MODULES and fullname not in MODULES:
            return None  # not a Keras module: `import keras.src.models.Functional` fails
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    @staticmethod
    def _real_file(fullname):
        rel = fullname.split(".")
        roots = [os.path.dirname(_SHIM)]
        if os.environ.get("NUMDEEP_KERAS_TESTS"):
            roots.append(os.environ["NUMDEEP_KERAS_TESTS"])
        for root in roots:
            base = os.path.join(root, *rel)
            if os.path.isfile(os.path.join(base, "__init__.py")) and fullname != "keras":
                return os.path.join(base, "__init__.py"), [base]
            if os.path.isfile(base + ".py"):
                return base + ".py", None
        return None

    def create_module(self, spec):
        reason = _out_of_scope_reason(spec.name)
        module = _Proxy(spec.name) if reason is None else _OutOfScope(spec.name)
        module.__path__ = []
        if reason is not None:
            module.__reason__ = reason
        return module

    def exec_module(self, module):
        pass


def _install():
    finder = _Finder()
    sys.meta_path.insert(0, finder)
    module = finder.create_module(importlib.machinery.ModuleSpec("keras", finder))
    module.__file__ = __file__
    return module


# This file is what `import keras` finds first on sys.path; it hands `keras` to the proxy.
sys.modules["keras"] = _install()
