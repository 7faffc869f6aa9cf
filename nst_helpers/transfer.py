"""The optimisation loop: the only module that owns a ``tf.Variable`` or an optimiser.

:func:`transfer` is the one entry point. Content reconstruction (style weight 0),
texture synthesis (content weight 0) and full style transfer are the same call.

Introduced in notebooks/04_transfer_loop.ipynb.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import tensorflow as tf

from . import arguments
from . import controls as C
from . import images as imgs
from . import losses as L
from .config import TransferConfig
from .errors import NonFiniteError
from .model import FeatureExtractor

class _QuietRetracing(logging.Filter):
    """Each :func:`transfer` compiles its own step on purpose (new targets, maybe a new size), so
    TensorFlow's hint that "N of the last M calls triggered tf.function retracing" is noise here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


tf.get_logger().addFilter(_QuietRetracing())

#: ``callback(step, image, losses)``: called after every step with the step number,
#: the current image (numpy, package convention) and the losses as floats.
#: Return ``True`` to stop early (the Stop button of the control panel does this).
Callback = Callable[[int, np.ndarray, Mapping[str, float]], Any]

LOSS_KEYS = ("content", "style", "tv")


@dataclasses.dataclass
class Result:
    """What a run produced.

    Attributes:
        image: float32 (H, W, 3) RGB in [0, 255]: the best image found.
        history: one dict per step: ``step``, ``total``, ``content``, ``style``, ``tv``
            (float32 values at the image *before* that step's update; with ``adaptive``
            also ``adaptive_content`` etc., the ``1/loss`` weights the step used),
            plus ``scale`` (the image's longest side at that step).
        final_losses: ``total``, ``content``, ``style``, ``tv`` of ``image``, in float32
            (with ``preserve_color="luminance"``: of the grey image that was optimised,
            before the photo's colour was put back).
        seconds: wall time of the optimisation (targets included, model loading excluded).
        weights: label of the weights used (``"imagenet"``, ``"offline-hed-vgg16"``, ...).
        weights_description: one sentence on those weights.
        config: the :class:`TransferConfig` of the run.
        precision: ``"float32"`` or ``"bfloat16"`` (what ``"auto"`` resolved to).
        stop_reason: ``"completed"``, ``"interrupted"`` (Ctrl-C), ``"callback"`` (Stop)
            or a sentence on a numerical fault.
        traces: how many times the step function was traced (1 per scale means no retracing).
    """

    image: np.ndarray
    history: list[dict[str, float]]
    final_losses: dict[str, float]
    seconds: float
    weights: str
    weights_description: str
    config: TransferConfig
    precision: str
    stop_reason: str = "completed"
    traces: int = 0

    @property
    def final_loss(self) -> float:
        """The objective (weighted sum, no adaptive scaling) of the output, in float32."""
        return self.final_losses["total"]

    @property
    def interrupted(self) -> bool:
        return self.stop_reason != "completed"


# ----- the objective -----------------------------------------------------------------------------
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
        C.check_style_options(style_blend, len(styles), n_masks=None if masks is None else len(masks))
        blend = np.asarray(style_blend if style_blend is not None else [1.0] * len(styles), np.float64)
        self.content, self.styles, self.blend = content, list(styles), blend / blend.sum()
        features = extractor(content)
        self.content_targets = {k: tf.constant(features[k]) for k in config.content_layers}
        self.masks = None if masks is None else C.fit_masks(masks, content.shape[:2])
        if self.masks is None:
            self.style_targets, self.regions = self.blended_grams(self.styles, self.blend), None
        else:
            self.style_targets, self.regions = None, self._regions(features)

    def blended_grams(self, styles: Sequence[np.ndarray], blend: np.ndarray) -> dict[str, tf.Tensor]:
        """Target Grams: the blend-weighted sum of each style image's Gram matrices."""
        targets: dict[str, tf.Tensor] = {}
        for style, weight in zip(styles, blend):
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
        layer_weights = cfg.style_layer_weights or [1.0 / len(names)] * len(names)
        regions = []
        for style, mask in zip(self.styles, self.masks):
            targets = self.blended_grams([style], np.ones(1))
            masks, weights = {}, {}
            for k, layer_weight in zip(names, layer_weights):
                m = C.layer_mask(mask, tuple(content_features[k].shape[1:3]))  # the generated image has the content's size
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
                L.style_loss({k: C.guided_gram(feats[k], m, normalize=cfg.gram_norm) for k, m in masks.items()},
                             targets, weights)
                for targets, masks, weights in self.regions
            ])
        tv = L.total_variation_loss(image, kind=cfg.tv_kind)
        return {"content": content, "style": style, "tv": tv}

    def total(self, losses: Mapping[str, tf.Tensor], *, adaptive: bool = False) -> tf.Tensor:
        """Weighted sum of the losses (see :func:`nst_helpers.losses.weighted_total`)."""
        return L.weighted_total(losses, self.weights, adaptive=adaptive)


def seed_update(image: tf.Tensor, grad: tf.Tensor, step_size: float) -> tf.Tensor:
    """One step of the seed's optimiser: ``clip(image - step_size / (std(grad) + 1e-8) * grad, 0, 255)``.

    Dividing by the gradient's standard deviation makes the typical pixel move by about
    ``step_size`` grey levels whatever the loss's scale (the blog also mentions ``max|grad|``).

    Args:
        image: (1, H, W, 3) float32 in [0, 255].
        grad: the gradient of the loss with respect to ``image``, same shape.
        step_size: the seed's 10.

    Returns:
        The new image, same shape, clipped to [0, 255].

    Introduced in notebooks/04_transfer_loop.ipynb.
    """
    image, grad = tf.convert_to_tensor(image, tf.float32), tf.convert_to_tensor(grad, tf.float32)
    rate = step_size / (tf.math.reduce_std(grad) + 1e-8)
    return tf.clip_by_value(image - rate * grad, 0.0, 255.0)


# ----- steps: one compiled function per optimiser --------------------------------------------------
class _Stepper:
    """Compiles one step of an optimiser over ``objective`` for a fixed image variable."""

    def __init__(self, objective: Objective, image: tf.Variable, config: TransferConfig) -> None:
        self.objective, self.x, self.config = objective, image, config
        self.traces = 0
        if config.optimizer == "adam":
            import keras

            self.adam = keras.optimizers.Adam(learning_rate=config.learning_rate)
            self.adam.build([self.x])
        self.step = tf.function(self._step, reduce_retracing=True)

    def _losses_and_grad(self) -> tuple[dict[str, tf.Tensor], tf.Tensor, tf.Tensor, dict[str, tf.Tensor]]:
        with tf.GradientTape() as tape:
            losses = self.objective.losses(self.x)
            objective = self.objective.total(losses, adaptive=self.config.adaptive)
        grad = tape.gradient(objective, self.x)
        raw_total = self.objective.total(losses)
        adaptive = L.adaptive_weights(losses) if self.config.adaptive else {}
        return losses, grad, raw_total, adaptive

    def _step(self) -> dict[str, tf.Tensor]:
        self.traces += 1  # Python side effect: runs only while tracing
        losses, grad, total, adaptive = self._losses_and_grad()
        finite = tf.math.is_finite(total) & tf.reduce_all(tf.math.is_finite(grad))
        grad = tf.where(finite, grad, tf.zeros_like(grad))  # never write NaN into the image
        if self.config.optimizer == "seed":
            self.x.assign(seed_update(self.x, grad, self.config.step_size))
        else:
            self.adam.apply_gradients([(grad, self.x)])
            self.x.assign(tf.clip_by_value(self.x, 0.0, 255.0))
        out = dict(losses, total=total, finite=finite)
        out.update({f"adaptive_{k}": v for k, v in adaptive.items()})
        return out


# ----- the loop ---------------------------------------------------------------------------------
def transfer(
    content: imgs.ImageSource,
    style: imgs.ImageSource | Sequence[imgs.ImageSource],
    config: TransferConfig | None = None,
    *,
    callback: Callback | None = None,
    init: np.ndarray | None = None,
    extractor: FeatureExtractor | None = None,
    masks: Sequence[imgs.ImageSource] | None = None,
) -> Result:
    """Paint ``content`` in the style of ``style``.

    The controls of Gatys et al. (2017) are settings of ``config`` (``preserve_color``,
    ``style_blend``, ``style_scale``, ``scales``), plus ``masks`` here; see
    :mod:`nst_helpers.controls`.

    Args:
        content: content image (anything :func:`nst_helpers.images.load_image` takes).
        style: one style image, or a list of them (blended by ``config.style_blend``,
            or given a region each by ``masks``).
        config: all settings; ``None`` means :meth:`TransferConfig.default`.
        callback: see :data:`Callback`; return ``True`` to stop.
        init: an explicit starting image (H, W, 3) in [0, 255]; overrides ``config.init``
            (resized to the content's size if needed).
        extractor: reuse an already-built :class:`FeatureExtractor` (must cover the
            config's layers); saves model building when you run many transfers.
        masks: spatial control: one mask per style image (paths or arrays; grey images,
            white = where that style paints), resized to the content. Together they must
            cover the content. Not combinable with ``config.style_blend``.

    Determinism: the same config and inputs give the same image on one machine for Adam and
    L-BFGS. The ``seed`` optimiser rescales every step by 1/std(gradient), which amplifies last-bit
    rounding differences of multithreaded float32 sums: at 224 px two seed runs can end a few grey
    levels apart.

    Returns:
        A :class:`Result`. Ctrl-C (``KeyboardInterrupt``) or a callback's ``True`` stops
        early and still returns the best image so far; so does a NaN/inf loss.

    Raises:
        ConfigError, ImageError: unusable images, masks or settings, before any optimisation.

    Example:
        >>> cfg = TransferConfig.default(preserve_color="luminance")     # doctest: +SKIP
        >>> transfer("photo.jpg", ["wave.jpg", "night.jpg"], cfg,
        ...          masks=["sea.png", "sky.png"]).image.shape             # doctest: +SKIP
        (192, 256, 3)
    """
    config, styles = arguments.check_transfer_call(content, style, config, callback=callback, init=init, extractor=extractor, masks=masks)
    photo = imgs.load_image(content)
    style_imgs = [imgs.load_image(s) for s in styles]
    arguments.check_loaded_images(photo, style_imgs, init)
    C.check_style_options(config.style_blend, len(style_imgs), n_masks=None if masks is None else len(C.as_mask_list(masks)))
    mask_imgs = None if masks is None else C.load_masks(
        masks, n_styles=len(style_imgs), content_shape=photo.shape[:2], allow_uncovered=config.content_weight > 0
    )
    # colour control: what the optimiser sees (grey images in luminance mode, recoloured paintings in histogram mode)
    content_img, style_imgs = C.color_inputs(photo, style_imgs, config.preserve_color)
    if config.preserve_color == "luminance":
        callback = _colored_callback(callback, photo)
    precision = resolve_precision(config.precision)
    extractor = extractor or build_extractor(config, precision)
    scales = config.scales or (config.size,)
    result_image: np.ndarray | None = None if init is None else imgs.load_image(init)
    if result_image is not None and config.preserve_color == "luminance":
        result_image = C.gray3(C.luminance(result_image))
    history: list[dict[str, float]] = []
    stop, traces, objective = "completed", 0, None
    start = time.perf_counter()
    for scale in scales:
        content_s = _resize(content_img, scale, config)
        imgs.check_min_size(content_s, name="content image")
        style_s = scaled_styles(style_imgs, scale, config)
        masks_s = None if mask_imgs is None else C.fit_masks(mask_imgs, content_s.shape[:2])
        objective = Objective(extractor, config, content_s, style_s, config.style_blend, masks=masks_s)
        x0 = _initial_image(config, content_s, style_s[0], result_image)
        runner = _run_lbfgs if config.optimizer == "lbfgs" else _run_gradient
        result_image, stop, n = runner(objective, x0, config, history, callback, scale)
        traces += n
        if stop != "completed":
            break
    seconds = time.perf_counter() - start
    final = evaluate(result_image, objective, config, precision)
    return Result(
        image=C.color_output(result_image, photo, config.preserve_color),
        history=history,
        final_losses=final,
        seconds=seconds,
        weights=extractor.weights.label,
        weights_description=extractor.weights.description,
        config=config,
        precision=precision,
        stop_reason=stop,
        traces=traces,
    )


def scaled_styles(styles: Sequence[np.ndarray], scale: int, config: TransferConfig) -> list[np.ndarray]:
    """The style images for one scale: longest side ``scale * config.style_scale`` (at least 32 px).

    Raises:
        ImageError: a style image would be too small for VGG (raise ``style_scale``).
    """
    side = max(imgs.MIN_SIDE, round(scale * config.style_scale))
    out = [_resize(s, side, config) for s in styles]
    for i, s in enumerate(out, 1):
        if min(s.shape[:2]) < imgs.MIN_SIDE:
            raise imgs.ImageError(
                f"style image {i} is only {s.shape[1]}x{s.shape[0]} px at size {scale} with style_scale="
                f"{config.style_scale}; VGG needs at least {imgs.MIN_SIDE} px a side. Raise style_scale or the size."
            )
    return out


def _colored_callback(callback: Callback | None, photo: np.ndarray) -> Callback | None:
    """Wrap a callback so that it sees colour images during a luminance-only run."""
    if callback is None:
        return None
    cache: dict[tuple[int, int], np.ndarray] = {}  # the photo at each scale's size, resized once

    def colored(step: int, image: np.ndarray, losses: Mapping[str, float]) -> Any:
        shape = image.shape[:2]
        if shape not in cache:
            cache[shape] = imgs.resize(photo, shape)
        return callback(step, C.recombine_luminance(image, cache[shape]), losses)

    return colored


def build_extractor(config: TransferConfig, precision: str | None = None) -> FeatureExtractor:
    """The feature extractor a config needs (its content and style layers, its net and weights)."""
    layers = tuple(dict.fromkeys(config.content_layers + config.style_layers))
    return FeatureExtractor(
        layers, net=config.net, weights=config.weights, precision=precision or resolve_precision(config.precision)
    )


def resolve_precision(precision: str) -> str:
    """``"auto"`` -> ``"bfloat16"`` on CPUs with native bfloat16 (AMX or AVX512-BF16), else ``"float32"``."""
    if precision != "auto":
        return precision
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return "float32"
    return "bfloat16" if ("amx_bf16" in flags or "avx512_bf16" in flags) else "float32"


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


def _resize(image: np.ndarray, size: int, config: TransferConfig) -> np.ndarray:
    return imgs.resize(image, size, square=config.resize == "square")


def _initial_image(
    config: TransferConfig, content: np.ndarray, style: np.ndarray, previous: np.ndarray | None
) -> np.ndarray:
    h, w = content.shape[:2]
    if previous is not None:
        return imgs.resize(previous, (h, w))
    if config.init == "content":
        return content.copy()
    if config.init == "style":
        return imgs.resize(style, (h, w))
    rng = np.random.default_rng(config.seed)
    if config.init == "noise":  # the seed: np.random.rand(...) + 128
        return (rng.random((h, w, 3)) + 128.0).astype(np.float32)
    return (rng.random((h, w, 3)) * 255.0).astype(np.float32)  # "random": U[0, 255)


def _record(history: list, step: int, values: Mapping[str, Any], scale: int) -> dict[str, float]:
    row = {"step": step, "scale": scale}
    row.update({k: float(v) for k, v in values.items() if k != "finite"})
    history.append(row)
    return row


def _run_gradient(objective, x0, config, history, callback, scale):
    """Seed or Adam: a compiled step applied ``config.steps`` times."""
    x = tf.Variable(x0[None], dtype=tf.float32)
    stepper = _Stepper(objective, x, config)
    best, best_total = x0.copy(), np.inf
    stop = "completed"
    try:
        for _ in range(config.steps):
            before = x.numpy()[0]
            out = stepper.step()
            if not bool(out["finite"]):
                stop = _nonfinite_message(len(history))
                break
            row = _record(history, len(history), out, scale)
            # with adaptive weights the objective is constant, so "best" is simply the latest
            if config.adaptive or row["total"] <= best_total:
                best, best_total = before, row["total"]
            if callback is not None and callback(len(history), x.numpy()[0], row):
                stop = "callback"
                break
        else:
            best = x.numpy()[0]  # the image after the last update
    except KeyboardInterrupt:
        stop = "interrupted"
        if config.adaptive:
            best = x.numpy()[0]
    return best.astype(np.float32), stop, stepper.traces


def _nonfinite_message(step: int) -> str:
    return (
        f"stopped at step {step}: the loss or gradient became NaN/inf. Kept the best finite image. "
        "Likely causes: a huge learning rate or weight, or a blank (all-zero) image with gram_norm='none'."
    )


def _run_lbfgs(objective, x0, config, history, callback, scale):
    """L-BFGS-B through scipy, bounded to [0, 255]; the loss and gradient are one compiled call."""
    from scipy.optimize import Bounds, minimize

    shape = (1,) + x0.shape
    traces = [0]

    @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32)], autograph=False)  # no Python control flow
    def value_and_grad(x):
        traces[0] += 1
        with tf.GradientTape() as tape:
            tape.watch(x)
            losses = objective.losses(x)
            total = objective.total(losses)
        return total, tape.gradient(total, x), losses

    state = {"best": x0.copy(), "best_total": np.inf, "last": None, "stop": "completed"}

    def fun(flat: np.ndarray) -> tuple[float, np.ndarray]:
        x = flat.reshape(shape).astype(np.float32)
        total, grad, losses = value_and_grad(tf.constant(x))
        total = float(total)
        grad = grad.numpy()
        if not (np.isfinite(total) and np.all(np.isfinite(grad))):
            raise NonFiniteError(_nonfinite_message(len(history)))
        state["last"] = (flat.copy(), total, {k: float(v) for k, v in losses.items()})
        if total < state["best_total"]:
            state["best"], state["best_total"] = x[0].copy(), total
        return total, grad.astype(np.float64).ravel()

    def on_iteration(xk: np.ndarray) -> None:
        flat, total, losses = state["last"]
        row = _record(history, len(history), dict(losses, total=total), scale)
        if callback is not None and callback(len(history), xk.reshape(x0.shape).astype(np.float32), row):
            state["stop"] = "callback"
            raise StopIteration

    try:  # scipy ends the run cleanly when the callback raises StopIteration
        minimize(
            fun, x0.astype(np.float64).ravel(), jac=True, method="L-BFGS-B",
            bounds=Bounds(0.0, 255.0), callback=on_iteration,
            options={"maxiter": config.steps, "maxfun": config.steps * 2, "maxcor": 10},
        )
    except KeyboardInterrupt:
        state["stop"] = "interrupted"
    except NonFiniteError as err:
        state["stop"] = str(err)
    # the lowest objective of every evaluated point: never worse than scipy's last iterate
    return state["best"], state["stop"], traces[0]
