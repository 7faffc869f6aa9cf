"""nst_helpers: Gatys-style neural style transfer in TensorFlow 2 / Keras 3, for teaching.

Modules (import the package as ``nst`` and call ``nst.losses.gram_matrix(...)``):

* :mod:`~nst_helpers.config` - the frozen :class:`TransferConfig` and its presets (no TensorFlow);
* :mod:`~nst_helpers.layers` - VGG layer-name tables (no TensorFlow);
* :mod:`~nst_helpers.images` - load, resize, save; the image convention (no TensorFlow);
* :mod:`~nst_helpers.model` - VGG feature extractors and weight resolution;
* :mod:`~nst_helpers.losses` - Gram matrices and losses (pure tensor functions);
* :mod:`~nst_helpers.transfer` - the optimisation loop;
* :mod:`~nst_helpers.controls` - colour preservation, style blending, masks, scales (Gatys et al. 2017);
* :mod:`~nst_helpers.plots`, :mod:`~nst_helpers.widgets`, :mod:`~nst_helpers.checks` - figures, the classroom
  panel, exercise checkers.

TensorFlow-backed modules load on first use, so ``import nst_helpers`` is fast. Import
``nst_helpers`` before TensorFlow: the first ``import tensorflow`` after it (the package's or your
own) is quiet, without TensorFlow's pink start-up log lines (see :mod:`nst_helpers._quiet`;
``NST_TF_LOGS=1`` shows them).
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _quiet, config, errors, images, layers
from .config import TransferConfig, is_quick, preset
from .errors import ConfigError, ImageError, LayerNameError, NonFiniteError, NSTError, SettingNameError, WeightsError
from .images import load_image, save_image

__version__ = "0.1.0"

#: True when ``NST_QUICK=1``: notebooks and tests use small images and few steps.
QUICK = is_quick()

_quiet.install()

_LAZY = {
    "model", "losses", "objective", "devices", "transfer", "controls", "plots", "widgets", "checks", "cli",
}

__all__ = [
    "QUICK", "TransferConfig", "preset", "is_quick", "load_image", "save_image", "run",
    "NSTError", "ConfigError", "ImageError", "LayerNameError", "NonFiniteError", "SettingNameError", "WeightsError",
    "config", "errors", "images", "layers", *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{name}", __name__)
        _quiet.check_devices_quietly()  # if TensorFlow came before nst_helpers, its device query can still be quiet
        return module
    if name == "run":
        return __getattr__("transfer").transfer
    raise AttributeError(f"module 'nst_helpers' has no attribute {name!r}")
