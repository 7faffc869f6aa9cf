"""nst_helpers.images, behaviour the first test file leaves open (found by mutation testing).

Each test names what a wrong implementation would get wrong: sizes, value scaling, clipping,
interpolation, channel handling, saving. Independent references are numpy arithmetic and PIL.
"""

import contextlib
import http.server
import io
import os
import pathlib
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from nst_helpers import images as I
from nst_helpers import safe_write
from nst_helpers.errors import ImageError


def _encoded(pil: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    pil.save(buf, format=fmt, **kw)
    return buf.getvalue()


# ----- max_size applies to every kind of source -------------------------------------------------------------
@pytest.mark.parametrize("kind", ["array", "pil", "png-bytes", "path"])
def test_max_size_shrinks_every_source_and_never_grows(tmp_path, kind):
    rgb = np.random.default_rng(0).integers(0, 256, (200, 100, 3), dtype=np.uint8)
    path = tmp_path / "a.png"
    Image.fromarray(rgb).save(path)
    source = {"array": rgb, "pil": Image.fromarray(rgb), "png-bytes": path.read_bytes(), "path": path}[kind]
    assert I.load_image(source, max_size=50).shape == (50, 25, 3)
    assert I.load_image(source, max_size=200).shape == (200, 100, 3)
    assert I.load_image(source, max_size=1000).shape == (200, 100, 3)  # never upscaled


# ----- value conventions ------------------------------------------------------------------------------------
def test_bool_arrays_become_black_and_white():
    mask = np.array([[True, False], [False, True]])
    np.testing.assert_array_equal(I.load_image(mask)[..., 0], [[255.0, 0.0], [0.0, 255.0]])


def test_16_bit_arrays_scale_to_the_8_bit_range():
    arr = np.array([[0, 65535, 32768, 257]], np.uint16)
    np.testing.assert_allclose(I.load_image(arr)[0, :, 1], arr[0] * (255.0 / 65535.0), rtol=1e-6)


def test_float_arrays_are_clipped_to_0_255():
    arr = np.array([[[-10.0, 128.0, 300.0]]], np.float64)
    out = I.load_image(arr)
    np.testing.assert_array_equal(out[0, 0], [0.0, 128.0, 255.0])
    assert out.dtype == np.float32 and out.flags["C_CONTIGUOUS"]


def test_unit_floats_are_scaled_to_0_255():
    arr = np.array([[[0.0, 0.25, 1.0]]], np.float32)
    np.testing.assert_allclose(I.load_image(arr)[0, 0], [0.0, 63.75, 255.0])
    wide = np.array([[[0.0, 0.5, 200.0]]], np.float32)  # already 0-255: kept
    np.testing.assert_array_equal(I.load_image(wide)[0, 0], [0.0, 0.5, 200.0])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_floats_are_refused(bad):
    arr = np.full((4, 4, 3), 100.0)
    arr[1, 2, 0] = bad
    with pytest.raises(ImageError):
        I.load_image(arr)


@pytest.mark.parametrize("shape", [(2, 4, 4, 3), (4, 4, 2), (4, 4, 5), (0, 4, 3), (4,), (1, 1, 4, 4, 3)])
def test_wrong_array_shapes_are_refused(shape):
    with pytest.raises(ImageError):
        I.load_image(np.zeros(shape, np.uint8))


def test_single_channel_and_batched_arrays():
    grey = np.array([[[10], [20]]], np.uint8)  # (1, 2, 1)
    np.testing.assert_array_equal(I.load_image(grey), [[[10] * 3, [20] * 3]])
    batch = np.full((1, 3, 2, 3), 7, np.uint8)
    assert I.load_image(batch).shape == (3, 2, 3)


def test_alpha_blends_on_white_in_proportion():
    rgba = np.array([[[0, 0, 0, 255], [0, 0, 0, 0], [0, 0, 0, 51], [100, 200, 0, 153]]], np.uint8)
    out = I.load_image(rgba)[0]
    np.testing.assert_allclose(out[0], 0.0)
    np.testing.assert_allclose(out[1], 255.0)
    np.testing.assert_allclose(out[2], 204.0, atol=1e-3)  # 20 % black over white
    np.testing.assert_allclose(out[3], [0.6 * 100 + 102, 0.6 * 200 + 102, 102], atol=1e-3)
    np.testing.assert_allclose(I.composite_on_white(rgba.astype(np.float32)), out[None], atol=1e-3)


@pytest.mark.parametrize("mode", ["LA", "PA", "P-transparency"])
def test_transparent_pil_modes_are_composited(mode):
    rgba = Image.fromarray(np.array([[[255, 0, 0, 0], [0, 0, 255, 255]]], np.uint8), "RGBA")
    if mode == "LA":
        pil = rgba.convert("LA")
    elif mode == "PA":  # built directly: Pillow < 10 drops the alpha in rgba.convert("PA")
        pil = Image.frombytes("PA", (2, 1), bytes([0, 0, 1, 255]))
        pil.putpalette([255, 0, 0, 0, 0, 255])
    else:
        pil = Image.fromarray(np.array([[0, 1]], np.uint8), "P")
        pil.putpalette([255, 0, 0, 0, 0, 255])
        pil.info["transparency"] = 0
    out = I.load_image(pil)
    np.testing.assert_allclose(out[0, 0], 255.0, atol=1)  # the transparent pixel shows white
    assert out[0, 1].mean() < 200  # the opaque pixel is not whitened


def test_integer_and_float_pil_modes():
    big = Image.fromarray(np.array([[0, 65535]], np.int32), "I")  # 16-bit content in a 32-bit image
    np.testing.assert_allclose(I.load_image(big)[0, :, 0], [0.0, 255.0], atol=1e-3)
    small = Image.fromarray(np.array([[0, 200]], np.int32), "I")  # already 8-bit values
    np.testing.assert_allclose(I.load_image(small)[0, :, 0], [0.0, 200.0])
    flt = Image.fromarray(np.array([[10.0, 300.0]], np.float32), "F")
    np.testing.assert_allclose(I.load_image(flt)[0, :, 0], [10.0, 255.0])
    grey = Image.fromarray(np.array([[5, 250]], np.uint8), "L")
    np.testing.assert_array_equal(I.load_image(grey)[0], [[5] * 3, [250] * 3])


def test_pil_images_over_the_pixel_limit_are_refused(monkeypatch):
    monkeypatch.setattr(I, "MAX_PIXELS", 100)
    with pytest.raises(ImageError):
        I.load_image(Image.new("RGB", (20, 20)))
    I.load_image(Image.new("RGB", (10, 10)))


def test_jpeg_max_size_decodes_small_and_keeps_the_aspect():
    big = Image.new("RGB", (1600, 1200), (200, 30, 30))
    out = I.load_image(_encoded(big, "JPEG"), max_size=150)
    assert out.shape == (112, 150, 3) or out.shape == (113, 150, 3)


# ----- bytes and files --------------------------------------------------------------------------------------
def test_bytearray_and_memoryview_are_bytes():
    data = _encoded(Image.new("RGB", (3, 2), (1, 2, 3)))
    for source in (bytearray(data), memoryview(data)):
        np.testing.assert_array_equal(I.load_image(source)[0, 0], [1, 2, 3])


@pytest.mark.parametrize("source", [b"", 12, None, 3.5])
def test_empty_and_unknown_sources_are_refused(source):
    with pytest.raises(ImageError):
        I.load_image(source)


def test_empty_file_and_directory_are_refused(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    for source in (tmp_path / "empty.png", tmp_path):
        with pytest.raises(ImageError):
            I.load_image(source)


def test_image_size_reads_the_header_and_applies_exif_rotation(tmp_path):
    plain = tmp_path / "plain.png"
    Image.new("RGB", (30, 20)).save(plain)
    assert I.image_size(plain) == (20, 30)
    rotated = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    Image.new("RGB", (30, 20)).save(rotated, exif=exif)
    assert I.image_size(rotated) == (30, 20)
    assert I.load_image(rotated).shape[:2] == (30, 20)
    (tmp_path / "junk.png").write_text("junk")
    for bad in (tmp_path / "junk.png", tmp_path / "missing.png", tmp_path):
        with pytest.raises(ImageError):
            I.image_size(bad)


# ----- resize -----------------------------------------------------------------------------------------------
def test_resize_shrinks_by_area_average():
    checker = np.array([[0, 255], [255, 0]], np.float32)[..., None].repeat(3, axis=-1)
    np.testing.assert_allclose(I.resize(np.tile(checker, (2, 2, 1)), 2), 127.5)
    blocks = np.zeros((4, 4, 3), np.float32)
    blocks[:2, :2] = 100.0
    np.testing.assert_allclose(I.resize(blocks, (2, 2))[..., 0], [[100, 0], [0, 0]])


def test_resize_grows_smoothly_and_clips_overshoot():
    step = np.zeros((4, 4, 3), np.float32)
    step[:, 2:] = 255.0
    out = I.resize(step, 16)
    assert out.shape == (16, 16, 3) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 255.0  # cubic interpolation overshoots at edges: clipped
    middle = out[8, :, 0]
    assert 0 < middle[7] < 255 or 0 < middle[8] < 255  # an interpolated ramp, not nearest-neighbour
    assert np.all(np.diff(middle[2:-2]) >= -1e-3)


def test_resize_rounding_sizes_and_copies():
    img = np.full((3, 1000, 3), 9.0, np.float32)
    assert I.resize(img, 100).shape == (1, 100, 3)  # never a zero-pixel side
    assert I.resize(np.zeros((100, 50, 3), np.float32), 65).shape == (65, 32, 3) or \
        I.resize(np.zeros((100, 50, 3), np.float32), 65).shape == (65, 33, 3)
    assert I.resize(np.zeros((50, 100, 3), np.float32), 64, square=True).shape == (64, 64, 3)
    same = np.full((8, 6, 3), 3.0, np.float64)
    out = I.resize(same, (8, 6))
    assert out is not same and out.dtype == np.float32
    np.testing.assert_array_equal(out, same)
    assert I.resize(same, 8).shape == (8, 6, 3)
    assert I.resize(np.zeros((8, 6, 1), np.float32), 4).shape == (4, 3, 1)


def test_check_min_size_uses_the_given_minimum():
    I.check_min_size(np.zeros((40, 40, 3)), minimum=40)
    with pytest.raises(ImageError):
        I.check_min_size(np.zeros((40, 41, 3)), minimum=41)
    with pytest.raises(ImageError):
        I.check_min_size(np.zeros((100, 31, 3)))


# ----- saving -----------------------------------------------------------------------------------------------
def test_to_uint8_rounds_and_clips():
    out = I.to_uint8(np.array([[[-5.0, 0.4, 0.6], [127.4, 254.6, 300.0]]]))
    np.testing.assert_array_equal(out, [[[0, 0, 1], [127, 255, 255]]])
    assert out.dtype == np.uint8


def test_save_image_formats_quality_and_folders(tmp_path):
    rng = np.random.default_rng(3)
    img = rng.uniform(0, 255, (32, 32, 3)).astype(np.float32)
    png = I.save_image(img, tmp_path / "new" / "dir" / "a.PNG")
    assert png.is_file() and Image.open(png).format == "PNG"
    np.testing.assert_array_equal(I.load_image(png), I.to_uint8(img))
    low = I.save_image(img, tmp_path / "low.jpg", quality=10)
    high = I.save_image(img, tmp_path / "high.jpeg", quality=95)
    assert Image.open(low).format == Image.open(high).format == "JPEG"
    assert low.stat().st_size < high.stat().st_size
    assert not [p for p in tmp_path.rglob(".*")]  # no temporary files left behind


# ----- bundled data -----------------------------------------------------------------------------------------
def test_data_path_defaults_and_errors():
    assert I.data_path("content").name == I.DEFAULTS["content"]
    assert I.data_path("style").name == I.DEFAULTS["style"]
    assert I.data_path("style", "great_wave.jpg").is_file()
    for kind, name in [("paintings", None), ("style", "no_such.jpg")]:
        with pytest.raises(ImageError):
            I.data_path(kind, name)


def test_list_bundled_lists_images_only_sorted():
    names = I.list_bundled("style")
    assert names == sorted(names) and "great_wave.jpg" in names
    assert all(n.lower().endswith((".jpg", ".jpeg", ".png")) for n in names)
    assert I.list_bundled("no_such_folder") == []


# ----- second round: what the first mutation run showed untested ---------------------------------------
@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I;16L"])
def test_16_bit_pil_modes_scale_exactly(mode):
    values = np.array([[0, 1000, 32768, 65535]], np.uint16)
    dtype = {"I;16": "<u2", "I;16L": "<u2", "I;16B": ">u2"}[mode]
    pil = Image.frombytes(mode, (4, 1), values.astype(dtype).tobytes())
    np.testing.assert_allclose(I.load_image(pil)[0, :, 0], values[0] * 255.0 / 65535.0, rtol=1e-6)


def test_32_bit_integer_images_scale_only_above_255():
    for values, expected in [([0, 255], [0.0, 255.0]), ([0, 256, 65535], [0.0, 256 * 255 / 65535, 255.0]),
                             ([1000, 65535], [1000 * 255 / 65535, 255.0])]:
        pil = Image.fromarray(np.array([values], np.int32), "I")
        np.testing.assert_allclose(I.load_image(pil)[0, :, 0], expected, rtol=1e-6)


def test_floats_just_above_one_are_not_taken_for_unit_floats():
    arr = np.array([[[0.0, 0.5, 1.5]]], np.float32)
    np.testing.assert_array_equal(I.load_image(arr)[0, 0], [0.0, 0.5, 1.5])


@pytest.mark.parametrize("orientation, swapped", [(1, False), (2, False), (3, False), (4, False),
                                                  (5, True), (6, True), (7, True), (8, True)])
def test_image_size_swaps_sides_for_every_rotating_exif_orientation(tmp_path, orientation, swapped):
    path = tmp_path / "o.jpg"
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.new("RGB", (30, 20)).save(path, exif=exif)
    assert I.image_size(path) == ((30, 20) if swapped else (20, 30))
    assert I.load_image(path).shape[:2] == I.image_size(path)


def test_big_jpegs_are_decoded_at_reduced_size(monkeypatch):
    from PIL import JpegImagePlugin

    asked = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        asked.append((mode, size))
        return original(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    data = _encoded(Image.new("RGB", (1600, 1200), (1, 2, 3)), "JPEG")
    I.load_image(data, max_size=150)
    assert asked == [("RGB", (150, 150))]
    asked.clear()
    I.load_image(data)  # no max_size: full decode
    I.load_image(_encoded(Image.new("RGB", (160, 120)), "PNG"), max_size=50)  # PNG has no draft mode
    assert asked == []


@pytest.mark.parametrize("src, dst", [((20, 30), (40, 61)), ((20, 30), (7, 11)), ((6, 4), (4, 6))],
                         ids=["grow", "shrink", "same-area"])
def test_resize_interpolates_area_when_shrinking_and_cubic_otherwise(src, dst):
    import cv2

    img = np.random.default_rng(5).uniform(0, 255, (*src, 3)).astype(np.float32)
    method = cv2.INTER_AREA if dst[0] * dst[1] < src[0] * src[1] else cv2.INTER_CUBIC
    expected = np.clip(cv2.resize(img, dst[::-1], interpolation=method), 0, 255)
    np.testing.assert_allclose(I.resize(img, dst), expected, rtol=1e-6, atol=1e-4)


def test_resize_keeps_thin_images_one_pixel_wide_and_returns_a_copy():
    assert I.resize(np.zeros((1000, 3, 3), np.float32), 100).shape == (100, 1, 3)
    same = np.full((8, 6, 3), 3.0, np.float32)
    out = I.resize(same, (8, 6))
    out[0, 0, 0] = 99.0
    assert same[0, 0, 0] == 3.0  # the caller's image is never changed through the result


def test_save_writes_its_temporary_file_hidden_in_the_target_folder(tmp_path, monkeypatch):
    moves = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (moves.append((a, b)), real_replace(a, b))[1])
    target = tmp_path / "out" / "result.png"
    I.save_image(np.zeros((4, 4, 3), np.float32), target)
    ((src, dst),) = moves
    src = pathlib.Path(src)
    assert src.parent == target.parent and src.name.startswith(".") and str(dst) == str(target)


def test_list_bundled_knows_every_image_suffix(tmp_path, monkeypatch):
    folder = tmp_path / "style"
    folder.mkdir()
    for name in ("a.png", "b.JPEG", "c.jpg", "d.txt", "e.PNG"):
        (folder / name).write_bytes(b"x")
    monkeypatch.setattr(I, "DATA_DIR", tmp_path)
    assert I.list_bundled("style") == ["a.png", "b.JPEG", "c.jpg", "e.PNG"]
    assert I.list_bundled("content") == []


def test_find_data_dir_finds_the_bundled_images():
    """Called afresh (DATA_DIR is computed once at import), it must point at the folder holding content/."""
    found = I._find_data_dir()
    assert found == I.DATA_DIR
    assert (found / "content").is_dir()
    assert found.name == "data"


def test_find_data_dir_prefers_the_wheel_copy(tmp_path, monkeypatch):
    """An installed wheel keeps data/ inside the package; that copy wins over a sibling data/."""
    pkg = tmp_path / "nst_helpers"
    (pkg / "data" / "content").mkdir(parents=True)
    (tmp_path / "data" / "content").mkdir(parents=True)
    monkeypatch.setattr(I, "__file__", str(pkg / "images.py"))
    assert I._find_data_dir() == (pkg / "data").resolve()
    (pkg / "data" / "content").rmdir()
    assert I._find_data_dir() == (tmp_path / "data").resolve()


# ----- third round: the download path and the byte caps -----------------------------------------------
_NOISE_PNG = _encoded(Image.fromarray(np.random.default_rng(7).integers(0, 256, (300, 300, 3), dtype=np.uint8)))
_FIX = "Download it yourself and pass the file path"  # what every download error tells the reader to do


class _Server(http.server.BaseHTTPRequestHandler):
    """A local web server with the answers real servers give (HTTP/1.0: a body may end at the close)."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        route = self.path.lstrip("/")
        if route == "noise.png":  # several receive buffers long
            self._send(200, _NOISE_PNG)
        elif route == "no-length.png":  # no Content-Length: the body ends when the server closes
            self._send(200, _NOISE_PNG, length=None)
        elif route == "bad-length.png":
            self._send(200, _NOISE_PNG, length="lots")
        elif route == "late.png":  # thinks for a while, then answers
            time.sleep(0.6)
            self._send(200, _NOISE_PNG)
        elif route == "silent.png":  # accepts the request and never answers
            time.sleep(3)
        elif route == "stalls.png":  # starts the answer, then stops sending mid-body
            self.send_response(200)
            self.send_header("Content-Length", str(len(_NOISE_PNG)))
            self.end_headers()
            self.wfile.write(_NOISE_PNG[:1000])
            self.wfile.flush()
            time.sleep(3)
        elif route == "picky.png":  # like Wikimedia: Python's default User-Agent is refused
            agent = self.headers.get("User-Agent", "")
            self._send(403, b"no bots") if agent.startswith("Python-urllib") else self._send(200, _NOISE_PNG)
        elif route == "empty.png":
            self._send(200, b"")
        elif route == "page.html":
            self._send(200, b"<html><body>Sign in to view this image</body></html>")
        elif route == "garbage":  # not HTTP at all
            self.wfile.write(b"hello there\r\n\r\n")
        elif route == "error":
            self._send(500, b"oops")
        else:
            self._send(404, b"nope")

    def _send(self, code, body, length=""):
        self.send_response(code)
        if length is not None:
            self.send_header("Content-Length", str(length or len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)


@pytest.fixture(scope="module")
def web(local_http_server):
    with local_http_server(_Server) as url:
        yield url


def test_a_download_returns_the_exact_bytes_and_loads_as_the_image(web):
    assert len(_NOISE_PNG) > 3 * 65536  # arrives in several pieces
    assert I.download(f"{web}/noise.png") == _NOISE_PNG
    np.testing.assert_array_equal(I.load_image(f"{web}/noise.png"), I.load_image(_NOISE_PNG))


@pytest.mark.parametrize("route", ["no-length.png", "bad-length.png"])
def test_servers_that_announce_no_size_or_a_wrong_one_still_work(web, route):
    assert I.download(f"{web}/{route}") == _NOISE_PNG


@pytest.mark.parametrize("route", ["noise.png", "no-length.png"], ids=["announced", "counted"])
def test_the_size_cap_allows_exactly_max_bytes_and_refuses_one_more(web, route):
    n = len(_NOISE_PNG)
    assert I.download(f"{web}/{route}", max_bytes=n) == _NOISE_PNG
    with pytest.raises(ImageError, match=f"more than {n - 1:,} bytes, too big") as err:
        I.download(f"{web}/{route}", max_bytes=n - 1)
    assert _FIX in str(err.value)


def test_a_server_answering_within_the_deadline_is_not_cut_off(web):
    start = time.monotonic()
    assert I.download(f"{web}/late.png", deadline=1.2) == _NOISE_PNG
    assert time.monotonic() - start >= 0.6


def test_a_silent_server_is_given_up_at_the_deadline(web):
    start = time.monotonic()
    with pytest.raises(ImageError, match="did not finish within 0.3 s") as err:
        I.download(f"{web}/silent.png", deadline=0.3)
    assert time.monotonic() - start < 0.9  # the deadline itself, not a fixed socket timeout
    assert _FIX in str(err.value)


def test_a_stall_mid_answer_is_named_as_a_stall_not_as_the_deadline(web, monkeypatch):
    monkeypatch.setattr(I, "URL_STALL", 0.3)
    start = time.monotonic()
    with pytest.raises(ImageError, match="sent nothing for 0.3 s") as err:
        I.download(f"{web}/stalls.png", deadline=20)
    assert time.monotonic() - start < 2.5  # given up at the stall, long before the deadline
    assert "within" not in str(err.value) and _FIX in str(err.value)


def test_a_hanging_lookup_holds_neither_the_caller_nor_python_at_exit(monkeypatch):
    """urlopen can block before any socket timeout applies (a DNS lookup); the caller still gets its answer,
    and the stuck helper thread does not keep the interpreter from exiting (a CLI run, a kernel restart)."""
    release = threading.Event()

    def stuck(*args, **kwargs):
        release.wait(3)
        raise OSError("released")

    monkeypatch.setattr(I.urllib.request, "urlopen", stuck)
    start = time.monotonic()
    try:
        with pytest.raises(ImageError, match="did not finish within 0.2 s"):
            I.download("http://example.invalid/a.png", deadline=0.2)
        assert time.monotonic() - start < 2.0
    finally:
        release.set()
    code = (
        "import threading, urllib.request\n"
        "from nst_helpers import images\n"
        "urllib.request.urlopen = lambda *a, **k: threading.Event().wait(20)\n"
        "try:\n"
        "    images.download('http://example.invalid/a.png', deadline=0.1)\n"
        "except images.ImageError:\n"
        "    pass\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), *sys.path]))
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=15)
    assert time.monotonic() - start < 8


def test_servers_that_refuse_pythons_default_user_agent_still_serve(web):
    assert I.download(f"{web}/picky.png") == _NOISE_PNG


@pytest.mark.parametrize("route, words", [("missing.png", "HTTP 404 Not Found"), ("error", "HTTP 500"),
                                          ("garbage", r"could not download \(BadStatusLine")])
def test_http_errors_and_broken_servers_give_one_clear_error(web, route, words):
    with pytest.raises(ImageError, match=words) as err:
        I.load_image(f"{web}/{route}")
    assert _FIX in str(err.value) and f"{web}/{route}" in str(err.value)


def test_an_unreachable_host_says_why():
    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/a.png"
        with pytest.raises(ImageError, match="refused") as err:
            I.load_image(url)
    assert _FIX in str(err.value)


def test_https_urls_are_downloaded_not_refused(web):
    """A plain-HTTP server cannot speak TLS: the https download is tried, and fails as a download."""
    with pytest.raises(ImageError, match="could not download") as err:
        I.load_image("HTTPS" + web[len("http"):] + "/noise.png")
    assert _FIX in str(err.value)


@pytest.mark.parametrize("route, words", [("empty.png", "the file is empty"), ("page.html", "not a readable image")])
def test_an_empty_or_non_image_answer_is_one_clear_error(web, route, words):
    with pytest.raises(ImageError, match=words) as err:
        I.load_image(f"{web}/{route}")
    assert f"{web}/{route}" in str(err.value)


def test_files_and_open_files_are_capped_at_max_file_bytes_inclusive(tmp_path, monkeypatch):
    path = tmp_path / "noise.png"
    path.write_bytes(_NOISE_PNG)
    monkeypatch.setattr(I, "MAX_FILE_BYTES", len(_NOISE_PNG))
    with open(path, "rb") as f:
        np.testing.assert_array_equal(I.load_image(f), I.load_image(_NOISE_PNG))
    np.testing.assert_array_equal(I.load_image(path), I.load_image(_NOISE_PNG))
    monkeypatch.setattr(I, "MAX_FILE_BYTES", len(_NOISE_PNG) - 1)
    for source in (path, path.as_uri(), io.BytesIO(_NOISE_PNG)):
        with pytest.raises(ImageError, match="re-compress"):
            I.load_image(source)
    monkeypatch.setattr(I, "MAX_FILE_BYTES", 2**20)
    big = tmp_path / "big.png"
    big.write_bytes(_NOISE_PNG + b"\0" * 2**20)
    with pytest.raises(ImageError, match="big.png: more than 1 MB"):
        I.load_image(big)


def test_open_files_must_be_binary_and_are_named_in_errors(tmp_path):
    path = tmp_path / "holiday.png"
    path.write_bytes(b"not a picture")
    with open(path, "rb") as f, pytest.raises(ImageError, match="holiday.png: not a readable image"):
        I.load_image(f)
    with open(path) as f, pytest.raises(ImageError, match="binary mode"):
        I.load_image(f)
    with pytest.raises(ImageError, match="not a readable image") as err:
        I.load_image(io.BytesIO(b"not a picture"))
    assert "<_io" not in str(err.value)


def test_home_folders_and_byte_paths_are_understood(tmp_path, monkeypatch):
    (tmp_path / "noise.png").write_bytes(_NOISE_PNG)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert I.load_image("~/noise.png").shape == (300, 300, 3)
    assert I.image_size("~/noise.png") == (300, 300)

    class BytesPath:
        def __fspath__(self):
            return os.fsencode(tmp_path / "noise.png")

    assert I.load_image(BytesPath()).shape == (300, 300, 3)


def test_unreadable_paths_say_what_to_check(tmp_path, monkeypatch):
    (tmp_path / "file.png").write_bytes(_NOISE_PNG)
    with pytest.raises(ImageError, match="cannot be read .*Check the path"):
        I.load_image(tmp_path / "file.png" / "inside.png")  # a file used as a folder
    locked = tmp_path / "locked.png"
    locked.write_bytes(_NOISE_PNG)
    locked.chmod(0)
    real_access = os.access  # root reads anything: ask access() as an ordinary user would be answered
    monkeypatch.setattr(I.os, "access", lambda p, mode: False if str(p) == str(locked) else real_access(p, mode))
    with pytest.raises(ImageError, match="permission denied"):
        I.load_image(locked)


def test_integer_arrays_are_0_255_whatever_float_max_says():
    """float_max is the white of *float* arrays; small integers are dark 0-255 pixels, never a [0, 1] image."""
    ints = np.array([[0, 1]], np.int32)
    np.testing.assert_array_equal(I.load_image(ints)[0, :, 0], [0.0, 1.0])
    np.testing.assert_array_equal(I.load_image(ints, float_max=1.0)[0, :, 0], [0.0, 1.0])


def test_image_size_accepts_exactly_max_pixels(tmp_path, monkeypatch):
    path = tmp_path / "a.png"
    Image.new("RGB", (20, 10)).save(path)
    monkeypatch.setattr(I, "MAX_PIXELS", 200)
    assert I.image_size(path) == (10, 20)
    monkeypatch.setattr(I, "MAX_PIXELS", 199)
    with pytest.raises(ImageError, match="20x10 is too large"):
        I.image_size(path)


# ----- fourth round: colour keys, float and palette files, what each message names -----------------------
@pytest.mark.parametrize("mode, key", [("L", 0), ("RGB", (0, 0, 0)), ("P", 0)])
def test_a_transparent_colour_key_is_composited_on_white_in_every_mode(mode, key):
    """PNG's tRNS marks one grey level, RGB colour or palette entry as transparent: it shows white, like alpha."""
    pil = Image.fromarray(np.array([[0, 200]], np.uint8)).convert(mode)
    out = I.load_image(_encoded(pil, transparency=key))
    np.testing.assert_array_equal(out[0], [[255.0] * 3, [200.0] * 3])


def test_float_images_in_0_1_are_scaled_like_float_arrays():
    """A 32-bit float TIFF (PIL mode "F") follows the float_max rule of float arrays."""
    data = _encoded(Image.fromarray(np.array([[0.0, 0.5, 1.0]], np.float32), "F"), "TIFF")
    np.testing.assert_allclose(I.load_image(data)[0, :, 0], [0.0, 127.5, 255.0])
    np.testing.assert_allclose(I.load_image(data, float_max=255.0)[0, :, 0], [0.0, 0.5, 1.0])


def test_palette_and_cmyk_files_come_back_in_their_colours():
    pal = Image.fromarray(np.array([[0, 1]], np.uint8), "P")
    pal.putpalette([250, 10, 20, 30, 40, 240])
    np.testing.assert_array_equal(I.load_image(_encoded(pal))[0], [[250, 10, 20], [30, 40, 240]])
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 255, 0))  # no cyan or black, full magenta and yellow: red
    np.testing.assert_allclose(I.load_image(_encoded(cmyk, "JPEG"))[0, 0], [255, 0, 0], atol=3)


def test_32_bit_integer_images_just_above_255_are_16_bit_content():
    pil = Image.fromarray(np.array([[0, 256]], np.int32), "I")
    np.testing.assert_allclose(I.load_image(pil)[0, :, 0], [0.0, 256 * 255 / 65535], rtol=1e-6)


def test_file_errors_name_the_file_and_the_fix(tmp_path):
    missing = tmp_path / "holiday.png"
    for read in (I.load_image, I.image_size):
        with pytest.raises(ImageError, match="holiday.png: no such file"):
            read(missing)
    (tmp_path / "junk.png").write_text("junk")
    with pytest.raises(ImageError, match="junk.png: not a readable image"):
        I.image_size(tmp_path / "junk.png")
    cut = tmp_path / "cut.png"
    cut.write_bytes(_NOISE_PNG[: len(_NOISE_PNG) // 2])  # a download that stopped half way
    with pytest.raises(ImageError, match="cut.png: not a readable image .*re-save it as PNG or JPEG"):
        I.load_image(cut)
    small = tmp_path / "thumb.png"
    Image.new("RGB", (31, 200)).save(small)
    with pytest.raises(ImageError, match="thumb.png is 31x200 px"):
        I.load_image(small, min_side=I.MIN_SIDE)


def test_a_decompression_bomb_names_the_fix():
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 9500, 9500, 8, 2, 0, 0, 0))
    with pytest.raises(ImageError, match="too large to open safely .*Resize it below that first"):
        I.load_image(header + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def test_check_min_size_says_the_size_found_and_the_fix():
    with pytest.raises(ImageError, match="photo is 31x100 px; VGG needs at least 32 px .*Use a bigger image"):
        I.check_min_size(np.zeros((100, 31, 3)), name="photo")


def test_resized_shape_keeps_the_aspect_unless_asked():
    assert I.resized_shape((100, 50, 3), 64) == (64, 32)
    assert I.resized_shape((100, 50, 3), 64, square=True) == (64, 64)


def test_resize_takes_uint8_pixels_and_interpolates_them_in_float():
    pixels = np.random.default_rng(2).integers(0, 256, (9, 7, 3), dtype=np.uint8)
    for size in (4, 20):
        np.testing.assert_array_equal(I.resize(pixels, size), I.resize(pixels.astype(np.float32), size))


def test_save_image_default_quality_is_95_and_refusals_name_the_callers_option(tmp_path):
    img = np.random.default_rng(4).uniform(0, 255, (16, 16, 3))
    assert I.save_image(img, tmp_path / "a.jpg").read_bytes() == I.save_image(
        img, tmp_path / "b.jpg", quality=95).read_bytes()
    with pytest.raises(safe_write.OutputError, match="overwrite=True"):
        I.save_image(img, tmp_path / "a.jpg", overwrite=False)
    with pytest.raises(safe_write.OutputError, match="--overwrite"):
        I.save_image(img, tmp_path / "a.jpg", overwrite=False, overwrite_hint="--overwrite")


def test_data_path_errors_list_what_there_is():
    with pytest.raises(ImageError, match="'content' or 'style'"):
        I.data_path("paintings")
    with pytest.raises(ImageError, match="Available: .*great_wave.jpg"):
        I.data_path("style", "no_such.jpg")


# ----- fifth round: PIL images and arrays get the same options and names as files --------------------------
def test_pil_images_and_arrays_are_judged_by_min_side_and_named_in_the_message():
    for source, name in [(Image.new("RGB", (200, 31)), "PIL image"), (np.zeros((31, 200, 3), np.uint8), "image array")]:
        with pytest.raises(ImageError, match=f"{name} is 200x31 px; VGG needs at least 32"):
            I.load_image(source, min_side=I.MIN_SIDE)
        assert I.load_image(source, min_side=31).shape == (31, 200, 3)


def test_float_pil_images_follow_float_max():
    pil = Image.fromarray(np.array([[0.0, 0.5, 1.0]], np.float32), "F")
    np.testing.assert_allclose(I.load_image(pil)[0, :, 0], [0.0, 127.5, 255.0])
    np.testing.assert_allclose(I.load_image(pil, float_max=255.0)[0, :, 0], [0.0, 0.5, 1.0])


def test_unit_floats_below_zero_clip_to_black():
    np.testing.assert_array_equal(I.load_image(np.array([[-0.5, 0.5]]), float_max=1.0)[0, :, 0], [0.0, 127.5])


def test_a_photo_with_a_damaged_exif_block_still_loads(recwarn):
    """Pillow warns about the EXIF block (and reads no orientation); the pixels are fine, so the photo loads."""
    buf = io.BytesIO()
    exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06"  # cut short
    Image.new("RGB", (8, 6), (10, 20, 30)).save(buf, format="JPEG", exif=exif)
    np.testing.assert_allclose(I.load_image(buf.getvalue()), np.full((6, 8, 3), (10, 20, 30)), atol=3)


def test_open_files_are_read_up_to_the_cap_only(monkeypatch):
    """An endless stream (a pipe, /dev/zero) is refused after MAX_FILE_BYTES instead of being read forever."""

    class Endless:
        name = "endless stream"

        def read(self, size=-1):
            if size is None or size < 0:
                raise OSError("this stream never ends: reading all of it would never finish")
            return b"\0" * size

    monkeypatch.setattr(I, "MAX_FILE_BYTES", 2**20)
    with pytest.raises(ImageError, match="endless stream: more than 1 MB"):
        I.load_image(Endless())
    with pytest.raises(ImageError, match="image file object: more than 1 MB, too big .*Resize or re-compress"):
        I.load_image(io.BytesIO(b"\0" * (2**20 + 1)))
    with pytest.raises(ImageError, match="image file object: not a readable image"):
        I.load_image(io.BytesIO(b"not a picture"))


def test_a_colon_in_a_file_name_is_not_a_url_scheme(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pathlib.Path("notes:photo.png").write_bytes(_NOISE_PNG)
    assert I.load_image("notes:photo.png").shape == (300, 300, 3)


def test_file_url_and_wrong_type_errors_name_what_was_given(tmp_path):
    url = (tmp_path / "gone.png").as_uri()
    with pytest.raises(ImageError, match=f"{url}: no such file"):
        I.load_image(url)
    with pytest.raises(ImageError, match="from int: give a path, URL, bytes, .*a numpy array or a PIL image"):
        I.load_image(42)
