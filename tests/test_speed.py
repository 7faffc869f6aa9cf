"""The speed machinery: no retracing, bfloat16 judged in float32, ``precision="auto"``, the benchmark yardstick.

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
    cfg = _tiny(optimizer="lbfgs", steps=8)
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
    assert r32.final_loss < 0.7 * start and r16.final_loss < 0.7 * start
    assert r16.final_loss == pytest.approx(r32.final_loss, rel=0.1)


def _fake_cpuinfo(monkeypatch, text: str | None) -> None:
    def fake_open(path, *args, **kwargs):
        if text is None:
            raise OSError("no /proc here")
        import io

        return io.StringIO(text)

    monkeypatch.setattr(T, "open", fake_open, raising=False)  # module globals shadow the builtin


@pytest.mark.parametrize(
    "cpuinfo, expected",
    [
        ("flags\t: fpu sse avx512f avx512_bf16 amx_tile\n", "bfloat16"),
        ("flags\t: fpu sse amx_bf16 amx_tile\n", "bfloat16"),
        ("flags\t: fpu sse avx2 avx512f\n", "float32"),  # AVX-512 without bf16: emulated, slower
        (None, "float32"),  # no /proc/cpuinfo (macOS, Windows): the safe choice
    ],
)
def test_auto_precision_follows_the_cpu(monkeypatch, cpuinfo, expected):
    _fake_cpuinfo(monkeypatch, cpuinfo)
    assert T.resolve_precision("auto") == expected
    # explicit choices are never second-guessed
    assert T.resolve_precision("float32") == "float32"
    assert T.resolve_precision("bfloat16") == "bfloat16"


def test_auto_precision_resolves_in_the_result(content64, style64):
    cfg = _tiny(precision="auto", steps=1, optimizer="adam")
    result = T.transfer(content64, style64, cfg)
    assert result.precision == T.resolve_precision("auto") and result.precision in ("float32", "bfloat16")
    assert result.config.precision == "auto"  # the config keeps what was asked


def test_default_config_is_the_fast_one():
    cfg = nst.TransferConfig.default()
    assert cfg.precision == "auto"
    assert cfg.optimizer == "lbfgs"
    # quick mode keeps a coarse-to-fine schedule valid (growing sizes, none above the quick size)
    quick = cfg.quick()
    assert quick.scales is None or max(quick.scales) <= nst.config.QUICK_SIZE


def test_benchmark_yardstick_is_zero_on_the_style_and_one_on_the_photo(content64, style64):
    style = nst.images.resize(style64, 48)
    assert E.evaluate_image(style, content64, style64, weights="offline-hed-vgg16")["gram"] == pytest.approx(0, abs=1e-6)
    photo = nst.images.resize(content64, 48)
    assert E.stylisation_ratio(photo, content64, style64, weights="offline-hed-vgg16") == pytest.approx(1.0)
    # a flat grey image is far from the style too: the yardstick is not constant
    grey = np.full_like(photo, 128.0)
    assert E.evaluate_image(grey, content64, style64, weights="offline-hed-vgg16")["gram"] > 0
