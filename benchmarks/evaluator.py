"""One fixed yardstick for every output image of the benchmarks.

Training objectives differ between recipes (the seed's 13 Gram layers and 1/loss
weights, the TF tutorial's weights, our default), so their loss values cannot be
compared with each other. This evaluator is *not* a training loss: it is the same
for every row of ``benchmarks/RESULTS.md``:

* **Gram distance**: mean over conv1_1..conv5_1 of the mean squared difference
  between the Gram matrices (divided by H*W) of the image and of the style image;
* **content distance**: mean squared difference of conv4_2 feature maps of the
  image and of the content photo.

Both use a float32 VGG16 with the offline weights (or whatever ``weights`` says),
at the image's own resolution; the content photo is resized to the image's shape
and the style image to the image's longest side (``style_scale=1``, as in
:func:`nst_helpers.transfer.transfer`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np
import tensorflow as tf

import nst_helpers as nst

STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
CONTENT_LAYER = "conv4_2"


@functools.lru_cache(maxsize=2)
def _extractor(weights: str) -> nst.model.FeatureExtractor:
    return nst.model.FeatureExtractor(STYLE_LAYERS + (CONTENT_LAYER,), weights=weights, precision="float32")


def _grams(features: Mapping[str, tf.Tensor]) -> dict[str, np.ndarray]:
    return {k: nst.losses.gram_matrix(features[k], normalize="hw").numpy() for k in _keras(STYLE_LAYERS)}


def _keras(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(nst.layers.resolve_layer(n) for n in names)


def evaluate_image(
    image: np.ndarray, content: np.ndarray, style: np.ndarray, *, weights: str = "auto"
) -> dict[str, float]:
    """Gram distance to the style and content distance to the photo of one image.

    Args:
        image: (H, W, 3) float32 RGB in [0, 255], the output to judge.
        content: the content photo, any size (resized to (H, W) here).
        style: the style image, any size (resized to longest side max(H, W)).
        weights: VGG16 weights for the yardstick network.

    Returns:
        ``{"gram": float, "content": float}`` (lower is closer), plus
        ``"gram_<layer>"`` per layer.
    """
    h, w = image.shape[:2]
    fx = _extractor(weights)
    content_r = nst.images.resize(content, (h, w))
    style_r = nst.images.resize(style, max(h, w))
    f_img, f_con, f_sty = fx(image), fx(content_r), fx(style_r)
    g_img, g_sty = _grams(f_img), _grams(f_sty)
    out = {f"gram_{k}": float(np.mean((g_img[k] - g_sty[k]) ** 2)) for k in g_img}
    out["gram"] = float(np.mean([out[f"gram_{k}"] for k in g_img]))
    c = nst.layers.resolve_layer(CONTENT_LAYER)
    out["content"] = float(np.mean((f_img[c].numpy() - f_con[c].numpy()) ** 2))
    return out


def stylisation_ratio(image: np.ndarray, content: np.ndarray, style: np.ndarray, *, weights: str = "auto") -> float:
    """Gram distance of ``image`` divided by that of the content photo itself (same size).

    1.0 means "no more stylised than the photo"; the default config's target is <= 0.30.
    """
    h, w = image.shape[:2]
    own = evaluate_image(nst.images.resize(content, (h, w)), content, style, weights=weights)["gram"]
    return evaluate_image(image, content, style, weights=weights)["gram"] / own
