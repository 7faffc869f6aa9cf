import dataclasses
import math

import pytest

from nst_helpers import config as C
from nst_helpers.errors import ConfigError, LayerNameError


def test_config_is_frozen_and_keyword_only():
    cfg = C.TransferConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.steps = 3
    with pytest.raises(TypeError):
        C.TransferConfig("vgg16")


def test_seed_preset_is_the_blog_recipe():
    cfg = C.TransferConfig.seed_recipe()
    assert cfg.net == "vgg16"
    assert cfg.content_layers == ("block3_conv1",)
    assert cfg.style_layers == C.conv_layers("vgg16") and len(cfg.style_layers) == 13
    assert (cfg.content_weight, cfg.style_weight, cfg.tv_weight) == (2.0, 9.0, 0.4)
    assert (cfg.gram_norm, cfg.tv_kind, cfg.adaptive, cfg.optimizer) == ("none", "l1_mean", True, "seed")
    assert (cfg.step_size, cfg.steps, cfg.size, cfg.resize, cfg.init) == (10.0, 60, 224, "square", "noise")


def test_gatys_preset():
    cfg = C.preset("gatys")
    assert cfg.net == "vgg19" and cfg.content_layers == ("block4_conv2",)
    assert cfg.style_layers == tuple(f"block{b}_conv1" for b in range(1, 6))
    assert cfg.optimizer == "lbfgs" and cfg.init == "content" and cfg.gram_norm == "paper"


def test_layer_names_are_normalised_to_keras_names():
    cfg = C.TransferConfig(content_layers="relu4_2", style_layers=[0, "conv2_1"])
    assert cfg.content_layers == ("block4_conv2",)
    assert cfg.style_layers == ("block1_conv1", "block2_conv1")


def test_replace_keeps_validation():
    cfg = C.TransferConfig.seed_recipe()
    assert dataclasses.replace(cfg, style_weight=20.0).style_weight == 20.0
    with pytest.raises(ConfigError):
        dataclasses.replace(cfg, style_weight=-1.0)


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"content_weight": math.nan}, "content_weight"),
        ({"style_weight": math.inf}, "style_weight"),
        ({"tv_weight": -0.1}, "tv_weight"),
        ({"content_weight": 0, "style_weight": 0, "tv_weight": 0}, "nothing to optimise"),
        ({"steps": 0}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"size": 8}, "size"),
        ({"optimizer": "sgd"}, "seed, adam, lbfgs"),
        ({"init": "zeros"}, "noise"),
        ({"gram_norm": "whatever"}, "gram_norm"),
        ({"style_layer_weights": (1.0,)}, "one weight per layer"),
        ({"scales": (256, 128)}, "grow"),
        ({"style_blend": (0.0, 0.0)}, "style_blend"),
        ({"learning_rate": 0}, "learning_rate"),
    ],
)
def test_bad_values_fail_early_with_a_clear_message(changes, words):
    with pytest.raises(ConfigError, match=words):
        C.TransferConfig(**changes)


def test_unknown_layer_in_config():
    with pytest.raises(LayerNameError, match="Valid names"):
        C.TransferConfig(style_layers=("conv9_9",))


def test_zero_weight_allows_texture_synthesis_and_reconstruction():
    C.TransferConfig(content_weight=0.0)
    C.TransferConfig(style_weight=0.0, style_layers=())


def test_quick_shrinks(monkeypatch):
    cfg = C.TransferConfig.seed_recipe().quick()
    assert cfg.size <= C.QUICK_SIZE and cfg.steps <= C.QUICK_STEPS
    monkeypatch.setenv("NST_QUICK", "1")
    assert C.is_quick()
    monkeypatch.setenv("NST_QUICK", "0")
    assert not C.is_quick()


def test_to_dict_spells_out_layers():
    d = C.TransferConfig.seed_recipe().to_dict()
    assert d["style_layers"][0] == "block1_conv1" and isinstance(d["style_layers"], list)


def test_unknown_preset():
    with pytest.raises(ConfigError, match="default, seed, gatys"):
        C.preset("fast")


def test_config_module_does_not_import_tensorflow():
    import subprocess
    import sys

    code = "import nst_helpers.config, nst_helpers.images, nst_helpers.cli, sys; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
