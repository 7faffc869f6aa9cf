"""VGG layer-name tables (pure Python: importable without TensorFlow).

Three naming schemes point at the same convolution:

* Keras names, ``block3_conv1`` (what ``keras.applications`` calls the layer);
* paper names, ``conv3_1`` or ``relu3_1`` (Gatys et al.; a Keras conv layer
  already includes its ReLU, so both name the same output);
* the seed's integer indices over VGG16's 13 convolutions (``4`` is ``conv3_1``).

Introduced in notebooks/01_feature_extraction.ipynb.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from .errors import LayerNameError

#: Convolutions per block.
BLOCKS: dict[str, tuple[int, ...]] = {
    "vgg16": (2, 2, 3, 3, 3),
    "vgg19": (2, 2, 4, 4, 4),
}
NETWORKS: tuple[str, ...] = tuple(BLOCKS)


def conv_layers(net: str = "vgg16") -> tuple[str, ...]:
    """Keras names of all convolutions of ``net``, in network order.

    >>> conv_layers("vgg16")[:3]
    ('block1_conv1', 'block1_conv2', 'block2_conv1')
    """
    net = check_net(net)
    return tuple(
        f"block{b}_conv{i}" for b, n in enumerate(BLOCKS[net], start=1) for i in range(1, n + 1)
    )


def paper_name(keras_name: str) -> str:
    """``block3_conv1`` -> ``conv3_1``."""
    b, i = re.fullmatch(r"block(\d)_conv(\d)", keras_name).groups()
    return f"conv{b}_{i}"


def layer_table(net: str = "vgg16") -> list[dict[str, object]]:
    """One row per convolution: seed index, Keras name, paper name, channels, stride.

    ``stride`` is how many input pixels one feature-map pixel covers along
    each side (the block's downsampling factor).
    """
    channels = (64, 128, 256, 512, 512)
    rows = []
    for index, name in enumerate(conv_layers(net)):
        block = int(name[5])
        rows.append(
            {
                "seed_index": index if net == "vgg16" else None,
                "keras": name,
                "paper": paper_name(name),
                "channels": channels[block - 1],
                "stride": 2 ** (block - 1),
            }
        )
    return rows


def check_net(net: str) -> str:
    """Return ``net`` lower-cased, or raise a clear error for an unknown network."""
    key = str(net).lower()
    if key not in BLOCKS:
        raise LayerNameError(f"Unknown network {net!r}: choose one of {', '.join(NETWORKS)}.")
    return key


def resolve_layer(name: str | int, net: str = "vgg16") -> str:
    """Translate any accepted layer name to its Keras name.

    Args:
        name: ``"block3_conv1"``, ``"conv3_1"``, ``"relu3_1"``, or a seed index
            (``4`` or ``"4"``, 0-12 over VGG16's convolutions).
        net: ``"vgg16"`` or ``"vgg19"``.

    Returns:
        The Keras layer name, e.g. ``"block3_conv1"``.

    Raises:
        LayerNameError: the name does not exist in ``net``; the message lists valid names.

    >>> resolve_layer("relu4_2"), resolve_layer(4)
    ('block4_conv2', 'block3_conv1')
    """
    layers = conv_layers(net)
    text = str(name).strip().lower()
    if re.fullmatch(r"\d+", text):
        index = int(text)
        if index < len(layers):
            return layers[index]
    elif m := re.fullmatch(r"(?:conv|relu)(\d)_(\d)", text):
        text = f"block{m[1]}_conv{m[2]}"
    if text in layers:
        return text
    raise LayerNameError(
        f"Unknown layer {name!r} for {net}. Valid names: {', '.join(layers)} "
        f"(or conv1_1/relu1_1 style, or indices 0-{len(layers) - 1})."
    )


def resolve_layers(names: Iterable[str | int], net: str = "vgg16") -> tuple[str, ...]:
    """Resolve several names (see :func:`resolve_layer`), keeping their order."""
    return tuple(resolve_layer(n, net) for n in names)


def parse_layer_list(text: str | Sequence[str | int], net: str = "vgg16") -> tuple[str, ...]:
    """Parse ``"conv1_1,conv2_1"``, ``"all"`` or ``"0-12"`` into Keras names.

    ``"all"`` means every convolution (the seed's style layers for VGG16).
    """
    if not isinstance(text, str):
        return resolve_layers(text, net)
    text = text.strip().lower()
    if text == "all":
        return conv_layers(net)
    names: list[str | int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if m := re.fullmatch(r"(\d+)-(\d+)", part):
            names.extend(range(int(m[1]), int(m[2]) + 1))
        else:
            names.append(part)
    if not names:
        raise LayerNameError("Empty layer list: give names such as conv1_1,conv2_1 or 'all'.")
    return resolve_layers(names, net)
