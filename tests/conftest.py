"""Fixtures shared by the unit tests: small real images, the real offline weights, a local web server."""

import contextlib
import http.server
import os
import threading

import numpy as np
import pytest

# Tests judge style transfer on real trained weights: the offline VGG16 (no download attempt).
os.environ.setdefault("NST_WEIGHTS", "offline-hed-vgg16")

import nst_helpers as nst  # noqa: E402


@pytest.fixture(scope="session")
def content64() -> np.ndarray:
    return nst.images.load_image(nst.images.data_path("content"), max_size=64)


@pytest.fixture(scope="session")
def style64() -> np.ndarray:
    return nst.images.load_image(nst.images.data_path("style"), max_size=64)


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@contextlib.contextmanager
def _local_http_server(handler: type[http.server.BaseHTTPRequestHandler]):
    """Serve ``handler`` on 127.0.0.1 in a daemon thread; yields the base URL ``http://127.0.0.1:<port>``."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


@pytest.fixture(scope="session")
def local_http_server():
    """The context manager above: ``with local_http_server(Handler) as url: ...`` (one server per use)."""
    return _local_http_server
