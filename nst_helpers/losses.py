"""Loss functions: pure tensor functions, no config, no state.

Shapes: feature maps are ``(1, H, W, C)`` (or ``(H, W, C)``) float32 tensors;
Gram matrices are ``(C, C)``. All results are float32 scalars.

Introduced in notebooks/02_gram_matrices.ipynb and notebooks/03_losses.ipynb.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import tensorflow as tf

# the option tables live with the config (TensorFlow-free); re-exported here for readers of the losses
from .config import GRAM_NORMS, TV_KINDS, default_layer_weights
from .errors import ConfigError

__all__ = [
    "GRAM_NORMS", "TV_KINDS", "adaptive_weights", "content_loss", "gram_matrix", "guided_gram", "mse",
    "style_loss", "total_variation_loss", "weighted_total",
]


def gram_matrix(features: tf.Tensor, *, normalize: str = "none") -> tf.Tensor:
    """Channel-by-channel correlations of a feature map.

    Reshape the ``(H, W, C)`` map to ``B`` of shape ``(HW, C)`` and return ``G = B^T B``:
    ``G[i, j]`` sums, over every position, channel i times channel j.

    Args:
        features: (1, H, W, C) or (H, W, C).
        normalize: ``"none"`` (the seed), ``"hw"`` (divide by H*W, TF tutorial),
            ``"chw"`` (divide by C*H*W, d2l) or ``"paper"`` (divide by 2*H*W, see ``GRAM_NORMS``).

    Returns:
        float32 (C, C), symmetric, positive semi-definite.

    >>> gram_matrix(tf.ones((1, 5, 5, 9))).shape
    TensorShape([9, 9])
    """
    features = tf.cast(features, tf.float32)
    channels = tf.shape(features)[-1]
    b = tf.reshape(features, (-1, channels))
    gram = tf.matmul(b, b, transpose_a=True)
    hw = tf.cast(tf.shape(b)[0], tf.float32)
    divisor = {
        "none": None,
        "hw": hw,
        "chw": hw * tf.cast(channels, tf.float32),
        "paper": 2.0 * hw,
    }
    if normalize not in divisor:
        raise ConfigError(f"normalize={normalize!r}: choose one of {', '.join(GRAM_NORMS)}.")
    return gram if divisor[normalize] is None else gram / divisor[normalize]


def mse(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """Mean squared difference (the seed's ``mean_square_error``)."""
    return tf.reduce_mean(tf.square(tf.cast(a, tf.float32) - tf.cast(b, tf.float32)))


def content_loss(features: Mapping[str, tf.Tensor], targets: Mapping[str, tf.Tensor]) -> tf.Tensor:
    """Mean over content layers of the MSE between feature maps.

    Args:
        features: ``{layer: (1, H, W, C)}`` of the generated image.
        targets: the same layers of the content image.
    """
    return tf.add_n([mse(features[k], targets[k]) for k in targets]) / float(len(targets))


def style_loss(
    grams: Mapping[str, tf.Tensor],
    targets: Mapping[str, tf.Tensor],
    layer_weights: Sequence[float] | None = None,
) -> tf.Tensor:
    """Weighted sum over style layers of the MSE between Gram matrices.

    Args:
        grams: ``{layer: (C, C)}`` of the generated image.
        targets: ``{layer: (C, C)}`` of the style image, same normalisation.
        layer_weights: one weight per layer in ``targets`` order; ``None`` means
            ``1/L`` each, i.e. the mean over layers (the seed).
    """
    names = list(targets)
    weights = layer_weights if layer_weights is not None else default_layer_weights(len(names))
    if len(weights) != len(names):
        raise ConfigError(f"{len(weights)} layer weights for {len(names)} style layers: give one weight per layer.")
    return tf.add_n([float(w) * mse(grams[k], targets[k]) for k, w in zip(names, weights, strict=True)])


def guided_gram(features: tf.Tensor, mask: tf.Tensor, *, normalize: str = "hw") -> tf.Tensor:
    """The Gram matrix of the part of a feature map inside a mask (Gatys et al. 2017, eq. 5-6).

    The features are multiplied by the mask, and the Gram is rescaled by ``HW / sum(mask^2)``,
    so it is a weighted *average* over the region: a region's Gram is then comparable with a
    whole style image's Gram whatever the region's size. An all-ones mask gives exactly
    :func:`gram_matrix`.

    Args:
        features: (1, h, w, C) or (h, w, C) float tensor.
        mask: (h, w) in [0, 1], already at the feature map's resolution (see
            :func:`nst_helpers.controls.layer_mask`); must not be all zero.
        normalize: as in :func:`gram_matrix`.

    Returns:
        float32 tensor (C, C).

    Introduced in notebooks/07_beyond.ipynb.
    """
    features = tf.cast(features, tf.float32)
    m = tf.cast(tf.convert_to_tensor(mask), tf.float32)
    h, w = tf.shape(m)[0], tf.shape(m)[1]
    m = tf.reshape(m, tf.concat([tf.ones(features.shape.rank - 3, tf.int32), [h, w, 1]], axis=0))
    area = tf.reduce_mean(tf.square(m))  # the region's share of the map
    return gram_matrix(features * m, normalize=normalize) / area


def total_variation_loss(image: tf.Tensor, *, kind: str = "l1_mean") -> tf.Tensor:
    """How much neighbouring pixels differ (the seed's "denoise" loss).

    Args:
        image: (1, H, W, 3) or (H, W, 3), any range (the package uses 0-255).
        kind: ``"l1_mean"``: mean |vertical diff| + mean |horizontal diff| (the seed);
            ``"l1_sum"``: the sums instead (``tf.image.total_variation``);
            ``"l2_mean"``: mean squared diffs.
    """
    image = tf.cast(image, tf.float32)
    if image.shape.rank == 3:
        image = image[None]
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    if kind == "l1_mean":
        return tf.reduce_mean(tf.abs(dy)) + tf.reduce_mean(tf.abs(dx))
    if kind == "l1_sum":
        return tf.reduce_sum(tf.abs(dy)) + tf.reduce_sum(tf.abs(dx))
    if kind == "l2_mean":
        return tf.reduce_mean(tf.square(dy)) + tf.reduce_mean(tf.square(dx))
    raise ConfigError(f"kind={kind!r}: choose one of {', '.join(TV_KINDS)}.")


def adaptive_weights(losses: Mapping[str, tf.Tensor], eps: float = 1e-10) -> dict[str, tf.Tensor]:
    """The seed's trick: weight each loss by ``1 / (its current value + eps)``.

    The weights are constants for the gradient (``stop_gradient``), exactly as the
    seed's ``tf.Variable`` assignments are: each term then pulls with a force
    proportional to ``grad(L) / L``, the relative change of the loss, so losses of
    wildly different magnitudes (Gram sums ~1e12, TV ~10) pull comparably.
    """
    return {k: tf.stop_gradient(1.0 / (tf.cast(v, tf.float32) + eps)) for k, v in losses.items()}


def weighted_total(
    losses: Mapping[str, tf.Tensor],
    weights: Mapping[str, float],
    *,
    adaptive: bool = False,
) -> tf.Tensor:
    """``sum_k w_k * L_k``, or ``sum_k w_k * L_k / L_k`` (value fixed, gradient adaptive) if ``adaptive``.

    Args:
        losses: ``{"content": ..., "style": ..., "tv": ...}`` scalars.
        weights: the same keys, plain numbers. A zero weight drops the term.
    """
    scale = adaptive_weights(losses) if adaptive else {k: 1.0 for k in losses}
    terms = [float(weights[k]) * scale[k] * losses[k] for k in losses if float(weights[k]) != 0.0]
    return tf.add_n(terms)
