from tests.utils.local_server import cache, server  # noqa: F401 - fixtures
