"""Open the control panel in JupyterLab under headless Chromium, press Run, wait for the preview.

By hand (prints a JSON report, writes a screenshot)::

    .venv/bin/python tests/browser/panel_browser.py --screenshot /tmp/nst_panel_browser.png

The screenshot in docs/control_panel.jpg (shown in notebooks/06_playground.ipynb) came from
``--size 160 --steps 30 --optimizer lbfgs``, cropped to the panel (tests/browser/crop_screenshot.py).

Used by ``tests/browser/test_panel_browser.py`` (``NST_BROWSER=1``, ``make browser-test``).

Needs Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``, ``/usr/bin/chromedriver``)
and ``jupyterlab`` + ``selenium`` in the venv. Nothing is downloaded: the browser and its driver are
the system's, JupyterLab listens on 127.0.0.1 only, and its news, update check and extension manager
are switched off.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
NOTEBOOK = HERE / "panel_check.ipynb"
CHROMIUM = os.environ.get("NST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("NST_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1400,2000",
)
LAB_CONFIG = """\
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LabApp.extension_manager = "readonly"
c.LabApp.expose_app_in_browser = True
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port_retries = 0
c.ServerApp.open_browser = False
c.ServerApp.allow_root = True  # CI and the dev machines run as root
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], Any], timeout: float, what: str, poll: float = 0.25) -> Any:
    """Poll ``condition`` until it returns something truthy; raise TimeoutError naming ``what``.

    Errors while polling count as "not yet", except RuntimeError, which means "never".
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except RuntimeError:
            raise
        except Exception:  # not there yet (connection refused, element missing, ...)
            value = None
        if value:
            return value
        time.sleep(poll)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


@contextlib.contextmanager
def jupyter_lab(workdir: pathlib.Path, *, timeout: float = 90) -> Iterator[tuple[str, str]]:
    """A JupyterLab server on 127.0.0.1 serving a copy of the check notebook; yields (base URL, token)."""
    root, config = workdir / "root", workdir / "config"
    for folder in (root, config, workdir / "settings", workdir / "workspaces", workdir / "runtime"):
        folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    (config / "jupyter_lab_config.py").write_text(LAB_CONFIG)
    notification = workdir / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)  # no news question, no update check, no toasts
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True}))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTERLAB_SETTINGS_DIR=str(workdir / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(workdir / "workspaces"), JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
               NST_WEIGHTS="offline-hed-vgg16", NST_QUICK="1")
    log = open(workdir / "lab.log", "wb")  # noqa: SIM115 (JupyterLab writes to it for its whole life; closed at the end)
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", f"--port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({proc.returncode}); see {workdir / 'lab.log'}")
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as response:
                return response.status == 200
        wait_for(ready, timeout, "JupyterLab to answer")
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


@contextlib.contextmanager
def chromium(profile: pathlib.Path) -> Iterator[Any]:
    """Selenium driving the system's headless Chromium with a fresh profile (no driver download)."""
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not fetch anything
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


_KERNEL_IDLE = """
const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
const s = w && w.sessionContext;
return !!(s && s.isReady && s.session && s.session.kernel && s.session.kernel.status === 'idle');
"""
_PREVIEW_WIDTH = """
const img = document.querySelector('img.nst-preview');
return img && img.complete ? img.naturalWidth : 0;
"""
_PREVIEW_SRC = "const img = document.querySelector('img.nst-preview'); return img ? img.src : '';"


def drive(driver: Any, url: str, *, timeout: float) -> dict[str, Any]:
    """Open the notebook, run its cell, click Run, wait for the preview and the end of the run."""
    from selenium.webdriver.common.by import By

    times, start = {}, time.monotonic()
    mark = lambda name: times.setdefault(name, round(time.monotonic() - start, 1))  # noqa: E731
    driver.get(url)
    wait_for(lambda: driver.execute_script(_KERNEL_IDLE), timeout, "the notebook's kernel")
    mark("kernel_idle")
    driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    run = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "button.nst-run-button"), timeout, "the panel")
    mark("panel_shown")
    # The preview starts as a 320 px placeholder ("press Run"): wait for a new picture, not for any width.
    placeholder = wait_for(lambda: driver.execute_script(_PREVIEW_SRC), timeout, "the placeholder preview")
    run.click()
    wait_for(lambda: driver.execute_script(_PREVIEW_SRC) != placeholder and driver.execute_script(_PREVIEW_WIDTH),
             timeout, "the first real preview image")
    mark("first_preview")
    status = driver.find_element(By.CSS_SELECTOR, ".nst-status")
    wait_for(lambda: "Done" in status.text or "⚠" in status.text, timeout, "the end of the run")
    mark("done")
    driver.execute_script("window.jupyterapp.shell.collapseLeft();"
                          "document.querySelector('.jp-OutputArea').scrollIntoView();")
    time.sleep(0.5)  # let the layout settle before the screenshot
    return {
        "status": status.text,
        "preview_width": driver.execute_script(_PREVIEW_WIDTH),
        "summary": driver.find_element(By.CSS_SELECTOR, ".nst-summary").text,
        "seconds": times,
    }


def run_check(screenshot: pathlib.Path, workdir: pathlib.Path | None = None, *, timeout: float = 240) -> dict[str, Any]:
    """The whole check; returns a report and writes ``screenshot`` (PNG)."""
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = pathlib.Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nst-browser-")))
        start = time.monotonic()
        base, token = stack.enter_context(jupyter_lab(workdir))
        driver = stack.enter_context(chromium(workdir / "chromium-profile"))
        try:
            report = drive(driver, f"{base}/lab/tree/{NOTEBOOK.name}?token={token}", timeout=timeout)
        finally:
            driver.save_screenshot(str(screenshot))
        report["total_seconds"] = round(time.monotonic() - start, 1)
        report["screenshot"] = str(screenshot)
        return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenshot", type=pathlib.Path, default=pathlib.Path("/tmp/nst_panel_browser.png"))
    parser.add_argument("--timeout", type=float, default=240)
    parser.add_argument("--size", type=int, default=64, help="the panel's size (the docs/ screenshot: 160)")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--optimizer", default="adam")
    args = parser.parse_args()
    # read by panel_check.ipynb; JupyterLab's kernel inherits this environment
    os.environ.update(NST_PANEL_SIZE=str(args.size), NST_PANEL_STEPS=str(args.steps),
                      NST_PANEL_OPTIMIZER=args.optimizer)
    report = run_check(args.screenshot, timeout=args.timeout)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if "Done" in report["status"] else 1


if __name__ == "__main__":
    sys.exit(main())
