"""The speed machinery: no retracing, bfloat16 judged in float32, ``precision="auto"`` in a run, the yardstick.

No timings are asserted here (they depend on the machine and its load): ``make bench``
measures them and writes benchmarks/RESULTS.md.
"""

import dataclasses
import pathlib
import sys

import numpy as np
import pytest
import tensorflow as tf

import nst_helpers as nst
from nst_helpers import devices as D
from nst_helpers import transfer as T
from nst_helpers.model import FeatureExtractor

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))
import evaluator as E  # noqa: E402  (benchmarks/evaluator.py)


def _tiny(**changes) -> nst.TransferConfig:
    base = nst.TransferConfig.default(size=48, steps=3, scales=None, precision="float32", weights="offline-hed-vgg16")
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs", "seed"])
def test_step_function_is_traced_once_per_scale(content64, style64, optimizer):
    cfg = _tiny(optimizer=optimizer, scales=(48, 64), steps=4)
    result = T.transfer(content64, style64, cfg)
    assert result.stop_reason == "completed"
    assert {row["scale"] for row in result.history} == {48, 64}
    # one trace per image size: a retrace every step would make each step cost a graph build
    assert result.traces == 2


def test_bfloat16_run_is_judged_in_float32_and_lands_near_float32(content64, style64):
    cfg = _tiny(optimizer="lbfgs", steps=20)
    r32 = T.transfer(content64, style64, cfg)
    r16 = T.transfer(content64, style64, dataclasses.replace(cfg, precision="bfloat16"))
    assert (r32.precision, r16.precision) == ("float32", "bfloat16")
    # independent float32 evaluation of the bfloat16 run's output must match what the Result reports
    fx = FeatureExtractor(cfg.content_layers + cfg.style_layers, weights=cfg.weights, precision="float32")
    content = nst.images.resize(content64, 48)
    style = nst.images.resize(style64, 48)
    objective = T.Objective(fx, cfg, content, [style])
    losses = objective.losses(tf.constant(r16.image[None]))
    total32 = float(objective.total(losses))
    assert r16.final_loss == pytest.approx(total32, rel=1e-4)
    # both runs start from the content image and must have made real progress, to similar objectives
    start = float(objective.total(objective.losses(tf.constant(content[None]))))
    assert r32.final_loss < 0.3 * start and r16.final_loss < 0.3 * start
    # the objective falls ~10x in these 20 iterations, so rounding that changes the path shows as +-10-20 %
    assert r16.final_loss == pytest.approx(r32.final_loss, rel=0.25)


def test_auto_precision_resolves_in_the_result_by_the_device(content64, style64, monkeypatch):
    cfg = _tiny(precision="auto", steps=1, optimizer="adam")
    fake = {"amx": frozenset({"avx2", "avx512f", "amx_bf16"}), "zen3": frozenset({"avx2"})}
    for kind, expected in (("amx", "bfloat16"), ("zen3", "float32")):
        monkeypatch.setattr(D, "cpu_info", lambda kind=kind: D.CPUInfo("fake", 2, fake[kind]))
        monkeypatch.setattr(D, "gpus", lambda: [])
        result = T.transfer(content64, style64, cfg)
        assert result.precision == expected
        assert result.config.precision == "auto"  # the config keeps what was asked


def test_default_config_is_the_fast_one():
    cfg = nst.TransferConfig.default()
    assert (cfg.precision, cfg.optimizer, cfg.scales) == ("auto", "lbfgs", None)
    # quick mode keeps a coarse-to-fine schedule valid: growing sizes, none above the quick size
    assert nst.TransferConfig.default(scales=(64, 128, 256)).quick().scales == (64, 128)
    assert nst.TransferConfig.default(scales=(256, 512)).quick().scales is None


def test_benchmark_yardstick_is_zero_on_the_style_and_one_on_the_photo(content64, style64):
    style = nst.images.resize(style64, 48)
    gram = E.evaluate_image(style, content64, style64, weights="offline-hed-vgg16")["gram"]
    assert gram == pytest.approx(0, abs=1e-6)
    photo = nst.images.resize(content64, 48)
    assert E.stylisation_ratio(photo, content64, style64, weights="offline-hed-vgg16") == pytest.approx(1.0)
    # a flat grey image is far from the style too: the yardstick is not constant
    grey = np.full_like(photo, 128.0)
    assert E.evaluate_image(grey, content64, style64, weights="offline-hed-vgg16")["gram"] > 0
