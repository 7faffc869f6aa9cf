"""Image loading: every odd input a learner may have becomes RGB float32 0-255, or one clear ImageError."""

import contextlib
import http.server
import io
import os
import struct
import time
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from nst_helpers import images as I
from nst_helpers import safe_write
from nst_helpers.errors import ImageError


def _png_bytes(pil: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    pil.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _check_convention(img, shape=None):
    assert img.dtype == np.float32 and img.ndim == 3 and img.shape[-1] == 3
    assert img.min() >= 0 and img.max() <= 255
    if shape:
        assert img.shape == shape


def test_bundled_images_load(tmp_path):
    for kind in ("content", "style"):
        assert len(I.list_bundled(kind)) >= 2
        _check_convention(I.load_image(I.data_path(kind)))


def test_path_bytes_pil_and_array_agree(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (9, 7, 3), dtype=np.uint8)
    path = tmp_path / "a.png"
    Image.fromarray(rgb).save(path)
    for source in (path, str(path), path.read_bytes(), Image.fromarray(rgb), rgb, rgb[None]):
        np.testing.assert_array_equal(I.load_image(source), rgb.astype(np.float32))


def test_grayscale_palette_and_float_arrays():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = I.load_image(gray)
    _check_convention(out, (3, 4, 3))
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    pal = Image.fromarray(np.random.default_rng(1).integers(0, 256, (5, 5, 3), dtype=np.uint8)).convert("P")
    _check_convention(I.load_image(_png_bytes(pal)), (5, 5, 3))
    np.testing.assert_allclose(I.load_image(np.full((2, 2, 3), 0.5))[0, 0], [127.5] * 3)


def test_rgba_is_composited_on_white():
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = [255, 0, 0, 255]  # opaque red
    rgba[1, 1] = [0, 0, 0, 0]  # fully transparent black -> white
    out = I.load_image(_png_bytes(Image.fromarray(rgba, "RGBA")))
    np.testing.assert_allclose(out[0, 0], [255, 0, 0])
    np.testing.assert_allclose(out[1, 1], [255, 255, 255])


def test_16_bit_png_is_scaled_to_8_bit_range():
    arr = np.array([[0, 65535], [32768, 1000]], np.uint16)
    pil = Image.fromarray(arr)  # mode I;16
    out = I.load_image(_png_bytes(pil))
    np.testing.assert_allclose(out[:, :, 0], arr / 65535 * 255, atol=0.5)
    np.testing.assert_allclose(I.load_image(arr)[0, 1], [255, 255, 255], atol=1e-3)


def test_exif_orientation_is_applied():
    rgb = np.zeros((4, 8, 3), np.uint8)
    rgb[:, :4] = 255  # left half white
    pil = Image.fromarray(rgb)
    exif = pil.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to view"
    out = I.load_image(_png_bytes(pil, "JPEG", exif=exif.tobytes(), quality=100))
    assert out.shape == (8, 4, 3)  # portrait after applying orientation
    assert out[:4].mean() > 200 and out[4:].mean() < 60  # white half ends on top


@pytest.mark.parametrize("content, words", [(b"", "empty"), (b"hello, not an image", "not a readable image"),
                                            (b"\x89PNG\r\n\x1a\n" + b"\0" * 30, "not a readable image")])
def test_broken_files_name_the_file(tmp_path, content, words):
    path = tmp_path / "photo.jpg"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=words) as err:
        I.load_image(path)
    assert "photo.jpg" in str(err.value)


def test_missing_file_and_wrong_type(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        I.load_image(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="path, URL, bytes"):
        I.load_image(42)
    with pytest.raises(ImageError, match="expected"):
        I.load_image(np.zeros((2, 2, 5)))
    with pytest.raises(ImageError, match="NaN"):
        I.load_image(np.full((2, 2, 3), np.nan))


def test_decompression_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(I, "MAX_PIXELS", 100)
    with pytest.raises(ImageError, match="too large"):
        I.load_image(_png_bytes(Image.new("RGB", (20, 20))))


def test_max_size_downscales_big_jpeg_without_full_decode():
    big = Image.new("RGB", (2000, 1000), (10, 200, 30))
    out = I.load_image(_png_bytes(big, "JPEG"), max_size=100)
    assert out.shape == (50, 100, 3)
    np.testing.assert_allclose(out.mean(axis=(0, 1)), [10, 200, 30], atol=4)


def test_resize_longest_and_square():
    img = np.zeros((100, 50, 3), np.float32)
    assert I.resize(img, 64).shape == (64, 32, 3)
    assert I.resize(img, 224, square=True).shape == (224, 224, 3)
    assert I.resize(img, (10, 20)).shape == (10, 20, 3)


def test_check_min_size():
    with pytest.raises(ImageError, match="at least 32"):
        I.check_min_size(np.zeros((20, 100, 3)))
    I.check_min_size(np.zeros((32, 32, 3)))


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_save_is_atomic_and_round_trips(tmp_path, suffix):
    img = np.broadcast_to(np.linspace(0, 255, 16, dtype=np.float32)[:, None, None], (16, 16, 3)).copy()
    path = I.save_image(img, tmp_path / f"out{suffix}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"out{suffix}"]  # no temp files left
    back = I.load_image(path)
    tol = 0.5 if suffix == ".png" else 8
    np.testing.assert_allclose(back, np.rint(img), atol=tol)


def test_failed_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "out.png"
    I.save_image(np.zeros((4, 4, 3)), path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", boom)
    with pytest.raises(KeyboardInterrupt):
        I.save_image(np.full((4, 4, 3), 255.0), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_unsupported_output_suffix(tmp_path):
    with pytest.raises(ImageError, match=".png or .jpg"):
        I.save_image(np.zeros((4, 4, 3)), tmp_path / "out.gif")


def _valid_files():
    rgb = np.random.default_rng(5).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    return [_png_bytes(Image.fromarray(rgb), fmt) for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF")]


_VALID = _valid_files()
# random bytes, and real files with bytes overwritten or cut short (these reach the decoders)
_BYTES = st.one_of(
    st.binary(min_size=0, max_size=512),
    st.tuples(st.sampled_from(_VALID), st.integers(0, 400), st.binary(min_size=1, max_size=16)).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + len(t[2]):]),
    st.tuples(st.sampled_from(_VALID), st.integers(0, 400)).map(lambda t: t[0][: t[1]]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BYTES)
def test_fuzz_bytes_never_crash_with_a_foreign_error(data):
    with contextlib.suppress(ImageError):
        _check_convention(I.load_image(data))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([np.uint8, np.uint16, np.float32, np.float64, np.int32, bool]),
    st.lists(st.integers(0, 6), min_size=1, max_size=4),
)
def test_fuzz_arrays_never_crash_with_a_foreign_error(dtype, shape):
    arr = np.ones(shape, dtype=dtype)
    with contextlib.suppress(ImageError):
        _check_convention(I.load_image(arr))


# ----- issue 12: URLs, odd paths, huge and tiny images, clear messages ------------------------------
_SMALL_PNG = _png_bytes(Image.fromarray(np.full((40, 50, 3), 200, np.uint8)))


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass

    def do_GET(self):
        if self.path == "/ok.png":
            self._send(200, _SMALL_PNG)
        elif self.path == "/big.png":  # announces more than the cap
            self.send_response(200)
            self.send_header("Content-Length", str(10 * 2**20))
            self.end_headers()
        elif self.path == "/endless.png":  # no length, keeps sending
            self.send_response(200)
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(10_000):
                    self.wfile.write(b"\0" * 65536)
        elif self.path == "/trickle.png":  # one byte every 0.3 s: never times out a single read
            self.send_response(200)
            self.send_header("Content-Length", str(len(_SMALL_PNG)))
            self.end_headers()
            with contextlib.suppress(OSError):
                for byte in _SMALL_PNG:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.3)
        else:
            self._send(404, b"nope")

    def _send(self, code, body):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server(local_http_server):
    with local_http_server(_Handler) as url:
        yield url


def test_url_loads_in_any_case_and_file_urls_work(server, tmp_path):
    for url in (f"{server}/ok.png", f"HTTP://127.0.0.1:{server.rsplit(':', 1)[1]}/ok.png"):
        _check_convention(I.load_image(url), (40, 50, 3))
    path = tmp_path / "a b.png"
    path.write_bytes(_SMALL_PNG)
    _check_convention(I.load_image(path.as_uri()), (40, 50, 3))  # file:///.../a%20b.png
    _check_convention(I.load_image("FILE://" + path.as_uri()[len("file://"):]), (40, 50, 3))
    with pytest.raises(ImageError, match="ftp:// is not supported"):
        I.load_image("ftp://example.com/a.png")


def test_url_has_a_total_deadline(server, monkeypatch):
    """Defect 9: a server sending one byte every 5 s kept load_image blocked for over 75 s."""
    monkeypatch.setattr(I, "URL_DEADLINE", 1.5)
    start = time.monotonic()
    with pytest.raises(ImageError, match="did not finish within 1.5 s"):
        I.load_image(f"{server}/trickle.png")
    assert time.monotonic() - start < 4


def test_url_has_a_size_cap_and_clear_http_errors(server, monkeypatch):
    monkeypatch.setattr(I, "MAX_FILE_BYTES", 2**20)
    for name in ("big.png", "endless.png"):
        with pytest.raises(ImageError, match="more than 1 MB"):
            I.load_image(f"{server}/{name}")
    with pytest.raises(ImageError, match="HTTP 404"):
        I.load_image(f"{server}/missing.png")


def test_folders_fifos_and_devices_are_named_for_what_they_are(tmp_path):
    with pytest.raises(ImageError, match="is a folder"):
        I.load_image(tmp_path)
    os.mkfifo(tmp_path / "pipe.png")
    for source in (tmp_path / "pipe.png", "/dev/zero"):  # would block, or never end
        with pytest.raises(ImageError, match="not a regular file"):
            I.load_image(source)
        with pytest.raises(ImageError, match="not a regular file"):
            I.image_size(source)


def _png_header(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [9500, 20000])
def test_huge_png_is_too_large_not_a_wrong_format(tmp_path, side, recwarn):
    path = tmp_path / "huge.png"
    path.write_bytes(_png_header(side, side))
    for read in (I.image_size, I.load_image):
        with pytest.raises(ImageError, match="too large") as err:
            read(path)
        assert "PNG or JPEG" not in str(err.value)
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def test_messages_never_show_python_object_reprs():
    with pytest.raises(ImageError) as err:
        I.load_image(b"garbage, not an image")
    assert "<_io" not in str(err.value) and "image bytes" in str(err.value)
    _check_convention(I.load_image(io.BytesIO(_SMALL_PNG)), (40, 50, 3))  # open binary files work too


def test_too_small_images_are_refused_with_size_and_minimum(tmp_path):
    """Issue 11 point 5: a 1x1 photo was silently upsampled."""
    for source in (np.zeros((1, 1, 3), np.uint8), _png_bytes(Image.new("RGB", (31, 200)))):
        with pytest.raises(ImageError, match=r"(1x1|31x200) px; VGG needs at least 32"):
            I.load_image(source, min_side=I.MIN_SIDE)
    big = _png_bytes(Image.new("RGB", (400, 32)))
    assert I.load_image(big, min_side=32, max_size=100).shape == (8, 100, 3)  # judged as found, not as reduced


def test_float_range_rule_and_its_explicit_override():
    dark = np.full((4, 4, 3), 0.5, np.float32)  # a [0, 1] image, or a 0-255 one below one grey level?
    np.testing.assert_allclose(I.load_image(dark), 127.5)  # the documented guess: [0, 1]
    np.testing.assert_allclose(I.load_image(dark, float_max=255), 0.5)  # said explicitly: kept
    np.testing.assert_allclose(I.load_image(np.full((2, 2), 0.25), float_max=1.0), 63.75)
    np.testing.assert_allclose(I.load_image(np.full((2, 2), 2.0), float_max=1.0), 255.0)  # clipped
    with pytest.raises(ImageError, match="float_max"):
        I.load_image(dark, float_max=100)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 300), st.integers(1, 300), st.integers(1, 400), st.booleans())
def test_resized_shape_is_what_resize_gives(h, w, size, square):
    image = np.zeros((h, w, 3), np.float32)
    assert I.resized_shape(image.shape, size, square=square) == I.resize(image, size, square=square).shape[:2]


def test_save_image_uses_the_safe_write_rules(tmp_path):
    path = tmp_path / "o.png"
    I.save_image(np.zeros((4, 4, 3)), path)
    with pytest.raises(safe_write.OutputError, match="already exists"):
        I.save_image(np.zeros((4, 4, 3)), path, overwrite=False)
    mask = os.umask(0o022)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
    I.save_image(np.full((4, 4, 3), 255.0), path)  # the default replaces (notebooks re-run)
    assert I.load_image(path).min() == 255 and safe_write.temp_files(path) == []


def test_save_image_never_replaces_an_input(tmp_path):
    photo = tmp_path / "photo.png"
    I.save_image(np.zeros((4, 4, 3)), photo)
    before = photo.read_bytes()
    with pytest.raises(safe_write.OutputError, match="input"):
        I.save_image(np.full((4, 4, 3), 255.0), photo, inputs=[photo])  # the panel's Save onto its photo
    assert photo.read_bytes() == before


def test_dark_16_bit_png_is_not_mistaken_for_a_0_1_image():
    dark = np.full((4, 4), 200, np.uint16)  # 200/65535: below one 8-bit grey level
    np.testing.assert_allclose(I.load_image(_png_bytes(Image.fromarray(dark))), 200 / 65535 * 255, atol=1e-3)


def test_a_16_bit_png_opened_as_mode_i_is_still_16_bit():
    """Pillow < 10.3 (our floor is 9.5) opens a 16-bit grey PNG as mode "I", not "I;16" (seen in `make compat`)."""
    as_old_pillow_opens_it = Image.fromarray(np.full((4, 4), 200, np.int32), "I")
    as_old_pillow_opens_it.format = "PNG"
    np.testing.assert_allclose(I.load_image(as_old_pillow_opens_it), 200 / 65535 * 255, atol=1e-3)
    not_a_png = Image.fromarray(np.full((4, 4), 200, np.int32), "I")  # a 32-bit image: the value rule decides
    np.testing.assert_allclose(I.load_image(not_a_png), 200, atol=1e-3)
