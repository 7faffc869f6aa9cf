"""One frozen object holds every hyper-parameter of a run.

Vary it with :func:`dataclasses.replace`::

    cfg = TransferConfig.seed()
    cfg = dataclasses.replace(cfg, style_weight=20.0)

Only :mod:`nst_helpers.transfer` reads a config; loss functions take plain
tensors and numbers. Importing this module does not import TensorFlow.

Introduced in notebooks/04_transfer_loop.ipynb.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any, Callable

from .errors import ConfigError
from .layers import check_net, conv_layers, resolve_layers

OPTIMIZERS = ("seed", "adam", "lbfgs", "lbfgs-scipy")
INITS = ("noise", "random", "content", "style")
GRAM_NORMS = ("none", "hw", "chw", "paper")
TV_KINDS = ("l1_mean", "l1_sum", "l2_mean")
RESIZES = ("longest", "square")
PRECISIONS = ("float32", "bfloat16", "auto")
PRESERVE_COLORS = ("none", "luminance", "histogram")

#: Paper names of Gatys et al.'s style layers, also the default's.
PAPER_STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")

MAX_STEPS = 100_000
MIN_SIZE, MAX_SIZE = 32, 8192


def is_quick() -> bool:
    """True when the environment asks for quick mode (``NST_QUICK=1``): small images, few steps."""
    return os.environ.get("NST_QUICK", "").strip().lower() not in ("", "0", "false", "no")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TransferConfig:
    """Every setting of one style-transfer run.

    Layer names may be given in any scheme of :func:`nst_helpers.layers.resolve_layer`;
    they are stored as Keras names. Invalid values raise :class:`ConfigError`
    here, before any work starts.

    Attributes:
        net: ``"vgg16"`` or ``"vgg19"``.
        weights: ``"auto"`` (``NST_WEIGHTS`` env > ImageNet > offline fallback),
            ``"imagenet"``, ``"offline-hed-vgg16"``, a path to a ``.h5`` file, or
            ``None`` for random weights (shape experiments only).
        content_layers: layers whose feature maps carry content.
        style_layers: layers whose Gram matrices carry style.
        style_layer_weights: one weight per style layer; ``None`` means ``1/L`` each
            (the mean over layers, as in the seed).
        content_weight, style_weight, tv_weight: weights of the three losses (>= 0).
        gram_norm: Gram normalisation: ``"none"`` (seed), ``"hw"`` (TF tutorial),
            ``"chw"`` (d2l) or ``"paper"`` (Gatys: ``1/(4 N^2 M^2)`` in the loss).
        tv_kind: ``"l1_mean"`` (seed's denoise), ``"l1_sum"`` (``tf.image.total_variation``)
            or ``"l2_mean"``.
        adaptive: divide each loss by its own current value (the seed's trick).
        optimizer: ``"seed"`` (gradient descent, step = step_size/std(grad)),
            ``"adam"``, ``"lbfgs"`` (L-BFGS in TensorFlow, bounded to [0, 255]) or
            ``"lbfgs-scipy"`` (scipy's L-BFGS-B, float64 on the host; slower, kept for comparison).
        steps: iterations (for L-BFGS: iterations of the line-search method), per stage.
        tolerance: L-BFGS stops early once the objective fell by less than this fraction over the
            last 10 iterations (0: always run ``steps``).
        step_size: numerator of the seed optimiser's step.
        learning_rate: Adam's learning rate, on the 0-255 pixel scale.
        size: target size in pixels (longest side, or both sides if ``resize="square"``).
        resize: ``"longest"`` keeps the aspect ratio; ``"square"`` squashes to size x size (seed).
        init: ``"noise"`` (seed: 128 + U[0, 1)), ``"random"`` (U[0, 255)), ``"content"`` or ``"style"``.
        seed: random seed for the initial image.
        precision: ``"float32"``, ``"bfloat16"`` (mixed: convolutions in bfloat16, Gram
            matrices and losses in float32) or ``"auto"``.
        scales: coarse-to-fine schedule, e.g. ``(128, 256)``: optimise small, upsample,
            refine, ``steps`` at each scale. ``None``: once at ``size`` up to 400 px, above that
            the automatic schedule of :func:`stage_schedule`.
        preserve_color: ``"none"``, ``"luminance"`` (transfer brightness only, keep the photo's
            Cr/Cb) or ``"histogram"`` (recolour the painting to the photo's colour mean and
            covariance first).
        style_blend: one weight per style image (normalised to sum 1); ``None`` = equal.
        style_scale: size of the style image relative to the content image.
    """

    net: str = "vgg16"
    weights: str | None = "auto"
    content_layers: tuple[str, ...] = ("conv4_2",)
    style_layers: tuple[str, ...] = PAPER_STYLE_LAYERS
    style_layer_weights: tuple[float, ...] | None = None
    content_weight: float = 10.0
    style_weight: float = 1.0
    tv_weight: float = 1.0
    gram_norm: str = "hw"
    tv_kind: str = "l1_mean"
    adaptive: bool = False
    optimizer: str = "lbfgs"
    steps: int = 200
    tolerance: float = 1e-3
    step_size: float = 10.0
    learning_rate: float = 5.0
    size: int = 256
    resize: str = "longest"
    init: str = "content"
    seed: int = 0
    precision: str = "auto"
    scales: tuple[int, ...] | None = None
    preserve_color: str = "none"
    style_blend: tuple[float, ...] | None = None
    style_scale: float = 1.0

    def __post_init__(self) -> None:
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen)
        set_("net", check_net(self.net))
        set_("content_layers", resolve_layers(_as_tuple(self.content_layers), self.net))
        set_("style_layers", resolve_layers(_as_tuple(self.style_layers), self.net))
        for name, allowed in (
            ("optimizer", OPTIMIZERS), ("gram_norm", GRAM_NORMS), ("tv_kind", TV_KINDS),
            ("resize", RESIZES), ("precision", PRECISIONS), ("preserve_color", PRESERVE_COLORS),
        ):
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name}={getattr(self, name)!r} is not valid: choose one of {', '.join(allowed)}.")
        if isinstance(self.init, str) and self.init not in INITS:
            raise ConfigError(f"init={self.init!r} is not valid: choose one of {', '.join(INITS)}.")
        self._check_weights()
        _check_int("steps", self.steps, 1, MAX_STEPS)
        _check_int("size", self.size, MIN_SIZE, MAX_SIZE)
        _check_int("seed", self.seed, 0, 2**32 - 1)
        for name in ("step_size", "learning_rate", "style_scale"):
            _check_positive(name, getattr(self, name))
        if not isinstance(self.tolerance, (int, float)) or not 0 <= self.tolerance < 1:
            raise ConfigError(f"tolerance={self.tolerance!r} must be a number from 0 (never stop early) to below 1.")
        if self.scales is not None:
            set_("scales", tuple(self.scales))
            for s in self.scales:
                _check_int("scales", s, MIN_SIZE, MAX_SIZE)
            if list(self.scales) != sorted(self.scales):
                raise ConfigError(f"scales={self.scales} must grow, e.g. 128,256,512.")
        if self.style_blend is not None:
            set_("style_blend", tuple(float(w) for w in self.style_blend))
            _check_weight_list("style_blend", self.style_blend)

    def _check_weights(self) -> None:
        for name in ("content_weight", "style_weight", "tv_weight"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigError(f"{name}={value!r} must be a finite number >= 0.")
        if self.content_weight == self.style_weight == self.tv_weight == 0:
            raise ConfigError("All loss weights are 0: nothing to optimise. Set at least one weight > 0.")
        if not self.content_layers and self.content_weight > 0:
            raise ConfigError("content_weight > 0 needs at least one content layer.")
        if not self.style_layers and self.style_weight > 0:
            raise ConfigError("style_weight > 0 needs at least one style layer.")
        if self.style_layer_weights is not None:
            object.__setattr__(self, "style_layer_weights", tuple(float(w) for w in self.style_layer_weights))
            if len(self.style_layer_weights) != len(self.style_layers):
                raise ConfigError(
                    f"style_layer_weights has {len(self.style_layer_weights)} values for "
                    f"{len(self.style_layers)} style layers: give one weight per layer."
                )
            _check_weight_list("style_layer_weights", self.style_layer_weights)

    # ----- presets -------------------------------------------------------------------------
    @classmethod
    def seed_recipe(cls, **changes: Any) -> "TransferConfig":
        """The blog post's exact recipe (VGG16, conv3_1, all 13 Gram layers, 1/loss weights, 60 steps)."""
        base = cls(
            net="vgg16",
            content_layers=("block3_conv1",),
            style_layers=conv_layers("vgg16"),
            content_weight=2.0,
            style_weight=9.0,
            tv_weight=0.4,
            gram_norm="none",
            tv_kind="l1_mean",
            adaptive=True,
            optimizer="seed",
            step_size=10.0,
            steps=60,
            size=224,
            resize="square",
            init="noise",
            precision="float32",  # the blog ran float32; a faithful reference, not a speed target
        )
        return dataclasses.replace(base, **changes)

    @classmethod
    def gatys(cls, **changes: Any) -> "TransferConfig":
        """Gatys et al. (2016): VGG19, conv4_2 content, conv1_1..conv5_1 style, L-BFGS from the content."""
        base = cls(
            net="vgg19",
            content_layers=("conv4_2",),
            style_layers=PAPER_STYLE_LAYERS,
            content_weight=1.0,
            style_weight=1e3,
            tv_weight=0.0,
            gram_norm="paper",
            optimizer="lbfgs",
            steps=300,
            size=512,
            init="content",
            precision="float32",
        )
        return dataclasses.replace(base, **changes)

    @classmethod
    def default(cls, **changes: Any) -> "TransferConfig":
        """The fast, good-looking default (tuned in benchmarks/RESULTS.md)."""
        return dataclasses.replace(cls(), **changes)

    def quick(self) -> "TransferConfig":
        """A small, few-step version of this config for tests and ``NST_QUICK=1``."""
        scales = None if self.scales is None else tuple(s for s in self.scales if s <= QUICK_SIZE) or None
        return dataclasses.replace(self, size=min(self.size, QUICK_SIZE), steps=min(self.steps, QUICK_STEPS), scales=scales)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view of every setting (layer names spelled out)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()}


QUICK_SIZE, QUICK_STEPS = 128, 20

#: With ``scales=None``, sizes above this run coarse-to-fine by themselves (benchmarks/RESULTS.md).
AUTO_SCALES_ABOVE = 400


def stage_schedule(config: TransferConfig) -> tuple[tuple[int, int], ...]:
    """``(size, steps)`` of each stage of a run.

    Explicit ``scales`` run ``steps`` at each scale. Otherwise a size up to
    :data:`AUTO_SCALES_ABOVE` runs once; a larger one halves down to that range and starts
    there with ``steps``, then refines each doubling with ``steps // 8`` (at least 10): the
    coarse stage lays the painting's large strokes, which the network's small receptive field
    cannot see at full size, and the fine stages are the expensive ones.

    >>> stage_schedule(TransferConfig(size=1024, steps=200))
    ((256, 200), (512, 25), (1024, 25))
    """
    if config.scales is not None:
        return tuple((s, config.steps) for s in config.scales)
    sizes = [config.size]
    while sizes[0] > AUTO_SCALES_ABOVE:
        sizes.insert(0, round(sizes[0] / 2))
    return ((sizes[0], config.steps),) + tuple((s, max(10, config.steps // 8)) for s in sizes[1:])

#: Named presets: ``PRESETS["seed"]()`` builds the seed's recipe.
PRESETS: dict[str, Callable[..., TransferConfig]] = {
    "default": TransferConfig.default,
    "seed": TransferConfig.seed_recipe,
    "gatys": TransferConfig.gatys,
}


def preset(name: str, **changes: Any) -> TransferConfig:
    """Build a named preset (``"default"``, ``"seed"``, ``"gatys"``) with optional changes."""
    if name not in PRESETS:
        raise ConfigError(f"Unknown preset {name!r}: choose one of {', '.join(PRESETS)}.")
    return PRESETS[name](**changes)


def _as_tuple(value: Any) -> tuple:
    if isinstance(value, (str, int)):
        return (value,)
    return tuple(value)


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name}={value!r} must be a whole number from {low} to {high}.")


def _check_positive(name: str, value: Any) -> None:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name}={value!r} must be a finite number > 0.")


def _check_weight_list(name: str, values: tuple[float, ...]) -> None:
    if any(not math.isfinite(w) or w < 0 for w in values) or sum(values) == 0:
        raise ConfigError(f"{name}={values} must be finite numbers >= 0 that do not all equal 0.")
