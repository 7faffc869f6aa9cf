"""Shared pytest setup: quick mode, and nbval settings for the notebooks."""

import os

os.environ.setdefault("NST_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collectstart(collector):
    # TensorFlow writes absl/oneDNN lines to stderr at import whatever the log level: never compare stderr,
    # nor rich outputs whose bytes change with library versions.
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr", "text/html", "application/javascript", "image/png",
                                   "application/vnd.jupyter.widget-view+json")
