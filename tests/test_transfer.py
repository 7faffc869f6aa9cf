"""End-to-end behaviour of the loop on the real offline VGG16 weights, at small sizes."""

import dataclasses
import itertools

import numpy as np
import pytest
import tensorflow as tf

import nst_helpers as nst
from nst_helpers import losses as L
from nst_helpers import transfer as T
from nst_helpers.model import FeatureExtractor

EVAL_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")


@pytest.fixture(scope="module")
def evaluator():
    return FeatureExtractor(EVAL_LAYERS + ("conv4_2",), weights="offline-hed-vgg16")


def _distances(evaluator, image, content, style):
    """Independent judge: Gram (÷HW) distance to the style, feature distance to the content at conv4_2."""
    f, fs, fc = evaluator(image), evaluator(style), evaluator(content)
    gram = lambda x: L.gram_matrix(x, normalize="hw").numpy()  # noqa: E731
    style_d = np.mean([np.mean((gram(f[k]) - gram(fs[k])) ** 2) for k in evaluator.layers[:5]])
    content_d = np.mean((f["block4_conv2"].numpy() - fc["block4_conv2"].numpy()) ** 2)
    return style_d, content_d


@pytest.mark.parametrize("optimizer, steps", [("lbfgs", 20), ("adam", 40)])
def test_transfer_lowers_style_distance_and_keeps_content(evaluator, content64, style64, optimizer, steps):
    cfg = nst.TransferConfig(size=64, steps=steps, optimizer=optimizer, init="content",
                             content_weight=100.0, style_weight=1.0, tv_weight=1.0, learning_rate=5.0)
    result = T.transfer(content64, style64, cfg)
    assert result.weights == "offline-hed-vgg16" and result.stop_reason == "completed"
    assert result.image.shape == content64.shape and result.image.dtype == np.float32
    style_before, _ = _distances(evaluator, content64, content64, style64)
    style_after, content_after = _distances(evaluator, result.image, content64, style64)
    _, content_of_style = _distances(evaluator, nst.images.resize(style64, content64.shape[:2]), content64, style64)
    assert style_after <= 0.5 * style_before
    assert content_after <= 0.5 * content_of_style  # still much closer to the photo than the painting is
    assert result.final_loss < result.history[0]["total"]


def test_seed_recipe_step_is_the_blogs_update(content64, style64):
    """Replay step 0 independently: x1 = clip(x0 - 10/std(g) * g), g = sum_k w_k grad(L_k) / L_k."""
    cfg = nst.TransferConfig.seed_recipe(size=48, steps=2)
    images = []
    result = T.transfer(content64, style64, cfg, callback=lambda step, img, row: images.append(img))
    x0 = (np.random.default_rng(cfg.seed).random((48, 48, 3)) + 128.0).astype(np.float32)
    assert x0.min() >= 128.0 and x0.max() <= 129.0  # float32 rounds 128.99999 up
    objective = T.Objective(T.build_extractor(cfg), cfg, nst.images.resize(content64, 48, square=True),
                            [nst.images.resize(style64, 48, square=True)])
    x = tf.constant(x0[None])
    grad = 0.0
    for key, weight in (("content", 2.0), ("style", 9.0), ("tv", 0.4)):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = objective.losses(x)[key]
        grad += weight * tape.gradient(value, x).numpy() / float(value)
    expected = np.clip(x0 - 10.0 / (np.std(grad) + 1e-8) * grad[0], 0, 255)
    np.testing.assert_allclose(images[0], expected, atol=0.05)
    # the weights each step used are 1/loss of the image it saw, recomputed here from those images
    seen = [x0] + images[:-1]  # step k sees the image the callback got after step k-1
    for row, image in zip(result.history, seen, strict=True):
        independent = objective.losses(tf.constant(image[None]))
        for key in ("content", "style", "tv"):
            np.testing.assert_allclose(row[f"adaptive_{key}"], 1.0 / float(independent[key]), rtol=1e-3)
    assert result.traces == 1


def test_seed_recipe_is_square_224_and_runs_60_steps_by_default():
    cfg = nst.TransferConfig.seed_recipe()
    assert (cfg.size, cfg.resize, cfg.steps) == (224, "square", 60)


def test_same_seed_same_image(content64, style64):
    cfg = nst.TransferConfig(size=48, steps=3, optimizer="adam", init="random", seed=7)
    a, b = T.transfer(content64, style64, cfg), T.transfer(content64, style64, cfg)
    np.testing.assert_array_equal(a.image, b.image)
    c = T.transfer(content64, style64, dataclasses.replace(cfg, seed=8))
    assert not np.array_equal(a.image, c.image)


def test_no_retracing_between_steps(content64, style64):
    result = T.transfer(content64, style64, nst.TransferConfig(size=48, steps=5, optimizer="adam"))
    assert result.traces == 1 and len(result.history) == 5


def test_callback_stop_and_ctrl_c_return_the_image_so_far(content64, style64):
    cfg = nst.TransferConfig(size=48, steps=50, optimizer="adam")
    stopped = T.transfer(content64, style64, cfg, callback=lambda step, img, row: step >= 3)
    assert stopped.stop_reason == "callback" and len(stopped.history) == 3

    def ctrl_c(step, img, row):
        if step == 2:
            raise KeyboardInterrupt

    for optimizer in ("adam", "lbfgs", "seed"):
        res = T.transfer(content64, style64, dataclasses.replace(cfg, optimizer=optimizer), callback=ctrl_c)
        assert res.stop_reason == "interrupted" and res.interrupted
        assert res.image.shape == (36, 48, 3) and np.isfinite(res.image).all()
        assert len(res.history) == 2


@pytest.mark.parametrize("scales", [None, (44, 48)])
def test_a_stop_asked_as_the_last_step_ends_cut_nothing(content64, style64, scales):
    """A Stop (or the CLI's Ctrl-C) that arrives with the last step's callback is a completed run; one step before
    the end, or at the end of a coarse stage, it is a stop."""
    cfg = nst.TransferConfig(size=48, steps=3, optimizer="adam", scales=scales)
    total = cfg.total_steps
    at_end = T.transfer(content64, style64, cfg, callback=lambda step, img, row: True if step == total else None)
    assert (at_end.stop_reason, len(at_end.history)) == ("completed", total)
    for early in (total - 1, 3):
        res = T.transfer(content64, style64, cfg, callback=lambda step, img, row, k=early: step == k)
        assert (res.stop_reason, len(res.history)) == (("callback", early) if early < total else ("completed", total))


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs", "seed"])
def test_nan_loss_stops_and_keeps_a_finite_image(content64, style64, monkeypatch, optimizer):
    monkeypatch.setattr(T.L, "total_variation_loss", lambda image, kind="l1_mean": tf.constant(np.nan, tf.float32))
    cfg = nst.TransferConfig(size=48, steps=5, optimizer=optimizer, init="content")
    res = T.transfer(content64, style64, cfg)
    assert "NaN" in res.stop_reason and np.isfinite(res.image).all()
    np.testing.assert_allclose(res.image, nst.images.resize(content64, 48), atol=1e-4)


def test_content_reconstruction_and_texture_synthesis_are_the_same_call(evaluator, content64, style64):
    """From noise, style weight 0 rebuilds the photo's features; content weight 0 grows the painting's Grams."""
    recon = nst.TransferConfig(size=48, steps=15, style_weight=0.0, style_layers=(), tv_weight=0.0, init="random")
    texture = nst.TransferConfig(size=48, steps=15, content_weight=0.0, content_layers=(), init="random")
    photo = nst.images.resize(content64, 48)
    noise = (np.random.default_rng(0).random(photo.shape) * 255.0).astype(np.float32)  # what init="random" starts from
    style_noise, content_noise = _distances(evaluator, noise, photo, style64)
    r = T.transfer(content64, style64, recon)
    style_r, content_r = _distances(evaluator, r.image, photo, style64)
    assert content_r < 0.5 * content_noise and r.final_losses["style"] == 0.0
    t = T.transfer(content64, style64, texture)
    style_t, content_t = _distances(evaluator, t.image, photo, style64)
    assert style_t < 0.2 * style_noise and t.final_losses["content"] == 0.0
    assert style_t < style_r and content_r < content_t  # each run pulled towards its own target only


@pytest.mark.parametrize("init", ["style", "random", "content", "noise"])
def test_inits(content64, style64, init):
    """One Adam step (lr 5) moves each pixel by about 5 at most: the output must sit next to the chosen start."""
    cfg = nst.TransferConfig(size=48, steps=1, init=init, optimizer="adam", learning_rate=5.0, seed=3)
    res = T.transfer(content64, style64, cfg)
    rng = np.random.default_rng(3)
    starts = {
        "content": nst.images.resize(content64, 48),
        "style": nst.images.resize(nst.images.resize(style64, 48), (36, 48)),  # the style at this scale, fitted
        "random": rng.random((36, 48, 3)) * 255.0,
        "noise": np.random.default_rng(3).random((36, 48, 3)) + 128.0,
    }
    assert res.image.shape == (36, 48, 3)
    assert np.abs(res.image - np.clip(starts[init], 0, 255)).max() <= 5.5
    for other, start in starts.items():
        if other != init:
            assert np.abs(res.image - start).mean() > 10.0


def test_explicit_init_array(content64, style64):
    start = np.zeros((10, 10, 3), np.float32)  # any size: resized to the content
    start[:, 5:] = 200.0
    cfg = nst.TransferConfig(size=48, steps=1, optimizer="adam", learning_rate=2.0, init="content")
    res = T.transfer(content64, style64, cfg, init=start)
    assert res.image.shape == (36, 48, 3)
    np.testing.assert_allclose(res.image, nst.images.resize(start, (36, 48)), atol=2.5)  # not config.init


def test_result_reports_weights_precision_and_time(content64, style64):
    res = T.transfer(content64, style64, nst.TransferConfig(size=48, steps=2, optimizer="adam", precision="float32"))
    assert res.precision == "float32" and res.seconds > 0
    assert set(res.history[0]) >= {"step", "total", "content", "style", "tv"}
    assert "HED" in res.weights_description


# ----- the L-BFGS optimisers ------------------------------------------------------------------------
def _lbfgs(**changes):
    return nst.TransferConfig(**dict(dict(size=48, steps=15, optimizer="lbfgs", precision="float32", tolerance=0.0),
                                     **changes))


def test_lbfgs_objective_falls_every_iteration_and_stays_in_bounds(content64, style64):
    # a style weight this large drives many pixels to 0 or 255: the box must hold them
    cfg = _lbfgs(style_weight=1e3, init="random")
    res = T.transfer(content64, style64, cfg)
    totals = [row["total"] for row in res.history]
    assert len(totals) == 15 and all(b <= a for a, b in itertools.pairwise(totals))
    assert totals[-1] < 0.2 * totals[0]
    assert res.image.min() >= 0.0 and res.image.max() <= 255.0
    assert ((res.image == 0.0) | (res.image == 255.0)).mean() > 0.01  # the bounds were really reached
    assert res.final_loss == pytest.approx(totals[-1], rel=1e-4)  # the returned image is the last iterate
    assert all(row["evaluations"] >= 1 for row in res.history)


def test_lbfgs_is_deterministic_and_matches_scipy(content64, style64):
    cfg = _lbfgs()
    a, b = T.transfer(content64, style64, cfg), T.transfer(content64, style64, cfg)
    np.testing.assert_array_equal(a.image, b.image)
    ref = T.transfer(content64, style64, dataclasses.replace(cfg, optimizer="lbfgs-scipy"))
    start = a.history[0]["total"]
    assert a.final_loss < 0.3 * start and ref.final_loss < 0.3 * start
    assert a.final_loss == pytest.approx(ref.final_loss, rel=0.25)  # two L-BFGS, one objective


def test_lbfgs_stops_on_convergence_only_when_asked(content64, style64):
    cfg = _lbfgs(steps=40)
    full = T.transfer(content64, style64, cfg)  # tolerance 0: every step
    assert len(full.history) == 40
    photo = nst.images.resize(content64, 48)
    start = T.evaluate(photo, T.Objective(T.build_extractor(cfg), cfg, photo, [nst.images.resize(style64, 48)]),
                       cfg, "float32")["total"]  # init="content": the objective before the first step
    seq, window, tol = [start] + [row["total"] for row in full.history], T.CONVERGENCE_WINDOW, 0.5
    # the first iteration k after which the objective fell by less than 50 % over the last 10 iterations
    k = next(k for k in range(window, 41) if seq[k - window] - seq[k] <= tol * seq[k])
    loose = T.transfer(content64, style64, dataclasses.replace(cfg, tolerance=tol))
    assert len(loose.history) == k < 40 and loose.stop_reason == "completed"
    np.testing.assert_array_equal(loose.image, T.transfer(content64, style64, dataclasses.replace(cfg, steps=k)).image)


def test_large_sizes_run_coarse_to_fine_by_themselves(content64, style64, monkeypatch):
    assert nst.config.stage_schedule(nst.TransferConfig(size=1024, steps=200)) == ((256, 200), (512, 25), (1024, 25))
    assert nst.config.stage_schedule(nst.TransferConfig(size=400, steps=200)) == ((400, 200),)
    assert nst.config.stage_schedule(nst.TransferConfig(size=2048, scales=(1024,))) == ((1024, 200),)  # explicit
    monkeypatch.setattr(nst.config, "AUTO_SCALES_ABOVE", 60)
    res = T.transfer(content64, style64, _lbfgs(size=96, steps=16))
    assert res.stages == ((48, 16), (96, 10))
    assert [row["scale"] for row in res.history] == [48] * 16 + [96] * 10
    assert res.image.shape == (72, 96, 3) and res.traces == 2
