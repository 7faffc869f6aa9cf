"""Keep TensorFlow's start-up chatter out of notebooks, scripts and the ``nst`` command.

TensorFlow's C++ code writes absl lines ("All log messages before absl::InitializeLog()...",
``I0000 ... cudart_stub``, ``E0000 ... failed call to cuInit``) straight to file descriptor 2
while it loads, before ``TF_CPP_MIN_LOG_LEVEL`` is read for some of them, and twice because two
of its shared libraries carry their own absl. In Jupyter, ipykernel forwards fd 2 to the
notebook as a pink block that reads as "it broke". So, on the first ``import tensorflow`` after
``import nst_helpers``:

* fd 2 and ``sys.stderr`` point at a temporary file while TensorFlow loads and while it
  enumerates its devices once (the cuInit line comes from that first device query, so a later
  ``tf.config.list_physical_devices()`` is silent);
* the text captured is dropped if the import works and written back to stderr if it fails, so
  a broken install still shows TensorFlow's own message and traceback;
* ``TF_CPP_MIN_LOG_LEVEL=2`` (unless set) hides later C++ info/warning lines; errors still show;
* the ``tensorflow`` and ``absl`` Python loggers are set to ERROR unless already configured.

oneDNN is left on (``TF_ENABLE_ONEDNN_OPTS=0`` made float32 1.7x and bfloat16 60x slower here).

Importing ``nst_helpers`` does not import TensorFlow (the CLI checks its arguments first): it
installs a one-shot import hook, so the quiet import happens whenever TensorFlow is first
needed, by the package or by the learner's own ``import tensorflow as tf``. Import
``nst_helpers`` first: the lines of a TensorFlow imported before it are already printed (once);
only its first device query, with the cuInit line, is then run quietly by ``import nst_helpers``.
``NST_TF_LOGS=1`` turns all of this off (to see TensorFlow's logs when debugging an install).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

#: Set to 1 to see TensorFlow's own start-up logs.
VERBOSE_ENV = "NST_TF_LOGS"
#: Python loggers that TensorFlow and Keras write warnings to.
LOGGERS = ("tensorflow", "absl")

_lock = threading.Lock()
_devices_checked = False


def verbose() -> bool:
    """True when ``NST_TF_LOGS=1``: leave TensorFlow's logs alone."""
    return os.environ.get(VERBOSE_ENV, "").strip() not in ("", "0")


class _HeldStream:
    """Stands in for ``sys.stderr`` during a capture, and forwards to the real one afterwards.

    Loggers created while TensorFlow imports keep the ``sys.stderr`` of that moment (TensorFlow's
    and absl's handlers do): a plain buffer there would swallow their later errors for good.
    """

    def __init__(self, target: Any) -> None:
        self.target, self.held, self.holding = target, io.StringIO(), True

    def write(self, text: str) -> int:
        return (self.held if self.holding else self.target).write(text)

    def flush(self) -> None:
        if not self.holding:
            self.target.flush()

    def __getattr__(self, name: str) -> Any:  # fileno, encoding, isatty...: the real stream's
        return getattr(self.target, name)


@contextlib.contextmanager
def captured_stderr() -> Iterator[io.StringIO]:
    """Send fd 2 (C/C++ writes) and ``sys.stderr`` (Python writes) to a buffer for the block.

    Yields:
        A ``StringIO`` that holds, after the block, everything written to either. If the block
        raises, that text is first written back to the real stderr, then the error propagates.
    """
    text = io.StringIO()
    real = sys.stderr
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = _redirect_fd(2, sink.fileno())
        stand_in = sys.stderr = _HeldStream(real)
        failed = False
        try:
            yield text
        except BaseException:
            failed = True
            raise
        finally:
            stand_in.holding = False
            if sys.stderr is stand_in:
                sys.stderr = real
            _restore_fd(2, saved)
            sink.seek(0)
            text.write(stand_in.held.getvalue() + sink.read().decode("utf-8", "replace"))
            if failed and text.getvalue():
                real.write(text.getvalue())
                real.flush()


def _redirect_fd(fd: int, target: int) -> int | None:
    """Point ``fd`` at ``target``; return a copy of the old one (``None`` if ``fd`` is not open)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()  # what Python already buffered belongs to the real stderr
    try:
        saved = os.dup(fd)
    except OSError:  # no fd 2 at all (pythonw, some services): nothing to protect
        return None
    os.dup2(target, fd)
    return saved


def _restore_fd(fd: int, saved: int | None) -> None:
    if saved is None:
        return
    os.dup2(saved, fd)
    os.close(saved)


def quiet_loggers() -> None:
    """ERROR level for TensorFlow's and absl's Python loggers, unless someone already chose a level."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.ERROR)


def check_devices_quietly(tf: ModuleType | None = None) -> None:
    """Run TensorFlow's first device query (it initialises CUDA) with stderr captured. Once."""
    global _devices_checked
    tf = tf or sys.modules.get("tensorflow")
    if tf is None or _devices_checked or verbose():
        return
    with _lock:
        if _devices_checked:
            return
        _devices_checked = True
        with captured_stderr():
            tf.config.list_physical_devices()
        quiet_loggers()


class _QuietLoader(importlib.abc.Loader):
    """Wraps TensorFlow's own loader: runs its top-level ``__init__`` with stderr captured."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # Put the real loader back first, so that nothing downstream ever sees this wrapper.
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        with captured_stderr():
            self._loader.exec_module(module)
        check_devices_quietly(module)

    def __getattr__(self, name: str):  # get_resource_reader, is_package, ...
        return getattr(self._loader, name)


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """A one-shot meta-path finder: the first ``import tensorflow`` goes through :class:`_QuietLoader`."""

    def find_spec(self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None):
        if name != "tensorflow":
            return None
        uninstall()  # one shot; and the search below must not find this finder again
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec  # not installed: the normal ModuleNotFoundError follows
        spec.loader = _QuietLoader(spec.loader)
        return spec


_finder = _QuietTensorFlowFinder()


def install() -> None:
    """Make the first ``import tensorflow`` of this process quiet (see the module docstring).

    Called by ``import nst_helpers``. Does nothing with ``NST_TF_LOGS=1``. If TensorFlow is
    already imported, its import lines are out already; its first device query is run now, quietly.
    """
    if verbose():
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        # Its import lines are already out; the cuInit line of its first device query is not yet, unless
        # that query ran too. Run it now, quietly, so the learner's own `list_physical_devices()` is silent.
        with contextlib.suppress(Exception):  # a broken device query shows its text and fails later, not here
            check_devices_quietly()
        return
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Remove the import hook (after its one use, or for tests)."""
    with contextlib.suppress(ValueError):
        sys.meta_path.remove(_finder)
