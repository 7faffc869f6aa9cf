"""Image loading: every odd input a learner may have becomes RGB float32 0-255, or one clear ImageError."""

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from nst_helpers import images as I
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
    try:
        _check_convention(I.load_image(data))
    except ImageError:
        pass


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([np.uint8, np.uint16, np.float32, np.float64, np.int32, bool]),
    st.lists(st.integers(0, 6), min_size=1, max_size=4),
)
def test_fuzz_arrays_never_crash_with_a_foreign_error(dtype, shape):
    arr = np.ones(shape, dtype=dtype)
    try:
        _check_convention(I.load_image(arr))
    except ImageError:
        pass
