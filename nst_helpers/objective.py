"""The objective of a run: content, style and total-variation losses with their targets, and its judge.

:class:`Objective` turns a config and the images into one differentiable function of the image;
:func:`evaluate` judges any image in float32 (so bfloat16 runs are scored like float32 ones);
:func:`build_extractor` builds the network a config needs. The loop lives in
:mod:`nst_helpers.transfer`.

Introduced in notebooks/04_transfer_loop.ipynb.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import tensorflow as tf

from . import controls
from . import losses as L
from .config import TransferConfig
from .devices import resolve_precision
from .model import FeatureExtractor


class Objective:
    """Content, style and total-variation losses of an image, with their targets computed once.

    Args:
        extractor: a :class:`FeatureExtractor` covering the content and style layers.
        config: supplies layer lists, weights and conventions.
        content: content image (H, W, 3) RGB 0-255.
        styles: one or more style images.
        style_blend: one weight per style image (normalised here).
        masks: spatial control (Gatys et al. 2017): one mask per style image, float (H, W)
            in [0, 1] at the content's size; style ``i`` then paints where mask ``i`` is white.
            ``None``: every style everywhere (blended). Cannot be combined with ``style_blend``.

    Attributes:
        style_targets: ``{layer: (C, C)}`` blended target Grams (``None`` with masks).
        regions: with masks, one ``(targets, masks, layer_weights)`` per style: its own
            target Grams, its mask at each style layer's resolution, and the layer weights
            times the region's share of that layer (so a style pulls on each of its pixels
            as hard as it would on a whole image). ``None`` without masks.
    """

    def __init__(
        self,
        extractor: FeatureExtractor,
        config: TransferConfig,
        content: np.ndarray,
        styles: Sequence[np.ndarray],
        style_blend: Sequence[float] | None = None,
        masks: Sequence[np.ndarray] | None = None,
    ) -> None:
        self.extractor, self.config = extractor, config
        self.weights = {"content": config.content_weight, "style": config.style_weight, "tv": config.tv_weight}
        controls.check_style_options(style_blend, len(styles), n_masks=None if masks is None else len(masks))
        blend = np.asarray(style_blend if style_blend is not None else [1.0] * len(styles), np.float64)
        self.content, self.styles, self.blend = content, list(styles), blend / blend.sum()
        features = extractor(content)
        self.content_targets = {k: tf.constant(features[k]) for k in config.content_layers}
        self.masks = None if masks is None else controls.fit_masks(masks, content.shape[:2])
        if self.masks is None:
            self.style_targets, self.regions = self.blended_grams(self.styles, self.blend), None
        else:
            self.style_targets, self.regions = None, self._regions(features)

    def blended_grams(self, styles: Sequence[np.ndarray], blend: np.ndarray) -> dict[str, tf.Tensor]:
        """Target Grams: the blend-weighted sum of each style image's Gram matrices."""
        targets: dict[str, tf.Tensor] = {}
        for style, weight in zip(styles, blend, strict=True):
            if weight == 0:
                continue
            feats = self.extractor(style)
            for k in self.config.style_layers:
                g = float(weight) * L.gram_matrix(feats[k], normalize=self.config.gram_norm)
                targets[k] = targets[k] + g if k in targets else g
        return {k: tf.constant(targets[k]) for k in self.config.style_layers}

    def _regions(self, content_features: Mapping[str, tf.Tensor]) -> list:
        """Per style: its own target Grams, its mask per style layer, its per-layer weights."""
        cfg = self.config
        names = cfg.style_layers
        layer_weights = cfg.layer_weights
        regions = []
        for style, mask in zip(self.styles, self.masks, strict=True):
            targets = self.blended_grams([style], np.ones(1))
            masks, weights = {}, {}
            for k, layer_weight in zip(names, layer_weights, strict=True):
                # the generated image has the content's size, so its feature maps have these shapes
                m = controls.layer_mask(mask, tuple(content_features[k].shape[1:3]))
                share = float(np.mean(np.square(m, dtype=np.float64)))  # the region's share of this layer
                if share > 1e-6:  # a sliver that vanishes at this depth has nothing to match here
                    masks[k], weights[k] = tf.constant(m), float(layer_weight) * share
            regions.append(({k: targets[k] for k in masks}, masks, tuple(weights.values())))
        return regions

    def losses(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
        """``{"content", "style", "tv"}`` float32 scalars for a (1, H, W, 3) image."""
        cfg = self.config
        feats = self.extractor(image)
        zero = tf.constant(0.0)
        content = L.content_loss(feats, self.content_targets) if cfg.content_layers else zero
        if not cfg.style_layers:
            style = zero
        elif self.regions is None:
            grams = {k: L.gram_matrix(feats[k], normalize=cfg.gram_norm) for k in cfg.style_layers}
            style = L.style_loss(grams, self.style_targets, cfg.style_layer_weights)
        else:
            style = tf.add_n([
                L.style_loss({k: L.guided_gram(feats[k], m, normalize=cfg.gram_norm) for k, m in masks.items()},
                             targets, weights)
                for targets, masks, weights in self.regions
            ])
        tv = L.total_variation_loss(image, kind=cfg.tv_kind)
        return {"content": content, "style": style, "tv": tv}

    def total(self, losses: Mapping[str, tf.Tensor], *, adaptive: bool = False) -> tf.Tensor:
        """Weighted sum of the losses (see :func:`nst_helpers.losses.weighted_total`)."""
        return L.weighted_total(losses, self.weights, adaptive=adaptive)


def build_extractor(config: TransferConfig, precision: str | None = None) -> FeatureExtractor:
    """The feature extractor a config needs (its content and style layers, its net and weights)."""
    layers = tuple(dict.fromkeys(config.content_layers + config.style_layers))
    return FeatureExtractor(
        layers, net=config.net, weights=config.weights, precision=precision or resolve_precision(config.precision)
    )


def evaluate(
    image: np.ndarray, objective: Objective, config: TransferConfig, precision: str
) -> dict[str, float]:
    """Losses of ``image`` in float32 (rebuilding a float32 objective if the run used bfloat16)."""
    if precision != "float32":
        objective = _float32_twin(objective, config)
    losses = objective.losses(tf.constant(image[None]))
    out = {k: float(v) for k, v in losses.items()}
    out["total"] = float(objective.total(losses))
    return out


def _float32_twin(objective: Objective, config: TransferConfig) -> Objective:
    """The same objective on a float32 network, targets included (for judging bfloat16 runs)."""
    fx = objective.extractor
    twin = FeatureExtractor(fx.layers, net=fx.net, weights=config.weights, precision="float32")
    if objective.masks is not None:
        return Objective(twin, config, objective.content, objective.styles, masks=objective.masks)
    return Objective(twin, config, objective.content, objective.styles, objective.blend)
