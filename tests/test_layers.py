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
