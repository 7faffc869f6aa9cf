"""Load, resize, convert and save images.

**The image convention of the whole package**: an image is a ``numpy.ndarray``
of dtype ``float32``, shape ``(H, W, 3)``, RGB, values in ``[0, 255]``.
Everything converts to this at the edges (loading, saving, VGG preprocessing
inside :mod:`nst_helpers.model`); nothing in between changes convention.

This module imports no TensorFlow and no matplotlib.

Introduced in notebooks/00_setup_and_images.ipynb.
"""

from __future__ import annotations

import io
import os
import pathlib
import tempfile
import urllib.request
import warnings
from typing import Union

import cv2
import numpy as np
from PIL import Image, ImageOps

from .errors import ImageError

ImageSource = Union[str, os.PathLike, bytes, np.ndarray, Image.Image]

#: Refuse images with more pixels than this (decompression-bomb guard; Pillow's own limit, ~89 Mpx).
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
#: Smallest side VGG can take: its 4 poolings before block5 need 16 px; 32 leaves room.
MIN_SIDE = 32


def _find_data_dir() -> pathlib.Path:
    """The bundled images: ``nst_helpers/data`` in an installed wheel, else the checkout's top-level ``data/``."""
    package = pathlib.Path(__file__).resolve().parent
    # a wheel maps data/ to nst_helpers/data (pyproject.toml); a checkout, an editable install and the Colab
    # clone keep it beside the package. The wheel's copy comes first: site-packages/data may belong to anyone.
    installed = package / "data"
    return installed if (installed / "content").is_dir() else package.parent / "data"


DATA_DIR = _find_data_dir()


def load_image(source: ImageSource, *, max_size: int | None = None) -> np.ndarray:
    """Load an image in the package convention: float32, (H, W, 3), RGB, 0-255.

    Args:
        source: a file path, an ``http(s)://`` URL, encoded bytes (PNG, JPEG, ...),
            a numpy array (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) of uint8, uint16 or
            float (floats in [0, 1] are scaled to [0, 255]), or a PIL image.
        max_size: if given, downscale so that the longest side is at most this
            (JPEGs are decoded at reduced size, so big photos never fill memory).

    Returns:
        float32 array (H, W, 3) in [0, 255]. EXIF orientation is applied;
        grayscale and palette become RGB; alpha is composited on white;
        16-bit values are scaled to 8-bit range.

    Raises:
        ImageError: missing, empty, unreadable or absurdly large input.
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, max_size)
    if isinstance(source, Image.Image):
        return _from_pil(source, max_size, name="PIL image")
    data, name = _read_bytes(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            pil = Image.open(io.BytesIO(data))
            return _from_pil(pil, max_size, name=name)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageError(f"{name}: image is too large to open safely ({err}). Resize it below {MAX_PIXELS:,} pixels.") from None
    except Exception as err:  # PIL raises many types for broken files
        raise ImageError(f"{name}: not a readable image ({type(err).__name__}: {err}). Use a PNG or JPEG file.") from None


def _read_bytes(source: str | os.PathLike | bytes) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), "image bytes"
    elif isinstance(source, str) and source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=30) as response:
                data = response.read()
        except Exception as err:
            raise ImageError(f"{source}: could not download ({err}). Download it yourself and pass the file path.") from None
        name = source
    elif isinstance(source, (str, os.PathLike)):
        path = pathlib.Path(source).expanduser()
        name = str(source)
        if not path.is_file():
            raise ImageError(f"{name}: no such file. Check the path (relative paths start at {os.getcwd()}).")
        data = path.read_bytes()
    else:
        raise ImageError(f"Cannot load an image from {type(source).__name__}: give a path, URL, bytes, numpy array or PIL image.")
    if not data:
        raise ImageError(f"{name}: the file is empty.")
    return data, name


def _from_pil(pil: Image.Image, max_size: int | None, *, name: str) -> np.ndarray:
    if pil.width * pil.height > MAX_PIXELS:
        raise ImageError(f"{name}: {pil.width}x{pil.height} is too large. Resize it below {MAX_PIXELS:,} pixels.")
    if max_size is not None and pil.format == "JPEG":
        pil.draft("RGB", (max_size, max_size))  # decode at 1/2, 1/4 or 1/8 scale: saves memory and time
    pil = ImageOps.exif_transpose(pil)
    array = _pil_to_array(pil)
    return _from_array(array, max_size)


def _pil_to_array(pil: Image.Image) -> np.ndarray:
    if pil.mode in ("I;16", "I;16B", "I;16L", "I"):
        return np.asarray(pil, dtype=np.float64) / 65535.0 * 255.0 if pil.mode != "I" else _scale_int(np.asarray(pil))
    if pil.mode == "F":
        return np.asarray(pil, dtype=np.float32)
    if pil.mode in ("RGBA", "LA", "PA") or (pil.mode == "P" and "transparency" in pil.info):
        return np.asarray(pil.convert("RGBA"))
    return np.asarray(pil.convert("RGB"))


def _scale_int(array: np.ndarray) -> np.ndarray:
    # 32-bit integer images: assume 16-bit content if values exceed 255
    return array / 65535.0 * 255.0 if array.max(initial=0) > 255 else array.astype(np.float64)


def _from_array(array: np.ndarray, max_size: int | None) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[-1] not in (1, 3, 4) or array.size == 0:
        raise ImageError(f"Image array has shape {array.shape}: expected (H, W), (H, W, 1), (H, W, 3) or (H, W, 4).")
    rgb = _to_float255(array)
    if rgb.shape[-1] == 4:
        rgb = composite_on_white(rgb)
    elif rgb.shape[-1] == 1:
        rgb = np.repeat(rgb, 3, axis=-1)
    if max_size is not None and max(rgb.shape[:2]) > max_size:
        rgb = resize(rgb, max_size)
    return np.ascontiguousarray(rgb, dtype=np.float32)


def _to_float255(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array.astype(np.float32)
    if array.dtype == np.uint16:
        return array.astype(np.float32) * (255.0 / 65535.0)
    if array.dtype == bool:
        return array.astype(np.float32) * 255.0
    array = array.astype(np.float32)
    if not np.all(np.isfinite(array)):
        raise ImageError("Image array contains NaN or infinite values.")
    if array.size and array.max() <= 1.0 and array.min() >= 0.0 and array.dtype.kind == "f":
        return array * 255.0  # [0, 1] floats, as matplotlib and skimage use
    return np.clip(array, 0.0, 255.0)


def image_size(source: str | os.PathLike) -> tuple[int, int]:
    """``(height, width)`` of an image file after EXIF rotation, reading only its header.

    Raises:
        ImageError: missing or unreadable file.
    """
    path = pathlib.Path(source).expanduser()
    if not path.is_file():
        raise ImageError(f"{source}: no such file. Check the path (relative paths start at {os.getcwd()}).")
    try:
        with Image.open(path) as pil:
            w, h = pil.size
            rotated = pil.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    except Exception as err:
        raise ImageError(f"{source}: not a readable image ({type(err).__name__}: {err}). Use a PNG or JPEG file.") from None
    return (w, h) if rotated else (h, w)


def composite_on_white(rgba: np.ndarray) -> np.ndarray:
    """Flatten an (H, W, 4) image in [0, 255] onto a white background: (H, W, 3)."""
    alpha = rgba[..., 3:4] / 255.0
    return rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)


def resize(image: np.ndarray, size: int | tuple[int, int], *, square: bool = False) -> np.ndarray:
    """Resize an image.

    Args:
        image: (H, W, 3) float32 in [0, 255].
        size: longest side in pixels, or an explicit ``(height, width)``.
        square: with an int ``size``, squash to ``size x size`` (what the seed does).

    Returns:
        The resized float32 image; area interpolation when shrinking, cubic when growing.
    """
    h, w = image.shape[:2]
    if isinstance(size, int):
        if square:
            new_h = new_w = size
        else:
            scale = size / max(h, w)
            new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    else:
        new_h, new_w = size
    if (new_h, new_w) == (h, w):
        return image.astype(np.float32, copy=True)
    method = cv2.INTER_AREA if new_h * new_w < h * w else cv2.INTER_CUBIC
    out = cv2.resize(np.asarray(image, np.float32), (new_w, new_h), interpolation=method)
    return np.clip(out.reshape(new_h, new_w, -1), 0.0, 255.0).astype(np.float32)


def check_min_size(image: np.ndarray, *, minimum: int = MIN_SIDE, name: str = "image") -> None:
    """Raise :class:`ImageError` if a side is shorter than VGG's pooling needs."""
    if min(image.shape[:2]) < minimum:
        raise ImageError(
            f"{name} is {image.shape[1]}x{image.shape[0]} px; VGG needs at least {minimum} px on each side. Use a bigger image or --size."
        )


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Round and clip a package image to uint8 (H, W, 3), ready for display or saving."""
    return np.clip(np.rint(np.asarray(image, np.float32)), 0, 255).astype(np.uint8)


def save_image(image: np.ndarray, path: str | os.PathLike, *, quality: int = 95) -> pathlib.Path:
    """Save an image atomically as PNG or JPEG (chosen by the suffix).

    The file is written next to ``path`` under a temporary name and renamed
    into place, so an interrupted save never leaves a half-written image.

    Returns:
        The path written.
    """
    path = pathlib.Path(path)
    fmt = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}.get(path.suffix.lower())
    if fmt is None:
        raise ImageError(f"{path}: unsupported output type {path.suffix!r}; use .png or .jpg.")
    path.parent.mkdir(parents=True, exist_ok=True)
    pil = Image.fromarray(to_uint8(image))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            pil.save(f, format=fmt, **({"quality": quality} if fmt == "JPEG" else {}))
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
    return path


def data_path(kind: str, name: str | None = None) -> pathlib.Path:
    """Path of a bundled image: ``data_path("content")`` is the default photo.

    Args:
        kind: ``"content"`` or ``"style"``.
        name: file name inside ``data/<kind>/``; ``None`` gives the default.
    """
    if kind not in DEFAULTS:
        raise ImageError(f"kind must be 'content' or 'style', not {kind!r}.")
    path = DATA_DIR / kind / (name or DEFAULTS[kind])
    if not path.is_file():
        raise ImageError(f"No bundled image {path}. Available: {', '.join(list_bundled(kind)) or 'none'}.")
    return path


def list_bundled(kind: str) -> list[str]:
    """File names of the bundled images of ``kind`` (``"content"`` or ``"style"``)."""
    folder = DATA_DIR / kind
    return sorted(p.name for p in folder.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png")) if folder.is_dir() else []


DEFAULTS = {"content": "leuven_street.jpg", "style": "starry_night.jpg"}
