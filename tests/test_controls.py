"""Controls beyond the 2015 algorithm: colour preservation, blending, masks, scales (nst_helpers.controls).

Pure numpy/OpenCV checks against independent references (OpenCV's YCrCb, numpy moments,
einsum Grams), then short real-weight runs (offline VGG16, 64 px, a few L-BFGS steps) that
check each control does what it promises: the photo's chroma survives, a 1,0 blend *is*
the single style, a mask keeps a style in its region, coarse-to-fine starts ahead.
"""

import dataclasses
import json
import os

import cv2
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

os.environ.setdefault("NST_WEIGHTS", "offline-hed-vgg16")

import nst_helpers as nst  # noqa: E402
from nst_helpers import cli  # noqa: E402
from nst_helpers import controls as C  # noqa: E402
from nst_helpers import losses as L  # noqa: E402
from nst_helpers import transfer as T  # noqa: E402
from nst_helpers.errors import ConfigError, ImageError  # noqa: E402

SIZE = 64


# ----- fixtures: small real images, one extractor, one plain run ----------------------------------
@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return nst.images.load_image(nst.images.data_path("content", "leuven_street.jpg"), max_size=SIZE)


@pytest.fixture(scope="module")
def wave() -> np.ndarray:
    return nst.images.load_image(nst.images.data_path("style", "great_wave.jpg"), max_size=SIZE)


@pytest.fixture(scope="module")
def night() -> np.ndarray:
    return nst.images.load_image(nst.images.data_path("style", "starry_night.jpg"), max_size=SIZE)


@pytest.fixture(scope="module")
def cfg() -> nst.TransferConfig:
    # every setting that shapes the result is spelled out, so default tuning cannot weaken these tests
    return nst.TransferConfig(
        net="vgg16", weights="offline-hed-vgg16", content_layers=("conv4_2",),
        style_layers=("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"),
        content_weight=1.0, style_weight=1.0, tv_weight=1.0, gram_norm="hw", adaptive=False,
        optimizer="lbfgs", steps=8, size=SIZE, resize="longest", init="content", precision="float32",
    )


@pytest.fixture(scope="module")
def fx(cfg):
    return T.build_extractor(cfg)


@pytest.fixture(scope="module")
def plain(photo, wave, cfg, fx) -> T.Result:
    """The reference run: the wave, no controls."""
    return T.transfer(photo, wave, cfg, extractor=fx)


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(2017)


def _chroma(image: np.ndarray) -> np.ndarray:
    return C.rgb_to_ycrcb(image)[..., 1:]


def _halves(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    left = np.zeros((h, w), np.float32)
    left[:, : w // 2] = 1.0
    return left, 1.0 - left


# ----- colour spaces and luminance (numpy only) ---------------------------------------------------
def test_ycrcb_matches_opencv_and_round_trips(rng):
    rgb = rng.integers(0, 256, size=(7, 9, 3), dtype=np.uint8)
    ours = C.rgb_to_ycrcb(rgb.astype(np.float32))
    opencv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb).astype(np.float32)  # uint8: BT.601, offset 128
    np.testing.assert_allclose(ours, opencv, atol=1.0)
    np.testing.assert_allclose(C.ycrcb_to_rgb(ours), rgb, atol=1e-3)
    np.testing.assert_allclose(C.luminance(rgb.astype(np.float32)), ours[..., 0])


def test_match_luminance_takes_the_contents_mean_and_std(rng):
    style = np.clip(rng.normal(60, 10, (20, 30, 3)), 0, 255).astype(np.float32)  # dark, flat painting
    content = np.clip(rng.normal(150, 30, (16, 16, 3)), 0, 255).astype(np.float32)
    out = C.match_luminance(style, content)
    assert out.shape == style.shape
    np.testing.assert_array_equal(out[..., 0], out[..., 1])  # grey: Y in all three channels
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    y_content = C.luminance(content)
    assert abs(out[..., 0].mean() - y_content.mean()) < 0.5
    assert abs(out[..., 0].std() - y_content.std()) < 0.5
    # the painting's pattern survives: the matched Y is an increasing function of the original Y
    assert np.corrcoef(out[..., 0].ravel(), C.luminance(style).ravel())[0, 1] > 0.999


def test_recombine_luminance_takes_generated_y_and_content_chroma(rng):
    content = rng.uniform(80, 170, (12, 10, 3)).astype(np.float32)
    generated = C.gray3(rng.uniform(80, 170, (12, 10)))
    out = C.recombine_luminance(generated, content)
    np.testing.assert_allclose(C.luminance(out), generated[..., 0], atol=1e-3)
    np.testing.assert_allclose(_chroma(out), _chroma(content), atol=1e-3)
    # a content of another size is resized to the generated image first
    assert C.recombine_luminance(generated, np.repeat(np.repeat(content, 2, 0), 2, 1)).shape == (12, 10, 3)


# ----- colour histogram matching (numpy only) -----------------------------------------------------
@pytest.mark.parametrize("method", C.COLOR_MATCH_METHODS)
def test_histogram_matching_gives_the_style_the_contents_mean_and_covariance(photo, wave, method):
    out = C.match_color_histogram(wave, photo, method=method, clip=False)
    mu_out, cov_out = C.color_stats(out)
    mu_c, cov_c = C.color_stats(photo)
    mu_s, cov_s = C.color_stats(wave)
    assert np.abs(mu_s - mu_c).max() > 20  # the test images really differ in colour ...
    np.testing.assert_allclose(mu_out, mu_c, atol=1e-2)  # ... and matching removes the difference
    np.testing.assert_allclose(cov_out, cov_c, atol=1e-2 * np.abs(cov_c).max())
    # clipping to [0, 255] (here ~13% of pixels fall below 0) costs accuracy, but the colours still move most of the way
    mu_clip, cov_clip = C.color_stats(C.match_color_histogram(wave, photo, method=method))
    assert np.abs(mu_clip - mu_c).max() < 0.2 * np.abs(mu_s - mu_c).max()
    assert np.abs(cov_clip - cov_c).max() < 0.5 * np.abs(cov_s - cov_c).max()


@pytest.mark.parametrize("method", C.COLOR_MATCH_METHODS)
def test_histogram_matching_an_image_to_itself_changes_nothing(photo, method):
    a, b = C.color_transform(photo, photo, method=method)
    np.testing.assert_allclose(a, np.eye(3), atol=1e-6)
    np.testing.assert_allclose(b, 0.0, atol=1e-3)


def test_pca_matching_uses_symmetric_square_roots(photo, wave):
    a, _ = C.color_transform(wave, photo, method="pca")
    _, cov_c = C.color_stats(photo)
    _, cov_s = C.color_stats(wave)
    # independent check: A S_s^(1/2) must be the symmetric square root of S_c (eps aside)
    vals, vecs = np.linalg.eigh(cov_s + 1e-3 * np.eye(3))
    root_c = a @ (vecs * np.sqrt(vals)) @ vecs.T
    np.testing.assert_allclose(root_c, root_c.T, atol=1e-6 * np.abs(root_c).max())
    np.testing.assert_allclose(root_c @ root_c, cov_c, rtol=1e-4, atol=1e-2)


def test_histogram_matching_survives_a_grey_painting_and_rejects_unknown_methods(photo):
    grey = C.gray3(C.luminance(photo))
    out = C.match_color_histogram(grey, photo)
    assert np.all(np.isfinite(out)) and out.min() >= 0 and out.max() <= 255
    with pytest.raises(ConfigError, match="pca"):
        C.match_color_histogram(grey, photo, method="lab")
    with pytest.raises(ConfigError, match="luminance"):
        C.color_inputs(photo, [grey], "lab")


# ----- masks: loading, checking, guided Grams ----------------------------------------------------
def test_complementary_soft_masks_pass_and_keep_their_shape():
    ramp = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (48, 1))  # anti-aliased everywhere
    masks = C.load_masks([ramp, 1 - ramp], n_styles=2, content_shape=(96, 128))
    assert [m.shape for m in masks] == [(48, 64), (48, 64)]
    np.testing.assert_allclose(masks[0] + masks[1], 1.0, atol=1e-2)


@pytest.mark.parametrize(
    "masks, n_styles, error, words",
    [
        ([np.ones((48, 64))], 2, ConfigError, "one mask per style"),
        ([np.ones((48, 64))] * 3, 2, ConfigError, "3 mask"),
        ([np.ones((48, 64)), np.zeros((48, 64))], 2, ImageError, "mask 2 is (almost) all black"),
        ([np.tri(48, 64), np.tri(48, 64)], 2, ImageError, "without a style"),
        ([np.ones((64, 64))], 1, ImageError, "aspect ratio"),
    ],
    ids=["too-few", "too-many", "black", "uncovered", "aspect"],
)
def test_bad_masks_raise_one_clear_error(masks, n_styles, error, words):
    with pytest.raises(error) as info:
        C.load_masks(masks, n_styles=n_styles, content_shape=(96, 128))
    assert words in str(info.value)


def test_unreadable_mask_names_the_mask(tmp_path):
    bad = tmp_path / "mask.png"
    bad.write_text("not an image")
    with pytest.raises(ImageError, match="mask 1: "):
        C.load_masks([bad], n_styles=1, content_shape=(96, 128))


def test_layer_mask_averages_blocks():
    mask = np.zeros((4, 4), np.float32)
    mask[:, :2] = 1.0
    mask[0, 2] = 1.0
    np.testing.assert_allclose(C.layer_mask(mask, (2, 2)), [[1.0, 0.25], [1.0, 0.0]])  # 1 of 4 pixels


def test_guided_gram_alias_is_the_losses_function(rng):
    """guided_gram lives in losses now; controls.guided_gram stays for old code and gives the same numbers."""
    f = rng.normal(size=(1, 5, 6, 4)).astype(np.float32)
    m = rng.uniform(0, 1, (5, 6)).astype(np.float32)
    for norm in ("hw", "paper"):
        np.testing.assert_array_equal(C.guided_gram(f, m, normalize=norm).numpy(),
                                      L.guided_gram(f, m, normalize=norm).numpy())
    np.testing.assert_array_equal(C.guided_gram(f, m).numpy(), L.guided_gram(f, m, normalize="hw").numpy())


def test_full_mask_objective_equals_the_unmasked_one(photo, wave, night, cfg, fx):
    plain = T.Objective(fx, cfg, photo, [wave])
    masked = T.Objective(fx, cfg, photo, [wave], masks=[np.ones(photo.shape[:2], np.float32)])
    x = tf.constant(nst.images.resize(night, photo.shape[:2])[None])
    for key, value in plain.losses(x).items():
        np.testing.assert_allclose(float(masked.losses(x)[key]), float(value), rtol=1e-5)


# ----- the colour step, numpy only: what the optimiser sees in each mode -------------------------
def test_color_inputs_luminance_gives_grey_content_and_matched_grey_styles(photo, wave, night):
    content, styles = C.color_inputs(photo, [wave, night], "luminance")
    y = C.luminance(photo)
    np.testing.assert_allclose(content, np.repeat(y[..., None], 3, axis=-1), atol=1e-4)  # the photo's Y, grey
    assert len(styles) == 2
    for out, original in zip(styles, [wave, night], strict=True):
        assert out.shape == original.shape
        np.testing.assert_array_equal(out[..., 0], out[..., 2])  # grey
        assert np.abs(out - original).mean() > 5.0  # really changed, not the colour painting passed through
        np.testing.assert_allclose(out, C.match_luminance(original, photo))


def test_color_inputs_none_and_histogram(photo, wave):
    content, styles = C.color_inputs(photo, (wave,), "none")
    assert content is photo and isinstance(styles, list) and styles[0] is wave
    content, styles = C.color_inputs(photo, [wave], "histogram")
    assert content is photo
    np.testing.assert_array_equal(styles[0], C.match_color_histogram(wave, photo))
    assert np.abs(styles[0] - wave).mean() > 5.0


def test_color_output_restores_colour_only_in_luminance_mode(photo, rng):
    grey = C.gray3(rng.uniform(0, 255, photo.shape[:2]))
    np.testing.assert_array_equal(C.color_output(grey, photo, "luminance"), C.recombine_luminance(grey, photo))
    assert np.abs(_chroma(C.color_output(grey, photo, "luminance")) - _chroma(photo)).mean() < 1.0
    for mode in ("none", "histogram"):
        assert C.color_output(grey, photo, mode) is grey


def test_flat_and_grey_images_survive_the_colour_controls(photo):
    flat = np.full((20, 30, 3), 60.0, np.float32)
    out = C.match_luminance(flat, photo)  # std 0: no division by zero, a flat image at the photo's brightness
    assert np.all(np.isfinite(out)) and np.ptp(out) < 1e-3
    assert abs(out.mean() - C.luminance(photo).mean()) < 1e-3
    for method in C.COLOR_MATCH_METHODS:
        for style in (flat, C.gray3(C.luminance(photo))):
            a, b = C.color_transform(style, photo, method=method)
            assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
            recoloured = C.match_color_histogram(style, photo, method=method)
            assert np.all(np.isfinite(recoloured)) and recoloured.min() >= 0 and recoloured.max() <= 255
    # a flat painting gets exactly the photo's mean colour
    np.testing.assert_allclose(C.color_stats(C.match_color_histogram(flat, photo, clip=False))[0],
                               C.color_stats(photo)[0], atol=1e-3)


def test_match_luminance_clips_to_the_pixel_range(rng):
    style = rng.uniform(0, 255, (10, 10, 3)).astype(np.float32)
    content = np.clip(rng.normal(240, 60, (10, 10, 3)), 0, 255).astype(np.float32)  # bright, wide: overshoots 255
    out = C.match_luminance(style, content)
    assert out.max() == 255.0 and out.min() >= 0.0


def test_ycrcb_clip_and_known_values():
    red = np.array([[[255.0, 0.0, 0.0]]], np.float32)
    # BT.601: Y = 0.299 R, Cr = 128 + 0.5 R, Cb = 128 - 0.168736 R
    np.testing.assert_allclose(C.rgb_to_ycrcb(red)[0, 0], [76.245, 255.5, 84.97232], rtol=1e-5)
    outside = np.array([[[255.0, 255.0, 128.0]]])  # bright Y with a strong red: leaves the RGB cube
    assert C.ycrcb_to_rgb(outside, clip=False).max() > 255.0
    assert C.ycrcb_to_rgb(outside).max() == 255.0 and C.ycrcb_to_rgb(-outside).min() == 0.0
    assert C.ycrcb_to_rgb(outside).dtype == np.float32 and C.rgb_to_ycrcb(red).dtype == np.float32
    np.testing.assert_array_equal(C.gray3(np.array([[1.0, 2.0]])), [[[1, 1, 1], [2, 2, 2]]])


def test_color_stats_and_matrix_powers(rng):
    pixels = rng.uniform(0, 255, (6, 7, 3))
    mean, cov = C.color_stats(pixels)
    flat = pixels.reshape(-1, 3)
    np.testing.assert_allclose(mean, flat.mean(axis=0))
    np.testing.assert_allclose(cov, (flat - mean).T @ (flat - mean) / len(flat))  # biased (population) covariance
    root, inv_root = C._sym_sqrt(cov, 0.5), C._sym_sqrt(cov, -0.5)
    np.testing.assert_allclose(root @ root, cov, rtol=1e-8)
    np.testing.assert_allclose(root @ inv_root, np.eye(3), atol=1e-8)


def test_cholesky_matching_reaches_the_photos_covariance(photo, wave):
    a, b = C.color_transform(wave, photo, method="cholesky", eps=0.0)
    mu_s, cov_s = C.color_stats(wave)
    mu_c, cov_c = C.color_stats(photo)
    np.testing.assert_allclose(a @ cov_s @ a.T, cov_c, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(a @ mu_s + b, mu_c, atol=1e-6)
    assert np.allclose(np.triu(a, 1), 0.0)  # L_c L_s^-1 is lower-triangular, unlike the PCA map
    assert not np.allclose(a, C.color_transform(wave, photo, method="pca", eps=0.0)[0])


# ----- masks, numpy only --------------------------------------------------------------------------
def test_fit_masks_resizes_by_area_when_shrinking_and_clips():
    m = np.zeros((4, 4), np.float32)
    m[:2, :2] = 1.0
    np.testing.assert_allclose(C.fit_masks([m], (2, 2))[0], [[1, 0], [0, 0]])
    stripes = np.tile(np.array([1.0, 0.0], np.float32), (4, 4))  # 4 x 8 columns of 1, 0, 1, 0 ...
    np.testing.assert_allclose(C.fit_masks([stripes], (2, 4))[0], 0.5)  # area: each cell half covered
    grown = C.fit_masks([np.array([[0.0, 1.0]], np.float32)], (1, 4))[0]
    assert grown.shape == (1, 4) and grown[0, 0] == 0.0 and grown[0, -1] == 1.0 and 0 < grown[0, 1] < 1
    over = C.fit_masks([np.array([[2.0, -1.0]])], (1, 2))[0]
    np.testing.assert_array_equal(over, [[1.0, 0.0]])
    assert over.dtype == np.float32


def test_check_masks_boundaries():
    left, right = _halves(48, 64)
    C.check_masks([left, right], n_styles=2, content_shape=(96, 128))
    C.check_masks([left, right], n_styles=2, content_shape=(96, 125))  # aspect off by 2.4 %: a drawing error
    with pytest.raises(ImageError, match="aspect"):
        C.check_masks([left, right], n_styles=2, content_shape=(96, 140))  # 9 % off
    faint = np.full((48, 64), 0.55, np.float32)
    C.check_masks([faint], n_styles=1, content_shape=(96, 128))  # covered: at least MASK_COVERED
    with pytest.raises(ImageError, match="all black"):
        C.check_masks([np.full((48, 64), 0.45, np.float32)], n_styles=1, content_shape=(96, 128), allow_uncovered=True)
    almost = np.ones((48, 64), np.float32)
    almost[0, :10] = 0.0  # 0.3 % uncovered: anti-aliasing seams are tolerated
    C.check_masks([almost], n_styles=1, content_shape=(96, 128))
    almost[:2] = 0.0  # 4 % uncovered: refused, unless the content loss keeps those pixels
    with pytest.raises(ImageError, match="without a style"):
        C.check_masks([almost], n_styles=1, content_shape=(96, 128))
    C.check_masks([almost], n_styles=1, content_shape=(96, 128), allow_uncovered=True)


def test_check_masks_of_a_big_photo_are_checked_at_reduced_size():
    left, right = _halves(3000, 4000)
    C.check_masks([left, right], n_styles=2, content_shape=(3000, 4000))
    left[:1500, :] = 0.0
    with pytest.raises(ImageError, match="without a style"):
        C.check_masks([left, right], n_styles=2, content_shape=(3000, 4000))


def test_check_style_options_rules():
    C.check_style_options(None, 3)
    C.check_style_options((1, 2, 3), 3)
    C.check_style_options(None, 2, n_masks=2)
    with pytest.raises(ConfigError, match="3 style images"):
        C.check_style_options((1, 2), 3)
    with pytest.raises(ConfigError, match="one or the other"):
        C.check_style_options((1, 2), 2, n_masks=2)
    with pytest.raises(ConfigError, match="1 mask"):
        C.check_style_options(None, 2, n_masks=1)


def test_as_mask_list_and_load_mask(tmp_path):
    arr = np.ones((4, 4))
    assert C.as_mask_list("a.png") == ["a.png"] and C.as_mask_list(b"png") == [b"png"]
    assert C.as_mask_list(arr)[0] is arr and len(C.as_mask_list(arr)) == 1
    path = tmp_path / "m.png"
    assert C.as_mask_list(path) == [path]
    assert C.as_mask_list(("a", "b")) == ["a", "b"] and C.as_mask_list(["a"]) == ["a"]
    boolean = np.zeros((40, 40), bool)
    boolean[:, :20] = True
    np.testing.assert_array_equal(C.load_mask(boolean), boolean.astype(np.float32))
    np.testing.assert_allclose(C.load_mask(boolean.astype(np.uint8) * 255), boolean)
    colour = np.zeros((40, 40, 3), np.uint8)
    colour[..., 0] = 255  # pure red: one third of white
    np.testing.assert_allclose(C.load_mask(colour), 1 / 3, rtol=1e-6)
    assert C.load_mask(colour).dtype == np.float32


def test_load_masks_names_the_bad_mask(tmp_path):
    good = np.ones((48, 64))
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(ImageError, match="mask 2: "):
        C.load_masks([good, bad], n_styles=2, content_shape=(96, 128))


# ----- found by mutation testing: low-contrast paintings, clipping ends, mask boundaries ----------
def test_match_luminance_stretches_a_faint_painting_to_the_photos_contrast(rng):
    faint = C.gray3(128.0 + rng.normal(0.0, 0.3, (20, 30)))  # a pale wash: std well below one grey level
    content = rng.uniform(90, 160, (16, 16, 3)).astype(np.float32)  # moderate contrast: nothing clips
    out = C.match_luminance(faint, content)
    y = C.luminance(content)
    assert abs(out[..., 0].std() - y.std()) < 0.02 * y.std()  # stretched, not left flat
    assert np.corrcoef(out[..., 0].ravel(), faint[..., 0].ravel())[0, 1] > 0.99  # the same pattern


def test_match_luminance_clips_at_black_too(rng):
    style = rng.uniform(0, 255, (10, 10, 3)).astype(np.float32)
    dark = np.clip(rng.normal(15, 60, (10, 10, 3)), 0, 255).astype(np.float32)  # dark and wide: undershoots 0
    assert C.match_luminance(style, dark).min() == 0.0


@pytest.mark.parametrize("method", C.COLOR_MATCH_METHODS)
def test_histogram_matching_clips_exactly_to_the_pixel_range(photo, wave, method):
    for content in (photo, 255.0 - photo):  # the matched painting leaves [0, 255] at the bottom, then the top
        raw = C.match_color_histogram(wave, content, method=method, clip=False)
        out = C.match_color_histogram(wave, content, method=method)
        np.testing.assert_array_equal(out, np.clip(raw, 0.0, 255.0))
    assert raw.min() < 0.0 and raw.max() > 255.0 and out.min() == 0.0 and out.max() == 255.0


@pytest.mark.parametrize("method", C.COLOR_MATCH_METHODS)
def test_histogram_matching_recolours_a_faint_painting_exactly(photo, rng, method):
    """A painting with less than one grey level of spread (eigenvalues below 1) still gets the photo's moments."""
    faint = (128.0 + rng.normal(0.0, 0.5, (40, 40, 3))).astype(np.float32)
    out = C.match_color_histogram(faint, photo, method=method, clip=False)
    mu_out, cov_out = C.color_stats(out)
    mu_c, cov_c = C.color_stats(photo)
    np.testing.assert_allclose(mu_out, mu_c, atol=1e-3)
    np.testing.assert_allclose(cov_out, cov_c, atol=0.02 * np.abs(cov_c).max())  # eps = 1e-3 of a 0.25 variance


@pytest.mark.parametrize("dst", [(16, 21), (120, 150), (32, 96)], ids=["shrink", "grow", "same-area"])
def test_fit_masks_averages_areas_when_shrinking_and_interpolates_otherwise(rng, dst):
    mask = rng.uniform(0, 1, (48, 64)).astype(np.float32)
    method = cv2.INTER_AREA if dst[0] * dst[1] < mask.size else cv2.INTER_LINEAR
    np.testing.assert_allclose(C.fit_masks([mask], dst)[0], cv2.resize(mask, dst[::-1], interpolation=method),
                               atol=1e-6)


def test_a_mask_at_exactly_half_grey_covers_its_pixels():
    """MASK_COVERED is inclusive: two 50 % masks, or one, cover the content; just below is black."""
    half = np.full((48, 64), C.MASK_COVERED, np.float32)
    C.check_masks([half], n_styles=1, content_shape=(96, 128))
    C.check_masks([half, half], n_styles=2, content_shape=(96, 128))
    with pytest.raises(ImageError, match="mask 1 is .*all black"):
        C.check_masks([np.nextafter(half, 0)], n_styles=1, content_shape=(96, 128))


def test_the_uncovered_tolerance_is_inclusive():
    mask = np.ones((100, 200), np.float32)  # 20,000 pixels; 0.5 % of them is 100
    mask[:10, :10] = 0.0
    C.check_masks([mask], n_styles=1, content_shape=(100, 200))
    mask[10, 0] = 0.0  # one pixel more
    with pytest.raises(ImageError, match="0.5% of the content without a style"):
        C.check_masks([mask], n_styles=1, content_shape=(100, 200))


def test_a_mask_of_the_wrong_aspect_ratio_is_named(rng):
    left, right = _halves(48, 64)
    with pytest.raises(ImageError, match="mask 2 is 48x48 px but the content is 128x96 px"):
        C.check_masks([left, right[:, :48]], n_styles=2, content_shape=(96, 128))
    C.check_masks([left.T, right.T], n_styles=2, content_shape=(128, 96))  # portrait masks for a portrait photo


# ----- style blending -----------------------------------------------------------------------------
def test_blend_targets_are_the_weighted_sum_of_grams(photo, wave, night, cfg, fx):
    blended = T.Objective(fx, cfg, photo, [wave, night], style_blend=(3, 1))
    for k in cfg.style_layers:
        ga = L.gram_matrix(fx(wave)[k], normalize="hw").numpy()
        gb = L.gram_matrix(fx(night)[k], normalize="hw").numpy()
        np.testing.assert_allclose(blended.style_targets[k].numpy(), 0.75 * ga + 0.25 * gb, rtol=1e-5, atol=1e-3)


def test_blend_1_0_is_exactly_the_single_style(photo, wave, night, cfg, fx, plain):
    single = T.Objective(fx, cfg, photo, [wave])
    blend = T.Objective(fx, cfg, photo, [wave, night], style_blend=(1, 0))
    for k in cfg.style_layers:
        np.testing.assert_array_equal(blend.style_targets[k].numpy(), single.style_targets[k].numpy())
    result = T.transfer(photo, [wave, night], dataclasses.replace(cfg, style_blend=(1.0, 0.0)), extractor=fx)
    np.testing.assert_array_equal(result.image, plain.image)


# ----- colour preservation in a real run ----------------------------------------------------------
def test_luminance_only_keeps_the_photos_chroma(photo, wave, cfg, fx, plain):
    seen = []
    result = T.transfer(photo, wave, dataclasses.replace(cfg, preserve_color="luminance"), extractor=fx,
                        callback=lambda step, image, losses: seen.append(image))
    diff = np.abs(_chroma(result.image) - _chroma(photo))
    assert diff.mean() < 1.0 and np.percentile(diff, 99) < 5.0
    assert np.abs(_chroma(plain.image) - _chroma(photo)).mean() > 3.0  # without the control, colour moves
    assert np.abs(C.luminance(result.image) - C.luminance(photo)).mean() > 3.0  # and the style still painted Y
    assert result.history[-1]["style"] < 0.5 * result.history[0]["style"]
    # the callback sees colour images too, not the grey ones being optimised
    assert len(seen) == len(result.history)
    assert np.abs(_chroma(seen[-1]) - _chroma(photo)).mean() < 1.0


def test_histogram_mode_is_the_transfer_of_the_recoloured_painting(photo, wave, cfg, fx, plain):
    result = T.transfer(photo, wave, dataclasses.replace(cfg, preserve_color="histogram"), extractor=fx)
    by_hand = T.transfer(photo, C.match_color_histogram(wave, photo), cfg, extractor=fx)
    np.testing.assert_array_equal(result.image, by_hand.image)
    assert np.abs(result.image - plain.image).mean() > 1.0  # and the recolouring did change the result


# ----- spatial control in a real run --------------------------------------------------------------
def test_a_mask_keeps_each_style_in_its_region(photo, wave, night, cfg, fx):
    h, w = photo.shape[:2]
    left, right = _halves(h, w)
    result = T.transfer(photo, [wave, night], dataclasses.replace(cfg, steps=12), extractor=fx, masks=[left, right])

    def style_distance(image, style):
        fi, fs = fx(image), fx(style)
        grams = {k: L.gram_matrix(fi[k], normalize="hw") for k in cfg.style_layers}
        return float(L.style_loss(grams, {k: L.gram_matrix(fs[k], normalize="hw") for k in cfg.style_layers}))

    half_l, half_r = result.image[:, : w // 2], result.image[:, w // 2 :]
    # each half is much closer to its own painting than to the other one ...
    assert style_distance(half_l, wave) < 0.3 * style_distance(half_l, night)
    assert style_distance(half_r, night) < 0.3 * style_distance(half_r, wave)
    # ... and a painting's influence is stronger inside its region than outside
    assert style_distance(half_l, wave) < 0.3 * style_distance(half_r, wave)


def test_one_mask_paints_only_its_region_and_the_rest_keeps_the_photo(photo, wave, cfg, fx):
    """'Paint only the sky': one style, one mask; uncovered pixels feel only the content loss."""
    h, w = photo.shape[:2]
    left, _ = _halves(h, w)
    result = T.transfer(photo, wave, dataclasses.replace(cfg, steps=12), extractor=fx, masks=[left])
    change = np.abs(result.image - photo).mean(axis=-1)
    assert change[:, : w // 2].mean() > 3 * change[:, w // 2 :].mean()


def test_masks_are_checked_before_any_work(photo, wave, night, cfg, fx):
    left, right = _halves(*photo.shape[:2])
    with pytest.raises(ConfigError, match="one mask per style"):
        T.transfer(photo, [wave, night], cfg, extractor=fx, masks=[left])
    with pytest.raises(ImageError, match="without a style"):
        T.transfer(photo, [wave, night], dataclasses.replace(cfg, content_weight=0.0), extractor=fx, masks=[left, left])
    with pytest.raises(ConfigError, match="use one or the other"):
        T.transfer(photo, [wave, night], dataclasses.replace(cfg, style_blend=(1, 1)), extractor=fx,
                   masks=[left, right])


# ----- scale --------------------------------------------------------------------------------------
def test_coarse_to_fine_runs_every_scale_and_starts_ahead(photo, wave, cfg, fx, plain):
    result = T.transfer(photo, wave, dataclasses.replace(cfg, scales=(48, SIZE)), extractor=fx)
    scales = [row["scale"] for row in result.history]
    assert scales[0] == 48 and scales[-1] == SIZE and scales == sorted(scales)
    assert max(result.image.shape[:2]) == SIZE
    assert result.traces == 2  # one compiled step function per scale, no retracing within a scale
    first_fine = next(row for row in result.history if row["scale"] == SIZE)
    # the upsampled coarse result already carries the style: far ahead of a cold start at full size
    assert first_fine["style"] < 0.5 * plain.history[0]["style"]


def test_style_scale_resizes_the_style_and_changes_the_result(photo, wave, cfg, fx, plain):
    for factor in (0.75, 2.0):
        styles = T.scaled_styles([wave], SIZE, dataclasses.replace(cfg, style_scale=factor))
        assert max(styles[0].shape[:2]) == round(factor * SIZE)
    with pytest.raises(ImageError, match="style_scale"):
        T.scaled_styles([wave], SIZE, dataclasses.replace(cfg, style_scale=0.5))  # 32 x 22 px: too small for VGG
    result = T.transfer(photo, wave, dataclasses.replace(cfg, style_scale=2.0), extractor=fx)
    assert np.abs(result.image - plain.image).mean() > 1.0


# ----- the two special cases stay one call away ---------------------------------------------------
def test_texture_synthesis_with_zero_content_weight(photo, wave, cfg, fx):
    result = T.transfer(photo, wave, dataclasses.replace(cfg, content_weight=0.0, init="noise"), extractor=fx)
    assert result.history[-1]["style"] < 0.2 * result.history[0]["style"]
    final = result.final_losses
    assert final["total"] == pytest.approx(final["style"] + final["tv"], rel=1e-4)


def test_content_reconstruction_with_zero_style_weight(photo, wave, cfg, fx):
    result = T.transfer(photo, wave, dataclasses.replace(cfg, style_weight=0.0, init="noise"), extractor=fx)
    assert result.history[-1]["content"] < 0.5 * result.history[0]["content"]
    final = result.final_losses
    assert final["total"] == pytest.approx(final["content"] + final["tv"], rel=1e-4)


# ----- command line -------------------------------------------------------------------------------
def test_help_mentions_every_control():
    text = cli.build_parser().format_help()
    for words in ("--preserve-color", "luminance", "histogram", "--style-blend", "--style-scale", "--scales", "--mask"):
        assert words in text


def _save_mask(path, mask):
    Image.fromarray((np.asarray(mask) * 255).astype(np.uint8)).save(path)
    return str(path)


def _cli_files(tmp_path):
    content = str(nst.images.data_path("content", "leuven_street.jpg"))  # 512 x 384
    styles = [str(nst.images.data_path("style", n)) for n in ("great_wave.jpg", "starry_night.jpg")]
    left, right = _halves(48, 64)
    return content, styles, _save_mask(tmp_path / "left.png", left), _save_mask(tmp_path / "right.png", right)


@pytest.mark.parametrize("case", ["count", "black", "uncovered", "blend"])
def test_cli_bad_masks_give_one_clear_error(tmp_path, capsys, case):
    content, styles, left, right = _cli_files(tmp_path)
    black = _save_mask(tmp_path / "black.png", np.zeros((48, 64)))
    masks, extra, words = {
        "count": ([left], [], "1 mask(s) for 2 style image(s)"),
        "black": ([left, black], [], "mask 2 is (almost) all black"),
        "uncovered": ([left, left], ["--content-weight", "0"], "without a style"),
        "blend": ([left, right], ["--style-blend", "1,1"], "use one or the other"),
    }[case]
    argv = [content, *styles, "-o", str(tmp_path / "out.png"), *extra]
    for m in masks:
        argv += ["--mask", m]
    assert cli.main(argv) == cli.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("nst: error:") and words in err[0]
    assert not (tmp_path / "out.png").exists()


def test_cli_runs_with_masks_and_preserve_color(tmp_path):
    content, styles, left, right = _cli_files(tmp_path)
    out, report = tmp_path / "out.png", tmp_path / "run.json"
    argv = [content, *styles, "--mask", left, "--mask", right, "--preserve-color", "luminance",
            "--size", str(SIZE), "--steps", "2", "--weights", "offline-hed-vgg16", "-q",
            "-o", str(out), "--report", str(report)]
    assert cli.main(argv) == 0
    assert Image.open(out).size == (SIZE, 48)
    data = json.loads(report.read_text())
    assert data["masks"] == [left, right] and data["config"]["preserve_color"] == "luminance"


# ----- every refusal names its fix (key phrases only; the rest of the wording may change) ----------------
def test_style_option_and_mask_errors_name_the_fix():
    left, right = _halves(48, 64)
    cases = [
        (lambda: C.check_style_options((1, 2), 3), "give one per image"),
        (lambda: C.check_style_options((1, 1), 2, n_masks=2), "use one or the other"),
        (lambda: C.check_style_options(None, 2, n_masks=3), "give exactly one mask per style image"),
        (lambda: C.check_style_options(None, 2, n_masks=3), "in the same order"),
        (lambda: C.check_masks([left, right[:, :48]], n_styles=2, content_shape=(96, 128)),
         "draw each mask over the content photo"),
        (lambda: C.check_masks([left, right[:, :48]], n_styles=2, content_shape=(96, 128)), "same aspect ratio"),
        (lambda: C.check_masks([left, np.zeros((48, 64))], n_styles=2, content_shape=(96, 128)),
         "White marks its region"),
        (lambda: C.check_masks([left, left], n_styles=2, content_shape=(96, 128)), "turn the content loss on"),
        (lambda: C.check_masks([left, left], n_styles=2, content_shape=(96, 128)), "extend the masks"),
        (lambda: C.check_masks([left, left], n_styles=2, content_shape=(96, 128)), "add a mask for the rest"),
        (lambda: C.color_transform(left, right, method="lab"), "choose one of pca, cholesky"),
        (lambda: C.color_inputs(left, [right], "colour"), "choose one of"),
    ]
    for call, fix in cases:
        with pytest.raises((ConfigError, ImageError)) as err:
            call()
        assert fix in str(err.value), (fix, str(err.value))


# ----- the package convention holds whatever the input dtype -------------------------------------------
def test_outputs_are_float32_for_float64_and_bool_inputs(photo, wave):
    y64 = C.luminance(photo).astype(np.float64)
    assert C.gray3(y64).dtype == np.float32
    for clip in (True, False):
        assert C.match_color_histogram(wave.astype(np.float64), photo, clip=clip).dtype == np.float32
    sky = photo[..., 2] > photo[..., 0]  # a mask a learner builds with a comparison: bools
    fitted = C.fit_masks([sky], (16, 21))[0]
    assert fitted.dtype == np.float32 and 0.0 < fitted.mean() < 1.0
    np.testing.assert_allclose(fitted, C.fit_masks([sky.astype(np.float32)], (16, 21))[0])
    np.testing.assert_allclose(C.layer_mask(sky, (4, 5)), C.layer_mask(sky.astype(np.float32), (4, 5)))


def test_color_transform_defaults_to_pca(photo, wave):
    a, b = C.color_transform(wave, photo)
    a_pca, b_pca = C.color_transform(wave, photo, method="pca")
    np.testing.assert_array_equal(a, a_pca)
    np.testing.assert_array_equal(b, b_pca)
