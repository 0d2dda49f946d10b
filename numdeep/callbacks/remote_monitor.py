"""``RemoteMonitor``: send the epoch logs to an HTTP server."""

import json
import warnings

import numpy as np

from numdeep.callbacks.base import Callback


class RemoteMonitor(Callback):
    """POST ``{"epoch": epoch, **logs}`` to ``root + path`` at the end of every epoch.

    By default the JSON text is sent form-encoded in the field ``field`` (Keras's format); with
    ``send_as_json=True`` it is the request body (``Content-Type: application/json``). Uses only
    the standard library. A server that cannot be reached gives a warning, never an error.

    Args:
        root: the server's base URL.
        path: the path the events are posted to.
        field: the form field holding the JSON text.
        headers: extra HTTP headers (a dict).
        send_as_json: send the JSON as the request body.
        timeout: seconds to wait for the server (a numdeep extra).

    Example:
        >>> import numdeep as nd
        >>> monitor = nd.callbacks.RemoteMonitor(root="http://localhost:9000")
        >>> monitor.url
        'http://localhost:9000/publish/epoch/end/'
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False, timeout=5.0):
        super().__init__()
        if not str(root).startswith(("http://", "https://")):
            raise ValueError(f"RemoteMonitor: `root` must be an http(s) URL. Received: {root!r}")
        self.root = root
        self.path = path
        self.field = field
        self.headers = dict(headers or {})
        self.send_as_json = bool(send_as_json)
        self.timeout = float(timeout)

    @property
    def url(self):
        """The address the events are posted to."""
        return self.root + self.path

    def on_epoch_end(self, epoch, logs=None):
        import urllib.error  # imported on use: keeps `import numdeep` light
        import urllib.parse
        import urllib.request

        payload = {"epoch": epoch}
        for key, value in (logs or {}).items():
            payload[key] = value.item() if isinstance(value, np.generic | np.ndarray) else value
        text = json.dumps(payload)
        headers = dict(self.headers)
        if self.send_as_json:
            body = text.encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: text}).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as e:
            warnings.warn(f"RemoteMonitor: could not reach {self.url} ({e}).", stacklevel=2)
