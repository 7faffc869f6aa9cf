"""Real browser check: JupyterLab + headless Chromium click Run in the control panel (NST_BROWSER=1)."""

import os
import pathlib

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("NST_BROWSER") != "1", reason="browser test: run `make browser-test` (sets NST_BROWSER=1)"
)

SCREENSHOT = pathlib.Path("/tmp/nst_panel_browser.png")


def test_panel_runs_in_jupyterlab(tmp_path):
    from panel_browser import run_check  # tests/browser is on sys.path (pytest rootdir import mode)

    SCREENSHOT.unlink(missing_ok=True)
    report = run_check(SCREENSHOT, tmp_path)
    print(report)
    assert "Done" in report["status"], report
    assert 0 < report["preview_width"] <= 64, report  # the 64 px result, decoded by the browser
    assert "offline-hed-vgg16" in report["summary"], report
    assert SCREENSHOT.stat().st_size > 10_000
