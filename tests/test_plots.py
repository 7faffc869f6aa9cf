"""Tests for nst_helpers.plots: the right number of panels, titles and lines (never pixels)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nst_helpers as nst  # noqa: E402
from nst_helpers import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _image(h=12, w=16, value=100.0):
    return np.full((h, w, 3), value, np.float32)


def _image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def test_show_images_one_panel_per_image_with_titles():
    fig = plots.show_images([_image(), _image(value=0.0), _image()[None]], ["a", "b", "c"], ncols=2)
    axes = _image_axes(fig)
    assert [ax.get_title() for ax in axes] == ["a", "b", "c"]
    assert len(fig.axes) == 3  # the spare 4th cell of the 2x2 grid is removed


def test_show_images_single_image_and_string_title():
    fig = plots.show_images(_image(), "only")
    assert [ax.get_title() for ax in fig.axes] == ["only"]


def test_show_images_batch_array_and_tensor():
    import tensorflow as tf

    batch = np.stack([_image(), _image(value=0.0)])
    assert len(plots.show_images(batch).axes) == 2
    assert len(plots.show_images(tf.constant(batch)).axes) == 2
    assert len(plots.show_images(tf.constant(batch[:1])).axes) == 1


def test_show_images_displays_uint8_rounded_and_clipped():
    fig = plots.show_images([np.array([[[-5.0, 127.6, 300.0]]], np.float32)])
    shown = fig.axes[0].images[0].get_array()
    assert shown.dtype == np.uint8
    assert shown.reshape(-1).tolist() == [0, 128, 255]


def test_show_images_rejects_title_count_and_bad_shape():
    with pytest.raises(ValueError, match="one title per image"):
        plots.show_images([_image(), _image()], ["one"])
    with pytest.raises(ValueError, match="H, W, 3"):
        plots.show_images([np.zeros((4, 4, 2))])


def test_show_channels_three_panels_keep_the_value_range():
    image = np.stack([np.full((6, 6), v, np.float32) for v in (-100.0, 0.0, 150.0)], axis=-1)
    image[0, 0] = [-120.0, 5.0, 151.0]  # give each channel a range
    fig = plots.show_channels(image, names=("B", "G", "R"), title="preprocessed")
    axes = _image_axes(fig)
    assert [ax.get_title() for ax in axes] == ["B", "G", "R"]
    assert len(fig.axes) == 6  # 3 images + 3 colour bars
    assert axes[0].images[0].get_clim() == pytest.approx((-120.0, -100.0))  # not clipped to 0..255
    assert fig._suptitle.get_text() == "preprocessed"


def test_show_feature_maps_first_n_or_chosen_channels():
    features = np.random.default_rng(0).random((1, 5, 7, 10)).astype(np.float32)
    fig = plots.show_feature_maps(features, n=6, ncols=4, title="conv1_1")
    assert [ax.get_title() for ax in fig.axes] == [f"#{c}" for c in range(6)]
    plt.close(fig)
    fig = plots.show_feature_maps(features[0], channels=[9, 2])
    assert [ax.get_title() for ax in fig.axes] == ["#9", "#2"]
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), features[0, ..., 9])


def test_show_feature_maps_n_larger_than_channels():
    fig = plots.show_feature_maps(np.ones((4, 4, 3), np.float32), n=16)
    assert len(fig.axes) == 3


def test_show_gram_heatmap_into_given_axes():
    gram = np.array([[4.0, 1.0, 0.0], [1.0, 9.0, 2.0], [0.0, 2.0, 1.0]])
    fig, (left, right) = plt.subplots(1, 2)
    out = plots.show_gram(gram, ax=left, title="photo")
    plots.show_gram(gram * 2, ax=right, title="painting", log=False, max_channels=2)
    assert out is fig
    assert left.get_title() == "photo" and right.get_title() == "painting"
    assert right.images[0].get_array().shape == (2, 2)
    assert len(fig.axes) == 4  # two heat maps, two colour bars


def test_show_gram_shared_colour_scale():
    gram = np.array([[4.0, 1.0], [1.0, 9.0]])
    fig = plots.show_gram(gram, vmax=100.0)
    assert fig.axes[0].images[0].get_clim() == pytest.approx((1e-4, 100.0))
    plt.close(fig)
    fig = plots.show_gram(gram, log=False, vmin=0.0, vmax=20.0)
    assert fig.axes[0].images[0].get_clim() == pytest.approx((0.0, 20.0))
    plt.close(fig)
    fig = plots.show_gram(gram)  # own range on a log scale
    assert fig.axes[0].images[0].get_clim() == pytest.approx((1.0, 9.0))


def test_show_gram_rejects_non_square():
    with pytest.raises(ValueError, match="square"):
        plots.show_gram(np.zeros((2, 3)))


def test_show_gram_all_zero_does_not_crash_with_log():
    fig = plots.show_gram(np.zeros((3, 3)))
    assert fig.axes[0].images


def test_plot_losses_one_line_per_key_and_run():
    history = [{"step": i, "total": 10.0 / (i + 1), "style": 5.0 / (i + 1)} for i in range(5)]
    fig = plots.plot_losses(history, keys=("total", "style"))
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["total", "style"]
    assert ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [10.0 / (i + 1) for i in range(5)])
    plt.close(fig)
    fig = plots.plot_losses({"seed": history, "adam": history[:3]}, log=False, title="compare")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["seed: total", "adam: total"]
    assert ax.get_yscale() == "linear" and ax.get_title() == "compare"


def test_plot_losses_skips_missing_keys():
    fig = plots.plot_losses([{"step": 0, "total": 1.0}], keys=("total", "adaptive_style"))
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["total"]


def test_animation_gif_has_all_frames():
    import io

    from PIL import Image

    frames = [_image(value=v) for v in (0.0, 120.0, 250.0)]
    data = plots.animation(frames, interval=50, titles=["a", "b", "c"])
    assert data[:6] in (b"GIF87a", b"GIF89a")
    assert Image.open(io.BytesIO(data)).n_frames == 3


def test_animation_html_and_errors():
    html = plots.animation([_image(), _image(value=0.0)], fmt="html")
    assert isinstance(html, str) and "<script" in html
    with pytest.raises(ValueError, match="No frames"):
        plots.animation([])
    with pytest.raises(ValueError, match="fmt"):
        plots.animation([_image()], fmt="mp4")


def test_algorithm_diagram_draws_every_step_with_the_seeds_choices():
    fig = plots.algorithm_diagram()
    text = " ".join(t.get_text() for t in fig.axes[0].texts)
    for words in ("VGG16", "conv3_1", "all 13 convolutions", "Gram", "2·Lc", "9·Ls", "0.4·Ltv", "1/loss",
                  "10/std(g)", "GradientTape", "repeat 60 times", "128 + U[0, 1) noise"):
        assert words in text, words
    assert len(fig.axes[0].patches) == 12  # one box per step
    fig.canvas.draw()  # renders without error


def test_algorithm_diagram_follows_the_config():
    cfg = nst.TransferConfig.default()
    text = " ".join(t.get_text() for t in plots.algorithm_diagram(cfg).axes[0].texts)
    assert "conv4_2" in text and "conv5_1" in text and "L-BFGS" in text and "the photo" in text
    assert "1/loss" not in text
