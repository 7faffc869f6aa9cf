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


# Each notebook's time under nbval (the sum of its cells): the "<= 3 minutes in quick mode" budget, measured
# on every `make test` run and printed at the end (a report, never an assertion: timings depend on the machine).
_NOTEBOOK_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _NOTEBOOK_SECONDS[path] = _NOTEBOOK_SECONDS.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    if not _NOTEBOOK_SECONDS:
        return
    quick = "quick mode" if os.environ.get("NST_QUICK") == "1" else "full quality"
    terminalreporter.section(f"time per notebook ({quick}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    for path, seconds in sorted(_NOTEBOOK_SECONDS.items()):
        terminalreporter.write_line(f"{seconds:7.1f} s  {path}")
