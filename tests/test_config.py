import dataclasses
import json
import math
import pathlib
import typing

import numpy as np
import pytest

import nst_helpers as nst
from nst_helpers import config as C
from nst_helpers import layers
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
    ids=lambda v: v.replace(" ", "_").replace(",", "") if isinstance(v, str) else None,  # mutmut re-passes ids
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


def test_unknown_preset_lists_every_preset():
    with pytest.raises(ConfigError) as err:
        C.preset("fast")
    assert all(name in str(err.value) for name in ("default", "blog", "seed", "gatys"))


def test_config_module_does_not_import_tensorflow():
    import subprocess
    import sys

    code = "import nst_helpers.config, nst_helpers.images, nst_helpers.cli, sys; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# ----- presets: every value checked, overrides applied ------------------------------------------------
def test_gatys_preset_weights_steps_and_size():
    cfg = C.TransferConfig.gatys()
    assert (cfg.content_weight, cfg.style_weight, cfg.tv_weight) == (1.0, 1e3, 0.0)
    assert (cfg.steps, cfg.size, cfg.precision) == (300, 512, "float32")


def test_blog_preset_is_the_seed_preset_under_its_new_name():
    blog = C.preset("blog")
    assert blog == C.preset("seed") == C.TransferConfig.seed_recipe() == C.TransferConfig.blog()
    assert blog.precision == "float32" and blog.seed == 0  # the field `seed` is the random seed, unchanged


@pytest.mark.parametrize("name", sorted(C.PRESETS))
def test_presets_apply_overrides_and_keep_the_rest(name):
    base = C.preset(name)
    changed = C.preset(name, steps=5, tv_weight=0.25)
    assert (changed.steps, changed.tv_weight) == (5, 0.25)
    assert dataclasses.replace(changed, steps=base.steps, tv_weight=base.tv_weight) == base
    with pytest.raises(ConfigError):
        C.preset(name, steps=0)  # overrides are validated too


def test_default_is_the_plain_constructor():
    assert C.TransferConfig.default() == C.TransferConfig()
    assert C.TransferConfig.default(size=96).size == 96


# ----- derived settings ---------------------------------------------------------------------------------
def test_sizes_is_the_schedule_or_the_single_size():
    assert C.TransferConfig(size=200).sizes == (200,)
    assert C.TransferConfig(size=200, scales=(64, 128)).sizes == (64, 128)


def test_layer_weights_default_to_one_over_l():
    cfg = C.TransferConfig(style_layers=("conv1_1", "conv2_1", "conv3_1", "conv4_1"))
    assert cfg.layer_weights == (0.25,) * 4
    assert C.TransferConfig(style_layers=("conv1_1", "conv2_1"), style_layer_weights=(3, 1)).layer_weights == (3.0, 1.0)
    assert C.TransferConfig(style_layers=(), style_weight=0).layer_weights == ()
    assert C.default_layer_weights(0) == ()
    assert math.isclose(sum(C.default_layer_weights(13)), 1.0)


@pytest.mark.parametrize(
    "scales, expected",
    [((64, 96, 128, 256), (64, 96, 128)), ((192, 256), None), ((128,), (128,)), (None, None)],
)
def test_quick_keeps_the_small_part_of_a_schedule(scales, expected):
    cfg = C.TransferConfig(size=512, steps=300, scales=scales, content_weight=3.0)
    quick = cfg.quick()
    assert quick.scales == expected
    assert (quick.size, quick.steps) == (C.QUICK_SIZE, C.QUICK_STEPS)
    assert quick.content_weight == 3.0  # everything else is kept
    assert max(quick.sizes) <= C.QUICK_SIZE


def test_quick_leaves_a_small_config_alone():
    small = C.TransferConfig(size=64, steps=5)
    assert small.quick() == small


@pytest.mark.parametrize(
    "value, expected", [("1", True), ("yes", True), ("true", True), ("", False), ("0", False),
                        (" FALSE ", False), ("no", False), (None, False)],
    ids=["1", "yes", "true", "empty", "0", "spaced-FALSE", "no", "unset"],
)
def test_is_quick_reads_the_environment(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("NST_QUICK", raising=False)
    else:
        monkeypatch.setenv("NST_QUICK", value)
    assert C.is_quick() is expected


def test_to_dict_is_json_and_rebuilds_the_config():
    cfg = C.TransferConfig.blog(scales=(64, 128), style_blend=(2.0, 1.0))
    d = json.loads(json.dumps(cfg.to_dict()))
    assert C.TransferConfig(**d) == cfg
    assert d["scales"] == [64, 128] and d["style_blend"] == [2.0, 1.0] and d["steps"] == 60


# ----- option tables: one source (the Literal types) --------------------------------------------------
@pytest.mark.parametrize(
    "field, table",
    [("optimizer", C.OPTIMIZERS), ("init", C.INITS), ("gram_norm", C.GRAM_NORMS), ("tv_kind", C.TV_KINDS),
     ("resize", C.RESIZES), ("precision", C.PRECISIONS), ("preserve_color", C.PRESERVE_COLORS),
     ("net", layers.NETWORKS)],
)
def test_option_tables_are_the_literal_types_and_every_option_is_accepted(field, table):
    hints = typing.get_type_hints(C.TransferConfig)
    assert typing.get_args(hints[field]) == table
    for value in table:
        assert getattr(C.TransferConfig(**{field: value}), field) == value
    with pytest.raises(ConfigError):
        C.TransferConfig(**{field: table[0].upper() + "x"})


# ----- numbers: numpy scalars welcome, stored as Python types ------------------------------------------
def test_numpy_scalars_are_accepted_and_normalised():
    cfg = C.TransferConfig(
        steps=np.int64(5), size=np.int32(96), seed=np.uint32(7), content_weight=np.float32(1.5),
        style_weight=np.int64(2), tv_weight=np.float64(0.5), step_size=np.float32(2.0), learning_rate=np.int8(3),
        style_scale=np.float32(0.5), adaptive=np.bool_(True), scales=np.array([48, 96]),
        style_blend=np.array([1, 3], np.float32), style_layers=np.array([0, 2]), style_layer_weights=[np.float32(1), 2],
    )
    for name, kind, value in [("steps", int, 5), ("size", int, 96), ("seed", int, 7), ("content_weight", float, 1.5),
                              ("style_weight", float, 2.0), ("tv_weight", float, 0.5), ("step_size", float, 2.0),
                              ("learning_rate", float, 3.0), ("style_scale", float, 0.5), ("adaptive", bool, True)]:
        assert type(getattr(cfg, name)) is kind and getattr(cfg, name) == value, name
    assert cfg.scales == (48, 96) and all(type(s) is int for s in cfg.scales)
    assert cfg.style_blend == (1.0, 3.0) and all(type(w) is float for w in cfg.style_blend)
    assert cfg.style_layers == ("block1_conv1", "block2_conv1")
    assert cfg.style_layer_weights == (1.0, 2.0) and all(type(w) is float for w in cfg.style_layer_weights)
    json.dumps(cfg.to_dict())  # plain Python types all the way down


def test_weights_accepts_a_path_object():
    assert C.TransferConfig(weights=pathlib.Path("/tmp/vgg.h5")).weights == "/tmp/vgg.h5"
    assert C.TransferConfig(weights=None).weights is None


@pytest.mark.parametrize(
    "changes",
    [{"style_layers": None}, {"content_layers": None}, {"style_layers": 2.5}, {"scales": 256}, {"scales": "128,256"},
     {"scales": ()}, {"style_blend": "0.5,0.5"}, {"style_blend": 0.5}, {"style_blend": (0.5, "x")},
     {"style_layer_weights": "1,2,3,4,5"}, {"weights": 123}, {"adaptive": "yes"}, {"adaptive": 1},
     {"optimizer": None}, {"init": np.zeros((4, 4, 3))}, {"steps": True}, {"steps": 5.0}, {"content_weight": True},
     {"content_weight": "1"}, {"style_scale": None}, {"seed": np.float64(1.0)}],
    ids=lambda c: "-".join(c),  # plain ids: mutmut passes them back on a command line
)
def test_wrong_types_raise_config_error_not_type_error(changes):
    (name,) = changes
    with pytest.raises(ConfigError, match=rf"\b{name}"):  # and the message names the setting
        C.TransferConfig(**changes)


def test_style_blend_text_error_shows_the_list_to_write():
    with pytest.raises(ConfigError, match=r"\[0\.5, 0\.5\]"):
        C.TransferConfig(style_blend="0.5,0.5")


# ----- ranges: memory and float32 -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, ok, bad",
    [("steps", [1, C.MAX_STEPS], [0, C.MAX_STEPS + 1]),
     ("size", [C.MIN_SIZE, C.MAX_SIZE], [C.MIN_SIZE - 1, C.MAX_SIZE + 1]),
     ("seed", [0, 2**32 - 1], [-1, 2**32]),
     ("content_weight", [0.0, C.MAX_WEIGHT], [-1e-9, C.MAX_WEIGHT * 1.01, 1e38, 1e300, math.inf, math.nan]),
     ("style_weight", [0.0, C.MAX_WEIGHT], [-1e-9, C.MAX_WEIGHT * 1.01, 1e300]),
     ("tv_weight", [0.0, C.MAX_WEIGHT], [-1e-9, C.MAX_WEIGHT * 1.01, 1e300]),
     ("step_size", [1e-6, C.MAX_STEP_SIZE], [0.0, -1.0, C.MAX_STEP_SIZE + 1, math.nan]),
     ("learning_rate", [1e-6, C.MAX_STEP_SIZE], [0.0, C.MAX_STEP_SIZE + 1, math.inf]),
     ("style_scale", [1e-3, 1.0], [0.0, -0.5, C.MAX_STYLE_SCALE + 0.01, 1e6, math.nan])],
)
def test_every_number_has_a_range(name, ok, bad):
    for value in ok:
        assert getattr(C.TransferConfig(**{name: value}), name) == value
    for value in bad:
        with pytest.raises(ConfigError, match=rf"\b{name}="):  # the message names the setting to fix
            C.TransferConfig(**{name: value})


def test_style_scale_keeps_the_style_image_within_max_size():
    assert C.TransferConfig(size=1024, style_scale=C.MAX_STYLE_SCALE).style_scale == C.MAX_STYLE_SCALE  # 8192 px
    with pytest.raises(ConfigError, match="style_scale"):
        C.TransferConfig(size=1025, style_scale=C.MAX_STYLE_SCALE)
    with pytest.raises(ConfigError, match="style_scale"):
        C.TransferConfig(size=256, scales=(512, 2048), style_scale=4.5)  # the largest working size counts
    assert C.TransferConfig(size=4096, scales=(256, 512), style_scale=8.0).style_scale == 8.0


@pytest.mark.parametrize("name", ["style_blend", "style_layer_weights"])
def test_weight_lists_have_the_same_range_as_the_weights(name):
    good = (0.0, C.MAX_WEIGHT, 1.0, 2.0, 3.0)
    assert getattr(C.TransferConfig(**{name: good}), name) == good
    for bad in [(1e308, 1e308, 1, 1, 1), (-1.0, 1, 1, 1, 1), (math.nan, 1, 1, 1, 1), (0, 0, 0, 0, 0)]:
        with pytest.raises(ConfigError, match=rf"\b{name}="):
            C.TransferConfig(**{name: bad})


@pytest.mark.parametrize("name", ["content_weight", "style_weight", "tv_weight", "style_blend", "style_layer_weights"])
def test_weights_that_vanish_in_float32_are_refused(name):
    """Defect 7, the other end: --style-weight 1e-50 (0 in float32) gave a zero loss, nothing moved, and the
    start image (noise) was written as the result with exit 0."""
    def config(weight):
        value = (weight, 1.0, 1.0, 1.0, 1.0) if name in ("style_blend", "style_layer_weights") else weight
        return C.TransferConfig(**{name: value})

    assert config(C.MIN_WEIGHT) and config(0.0)
    assert np.float32(C.MIN_WEIGHT) > 0 and np.float32(1e-50) == 0
    for tiny in (1e-50, 1e-300, C.MIN_WEIGHT / 2, np.float64(5e-324)):
        with pytest.raises(ConfigError, match=rf"\b{name}=.*0 in float32.*give 0 to turn it off"):
            config(tiny)


@pytest.mark.parametrize("kind", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64])
def test_every_numpy_integer_type_is_accepted_without_warnings(kind, recwarn):
    cfg = C.TransferConfig(steps=kind(5), size=kind(100), seed=kind(7), scales=[kind(64), kind(96)])
    assert (cfg.steps, cfg.size, cfg.seed, cfg.scales) == (5, 100, 7, (64, 96))
    with pytest.raises(ConfigError, match="steps="):
        C.TransferConfig(steps=kind(0))
    assert not recwarn.list, [str(w.message) for w in recwarn.list]


@pytest.mark.parametrize("kind", [np.float16, np.float32, np.float64, np.longdouble, np.int64])
def test_every_numpy_number_type_works_for_every_weight_and_rate(kind, recwarn):
    """np.float16 against MAX_WEIGHT (1e8) raised numpy's "overflow encountered in cast" RuntimeWarning."""
    fields = ("content_weight", "style_weight", "tv_weight", "step_size", "learning_rate", "style_scale", "tolerance")
    values = {name: kind(1) if name != "tolerance" else kind(0) for name in fields}
    cfg = C.TransferConfig(**values, style_blend=[kind(1)], style_layer_weights=[kind(1)] * 5)
    assert all(type(getattr(cfg, name)) is float for name in fields)
    assert cfg.style_blend == (1.0,) and cfg.style_layer_weights == (1.0,) * 5
    with pytest.raises(ConfigError, match="style_weight="):
        C.TransferConfig(style_weight=kind(-1))
    assert not recwarn.list, [str(w.message) for w in recwarn.list]


def test_scales_range_count_and_order():
    assert C.TransferConfig(scales=(C.MIN_SIZE, C.MAX_SIZE)).scales == (C.MIN_SIZE, C.MAX_SIZE)
    many = tuple(range(64, 64 + 16 * C.MAX_SCALES, 16))
    assert C.TransferConfig(scales=many).scales == many
    for bad in [many + (2048,), (128, 128), (256, 128), (16, 64), (64, C.MAX_SIZE + 1), (64.0, 128)]:
        with pytest.raises(ConfigError, match=r"\bscales="):
            C.TransferConfig(scales=bad)


# ----- layer lists ----------------------------------------------------------------------------------------------
def test_duplicate_layers_are_refused():
    with pytest.raises(LayerNameError, match="block1_conv1"):
        C.TransferConfig(style_layers=("conv1_1", "relu1_1", 0))
    with pytest.raises(LayerNameError):
        C.TransferConfig(content_layers=("conv4_2", "block4_conv2"))
    # the same layer in both lists is fine: they are different losses
    assert C.TransferConfig(content_layers=("conv4_1",), style_layers=("conv4_1",)).style_layers == ("block4_conv1",)


def test_one_layer_may_be_a_bare_name_or_index():
    assert C.TransferConfig(content_layers=4).content_layers == ("block3_conv1",)
    assert C.TransferConfig(content_layers=np.int64(4)).content_layers == ("block3_conv1",)
    assert C.TransferConfig(style_layers="conv5_1").style_layers == ("block5_conv1",)


def test_network_name_is_normalised():
    cfg = C.TransferConfig(net="VGG19", style_layers="conv5_4")
    assert cfg.net == "vgg19" and cfg.style_layers == ("block5_conv4",)
    with pytest.raises(LayerNameError):
        C.TransferConfig(net="vgg11")


def test_layer_lists_may_be_one_string():
    cfg = C.TransferConfig(style_layers="conv1_1, conv2_1", content_layers="4")
    assert cfg.style_layers == ("block1_conv1", "block2_conv1") and cfg.content_layers == ("block3_conv1",)
    assert C.TransferConfig(style_layers="all").style_layers == C.conv_layers("vgg16")
    assert C.TransferConfig(net="vgg19", style_layers="all").style_layers == C.conv_layers("vgg19")


def test_missing_layers_for_a_weighted_loss_are_refused():
    with pytest.raises(ConfigError, match="style layer"):
        C.TransferConfig(style_layers=())
    with pytest.raises(ConfigError, match="content layer"):
        C.TransferConfig(content_layers=())
    assert C.TransferConfig(content_layers=(), content_weight=0).content_layers == ()
    for small in (1e-6, 0.5):  # any positive weight needs a layer, not just weights above 1
        with pytest.raises(ConfigError, match="content layer"):
            C.TransferConfig(content_layers=(), content_weight=small)
        with pytest.raises(ConfigError, match="style layer"):
            C.TransferConfig(style_layers=(), style_weight=small)


def test_a_misspelt_or_positional_setting_names_the_fix():
    """Defect 8: unknown keywords were Python's bare TypeError ("unexpected keyword argument")."""
    for make, words in [(lambda: C.TransferConfig(stepz=3), "stepz= is not a TransferConfig setting: .* steps="),
                        (lambda: C.preset("gatys", content_wieght=1), "did you mean content_weight="),
                        (lambda: dataclasses.replace(C.TransferConfig(), sise=64), "did you mean size="),
                        (lambda: C.TransferConfig(256), "by name, e.g. TransferConfig\\(steps=100\\)")]:
        with pytest.raises(nst.SettingNameError, match=words) as info:
            make()
        assert isinstance(info.value, ConfigError) and isinstance(info.value, TypeError)  # old except clauses work
    with pytest.raises(ConfigError, match=r"init=<array of shape \(4, 4, 3\)>.*transfer\(\.\.\., init=image\)"):
        C.TransferConfig(init=np.zeros((4, 4, 3)))  # a short text, never the whole array
