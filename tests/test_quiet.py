"""No TensorFlow/absl/CUDA log lines where a learner looks: scripts, a real Jupyter kernel, the CLI, stored outputs.

These start fresh Python processes (TensorFlow prints its lines once per process), so they take a few
seconds each.
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

import nst_helpers as nst

ROOT = pathlib.Path(__file__).resolve().parent.parent
#: What TensorFlow, absl, CUDA and Keras print, and what the issue saw in the notebooks.
NOISE = re.compile(r"[IWEF]0000 |absl|cuInit|cuda_|oneDNN|cpu_feature_guard|Downloading data from|URL fetch failure")


def _env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NST_TF_LOGS", "TF_CPP_MIN_LOG_LEVEL")}
    env["PYTHONPATH"] = str(ROOT)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _python(code: str, **env: str | None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=_env(**env), cwd=ROOT, timeout=600)


# ----- scripts ---------------------------------------------------------------------------------
def test_importing_the_tensorflow_modules_prints_nothing():
    # TF_CPP_MIN_LOG_LEVEL=0 (log everything): the quiet must not rely on it
    run = _python("import nst_helpers as nst; nst.model; nst.transfer", TF_CPP_MIN_LOG_LEVEL="0")
    assert run.returncode == 0, run.stderr
    assert (run.stdout, run.stderr) == ("", "")


def test_tensorflow_after_nst_helpers_and_device_queries_print_nothing():
    run = _python("""
        import nst_helpers as nst
        import tensorflow as tf
        gpus = tf.config.list_physical_devices("GPU")
        tf.config.list_physical_devices()
        print(len(gpus) >= 0, tf.constant(2.0).numpy() * 2)
        """, TF_CPP_MIN_LOG_LEVEL="0")
    assert run.returncode == 0, run.stderr
    assert run.stderr == "" and run.stdout == "True 4.0\n"


def test_the_check_sees_tensorflow_noise_when_the_quiet_is_off():
    """The tests above would pass vacuously if this TensorFlow printed nothing: show that it does here."""
    run = _python("import nst_helpers as nst; nst.model; import tensorflow as tf; tf.config.list_physical_devices()",
                  NST_TF_LOGS="1")
    assert run.returncode == 0, run.stderr
    if not NOISE.search(run.stderr):
        pytest.skip("this TensorFlow build prints nothing at import: nothing to silence here")


def test_tensorflow_imported_first_then_nst_helpers_keeps_the_device_query_quiet():
    """Its import lines are out before nst_helpers exists; the cuInit line of the first device query is not."""
    code = """
        import sys
        import tensorflow as tf
        import nst_helpers as nst
        print("--- after import nst_helpers", file=sys.stderr, flush=True)
        tf.config.list_physical_devices()
        """
    run = _python(code)
    assert run.returncode == 0, run.stderr
    assert run.stderr.split("--- after import nst_helpers\n", 1)[1] == ""
    control = _python(code, NST_TF_LOGS="1")  # the quiet off: the same query prints here, or the check is vacuous
    if not control.stderr.split("--- after import nst_helpers\n", 1)[1]:
        pytest.skip("this TensorFlow's first device query prints nothing: nothing to silence here")


def test_a_broken_tensorflow_still_shows_its_own_error(tmp_path):
    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "import os, sys\n"
        "os.write(2, b'E0000 native loader: libtensorflow_cc.so.2: cannot open shared object file\\n')\n"
        "print('python-level warning from the import', file=sys.stderr)\n"
        "raise ImportError('DLL load failed while importing _pywrap_tensorflow_internal (simulated)')\n"
    )
    run = _python("import nst_helpers as nst\nimport tensorflow", PYTHONPATH=f"{ROOT}{os.pathsep}{tmp_path}")
    assert run.returncode == 1
    assert "cannot open shared object file" in run.stderr and "python-level warning" in run.stderr
    assert "ImportError: DLL load failed" in run.stderr and "Traceback" in run.stderr


def test_errors_logged_after_the_quiet_import_still_show():
    """TensorFlow's and absl's log handlers are made during the import: they must not keep the capture."""
    run = _python("""
        import warnings
        import nst_helpers as nst
        nst.model
        import tensorflow as tf
        from absl import logging as absl_logging
        tf.get_logger().error("tf error shows")
        absl_logging.error("absl error shows")
        warnings.warn("a warning shows")
        """)
    assert run.returncode == 0, run.stderr
    assert "tf error shows" in run.stderr and "absl error shows" in run.stderr and "a warning shows" in run.stderr


def test_the_hook_leaves_tensorflow_looking_normal():
    run = _python("""
        import sys, importlib.machinery
        import nst_helpers as nst
        import tensorflow as tf
        assert isinstance(tf.__loader__, importlib.machinery.SourceFileLoader), tf.__loader__
        assert tf.__spec__.loader is tf.__loader__
        assert not any(type(f).__name__ == "_QuietTensorFlowFinder" for f in sys.meta_path)
        import logging
        print(logging.getLogger("tensorflow").level, logging.getLogger("absl").level)
        """)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["40", "40"]


# ----- a real Jupyter kernel ---------------------------------------------------------------------
def _kernel_streams(cells: list[str], **env: str | None) -> list[tuple[str, str]]:
    """Run ``cells`` in a fresh ipykernel (as nbclient/nbval do); the (name, text) of every stream output."""
    jupyter_client = pytest.importorskip("jupyter_client")
    manager = jupyter_client.KernelManager(kernel_name="python3")
    # ipykernel forwards fd 2 to the notebook except under pytest: look like a learner's kernel, not a test
    manager.start_kernel(env=_env(PYTEST_CURRENT_TEST=None, **env), cwd=str(ROOT))
    client = manager.client()
    client.start_channels()
    streams: list[tuple[str, str]] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            streams.append((msg["content"]["name"], msg["content"]["text"]))
        elif msg["msg_type"] == "error":
            streams.append(("error", "\n".join(msg["content"]["traceback"])))

    try:
        client.wait_for_ready(timeout=120)
        for cell in cells:
            reply = client.execute_interactive(cell, output_hook=hook, timeout=600)
            assert reply["content"]["status"] == "ok", streams
        # ipykernel forwards fd 2 from a thread: give it a moment to flush what it read
        client.execute_interactive("import time, sys; time.sleep(1); sys.stderr.flush()", output_hook=hook, timeout=60)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return streams


NOTEBOOK_CELLS = [
    "import nst_helpers as nst",
    "import tensorflow as tf\nimport keras",
    "gpus = tf.config.list_physical_devices('GPU')\nprint('GPUs:', len(gpus))",
    "fx = nst.model.FeatureExtractor(['conv1_1'], weights='offline-hed-vgg16')\nprint(fx.weights.label)",
]


def test_a_notebook_kernel_shows_no_stderr():
    streams = _kernel_streams(NOTEBOOK_CELLS, TF_CPP_MIN_LOG_LEVEL="0")
    assert [s for s in streams if s[0] != "stdout"] == []
    assert re.fullmatch(r"GPUs: \d+\noffline-hed-vgg16\n", "".join(text for _, text in streams))


OFFLINE = dict(https_proxy="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", no_proxy="", NO_PROXY="",
               NST_WEIGHTS=None, NST_RETRY_DOWNLOAD=None)  # a proxy that refuses every connection: offline, for sure


def _setup_cells(notebook: pathlib.Path) -> list[str]:
    """The notebook's own code cells up to its device summary (its Setup section), as a learner runs them."""
    cells = []
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "code":
            cells.append("".join(cell["source"]))
            if "nst.devices.summary()" in cells[-1]:
                return cells
    raise AssertionError(f"{notebook.name} has no nst.devices.summary() cell")


@pytest.mark.parametrize("name", ["00_setup_and_images.ipynb", "vi/00_setup_and_images.ipynb"])
def test_notebook_00s_own_setup_and_first_model_build_are_quiet(name, tmp_path):
    """The real cells, not a copy of them: no log line, and the first model build offline says one line."""
    cells = _setup_cells(ROOT / "notebooks" / name) + ["fx = nst.model.FeatureExtractor(['conv1_1'])"]
    streams = _kernel_streams(cells, KERAS_HOME=str(tmp_path / "keras"), TF_CPP_MIN_LOG_LEVEL="0", **OFFLINE)
    assert not [text for _, text in streams if NOISE.search(text)], streams
    stderr = "".join(text for stream, text in streams if stream != "stdout")
    assert stderr.startswith("nst_helpers: No ImageNet VGG16 weights") and stderr.count("\n") == 1, stderr


def test_the_kernel_check_sees_noise_when_the_quiet_is_off():
    streams = _kernel_streams(NOTEBOOK_CELLS[:3], NST_TF_LOGS="1")
    if not any(name == "stderr" and NOISE.search(text) for name, text in streams):
        pytest.skip("this TensorFlow build prints nothing at import: nothing to silence here")


# ----- the command line ------------------------------------------------------------------------
def test_offline_cli_runs_print_one_line_and_at_most_one_notice(tmp_path):
    """Two offline runs (a proxy that refuses every connection): no log lines, no "Downloading", one try."""
    env = dict(NST_WEIGHTS=None, KERAS_HOME=str(tmp_path / "keras"), https_proxy="http://127.0.0.1:9",
               HTTPS_PROXY="http://127.0.0.1:9", no_proxy="", NO_PROXY="", NST_RETRY_DOWNLOAD=None,
               TF_CPP_MIN_LOG_LEVEL="0")
    runs = []
    for i in range(2):
        args = ["-m", "nst_helpers", "--size", "48", "--steps", "2", "-q", "-o", str(tmp_path / f"out{i}.png")]
        runs.append(subprocess.run([sys.executable, *args], capture_output=True, text=True, env=_env(**env),
                                   cwd=tmp_path, timeout=600))
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert run.stdout.count("\n") == 1 and run.stdout.startswith("Wrote "), run.stdout
        assert run.stderr.count("\n") <= 1, run.stderr
        assert not NOISE.search(run.stdout + run.stderr), run.stdout + run.stderr
    assert "offline-hed-vgg16" in runs[0].stderr and "Connection refused" in runs[0].stderr
    assert "ago" in runs[1].stderr  # the second run did not try again
    assert (tmp_path / "keras" / "models" / nst.model.MARKER_NAME).is_file()


# ----- stored notebook outputs -----------------------------------------------------------------
def _output_text(output: dict) -> str:
    """Every text a reader sees in one stored output: streams, tracebacks, and text/* display data."""
    parts = ["".join(output.get("text", "")), "\n".join(output.get("traceback", []))]
    parts += ["".join(value) for kind, value in output.get("data", {}).items() if kind.startswith("text/")]
    return "\n".join(parts)


def _stored_noise(root: pathlib.Path = ROOT) -> list[str]:
    found = []
    for path in sorted((root / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        for index, cell in enumerate(json.loads(path.read_text())["cells"]):
            for output in cell.get("outputs", []):
                for line in _output_text(output).splitlines():
                    if NOISE.search(line):
                        found.append(f"{path.relative_to(root)} cell {index}: {line[:100]}")
    return found


def test_the_noise_pattern_catches_what_the_issue_saw():
    for line in ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
                 "I0000 00:00:1796155104.622408    7618 cudart_stub.cc:31] Could not find cuda drivers",
                 "E0000 00:00:1796155132.057931    7853 cuda_platform.cc:52] failed call to cuInit: INTERNAL",
                 "Downloading data from https://storage.googleapis.com/tensorflow/keras-applications/vgg16/x.h5",
                 "I0000 00:00:1796184953.945328    5313 port.cc:153] oneDNN custom operations are on. You may see"):
        assert NOISE.search(line)
    assert not NOISE.search("No GPU: running on the CPU (fine here, just slower)")


def test_the_stored_output_scan_finds_noise_in_every_kind_of_output(tmp_path):
    """The scan below must not pass because it looks in the wrong place: plant one line in each kind of output."""
    line = "E0000 00:00:1796155132.057931    7853 cuda_platform.cc:52] failed call to cuInit: INTERNAL"
    outputs = [{"output_type": "stream", "name": "stderr", "text": [line + "\n"]},
               {"output_type": "display_data", "data": {"text/plain": [line]}, "metadata": {}},
               {"output_type": "error", "ename": "E", "evalue": "", "traceback": [line]}]
    for i, output in enumerate(outputs):
        nb = {"cells": [{"cell_type": "code", "source": [], "outputs": [output]}]}
        (tmp_path / "notebooks" / "vi").mkdir(parents=True, exist_ok=True)
        (tmp_path / "notebooks" / "vi" / f"{i}.ipynb").write_text(json.dumps(nb))
    assert len(_stored_noise(tmp_path)) == 3


def test_no_stored_notebook_output_carries_log_noise():
    noise = _stored_noise()
    assert noise == [], f"{len(noise)} lines, e.g.\n" + "\n".join(noise[:10])


def _imports_in_order(path: pathlib.Path) -> list[str]:
    names = []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            names += re.findall(r"^\s*(?:import|from)\s+(tensorflow|keras|nst_helpers)\b", source, re.M)
    return names


def test_notebooks_import_nst_helpers_before_tensorflow():
    """TensorFlow imported before nst_helpers cannot be made quiet (see nst_helpers/_quiet.py)."""
    late = [path.name for path in sorted((ROOT / "notebooks").rglob("*.ipynb"))
            if any(name != "nst_helpers" for name in _imports_in_order(path)[:1])]
    assert late == []
