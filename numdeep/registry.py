"""One registry for every kind of serializable object: built-in names, user registrations, and
the ``get``/``serialize``/``deserialize`` trio each kind exposes.

Each kind (activations, initializers, regularizers, losses, metrics, optimizers, schedules,
layers) makes one ``Kind`` and registers its built-in classes and functions under their Keras
names and aliases; its module's ``get``/``serialize``/``deserialize`` are thin wrappers over the
``Kind``. User objects join through ``register_serializable`` (Keras's
``register_keras_serializable``) or are passed as ``custom_objects`` (or inside a
``custom_object_scope``). Nothing is ever imported from a name: a name resolves to an object
someone registered, or it is refused. This module sits at the bottom of the import graph, so
layers and models never need ``numdeep.saving`` to resolve a name.

Example:
    >>> from numdeep import registry
    >>> @registry.register_serializable(package="Docs")
    ... def halve(x):
    ...     return x * 0.5
    >>> registry.get_registered_name(halve)
    'Docs>halve'
    >>> registry.get_registered_object("Docs>halve") is halve
    True
"""

import inspect
import threading

__all__ = [
    "Configurable", "Kind", "register_serializable", "register_keras_serializable",
    "get_registered_name", "get_registered_object", "is_registered", "get_custom_objects",
    "custom_object_scope", "CustomObjectScope", "kind", "KINDS", "GLOBAL_CUSTOM_OBJECTS",
    "GLOBAL_CUSTOM_NAMES",
]

# Keras's two tables: name -> object (what get_custom_objects() returns, registrations included)
# and object -> registered name.
GLOBAL_CUSTOM_OBJECTS = {}
GLOBAL_CUSTOM_NAMES = {}
_SCOPES = threading.local()
KINDS = {}  # kind name -> Kind, in creation order (the order names are looked up in)


# ----- user objects ------------------------------------------------------------------------------
def register_serializable(package="Custom", name=None):
    """Decorator putting a user class or function on the allow-list under ``package>name``.

    Keras's ``register_keras_serializable`` semantics: saved configs carry
    ``"registered_name": "package>name"`` and loading finds the object by that name without
    ``custom_objects``. Classes must implement ``get_config`` (and ``from_config`` when the config
    is not simply the constructor's keyword arguments).

    Args:
        package: the namespace part of the registered name.
        name: the name part (default: the class's or function's ``__name__``).

    Returns:
        A decorator returning the object unchanged.
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_serializable: `package` must be a string without '>'. "
                         f"Received: {package!r}")

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        GLOBAL_CUSTOM_OBJECTS[key] = obj
        GLOBAL_CUSTOM_NAMES[obj] = key
        return obj

    return decorator


register_keras_serializable = register_serializable


def _registered_name(obj):
    try:
        return GLOBAL_CUSTOM_NAMES.get(obj)
    except TypeError:  # an unhashable instance is never registered
        return None


def get_registered_name(obj):
    """The registered name of ``obj`` (``'package>Name'``), else its ``__name__``."""
    return _registered_name(obj) or getattr(obj, "__name__", type(obj).__name__)


def is_registered(obj):
    """Whether ``obj`` was registered with ``register_serializable``."""
    return _registered_name(obj) is not None


def get_custom_objects():
    """The global ``{name: object}`` dict consulted by every lookup (Keras's
    ``get_custom_objects``): registered objects are in it, and adding to it makes a name
    loadable everywhere."""
    return GLOBAL_CUSTOM_OBJECTS


class custom_object_scope:  # noqa: N801 - Keras's name
    """Context manager making ``{name: object}`` resolvable inside its block.

    Example:
        >>> from numdeep import registry
        >>> with registry.custom_object_scope({"my_fn": len}):
        ...     registry.get_registered_object("my_fn") is len
        True
        >>> registry.get_registered_object("my_fn") is None
        True
    """

    def __init__(self, *objects):
        self.objects = {}
        for mapping in objects:
            self.objects.update(mapping or {})

    def __enter__(self):
        stack = getattr(_SCOPES, "stack", None)
        if stack is None:
            stack = _SCOPES.stack = []
        stack.append(self.objects)
        return self

    def __exit__(self, *exc):
        _SCOPES.stack.pop()
        return False


CustomObjectScope = custom_object_scope


def scoped_objects():
    """The objects of the active ``custom_object_scope``s (innermost last wins)."""
    merged = {}
    for mapping in getattr(_SCOPES, "stack", None) or ():
        merged.update(mapping)
    return merged


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object given in ``custom_objects``, an active ``custom_object_scope``, the global
    custom objects (registrations included) or ``module_objects`` under ``name``; ``None`` when
    there is none."""
    if not isinstance(name, str):
        return None
    for table in (custom_objects, scoped_objects(), GLOBAL_CUSTOM_OBJECTS, module_objects):
        if table and name in table:
            return table[name]
    return None


def find_registered_function(name, module=None):
    """The registered function called ``name`` (and defined in ``module`` when given)."""
    for obj in list(GLOBAL_CUSTOM_OBJECTS.values()):
        if inspect.isfunction(obj) and obj.__name__ == name and module in (None,
                                                                          obj.__module__):
            return obj
    return None


# ----- shared objects (Keras's ObjectSharingScope, entered from numdeep.saving) ------------------
_SHARING = threading.local()


def sharing_tables():
    """``({shared_object_id: object read}, {id(object): (object, entry written)})`` inside an
    ``ObjectSharingScope``, else ``None``."""
    return getattr(_SHARING, "tables", None)


def set_sharing_tables(tables):
    """Enter (a pair of dicts) or leave (``None``) a sharing scope."""
    _SHARING.tables = tables


def record_serialized(obj, config):
    """Note ``obj``'s entry; inside a sharing scope a second entry for the same object marks
    both with a ``shared_object_id``."""
    tables = sharing_tables()
    if tables is None:
        return config
    key = id(obj)
    if key not in tables[1]:
        tables[1][key] = (obj, config)  # the object is kept alive so its id stays unique
        return config
    config["shared_object_id"] = key
    tables[1][key][1]["shared_object_id"] = key
    return config


def shared_object(config):
    """The object already read for ``config``'s ``shared_object_id`` (``None`` if none)."""
    tables = sharing_tables()
    if tables is None or not isinstance(config, dict) or "shared_object_id" not in config:
        return None
    return tables[0].get(config["shared_object_id"])


def record_shared(config, obj):
    """Remember the object read for ``config`` when it carries a ``shared_object_id``."""
    tables = sharing_tables()
    if tables is not None and isinstance(config, dict) and "shared_object_id" in config:
        tables[0][config["shared_object_id"]] = obj
    return obj


# ----- the config contract -----------------------------------------------------------------------
class Configurable:
    """Keras's config contract for the small configurable objects (initializers, regularizers,
    losses, metrics, schedules): ``get_config()`` returns the constructor arguments,
    ``from_config(config)`` is ``cls(**config)``, and the repr shows the config."""

    def get_config(self):
        """Return the constructor arguments as a JSON-friendly dict."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config().")

    @classmethod
    def from_config(cls, config):
        """Rebuild the object from ``get_config()`` output."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# ----- built-in kinds ----------------------------------------------------------------------------
class Kind:
    """The built-in objects of one kind and the ``get``/``serialize``/``deserialize`` over them.

    Args:
        name: the kind's name in messages and configs (``'initializer'``).
        module: the Keras module its configs name (``'keras.initializers'``).
        base: the base class of its objects; instances pass through ``get`` unchanged.
        case_insensitive: names match ignoring case and underscores (optimizers: ``'Adam'``,
            ``'adam'``).
        names_as_strings: functions serialize to their bare name (activations) rather than a
            ``{'class_name': 'function', ...}`` entry.
        label: how messages call the kind (default ``name``).
    """

    def __init__(self, name, module, base=None, case_insensitive=False, names_as_strings=False,
                 label=None):
        self.name, self.module, self.base = name, module, base
        self.label = label or name
        self.case_insensitive = case_insensitive
        self.names_as_strings = names_as_strings
        self.classes = {}  # Keras class name -> class
        self.functions = {}  # function name (and aliases) -> function
        self.aliases = {}  # alias -> class or function
        KINDS[name] = self

    # ----- registration ---------------------------------------------------------------------
    def register(self, obj, *aliases):
        """Add a built-in class or function under its ``__name__`` and ``aliases``."""
        table = self.classes if inspect.isclass(obj) else self.functions
        table[obj.__name__] = obj
        for alias in aliases:
            self.aliases[alias] = obj
        return obj

    def register_namespace(self, namespace):
        """Register every public subclass of ``base`` found in ``namespace`` (a dict such as a
        package's ``vars()``) under the name it has there (which covers Keras's aliases such as
        ``Convolution2D``)."""
        for key, obj in namespace.items():
            if key[0] != "_" and inspect.isclass(obj) and issubclass(obj, self.base):
                self.classes.setdefault(obj.__name__, obj)
                if key != obj.__name__:
                    self.aliases[key] = obj

    def _key(self, name):
        return name.lower().replace("_", "") if self.case_insensitive else name

    def find(self, name, custom_objects=None):
        """The class or function called ``name``: a user object first (``custom_objects``,
        scopes, registrations), then built-ins; ``None`` when unknown."""
        if not isinstance(name, str):
            return None
        user = get_registered_object(name, custom_objects)
        if user is not None:
            return user
        for table in (self.classes, self.aliases, self.functions):
            if name in table:
                return table[name]
        if self.case_insensitive:
            key = self._key(name)
            for table in (self.classes, self.aliases):
                for k, v in table.items():
                    if self._key(k) == key:
                        return v
        return None

    def find_function(self, name, registered_name=None, custom_objects=None):
        """The function called ``name`` (a user function first, then a built-in one); ``None``
        when there is none. Loss and metric names map to classes in ``find``; configs that store
        a function entry need the function itself."""
        for key in (registered_name, name):
            if isinstance(key, str):
                user = get_registered_object(key, custom_objects)
                if user is not None and callable(user) and not inspect.isclass(user):
                    return user
        if not isinstance(name, str):
            return None
        fn = self.functions.get(name)
        if fn is None and not inspect.isclass(self.aliases.get(name)):
            fn = self.aliases.get(name)
        return fn

    def known_names(self):
        """The lowercase names and aliases, for error messages."""
        names = set(self.functions) | {a for a in self.aliases if a[:1].islower()}
        if self.case_insensitive or not names:
            names |= {n.lower() if self.case_insensitive else n for n in self.classes}
        return sorted(names)

    def lookup(self, name, custom_objects=None):
        """Like ``find``, but an unknown name raises a ``ValueError`` listing the known ones."""
        obj = self.find(name, custom_objects)
        if obj is None:
            example = next(iter(self.classes), None)
            hint = f" (or the class names, e.g. {example!r})" if example and not \
                self.case_insensitive else ""
            known = ", ".join(map(repr, self.known_names()))
            raise ValueError(f"Unknown {self.label}: {name!r}. Known names: {known}{hint}. Pass "
                             f"custom_objects or register your own with register_serializable.")
        return obj

    # ----- the trio -------------------------------------------------------------------------
    def serialize(self, obj):
        """The Keras config of ``obj``: ``None`` stays ``None``; a built-in function gives its
        name (or a function entry); an object gives ``{'module', 'class_name', 'config',
        'registered_name'}``."""
        if obj is None:
            return None
        if not inspect.isclass(obj) and not hasattr(obj, "get_config") and callable(obj):
            return self._function_entry(obj)
        if not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot serialize {obj!r} as a {self.label}: it has no "
                             f"get_config().")
        cls = type(obj)
        registered = is_registered(cls)
        return record_serialized(obj, {
            "module": cls.__module__ if registered else self.module,
            "class_name": cls.__name__, "config": obj.get_config(),
            "registered_name": get_registered_name(cls) if registered else None})

    def _function_entry(self, fn):
        name = getattr(fn, "__name__", None)
        builtin = next((k for k, v in self.functions.items() if v is fn), None)
        if builtin is not None and self.names_as_strings:
            return builtin
        if builtin is None and name is None:
            raise ValueError(f"Cannot serialize {self.label} {fn!r}: it has no __name__.")
        # Keras 3's form for every function: found again by registered name or __name__.
        return {"module": "builtins", "class_name": "function",
                "config": builtin or get_registered_name(fn), "registered_name": "function"}

    def find_suffixed(self, name, custom_objects=None):
        """A user object registered as ``'package>name'`` for a bare ``name`` (how Keras <= 3.6
        wrote registered functions), else ``None``."""
        if not isinstance(name, str) or ">" in name:
            return None
        tables = (custom_objects or {}, scoped_objects(), GLOBAL_CUSTOM_OBJECTS)
        for table in tables:
            for key, obj in table.items():
                if isinstance(key, str) and key.endswith(f">{name}"):
                    return obj
        return None

    def deserialize(self, config, custom_objects=None):
        """Rebuild an object from a name or a Keras config dict."""
        if isinstance(config, str):
            return self.lookup(config, custom_objects)
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(f"Cannot deserialize a {self.label} from {config!r}: expected a "
                             f"name or a dict with a 'class_name' key.")
        shared = shared_object(config)
        if shared is not None:
            return shared
        inner = config.get("config")
        if config["class_name"] == "function":
            registered = config.get("registered_name")
            for name in (registered if registered != "function" else None, inner):
                if isinstance(name, str) and self.find(name, custom_objects) is not None:
                    return self.lookup(name, custom_objects)
            fn = self.find_suffixed(inner, custom_objects)
            return fn if fn is not None else self.lookup(inner, custom_objects)
        registered = config.get("registered_name")
        cls = self.find(registered, custom_objects) if isinstance(registered, str) else None
        cls = cls or self.lookup(config["class_name"], custom_objects)
        if not inspect.isclass(cls):
            return cls
        inner = dict(inner or {})
        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            obj = cls.from_config(inner, custom_objects=custom_objects)
        else:
            obj = cls.from_config(inner)
        return record_shared(config, obj)

    def get(self, identifier, custom_objects=None):
        """Resolve ``identifier``: ``None`` stays ``None``; an instance of ``base`` is returned as
        is; a name gives a new default instance (or the function); a config dict is
        deserialized; a class is instantiated; any other callable is returned unchanged."""
        if identifier is None or (self.base is not None and isinstance(identifier, self.base)):
            return identifier
        if isinstance(identifier, dict):
            return self.deserialize(identifier, custom_objects)
        if isinstance(identifier, str):
            obj = self.lookup(identifier, custom_objects)
            return obj() if inspect.isclass(obj) else obj
        if inspect.isclass(identifier) and self.base is not None and issubclass(identifier,
                                                                               self.base):
            return identifier()
        if callable(identifier):
            return identifier
        raise ValueError(f"Could not interpret {self.label} identifier: {identifier!r}")


def kind(name):
    """The ``Kind`` called ``name`` (``'layer'``, ``'loss'``...)."""
    return KINDS[name]
