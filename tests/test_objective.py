"""The objective: targets computed once, losses that vanish at their own target, a float32 judge."""

import numpy as np
import pytest
import tensorflow as tf

import nst_helpers as nst
from nst_helpers import objective as O
from nst_helpers import transfer as T


@pytest.fixture(scope="module")
def cfg():
    return nst.TransferConfig(size=48, precision="float32", weights="offline-hed-vgg16")


@pytest.fixture(scope="module")
def fx(cfg):
    return O.build_extractor(cfg)


def test_build_extractor_covers_the_configs_layers_once(cfg, fx):
    assert fx.layers == tuple(dict.fromkeys(cfg.content_layers + cfg.style_layers))
    assert fx.precision == "float32" and O.build_extractor(cfg, "bfloat16").precision == "bfloat16"


def test_each_loss_is_zero_at_its_own_target_only(cfg, fx, content64, style64):
    photo = nst.images.resize(content64, 48)
    painting = nst.images.resize(style64, photo.shape[:2])  # same shape: its Grams are the targets exactly
    objective = O.Objective(fx, cfg, photo, [painting])
    at_photo = O.evaluate(photo, objective, cfg, "float32")
    at_painting = O.evaluate(painting, objective, cfg, "float32")
    assert at_photo["content"] == 0.0 and at_photo["style"] > 1.0
    assert at_painting["style"] == pytest.approx(0.0, abs=1e-3 * at_photo["style"]) and at_painting["content"] > 1.0
    # total = the config's weighted sum, recomputed from the parts
    w = (cfg.content_weight, cfg.style_weight, cfg.tv_weight)
    parts = (at_photo["content"], at_photo["style"], at_photo["tv"])
    assert at_photo["total"] == pytest.approx(sum(a * b for a, b in zip(w, parts, strict=True)), rel=1e-5)


def test_bfloat16_objective_is_judged_by_a_float32_twin(cfg, fx, content64, style64):
    photo = nst.images.resize(content64, 48)
    painting = nst.images.resize(style64, 48)
    image = np.clip(photo + np.random.default_rng(0).normal(0, 20, photo.shape), 0, 255).astype(np.float32)
    o16 = O.Objective(O.build_extractor(cfg, "bfloat16"), cfg, photo, [painting])
    o32 = O.Objective(fx, cfg, photo, [painting])
    judged = O.evaluate(image, o16, cfg, "bfloat16")
    direct = float(o32.total(o32.losses(tf.constant(image[None]))))
    assert judged["total"] == pytest.approx(direct, rel=1e-5)
    # and the bfloat16 network itself does differ, or the twin would prove nothing
    raw16 = float(o16.total(o16.losses(tf.constant(image[None]))))
    assert raw16 != direct


def test_old_spellings_still_import_from_transfer():
    assert T.Objective is O.Objective and T.build_extractor is O.build_extractor and T.evaluate is O.evaluate
    assert T.resolve_precision is nst.devices.resolve_precision
    assert not hasattr(T, "LOSS_KEYS")
