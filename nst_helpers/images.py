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
import stat
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Sequence
from typing import BinaryIO, Union

import cv2
import numpy as np
from PIL import Image, ImageOps

from . import safe_write
from .errors import ImageError

ImageSource = Union[str, os.PathLike, bytes, BinaryIO, np.ndarray, Image.Image]  # noqa: UP007 (a runtime alias)

#: Refuse images with more pixels than this (decompression-bomb guard; Pillow's own limit, ~89 Mpx).
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
#: Smallest side VGG can take: its 4 poolings before block5 need 16 px; 32 leaves room.
MIN_SIDE = 32
#: Downloads (``http(s)://`` sources) must finish within this many seconds, all included.
URL_DEADLINE = 60.0
#: ... and a server that sends nothing for this many seconds (mid-answer included) is given up sooner.
URL_STALL = 10.0
#: ... and be at most this many bytes; image files on disk too (a 89 Mpx PNG is ~270 MB at worst).
MAX_FILE_BYTES = 512 * 2**20


def _find_data_dir() -> pathlib.Path:
    """The bundled images: ``nst_helpers/data`` in an installed wheel, else the checkout's top-level ``data/``."""
    package = pathlib.Path(__file__).resolve().parent
    # a wheel maps data/ to nst_helpers/data (pyproject.toml); a checkout, an editable install and the Colab
    # clone keep it beside the package. The wheel's copy comes first: site-packages/data may belong to anyone.
    installed = package / "data"
    return installed if (installed / "content").is_dir() else package.parent / "data"


DATA_DIR = _find_data_dir()


def load_image(
    source: ImageSource,
    *,
    max_size: int | None = None,
    min_side: int | None = None,
    float_max: float | None = None,
) -> np.ndarray:
    """Load an image in the package convention: float32, (H, W, 3), RGB, 0-255.

    Args:
        source: a file path, a ``file://`` or ``http(s)://`` URL (any case; downloads must end
            within :data:`URL_DEADLINE` seconds and :data:`MAX_FILE_BYTES` bytes), encoded bytes
            or an open binary file (PNG, JPEG, ...), a numpy array (H, W), (H, W, 1), (H, W, 3)
            or (H, W, 4) of uint8, uint16, bool or float, or a PIL image.
        max_size: if given, downscale so that the longest side is at most this
            (JPEGs are decoded at reduced size, so big photos never fill memory).
        min_side: if given, refuse an image whose shorter side (as found, before ``max_size``)
            is below this: pass :data:`MIN_SIDE` for an image VGG must read.
        float_max: the value of white in a float array: ``255.0`` (the package convention) or
            ``1.0`` (matplotlib, skimage). ``None`` guesses: 1.0 if every value lies in [0, 1],
            else 255.0. The guess cannot tell a [0, 1] image from a 0-255 one darker than one grey
            level (all values below 1, black on screen); pass ``float_max=255`` for such images.

    Returns:
        float32 array (H, W, 3) in [0, 255]. EXIF orientation is applied;
        grayscale and palette become RGB; alpha is composited on white;
        16-bit values are scaled to 8-bit range.

    Raises:
        ImageError: missing, empty, unreadable, too small or absurdly large input.
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, max_size, min_side=min_side, float_max=float_max, name="image array")
    if isinstance(source, Image.Image):
        return _from_pil(source, max_size, min_side=min_side, float_max=float_max, name="PIL image")
    data, name = _read_bytes(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            pil = Image.open(io.BytesIO(data))
            return _from_pil(pil, max_size, min_side=min_side, float_max=float_max, name=name)
    except ImageError:
        raise
    except Exception as err:  # PIL raises many types for broken files
        raise _unreadable(name, err) from None


def _unreadable(name: str, err: Exception) -> ImageError:
    """One clear message for whatever PIL raised (its own texts name a BytesIO object, not the file)."""
    if isinstance(err, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return ImageError(f"{name}: the image is too large to open safely (more than {MAX_PIXELS:,} pixels). "
                          "Resize it below that first.")
    if isinstance(err, Image.UnidentifiedImageError):
        return ImageError(f"{name}: not a readable image (not a format Pillow knows). Use a PNG or JPEG file.")
    return ImageError(f"{name}: not a readable image ({type(err).__name__}: {err}). "
                      "The file may be damaged: open and re-save it as PNG or JPEG.")


def _read_bytes(source: str | os.PathLike | bytes | BinaryIO) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), "image bytes"
    elif hasattr(source, "read"):  # an open binary file or io.BytesIO
        name = str(getattr(source, "name", "") or "image file object")
        data = source.read(MAX_FILE_BYTES + 1)
        if not isinstance(data, bytes):
            raise ImageError(f"{name}: open the file in binary mode ('rb'), or pass its path.")
        _check_byte_count(len(data), name)
    elif isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if isinstance(text, bytes):
            text = os.fsdecode(text)
        where = locate(text)
        if isinstance(where, str):
            data, name = download(where), where
        else:
            return _read_file(where, text)
    else:
        raise ImageError(f"Cannot load an image from {type(source).__name__}: give a path, URL, bytes, "
                         "a binary file, a numpy array or a PIL image.")
    if not data:
        raise ImageError(f"{name}: the file is empty.")
    return data, name


def locate(source: str | os.PathLike) -> pathlib.Path | str:
    """Where an image source given as text lives: a local path, or an ``http(s)://`` URL to download.

    ``file://`` URLs become their path; schemes are read in any case (``HTTP://``, ``FILE://``).
    A colon without ``//`` (``a:b.png``) is part of a file name, not a scheme.

    Args:
        source: a path or a URL.

    Returns:
        The :class:`pathlib.Path` (``~`` expanded) of a local file, or the URL itself (a ``str``).

    Raises:
        ImageError: a scheme other than http, https and file.

    >>> locate("FILE:///tmp/a%20b.png"), locate("HTTPS://example.com/x.jpg")
    (PosixPath('/tmp/a b.png'), 'HTTPS://example.com/x.jpg')
    """
    text = os.fspath(source)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    scheme = urllib.parse.urlsplit(text).scheme.lower() if "://" in text else ""
    if scheme in ("http", "https"):
        return text
    if scheme == "file":
        return pathlib.Path(urllib.request.url2pathname(urllib.parse.urlsplit(text).path))
    if scheme:
        raise ImageError(f"{text}: {scheme}:// is not supported. Use http(s)://, file:// or a path.")
    return pathlib.Path(text).expanduser()


def _read_file(path: pathlib.Path, name: str) -> tuple[bytes, str]:
    st = _stat_image_file(path, name)
    _check_byte_count(st.st_size, name)
    data = path.read_bytes()
    if not data:
        raise ImageError(f"{name}: the file is empty.")
    return data, name


def _stat_image_file(path: pathlib.Path, name: str) -> os.stat_result:
    """``stat`` of an image file, or an ImageError saying what the path really is."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ImageError(f"{name}: no such file. Check the path (relative paths start at {os.getcwd()}).") from None
    except OSError as err:
        raise ImageError(f"{name}: cannot be read ({err.strerror}). Check the path and its permissions.") from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageError(f"{name} is a folder, not an image file: give the path of a PNG or JPEG inside it.")
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block and /dev/zero never ends
        raise ImageError(f"{name} is not a regular file (a device, FIFO or socket): give an image file.")
    if not os.access(path, os.R_OK):
        raise ImageError(f"{name}: permission denied. Check the file's permissions.")
    return st


def _check_byte_count(n: int, name: str) -> None:
    if n > MAX_FILE_BYTES:
        raise ImageError(f"{name}: more than {_size_text(MAX_FILE_BYTES)}, too big for an image here. "
                         "Resize or re-compress it first.")


def _size_text(n: int) -> str:
    """A byte cap as messages show it: whole megabytes, or bytes below one (a 1000-byte cap is not "0 MB")."""
    return f"{n // 2**20} MB" if n >= 2**20 else f"{n:,} bytes"


def download(url: str, *, deadline: float | None = None, max_bytes: int | None = None) -> bytes:
    """The bytes at an ``http(s)://`` URL, with a total deadline and a size cap.

    The download runs in a helper thread, so a server that trickles bytes (or a DNS lookup that
    hangs) cannot hold the caller past ``deadline``.

    Args:
        url: the address.
        deadline: seconds for everything (default :data:`URL_DEADLINE`).
        max_bytes: refuse bigger answers (default :data:`MAX_FILE_BYTES`).

    Raises:
        ImageError: HTTP error, unreachable host, too slow or too big; the message says what to do.
    """
    deadline = URL_DEADLINE if deadline is None else deadline
    max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
    box: dict[str, object] = {}
    worker = threading.Thread(target=_fetch, args=(url, time.monotonic() + deadline, max_bytes, box), daemon=True)
    worker.start()
    worker.join(deadline + 1.0)
    fix = "Download it yourself and pass the file path."
    if worker.is_alive() or box.get("error") == "deadline":
        raise ImageError(f"{url}: the download did not finish within {deadline:g} s. {fix}")
    if box.get("error") == "stall":
        raise ImageError(f"{url}: the server sent nothing for {URL_STALL:g} s, so the download was given up. {fix}")
    if box.get("error") == "size":
        raise ImageError(f"{url}: more than {_size_text(max_bytes)}, too big for an image here. {fix}")
    if "error" in box:
        raise ImageError(f"{url}: could not download ({box['error']}). {fix}")
    return box["data"]  # type: ignore[return-value]


def _fetch(url: str, end: float, max_bytes: int, box: dict) -> None:
    """Body of :func:`download`'s thread: reads in chunks, watching the clock and the size."""
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "nst-helpers"})
        with urllib.request.urlopen(request, timeout=max(0.1, min(URL_STALL, end - time.monotonic()))) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                box["error"] = "size"
                return
            chunks, total = [], 0
            while True:
                if time.monotonic() > end:
                    box["error"] = "deadline"
                    return
                chunk = response.read1(65536)  # returns after one receive: the clock is checked often
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
                if total > max_bytes:
                    box["error"] = "size"
                    return
            box["data"] = b"".join(chunks)
    except urllib.error.HTTPError as err:
        box["error"] = f"HTTP {err.code} {err.reason}"
    except urllib.error.URLError as err:
        box["error"] = str(err.reason)
    except TimeoutError:  # the socket's timeout: the whole deadline, or a stall of URL_STALL seconds before it
        box["error"] = "deadline" if time.monotonic() >= end - 0.05 else "stall"
    except Exception as err:  # the thread must always leave an answer
        box["error"] = f"{type(err).__name__}: {err}"


def _from_pil(pil: Image.Image, max_size: int | None, *, min_side: int | None = None,
              float_max: float | None = None, name: str) -> np.ndarray:
    if pil.width * pil.height > MAX_PIXELS:
        raise ImageError(f"{name}: {pil.width}x{pil.height} is too large. Resize it below {MAX_PIXELS:,} pixels.")
    _check_side(pil.width, pil.height, min_side, name)
    if max_size is not None and pil.format == "JPEG":
        pil.draft("RGB", (max_size, max_size))  # decode at 1/2, 1/4 or 1/8 scale: saves memory and time
    # Pillow < 10.3 opens a 16-bit grey PNG as mode "I" (32-bit), not "I;16"; a PNG has no 32-bit grey,
    # so "I" from a PNG is 16-bit whatever its values (a dark one must not be read as 8-bit)
    sixteen_bit = pil.mode.startswith("I;16") or (pil.mode == "I" and pil.format == "PNG")
    pil = ImageOps.exif_transpose(pil)
    array = _pil_to_array(pil, sixteen_bit=sixteen_bit)
    # 16/32-bit integer modes arrive already scaled to 0-255 (a dark one must not be read as [0, 1])
    return _from_array(array, max_size, float_max=float_max if pil.mode == "F" else 255.0, name=name)


def _check_side(width: int, height: int, min_side: int | None, name: str) -> None:
    if min_side is not None and min(width, height) < min_side:
        raise ImageError(
            f"{name} is {width}x{height} px; VGG needs at least {min_side} px on each side. Use a bigger image."
        )


def _pil_to_array(pil: Image.Image, *, sixteen_bit: bool = False) -> np.ndarray:
    if pil.mode in ("I;16", "I;16B", "I;16L", "I"):
        return np.asarray(pil, dtype=np.float64) / 65535.0 * 255.0 if sixteen_bit else _scale_int(np.asarray(pil))
    if pil.mode == "F":
        return np.asarray(pil, dtype=np.float32)
    # "transparency" is a PNG/GIF colour key (tRNS): palette, grey and RGB files use it instead of an alpha band
    if pil.mode in ("RGBA", "LA", "PA") or "transparency" in pil.info:
        return np.asarray(pil.convert("RGBA"))
    return np.asarray(pil.convert("RGB"))


def _scale_int(array: np.ndarray) -> np.ndarray:
    # 32-bit integer images: assume 16-bit content if values exceed 255
    return array / 65535.0 * 255.0 if array.max(initial=0) > 255 else array.astype(np.float64)


def _from_array(array: np.ndarray, max_size: int | None, *, min_side: int | None = None,
                float_max: float | None = None, name: str = "image array") -> np.ndarray:
    array = np.asarray(array)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[-1] not in (1, 3, 4) or array.size == 0:
        raise ImageError(f"Image array has shape {array.shape}: expected (H, W), (H, W, 1), (H, W, 3) or (H, W, 4).")
    _check_side(array.shape[1], array.shape[0], min_side, name)
    rgb = _to_float255(array, float_max)
    if rgb.shape[-1] == 4:
        rgb = composite_on_white(rgb)
    elif rgb.shape[-1] == 1:
        rgb = np.repeat(rgb, 3, axis=-1)
    if max_size is not None and max(rgb.shape[:2]) > max_size:
        rgb = resize(rgb, max_size)
    return np.ascontiguousarray(rgb, dtype=np.float32)


def _to_float255(array: np.ndarray, float_max: float | None = None) -> np.ndarray:
    if array.dtype == np.uint8:
        return array.astype(np.float32)
    if array.dtype == np.uint16:
        return array.astype(np.float32) * (255.0 / 65535.0)
    if array.dtype == bool:
        return array.astype(np.float32) * 255.0
    if float_max not in (None, 1.0, 255.0):
        raise ImageError(f"float_max={float_max!r}: use 1.0 (values in [0, 1]), 255.0 (0-255) or None (guess).")
    is_float = array.dtype.kind == "f"
    array = array.astype(np.float32)
    if not np.all(np.isfinite(array)):
        raise ImageError("Image array contains NaN or infinite values.")
    if is_float and float_max is None:
        float_max = 1.0 if array.max() <= 1.0 and array.min() >= 0.0 else 255.0
    if is_float and float_max == 1.0:
        return np.clip(array * 255.0, 0.0, 255.0)  # [0, 1] floats, as matplotlib and skimage use
    return np.clip(array, 0.0, 255.0)


def image_size(source: str | os.PathLike) -> tuple[int, int]:
    """``(height, width)`` of an image file after EXIF rotation, reading only its header.

    Raises:
        ImageError: missing, unreadable or absurdly large file (more than :data:`MAX_PIXELS`).
    """
    name = os.fspath(source)
    path = pathlib.Path(name).expanduser()
    _stat_image_file(path, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # judged by size below
            with Image.open(path) as pil:
                w, h = pil.size
                if w * h > MAX_PIXELS:
                    raise ImageError(f"{name}: {w}x{h} is too large. Resize it below {MAX_PIXELS:,} pixels.")
                rotated = _exif_orientation(pil) in (5, 6, 7, 8)
    except ImageError:
        raise
    except Exception as err:
        raise _unreadable(name, err) from None
    return (w, h) if rotated else (h, w)


def _exif_orientation(pil: Image.Image) -> int:
    try:
        return int(pil.getexif().get(0x0112, 1))
    except Exception:  # a damaged EXIF block: the full load will judge the file
        return 1


def composite_on_white(rgba: np.ndarray) -> np.ndarray:
    """Flatten an (H, W, 4) image in [0, 255] onto a white background: (H, W, 3)."""
    alpha = rgba[..., 3:4] / 255.0
    return rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)


def resized_shape(shape: tuple[int, ...], size: int | tuple[int, int], *, square: bool = False) -> tuple[int, int]:
    """``(height, width)`` that :func:`resize` gives an image of ``shape`` (no pixels needed).

    >>> resized_shape((100, 50, 3), 64)
    (64, 32)
    """
    h, w = shape[:2]
    if not isinstance(size, int):
        return int(size[0]), int(size[1])
    if square:
        return size, size
    scale = size / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


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
    new_h, new_w = resized_shape(image.shape, size, square=square)
    if (new_h, new_w) == (h, w):
        return image.astype(np.float32, copy=True)
    method = cv2.INTER_AREA if new_h * new_w < h * w else cv2.INTER_CUBIC
    out = cv2.resize(np.asarray(image, np.float32), (new_w, new_h), interpolation=method)
    return np.clip(out.reshape(new_h, new_w, -1), 0.0, 255.0).astype(np.float32)


def check_min_size(image: np.ndarray, *, minimum: int = MIN_SIDE, name: str = "image") -> None:
    """Raise :class:`ImageError` if a side is shorter than VGG's pooling needs."""
    if min(image.shape[:2]) < minimum:
        raise ImageError(
            f"{name} is {image.shape[1]}x{image.shape[0]} px; VGG needs at least {minimum} px on each side. "
            "Use a bigger image or a larger size."
        )


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Round and clip a package image to uint8 (H, W, 3), ready for display or saving."""
    return np.clip(np.rint(np.asarray(image, np.float32)), 0, 255).astype(np.uint8)


OUTPUT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def save_image(
    image: np.ndarray, path: str | os.PathLike, *, quality: int = 95, overwrite: bool = True,
    inputs: Sequence[str | os.PathLike] = (), overwrite_hint: str = "overwrite=True",
) -> pathlib.Path:
    """Save an image as PNG or JPEG (chosen by the suffix), atomically.

    The image is encoded in memory, then written through :mod:`nst_helpers.safe_write`: a
    uniquely named temporary file next to ``path``, moved into place in one step, with the
    permissions the umask gives any new file. An interrupted save never leaves a half-written
    image, and never a temporary file (except after SIGKILL; the next save of ``path`` removes it).

    Args:
        image: (H, W, 3) in [0, 255] (rounded and clipped to uint8).
        path: ``.png``, ``.jpg`` or ``.jpeg``; missing folders are created.
        quality: JPEG quality, 1-95.
        overwrite: replace an existing file (the default, as notebooks re-run); with ``False``
            an existing file, even one that appears during the save, is never replaced.
        inputs: files never to replace, even with ``overwrite`` (e.g. the photo of the run).
        overwrite_hint: how the caller spells "overwrite" in error messages.

    Returns:
        The path written.

    Raises:
        ImageError: unsupported suffix.
        OutputError: the file cannot be written there (see :func:`safe_write.check_target`).
    """
    path = pathlib.Path(path)
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImageError(f"{path}: unsupported output type {path.suffix!r}; use .png or .jpg.")
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(buffer, format=fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return safe_write.write_bytes(path, buffer.getvalue(), overwrite=overwrite, inputs=inputs,
                                  overwrite_hint=overwrite_hint)


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
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))


DEFAULTS = {"content": "leuven_street.jpg", "style": "starry_night.jpg"}
