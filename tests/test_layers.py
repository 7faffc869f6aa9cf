import pytest

from nst_helpers import layers
from nst_helpers.errors import LayerNameError


def test_vgg16_has_13_convolutions_vgg19_16():
    assert len(layers.conv_layers("vgg16")) == 13
    assert len(layers.conv_layers("vgg19")) == 16
    assert layers.conv_layers("vgg19")[-1] == "block5_conv4"


@pytest.mark.parametrize(
    "name, expected",
    [("block3_conv1", "block3_conv1"), ("conv3_1", "block3_conv1"), ("relu3_1", "block3_conv1"),
     (4, "block3_conv1"), ("4", "block3_conv1"), ("0", "block1_conv1"), (12, "block5_conv3"),
     ("CONV4_2", "block4_conv2")],
)
def test_every_naming_scheme_points_at_the_same_layer(name, expected):
    assert layers.resolve_layer(name) == expected


def test_seed_content_layer_index_4_is_conv3_1():
    # the blog's c_layer_ids = [4] over Hvass-Labs' conv list conv1_1, conv1_2, conv2_1, conv2_2, conv3_1, ...
    assert layers.paper_name(layers.resolve_layer(4)) == "conv3_1"


@pytest.mark.parametrize("bad", ["conv6_1", "block3_conv4", 13, "pool1", ""])
def test_unknown_names_list_the_valid_ones(bad):
    with pytest.raises(LayerNameError) as err:
        layers.resolve_layer(bad, "vgg16")
    assert "block1_conv1" in str(err.value) and "Valid names" in str(err.value)


def test_vgg19_only_layers_are_rejected_for_vgg16():
    assert layers.resolve_layer("conv5_4", "vgg19") == "block5_conv4"
    with pytest.raises(LayerNameError):
        layers.resolve_layer("conv5_4", "vgg16")


def test_parse_layer_list_forms():
    assert layers.parse_layer_list("all") == layers.conv_layers("vgg16")
    assert layers.parse_layer_list("0-12") == layers.conv_layers("vgg16")
    assert layers.parse_layer_list("conv1_1, relu2_1,6") == ("block1_conv1", "block2_conv1", "block3_conv3")
    with pytest.raises(LayerNameError):
        layers.parse_layer_list(" , ")


def test_layer_table_rows_are_consistent():
    rows = layers.layer_table("vgg16")
    assert [r["seed_index"] for r in rows] == list(range(13))
    assert all(layers.resolve_layer(r["paper"]) == r["keras"] for r in rows)
    assert [r["stride"] for r in rows][::3] == [1, 2, 4, 8, 16]
    assert all(r["seed_index"] is None for r in layers.layer_table("vgg19"))


def test_unknown_network():
    with pytest.raises(LayerNameError, match="vgg16, vgg19"):
        layers.check_net("resnet50")


# ----- block structure: one table, one parser --------------------------------------------------------------
def test_channels_follow_the_vgg_paper():
    # Simonyan & Zisserman (2015), table 1: 64, 128, 256, 512, 512 channels in blocks 1-5, same in both nets
    vgg19 = [r["channels"] for r in layers.layer_table("vgg19")]
    assert vgg19 == [64] * 2 + [128] * 2 + [256] * 4 + [512] * 8
    assert [r["channels"] for r in layers.layer_table("vgg16")] == [64] * 2 + [128] * 2 + [256] * 3 + [512] * 6
    assert layers.channels("block3_conv1") == 256 and layers.channels("block5_conv4") == 512


def test_conv_position_and_block_of():
    assert layers.conv_position("block5_conv4") == (5, 4)
    assert layers.conv_position("block1_conv2") == (1, 2)
    assert [layers.block_of(n) for n in layers.conv_layers("vgg16")] == [1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5]
    for bad in ("conv3_1", "block3_conv", "xblock3_conv1", "block3_conv1x", 4):
        with pytest.raises(LayerNameError):
            layers.conv_position(bad)
    with pytest.raises(LayerNameError):
        layers.paper_name("relu3_1")


def test_vgg19_layer_table_strides_and_names():
    rows = layers.layer_table("VGG19")
    assert len(rows) == 16 and rows[-1]["paper"] == "conv5_4"
    assert [r["stride"] for r in rows] == [1] * 2 + [2] * 2 + [4] * 4 + [8] * 4 + [16] * 4
    assert [r["keras"] for r in rows] == list(layers.conv_layers("vgg19"))


def test_indices_follow_the_network():
    assert layers.resolve_layer(15, "vgg19") == "block5_conv4"
    assert layers.resolve_layer(13, "vgg19") == "block5_conv2"
    assert layers.resolve_layer("004") == "block3_conv1"
    for bad, net in [(13, "vgg16"), (16, "vgg19"), ("9" * 5000, "vgg16"), (-1, "vgg16"), ("1.0", "vgg16")]:
        with pytest.raises(LayerNameError):
            layers.resolve_layer(bad, net)


def test_check_net_is_case_insensitive():
    assert layers.check_net("VGG19") == "vgg19" and layers.check_net("vgg16") == "vgg16"


# ----- lists: ranges, duplicates ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [("2-4", ("block2_conv1", "block2_conv2", "block3_conv1")), ("0-0", ("block1_conv1",)),
     ("12-12", ("block5_conv3",)), ("11 - 12", ("block5_conv2", "block5_conv3")),
     ("conv1_1,5-6", ("block1_conv1", "block3_conv2", "block3_conv3")), (" ALL ", layers.conv_layers("vgg16"))],
    ids=["2-4", "0-0", "12-12", "spaced-range", "name-and-range", "spaced-ALL"],
)
def test_parse_layer_list_ranges(text, expected):
    assert layers.parse_layer_list(text) == expected


def test_parse_layer_list_vgg19():
    assert layers.parse_layer_list("all", "vgg19") == layers.conv_layers("vgg19")
    assert layers.parse_layer_list("14-15", "vgg19") == ("block5_conv3", "block5_conv4")


@pytest.mark.parametrize("text", ["0-13", "5-2", "13-13", "0-99999999", "0-" + "9" * 5000],
                         ids=["past-end", "backwards", "13", "0-99999999", "5000-digits"])
def test_ranges_outside_the_network_are_refused_before_expanding(text):
    import tracemalloc

    tracemalloc.start()
    with pytest.raises(LayerNameError):
        layers.parse_layer_list(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1_000_000  # a list of 10^8 indices would take gigabytes


@pytest.mark.parametrize("given", ["conv1_1,relu1_1,0", "block2_conv1,conv2_1", "0-3,2", ["conv1_1", 0]],
                         ids=["three-spellings", "keras-and-paper", "range-and-index", "list"])
def test_parse_layer_list_refuses_a_layer_named_twice(given):
    with pytest.raises(LayerNameError):
        layers.parse_layer_list(given)


def test_resolve_layers_keeps_repeats_unless_told_to_refuse_them():
    assert layers.resolve_layers(["conv1_1", "relu1_1"]) == ("block1_conv1", "block1_conv1")
    assert layers.resolve_layers(iter(["conv1_1", 4]), unique=True) == ("block1_conv1", "block3_conv1")
    with pytest.raises(LayerNameError) as err:
        layers.resolve_layers(["conv2_1", "relu1_1", 0], unique=True)
    assert "'relu1_1', 0" in str(err.value) and "conv2_1'" not in str(err.value)  # names the clashing spellings


def test_parse_layer_list_of_names():
    assert layers.parse_layer_list(["conv1_1", 4]) == ("block1_conv1", "block3_conv1")
    assert layers.parse_layer_list("conv5_4", "vgg19") == ("block5_conv4",)


def test_vgg16_is_the_default_network():
    assert layers.conv_layers() == layers.conv_layers("vgg16")
    assert layers.layer_table() == layers.layer_table("vgg16")
    assert layers.resolve_layer(12) == "block5_conv3"
    assert layers.resolve_layers([12]) == ("block5_conv3",)
    assert layers.parse_layer_list("all") == layers.conv_layers("vgg16")
    for call in (lambda: layers.resolve_layer(13), lambda: layers.resolve_layers([13]),
                 lambda: layers.parse_layer_list("13"), lambda: layers.parse_layer_list([13])):
        with pytest.raises(LayerNameError):
            call()


def test_parse_layer_list_of_names_uses_the_network():
    assert layers.parse_layer_list(["conv5_4", 13], "vgg19") == ("block5_conv4", "block5_conv2")


@pytest.mark.parametrize("net, last", [("vgg16", 12), ("vgg19", 15)])
def test_errors_name_the_valid_choices(net, last):
    """The fix is in the message: every valid name and the index range of *this* network."""
    with pytest.raises(LayerNameError) as err:
        layers.resolve_layer("conv9_9", net)
    assert ", ".join(layers.conv_layers(net)) in str(err.value) and f"0-{last}" in str(err.value)
    with pytest.raises(LayerNameError) as err:
        layers.parse_layer_list(f"0-{last + 1}", net)
    assert f"0-{last}" in str(err.value) and f"{last + 1} convolutions" in str(err.value)
    with pytest.raises(LayerNameError) as err:
        layers.conv_position("conv3_1")
    assert "conv3_1" in str(err.value)
