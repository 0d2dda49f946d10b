import http.server
import json
import threading
import urllib.parse

import pytest

import numdeep as nd
from tests.callbacks.common import data, model


@pytest.fixture
def server():
    """A loopback HTTP server recording each POST as (path, content type, body)."""
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()
    httpd.server_close()


def fit(callback, epochs=2):
    x, y = data()
    return model().fit(x, y, epochs=epochs, verbose=0, callbacks=[callback]).history


def test_posts_form_encoded_json_each_epoch(server):
    root, received = server
    history = fit(nd.callbacks.RemoteMonitor(root=root))
    assert len(received) == 2
    path, ctype, body = received[1]
    assert path == "/publish/epoch/end/" and ctype == "application/x-www-form-urlencoded"
    payload = json.loads(urllib.parse.parse_qs(body)["data"][0])
    assert payload == {"epoch": 1, "loss": history["loss"][1],
                       "accuracy": history["accuracy"][1]}


def test_posts_a_json_body(server):
    root, received = server
    fit(nd.callbacks.RemoteMonitor(root=root, path="/log", send_as_json=True,
                                   headers={"X-Run": "1"}), epochs=1)
    path, ctype, body = received[0]
    assert path == "/log" and ctype == "application/json"
    assert json.loads(body)["epoch"] == 0


def test_unreachable_server_only_warns():
    monitor = nd.callbacks.RemoteMonitor(root="http://127.0.0.1:9", timeout=1.0)
    with pytest.warns(UserWarning, match="could not reach"):
        fit(monitor, epochs=1)


def test_rejects_non_http_roots():
    with pytest.raises(ValueError, match="http"):
        nd.callbacks.RemoteMonitor(root="file:///etc/passwd")
