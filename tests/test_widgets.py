"""Tests of nst_helpers.widgets, headless: set widget values, click buttons, check what the runner received."""

import dataclasses
import datetime
import io
import re
import sys
import time
import types

import numpy as np
import pytest
from PIL import Image

import nst_helpers as nst
from nst_helpers import widgets as W

ipywidgets = pytest.importorskip("ipywidgets")


# ----- the config logic, without widgets -------------------------------------------------------
class TestConfigFromValues:
    def test_values_reach_the_config(self):
        cfg = W.config_from_values({
            "net": "vgg19", "content_layers": ["conv5_2"], "style_layers": ("conv1_1", "conv3_4"),
            "content_weight": 2.5, "style_weight": 1e4, "tv_weight": 0.0, "optimizer": "adam",
            "steps": 7, "size": 96, "preserve_color": "luminance",
        })
        assert cfg.net == "vgg19" and cfg.content_layers == ("block5_conv2",)
        assert cfg.style_layers == ("block1_conv1", "block3_conv4")
        assert (cfg.content_weight, cfg.style_weight, cfg.tv_weight) == (2.5, 1e4, 0.0)
        assert (cfg.optimizer, cfg.steps, cfg.size, cfg.preserve_color) == ("adam", 7, 96, "luminance")

    def test_everything_else_comes_from_the_base(self):
        base = nst.TransferConfig.seed_recipe()
        cfg = W.config_from_values({"steps": 5}, base)
        assert cfg == dataclasses.replace(base, steps=5)

    def test_layer_weights_are_used_as_typed(self):
        cfg = W.config_from_values({"style_layers": ("conv1_1", "conv2_1"), "style_layer_weights": (3, 1)})
        assert cfg.style_layer_weights == (3.0, 1.0)

    def test_one_over_l_each_means_the_default(self):
        assert W.panel_layer_weights([W.default_layer_weight(3)] * 3) is None  # 0.3333 each, as the boxes show
        assert W.panel_layer_weights([0.2] * 5) is None and W.panel_layer_weights([]) is None
        assert W.panel_layer_weights([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)  # equal, but 6x the default

    def test_zero_layer_weights_are_rejected_clearly(self):
        with pytest.raises(nst.ConfigError, match="style_layer_weights"):
            W.config_from_values({"style_layers": ("conv1_1", "conv2_1"), "style_layer_weights": (0, 0)})

    def test_new_layers_drop_the_base_layer_weights(self):
        base = nst.TransferConfig.default(style_layer_weights=(1, 2, 3, 4, 5))
        cfg = W.config_from_values({"style_layers": ("conv2_1",)}, base)
        assert cfg.style_layer_weights is None

    def test_describe_config_names_the_weights(self):
        cfg = nst.TransferConfig.default(style_layers=("conv1_1", "conv2_1"), style_layer_weights=(0.75, 0.25))
        text = W.describe_config(cfg, weights="offline-hed-vgg16")
        assert "conv1_1 0.75" in text and "conv2_1 0.25" in text and "offline-hed-vgg16" in text


class TestUploadedFiles:
    def test_ipywidgets_8_value(self):
        value = ({"name": "a.png", "type": "image/png", "size": 3, "content": memoryview(b"abc"), "last_modified": 0},)
        assert W.uploaded_files(value) == [("a.png", b"abc")]

    def test_ipywidgets_7_value(self):
        value = {"b.jpg": {"metadata": {"name": "b.jpg", "type": "image/jpeg", "size": 2}, "content": b"xy"}}
        assert W.uploaded_files(value) == [("b.jpg", b"xy")]

    def test_empty(self):
        assert W.uploaded_files(()) == [] and W.uploaded_files({}) == []


# ----- the panel with a fake runner ------------------------------------------------------------
class FakeRunner:
    """Records each config; 'paints' step by step (a brighter image each step), honours Stop."""

    def __init__(self, delay=0.0):
        self.configs, self.delay, self.stopped_at = [], delay, None

    def __call__(self, content, style, config, callback=None):
        self.configs.append(config)
        image = np.zeros((config.size, config.size, 3), np.float32)
        reason = "completed"
        for step in range(1, config.steps + 1):
            image = np.full_like(image, min(255.0, 10.0 * step))
            row = {"total": 10.0 / step, "content": 1.0 / step, "style": 8.0 / step, "tv": 1.0 / step}
            if callback(step, image, row):
                reason, self.stopped_at = "callback", step
                break
            time.sleep(self.delay)
        return types.SimpleNamespace(image=image, stop_reason=reason, weights="fake-weights",
                                     weights_description="made up", config=config)


def png(image):
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture()
def fake():
    return FakeRunner()


def make_panel(runner, **kwargs):
    return W.ControlPanel(runner=runner, base=nst.TransferConfig.default(size=64, steps=6), **kwargs)


def test_control_panel_returns_a_displayable_widget(fake):
    widget = W.control_panel(runner=fake)
    assert isinstance(widget, ipywidgets.Widget)
    assert isinstance(widget.panel, W.ControlPanel)


def test_run_uses_the_chosen_settings(fake):
    panel = make_panel(fake)
    panel.net.value = "vgg19"
    panel.content_layers.value = ("block5_conv2",)
    panel.style_layers.value = ("block1_conv1", "block3_conv4")
    panel.layer_weights["block1_conv1"].value = 3.0
    panel.style_weight.value = 1e3
    panel.use_tv.value = False
    panel.optimizer.value = "adam"
    panel.steps.value = 4
    panel.size.value = 96
    panel.preserve_color.value = "histogram"
    panel.style_choice.value = "great_wave.jpg"
    panel.run_button.click()
    assert panel.wait(10)
    cfg = fake.configs[-1]
    assert (cfg.net, cfg.content_layers, cfg.style_layers) == (
        "vgg19", ("block5_conv2",), ("block1_conv1", "block3_conv4"))
    assert cfg.style_layer_weights == (3.0, 0.5)  # as the boxes showed: 3 typed, 1/2 by default
    assert cfg.style_weight == pytest.approx(1e3) and cfg.tv_weight == 0.0
    assert (cfg.optimizer, cfg.steps, cfg.size, cfg.preserve_color) == ("adam", 4, 96, "histogram")
    assert "Done" in panel.status.value and "fake-weights" in panel.summary.value
    assert panel.progress.value == 4 and not panel.run_button.disabled and panel.stop_button.disabled


def test_untouched_panel_runs_the_base_config(fake):
    panel = make_panel(fake)
    panel.run_button.click()
    assert panel.wait(10)
    assert fake.configs[-1] == panel.base


def test_stop_stops_the_run():
    slow = FakeRunner(delay=0.02)
    panel = make_panel(slow)
    panel.steps.value = 1000
    panel.run_button.click()
    deadline = time.time() + 10
    while len(panel.history) < 3 and time.time() < deadline:
        time.sleep(0.01)
    assert panel.running and not panel.stop_button.disabled
    panel.stop_button.click()
    assert panel.wait(10)
    assert slow.stopped_at is not None and slow.stopped_at < 1000
    assert panel.result.stop_reason == "callback" and "stopped by you" in panel.status.value


def test_preview_and_curve_update_every_few_steps(fake):
    panel = make_panel(fake, preview_every=2)
    seen = []
    panel.preview.observe(lambda change: seen.append(bytes(change["new"])), names="value")
    panel.run_button.click()
    assert panel.wait(10)
    assert panel.previews == 6 // 2 + 1  # steps 2, 4, 6, then the result
    brightness = [np.asarray(Image.open(io.BytesIO(b))).mean() for b in seen]
    assert brightness[:3] == [20.0, 40.0, 60.0]  # the image of steps 2, 4 and 6
    assert bytes(panel.curve.value).startswith(b"\x89PNG")


def test_save_writes_the_result(fake, tmp_path):
    panel = make_panel(fake)
    assert panel.save_button.disabled
    panel.run_button.click()
    assert panel.wait(10)
    panel.save_path.value = str(tmp_path / "out.png")
    panel.save_button.click()
    saved = nst.load_image(tmp_path / "out.png")
    np.testing.assert_array_equal(saved, panel.result.image)
    assert "Saved" in panel.status.value


def test_invalid_settings_are_reported_not_run(fake):
    panel = make_panel(fake)
    for box in (panel.use_content, panel.use_style, panel.use_tv):
        box.value = False
    panel.run_button.click()
    assert fake.configs == [] and "nothing to optimise" in panel.status.value


def test_runner_errors_are_shown_in_the_panel():
    def broken(content, style, config, callback=None):
        raise nst.WeightsError("No VGG19 weights available offline.")

    panel = make_panel(broken)
    panel.run_button.click()
    assert panel.wait(10)
    assert "No VGG19 weights" in panel.status.value and not panel.run_button.disabled


def test_network_switch_keeps_valid_layers(fake):
    panel = make_panel(fake)
    panel.net.value = "vgg19"
    panel.style_layers.value = ("block1_conv1", "block3_conv4")
    panel.net.value = "vgg16"  # VGG16 has no conv3_4
    assert panel.style_layers.value == ("block1_conv1",)
    assert list(panel.layer_weights) == ["block1_conv1"]


def test_upload_adds_and_selects_the_image(fake):
    panel = make_panel(fake)
    picture = png(np.full((40, 50, 3), 200, np.uint8))
    if ipywidgets.__version__.startswith("7"):
        panel._on_upload("content", {"mine.png": {"metadata": {"name": "mine.png"}, "content": picture}})
    else:
        when = datetime.datetime.now(datetime.timezone.utc)
        panel.content_upload.value = ({"name": "mine.png", "type": "image/png", "size": len(picture),
                                       "content": memoryview(picture), "last_modified": when},)
    assert panel.content_choice.value == "upload:mine.png"
    assert panel.image("content").shape == (40, 50, 3)
    panel.run_button.click()
    assert panel.wait(10)


def test_colab_upload_button(fake, monkeypatch):
    picture = png(np.full((36, 36, 3), 90, np.uint8))
    files = types.SimpleNamespace(upload=lambda: {"paint.png": picture})
    colab = types.ModuleType("google.colab")
    colab.files = files
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    panel = make_panel(fake)
    panel.colab_buttons["style"].click()
    assert panel.style_choice.value == "upload:paint.png"
    assert panel.image("style")[0, 0, 0] == 90.0


# ----- one real run --------------------------------------------------------------------------
def test_real_quick_run_with_offline_weights(tmp_path, monkeypatch):
    used = []  # the per-layer weights the style loss really receives (recorded when the step is traced)
    real_style_loss = nst.losses.style_loss

    def spy(grams, targets, layer_weights=None):
        used.append(None if layer_weights is None else tuple(layer_weights))
        return real_style_loss(grams, targets, layer_weights)

    monkeypatch.setattr(nst.losses, "style_loss", spy)
    panel = W.ControlPanel(base=nst.TransferConfig.default(), preview_every=1, save_path=str(tmp_path / "real.png"))
    panel.size.value = 64
    panel.steps.value = 3
    panel.optimizer.value = "adam"
    panel.layer_weights["block3_conv1"].value = 0.7
    shown = tuple(box.value for box in panel.layer_weights.values())
    panel.run_button.click()
    assert panel.wait(300), "the real run did not finish in 5 minutes"
    result = panel.result
    assert result is not None, panel.status.value
    assert max(result.image.shape[:2]) == 64 and result.config.steps == 3
    assert result.weights == "offline-hed-vgg16" and "offline-hed-vgg16" in panel.summary.value
    assert len(panel.history) == 3 and panel.previews == 4
    assert not np.array_equal(result.image, nst.images.resize(panel.image("content"), 64))  # it painted something
    panel.save_button.click()
    assert (tmp_path / "real.png").is_file()
    assert shown == (0.2, 0.2, 0.7, 0.2, 0.2) and used and set(used) == {shown}  # the boxes are what the loss used



# ----- panel polish: live summary, placeholders, switched-off losses, layer weights --------------
def _summary_layer_weights(panel) -> dict[str, float]:
    """``{paper name: weight}`` as the summary prints them."""
    style_line = next(line for line in panel.summary.value.split("<br>") if line.startswith("<b>style</b>"))
    return {name: float(value) for name, value in re.findall(r"(conv\d_\d) ([0-9.e+-]+)", style_line)}


def _box_weights(panel) -> dict[str, float]:
    return {nst.layers.paper_name(name): box.value for name, box in panel.layer_weights.items()}


def _agree(summary: dict[str, float], boxes: dict[str, float]) -> bool:
    return summary.keys() == boxes.keys() and all(
        summary[k] == pytest.approx(boxes[k], rel=1e-3) for k in boxes)  # the summary prints 3 digits


def test_summary_follows_every_control_before_run(fake):
    panel = make_panel(fake)
    assert "6 steps, 64 px" in panel.summary.value
    panel.steps.value = 300
    panel.size.value = 256
    assert "300 steps, 256 px" in panel.summary.value
    panel.optimizer.value = "adam"
    panel.preserve_color.value = "luminance"
    assert "adam" in panel.summary.value and "colour: luminance" in panel.summary.value
    panel.style_weight.value = 1e3
    assert "<b>style</b> weight 1e+03" in panel.summary.value
    panel.use_tv.value = False
    assert "<b>total variation</b> off" in panel.summary.value
    panel.net.value = "vgg19"
    assert "VGG19" in panel.summary.value
    panel.content_layers.value = ("block5_conv2",)
    assert "[conv5_2]" in panel.summary.value
    panel.style_layers.value = ("block1_conv1", "block2_conv1")
    assert _summary_layer_weights(panel) == {"conv1_1": 0.5, "conv2_1": 0.5}
    panel.layer_weights["block2_conv1"].value = 2.0
    assert _summary_layer_weights(panel) == {"conv1_1": 0.5, "conv2_1": 2.0}
    assert fake.configs == []  # all of that without a run


def test_summary_says_what_is_wrong_with_the_settings(fake):
    panel = make_panel(fake)
    panel.style_layers.value = ()
    assert "⚠️" in panel.summary.value and "style" in panel.summary.value


def test_no_broken_images_before_the_first_run(fake):
    panel = make_panel(fake)
    for image in (panel.preview, panel.curve, *panel.thumbs.values()):
        picture = Image.open(io.BytesIO(bytes(image.value)))  # an empty value is a broken-image icon
        picture.verify()
        assert picture.format == "PNG"
    placeholder = np.asarray(Image.open(io.BytesIO(bytes(panel.preview.value))).convert("L"))
    assert placeholder.std() > 0  # it carries a text, not just grey


def test_an_unticked_loss_greys_its_slider(fake):
    panel = make_panel(fake)
    for slider, box in panel._loss_controls():
        assert not slider.disabled
        box.value = False
        assert slider.disabled
        box.value = True
        assert not slider.disabled
    off = W.ControlPanel(runner=fake, base=nst.TransferConfig.default(size=64, steps=6, tv_weight=0.0))
    assert off.tv_weight.disabled and not off.use_tv.value and not off.style_weight.disabled


def test_an_unticked_loss_is_left_out_of_the_curve(fake, monkeypatch):
    drawn = []
    real = W.loss_curve_png

    def spy(history, **kwargs):
        drawn.append(tuple(kwargs.get("losses", ("content", "style", "tv"))))
        return real(history, **kwargs)

    monkeypatch.setattr(W, "loss_curve_png", spy)
    panel = make_panel(fake, preview_every=2)
    panel.use_tv.value = False
    panel.run_button.click()
    assert panel.wait(10)
    assert fake.configs[-1].tv_weight == 0.0 and set(drawn) == {("content", "style")}
    panel.use_tv.value = True
    panel.run_button.click()
    assert panel.wait(10)
    assert drawn[-1] == ("content", "style", "tv")


def test_the_curve_leaves_out_the_losses_not_asked_for():
    history = [{"total": 10.0 / s, "content": 1.0 / s, "style": 8.0 / s, "tv": 1.0 / s} for s in range(1, 6)]
    without_tv = [{k: v for k, v in row.items() if k != "tv"} for row in history]
    assert W.loss_curve_png(history, losses=("content", "style")) == W.loss_curve_png(without_tv)
    assert W.loss_curve_png(history) != W.loss_curve_png(without_tv)


def test_layer_boxes_show_the_weights_the_run_uses(fake):
    panel = make_panel(fake)  # the default: 5 style layers, 1/5 each
    boxes = _box_weights(panel)
    assert set(boxes.values()) == {0.2} and _agree(_summary_layer_weights(panel), boxes)
    panel.run_button.click()
    assert panel.wait(10)
    cfg = fake.configs[-1]
    assert cfg.style_layer_weights is None and cfg == panel.base  # None = 1/L each = 0.2, what the boxes said
    panel.layer_weights["block1_conv1"].value = 0.5
    assert _agree(_summary_layer_weights(panel), _box_weights(panel))
    assert panel.config().style_layer_weights == (0.5, 0.2, 0.2, 0.2, 0.2)


def test_base_layer_weights_are_shown_and_run_as_they_are(fake):
    base = nst.TransferConfig.default(size=64, steps=3, style_layer_weights=(1, 2, 3, 4, 5))
    panel = W.ControlPanel(runner=fake, base=base)
    assert list(_box_weights(panel).values()) == [1, 2, 3, 4, 5]
    assert _agree(_summary_layer_weights(panel), _box_weights(panel))
    panel.run_button.click()
    assert panel.wait(10)
    assert fake.configs[-1] == base


def test_boxes_follow_the_selection_until_a_weight_is_typed(fake):
    panel = make_panel(fake)
    panel.style_layers.value = ("block1_conv1", "block2_conv1")
    assert _box_weights(panel) == {"conv1_1": 0.5, "conv2_1": 0.5}
    panel.layer_weights["block1_conv1"].value = 0.9
    panel.style_layers.value = ("block1_conv1", "block2_conv1", "block3_conv1")
    assert _box_weights(panel) == {"conv1_1": 0.9, "conv2_1": 0.5, "conv3_1": 0.3333}
    assert _agree(_summary_layer_weights(panel), _box_weights(panel))


@pytest.mark.parametrize("name", ["default", "blog", "gatys", "seed"])
def test_each_preset_is_shown_as_it_runs(fake, name):
    base = dataclasses.replace(nst.preset(name), steps=3, size=64)
    panel = W.ControlPanel(runner=fake, base=base)
    shown = tuple(box.value for box in panel.layer_weights.values())
    assert shown == pytest.approx(base.layer_weights, abs=5e-5)  # the boxes' 4 decimals
    assert _agree(_summary_layer_weights(panel), _box_weights(panel))
    panel.run_button.click()
    assert panel.wait(10)
    assert fake.configs[-1] == base


def test_a_teachers_extreme_weights_are_shown_and_run_unclipped(fake):
    """The boxes stopped at 1e6 and the log sliders at 1e-4..1e6: a base outside showed, and ran, clipped."""
    base = nst.TransferConfig.default(size=64, steps=3, style_layer_weights=(1e-7, 1, 1, 1, 5e7),
                                      style_weight=3e7, content_weight=2e-6)
    panel = W.ControlPanel(runner=fake, base=base)
    assert tuple(box.value for box in panel.layer_weights.values()) == base.style_layer_weights
    assert (panel.style_weight.value, panel.content_weight.value) == pytest.approx((3e7, 2e-6))
    assert _agree(_summary_layer_weights(panel), _box_weights(panel))
    panel.run_button.click()
    assert panel.wait(10)
    assert fake.configs[-1] == base
    assert W.log_range(1.0) == W.LOG_RANGE and W.log_range(0.0) == W.LOG_RANGE
