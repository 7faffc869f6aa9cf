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
from collections.abc import Iterable, Sequence

from .errors import LayerNameError

#: Convolutions per block.
BLOCKS: dict[str, tuple[int, ...]] = {
    "vgg16": (2, 2, 3, 3, 3),
    "vgg19": (2, 2, 4, 4, 4),
}
NETWORKS: tuple[str, ...] = tuple(BLOCKS)
#: The network used when none is named.
DEFAULT_NET = "vgg16"
#: Output channels of every convolution in block 1..5 (the same in VGG16 and VGG19).
CHANNELS: tuple[int, ...] = (64, 128, 256, 512, 512)

_KERAS_NAME = re.compile(r"block(\d)_conv(\d)")


def conv_layers(net: str = DEFAULT_NET) -> tuple[str, ...]:
    """Keras names of all convolutions of ``net``, in network order.

    >>> conv_layers("vgg16")[:3]
    ('block1_conv1', 'block1_conv2', 'block2_conv1')
    """
    net = check_net(net)
    return tuple(
        f"block{b}_conv{i}" for b, n in enumerate(BLOCKS[net], start=1) for i in range(1, n + 1)
    )


def conv_position(keras_name: str) -> tuple[int, int]:
    """``block3_conv2`` -> ``(3, 2)``: the block (1-5) and the convolution's place in it (from 1).

    Raises:
        LayerNameError: not a Keras convolution name (resolve other spellings first).
    """
    m = _KERAS_NAME.fullmatch(str(keras_name))
    if m is None:
        raise LayerNameError(f"{keras_name!r} is not a Keras VGG convolution name such as block3_conv1.")
    return int(m[1]), int(m[2])


def block_of(keras_name: str) -> int:
    """The block (1-5) of a Keras convolution name: ``block4_conv2`` -> ``4``."""
    return conv_position(keras_name)[0]


def channels(keras_name: str) -> int:
    """Output channels of a convolution: ``block3_conv1`` -> ``256``."""
    return CHANNELS[block_of(keras_name) - 1]


def paper_name(keras_name: str) -> str:
    """``block3_conv1`` -> ``conv3_1``."""
    block, index = conv_position(keras_name)
    return f"conv{block}_{index}"


def layer_table(net: str = DEFAULT_NET) -> list[dict[str, object]]:
    """One row per convolution: seed index, Keras name, paper name, channels, stride.

    ``stride`` is how many input pixels one feature-map pixel covers along
    each side (the block's downsampling factor).
    """
    net = check_net(net)
    rows = []
    for index, name in enumerate(conv_layers(net)):
        rows.append(
            {
                "seed_index": index if net == "vgg16" else None,
                "keras": name,
                "paper": paper_name(name),
                "channels": channels(name),
                "stride": 2 ** (block_of(name) - 1),
            }
        )
    return rows


def check_net(net: str) -> str:
    """Return ``net`` lower-cased, or raise a clear error for an unknown network."""
    key = str(net).lower()
    if key not in BLOCKS:
        raise LayerNameError(f"Unknown network {net!r}: choose one of {', '.join(NETWORKS)}.")
    return key


def resolve_layer(name: str | int, net: str = DEFAULT_NET) -> str:
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
    if re.fullmatch(r"\d{1,3}", text):  # longer digit strings cannot be an index (and int() of them is slow)
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


def resolve_layers(names: Iterable[str | int], net: str = DEFAULT_NET, *, unique: bool = False) -> tuple[str, ...]:
    """Resolve several names (see :func:`resolve_layer`), keeping their order.

    Args:
        names: layer names in any scheme.
        net: ``"vgg16"`` or ``"vgg19"``.
        unique: refuse two names for one layer (``conv1_1, relu1_1, 0``): in a loss's layer
            list a repeat would silently count that layer twice.

    Raises:
        LayerNameError: an unknown name, or (with ``unique``) a layer named twice.
    """
    names = list(names)
    resolved = tuple(resolve_layer(n, net) for n in names)
    if unique and len(set(resolved)) < len(resolved):
        twice = next(k for k in resolved if resolved.count(k) > 1)
        spellings = ", ".join(repr(n) for n, k in zip(names, resolved, strict=True) if k == twice)
        raise LayerNameError(
            f"{spellings} all name {twice}: list each layer once (a repeat would count it twice in the loss; "
            "use style_layer_weights to weight a layer more)."
        )
    return resolved


def parse_layer_list(text: str | Sequence[str | int], net: str = DEFAULT_NET) -> tuple[str, ...]:
    """Parse ``"conv1_1,conv2_1"``, ``"all"`` or ``"0-12"`` into Keras names, each once.

    ``"all"`` means every convolution (the seed's style layers for VGG16). Ranges are
    checked against the network before they are expanded, so ``"0-99999999"`` costs nothing.

    Raises:
        LayerNameError: an unknown name, a range outside the network, an empty list, or
            a layer named twice (see :func:`resolve_layers`).
    """
    if not isinstance(text, str):
        return resolve_layers(text, net, unique=True)
    text = text.strip().lower()
    if text == "all":
        return conv_layers(net)
    names: list[str | int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if m := re.fullmatch(r"(\d{1,9})\s*-\s*(\d{1,9})", part):
            names.extend(_index_range(int(m[1]), int(m[2]), net))
        else:
            names.append(part)
    if not names:
        raise LayerNameError("Empty layer list: give names such as conv1_1,conv2_1 or 'all'.")
    return resolve_layers(names, net, unique=True)


def _index_range(first: int, last: int, net: str) -> range:
    top = len(conv_layers(net)) - 1
    if not first <= last <= top:
        raise LayerNameError(
            f"Layer range {first}-{last} is not within 0-{top} ({net} has {top + 1} convolutions): "
            f"write it low-high, e.g. 0-{top}."
        )
    return range(first, last + 1)
