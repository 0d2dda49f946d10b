"""A local HTTP server on 127.0.0.1 (a thread) serving test files: the only "internet" the
download tests use. Supports ``Range`` requests, can drop a transfer halfway, answer with a
server error, and act as an HTTP proxy (a request line holding a full URL)."""

import http.server
import threading
import urllib.parse

import pytest


class LocalServer:
    """``files``: path -> bytes. ``drop_first``: paths whose first response is cut after half
    the bytes. ``errors``: path -> HTTP status to answer with. ``requests`` logs
    ``(path, Range header)``."""

    def __init__(self):
        self.files, self.errors, self.drop_first = {}, {}, set()
        self.range_support = True
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - the http.server hook name
                path = urllib.parse.urlsplit(self.path).path  # proxies receive full URLs
                rng = self.headers.get("Range")
                server.requests.append((self.path, rng))
                if path in server.errors:
                    self.send_error(server.errors[path])
                    return
                if path not in server.files:
                    self.send_error(404)
                    return
                body, start, status = server.files[path], 0, 200
                if rng and server.range_support:
                    start, status = int(rng.split("=")[1].split("-")[0]), 206
                payload = body[start:]
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                if status == 206:
                    self.send_header("Content-Range",
                                     f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.end_headers()
                if path in server.drop_first:
                    server.drop_first.discard(path)
                    self.wfile.write(payload[:len(payload) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(payload)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    with LocalServer() as s:
        yield s


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache: NUMDEEP_HOME and KERAS_HOME under tmp_path, HOME too (so ~/.keras and
    ~/.numdeep are empty), no proxies, no retry pauses."""
    from numdeep.utils import downloads

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NUMDEEP_HOME", str(tmp_path / "numdeep_home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setattr(downloads, "_BACKOFF", 0.01)
    return tmp_path
