"""One frozen object holds every hyper-parameter of a run.

Vary it with :func:`dataclasses.replace`::

    cfg = TransferConfig.blog()
    cfg = dataclasses.replace(cfg, style_weight=20.0)

Only :mod:`nst_helpers.transfer` reads a config; loss functions take plain
tensors and numbers. Importing this module does not import TensorFlow.

Introduced in notebooks/04_transfer_loop.ipynb.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import itertools
import math
import numbers
import os
from collections.abc import Callable, Sequence
from typing import Any, Literal, get_args

import numpy as np

from .errors import ConfigError, SettingNameError
from .layers import check_net, conv_layers, parse_layer_list, resolve_layers

# ----- option tables: each Literal is the one source; the tuples are derived from it -----------------
Net = Literal["vgg16", "vgg19"]
Optimizer = Literal["seed", "adam", "lbfgs", "lbfgs-scipy"]
Init = Literal["noise", "random", "content", "style"]
#: Gram normalisations. ``"paper"`` divides by ``2HW`` so that the MSE of two Grams
#: equals Gatys' per-layer loss ``sum((G - A)^2) / (4 N^2 M^2)`` (N = C, M = HW).
GramNorm = Literal["none", "hw", "chw", "paper"]
TvKind = Literal["l1_mean", "l1_sum", "l2_mean"]
Resize = Literal["longest", "square"]
Precision = Literal["float32", "bfloat16", "auto"]
PreserveColor = Literal["none", "luminance", "histogram"]

OPTIMIZERS: tuple[str, ...] = get_args(Optimizer)
INITS: tuple[str, ...] = get_args(Init)
GRAM_NORMS: tuple[str, ...] = get_args(GramNorm)
TV_KINDS: tuple[str, ...] = get_args(TvKind)
RESIZES: tuple[str, ...] = get_args(Resize)
PRECISIONS: tuple[str, ...] = get_args(Precision)
PRESERVE_COLORS: tuple[str, ...] = get_args(PreserveColor)

#: Paper names of Gatys et al.'s style layers, also the default's.
PAPER_STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")

# ----- ranges: what fits in memory and in float32 --------------------------------------------------
MAX_STEPS = 100_000
MIN_SIZE, MAX_SIZE = 32, 8192
#: At most this many coarse-to-fine sizes (doubling from 32 to 8192 px takes 9).
MAX_SCALES = 10
#: The style image is at most this many times the content's size (and never above ``MAX_SIZE``).
MAX_STYLE_SCALE = 8.0
#: Largest loss weight (also per style layer and per blended style). float32 tops out at 3.4e38; the
#: largest loss we see, the seed's un-normalised Gram MSE at 1024 px, is ~1e20, so weight x loss stays
#: below ~1e28 and its gradient sums cannot overflow. Published recipes use weights of 1e-4 to 1e6.
MAX_WEIGHT = 1e8
#: Smallest loss weight above 0. A weight of 1e-50 is 0 in float32: the loss is 0, nothing moves, and the
#: start image (noise) came back as "the result". Weight x loss and its gradient stay far above float32's
#: smallest normal number (1.2e-38) from here on.
MIN_WEIGHT = 1e-12
#: The seed's step moves a typical pixel by ``step_size`` grey levels, Adam's by about
#: ``learning_rate``: more than the whole 0-255 range makes no sense.
MAX_STEP_SIZE = 255.0


def default_layer_weights(n_layers: int) -> tuple[float, ...]:
    """The default weight of each of ``n_layers`` style layers: ``1/L``, so the style loss is their mean (the seed).

    >>> default_layer_weights(4)
    (0.25, 0.25, 0.25, 0.25)
    """
    return (1.0 / n_layers,) * n_layers if n_layers else ()


def is_quick() -> bool:
    """True when the environment asks for quick mode (``NST_QUICK=1``): small images, few steps."""
    return os.environ.get("NST_QUICK", "").strip().lower() not in ("", "0", "false", "no")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TransferConfig:
    """Every setting of one style-transfer run.

    Layer names may be given in any scheme of :func:`nst_helpers.layers.resolve_layer`
    (or as one string for :func:`nst_helpers.layers.parse_layer_list`); they are stored as
    Keras names, each once. Numbers may be numpy scalars; they are stored as Python
    ``int``/``float``. Invalid values raise :class:`ConfigError` here, before any work
    starts. The ranges (``MAX_WEIGHT``, ``MAX_SIZE``, ...) keep a run inside memory and
    inside float32.

    Read :attr:`sizes` and :attr:`layer_weights` rather than re-deriving them.

    Attributes:
        net: ``"vgg16"`` or ``"vgg19"``.
        weights: ``"auto"`` (``NST_WEIGHTS`` env > ImageNet > offline fallback),
            ``"imagenet"``, ``"offline-hed-vgg16"``, a path to a ``.h5`` file, or
            ``None`` for random weights (shape experiments only).
        content_layers: layers whose feature maps carry content.
        style_layers: layers whose Gram matrices carry style.
        style_layer_weights: one weight per style layer; ``None`` means ``1/L`` each
            (the mean over layers, as in the seed).
        content_weight, style_weight, tv_weight: weights of the three losses: 0 (off), or
            ``MIN_WEIGHT`` to ``MAX_WEIGHT`` (what float32 holds without vanishing or overflowing).
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
        seed: random seed for the initial image (not the blog's recipe: that is ``preset("blog")``).
        precision: ``"float32"``, ``"bfloat16"`` (mixed: convolutions in bfloat16, Gram
            matrices and losses in float32) or ``"auto"``.
        scales: coarse-to-fine schedule, e.g. ``(128, 256)``: optimise small, upsample,
            refine, ``steps`` at each scale. ``None``: once at ``size`` up to 400 px, above that
            the automatic schedule of :func:`stage_schedule`.
        preserve_color: ``"none"``, ``"luminance"`` (transfer brightness only, keep the photo's
            Cr/Cb) or ``"histogram"`` (recolour the painting to the photo's colour mean and
            covariance first).
        style_blend: one weight per style image (normalised to sum 1); ``None`` = equal.
        style_scale: size of the style image relative to the content image (at most ``MAX_STYLE_SCALE``,
            and the style image at most ``MAX_SIZE`` px).
    """

    net: Net = "vgg16"
    weights: str | None = "auto"
    content_layers: tuple[str, ...] = ("conv4_2",)
    style_layers: tuple[str, ...] = PAPER_STYLE_LAYERS
    style_layer_weights: tuple[float, ...] | None = None
    content_weight: float = 10.0
    style_weight: float = 1.0
    tv_weight: float = 1.0
    gram_norm: GramNorm = "hw"
    tv_kind: TvKind = "l1_mean"
    adaptive: bool = False
    optimizer: Optimizer = "lbfgs"
    steps: int = 200
    tolerance: float = 1e-3
    step_size: float = 10.0
    learning_rate: float = 5.0
    size: int = 256
    resize: Resize = "longest"
    init: Init = "content"
    seed: int = 0
    precision: Precision = "auto"
    scales: tuple[int, ...] | None = None
    preserve_color: PreserveColor = "none"
    style_blend: tuple[float, ...] | None = None
    style_scale: float = 1.0

    def __post_init__(self) -> None:
        self._set("net", check_net(self.net))
        self._set("weights", _weights_source(self.weights))
        for name in ("content_layers", "style_layers"):
            self._set(name, _layer_tuple(name, getattr(self, name), self.net))
        for name, allowed in _CHOICES:
            _check_choice(name, getattr(self, name), allowed)
        self._set("adaptive", _as_bool("adaptive", self.adaptive))
        self._set("steps", _as_int("steps", self.steps, 1, MAX_STEPS))
        self._set("size", _as_int("size", self.size, MIN_SIZE, MAX_SIZE))
        self._set("seed", _as_int("seed", self.seed, 0, 2**32 - 1))
        for name in ("step_size", "learning_rate"):
            self._set(name, _as_float(name, getattr(self, name), 0.0, MAX_STEP_SIZE, low_open=True))
        self._set("scales", _scales(self.scales))
        self._check_weights()
        self._set("style_scale", _as_float("style_scale", self.style_scale, 0.0, MAX_STYLE_SCALE, low_open=True))
        if max(self.sizes) * self.style_scale > MAX_SIZE:
            raise ConfigError(
                f"style_scale={self.style_scale} at size {max(self.sizes)} asks for a "
                f"{max(self.sizes) * self.style_scale:.0f} px style image; the limit is {MAX_SIZE} px. "
                "Lower style_scale or the size."
            )
        self._set("tolerance", _as_float("tolerance", self.tolerance, 0.0, 0.5))
        if self.style_blend is not None:
            self._set("style_blend", _weight_list("style_blend", self.style_blend))

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)  # the dataclass is frozen; validation may normalise a value once

    def _check_weights(self) -> None:
        for name in ("content_weight", "style_weight", "tv_weight"):
            self._set(name, _as_weight(name, getattr(self, name)))
        if self.content_weight == self.style_weight == self.tv_weight == 0:
            raise ConfigError("All loss weights are 0: nothing to optimise. Set at least one weight > 0.")
        if not self.content_layers and self.content_weight > 0:
            raise ConfigError("content_weight > 0 needs at least one content layer.")
        if not self.style_layers and self.style_weight > 0:
            raise ConfigError("style_weight > 0 needs at least one style layer.")
        if self.style_layer_weights is not None:
            self._set("style_layer_weights", _weight_list("style_layer_weights", self.style_layer_weights))
            if len(self.style_layer_weights) != len(self.style_layers):
                raise ConfigError(
                    f"style_layer_weights has {len(self.style_layer_weights)} values for "
                    f"{len(self.style_layers)} style layers: give one weight per layer."
                )

    # ----- derived settings: read these instead of re-deriving them --------------------------------
    @property
    def sizes(self) -> tuple[int, ...]:
        """The working sizes, coarse to fine: ``scales``, or the schedule :func:`stage_schedule` picks."""
        return tuple(size for size, _ in stage_schedule(self))

    @property
    def total_steps(self) -> int:
        """The most steps a run can take, all stages together (L-BFGS may stop earlier on convergence)."""
        return sum(steps for _, steps in stage_schedule(self))

    @property
    def layer_weights(self) -> tuple[float, ...]:
        """One weight per style layer: ``style_layer_weights``, or ``1/L`` each (:func:`default_layer_weights`)."""
        if self.style_layer_weights is not None:
            return self.style_layer_weights
        return default_layer_weights(len(self.style_layers))

    # ----- presets -------------------------------------------------------------------------
    @classmethod
    def blog(cls, **changes: Any) -> TransferConfig:
        """The blog post's exact recipe (VGG16, conv3_1, all 13 Gram layers, 1/loss weights, 60 steps).

        The course calls this blog post "the seed"; ``seed_recipe()`` and ``preset("seed")`` are the
        same recipe. (The ``seed`` *field* is something else: the random seed of the initial image.)
        """
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

    seed_recipe = blog  # the older name, kept working

    @classmethod
    def gatys(cls, **changes: Any) -> TransferConfig:
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
    def default(cls, **changes: Any) -> TransferConfig:
        """The fast, good-looking default (tuned in benchmarks/RESULTS.md)."""
        return dataclasses.replace(cls(), **changes)

    def quick(self) -> TransferConfig:
        """A small, few-step version of this config for tests and ``NST_QUICK=1``.

        Sizes are capped at ``QUICK_SIZE`` and steps at ``QUICK_STEPS``; a coarse-to-fine schedule
        keeps its sizes up to ``QUICK_SIZE`` (or runs once if none is that small).
        """
        scales = None if self.scales is None else tuple(s for s in self.scales if s <= QUICK_SIZE) or None
        return dataclasses.replace(
            self, size=min(self.size, QUICK_SIZE), steps=min(self.steps, QUICK_STEPS), scales=scales
        )

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


_CHOICES = (
    ("optimizer", OPTIMIZERS), ("gram_norm", GRAM_NORMS), ("tv_kind", TV_KINDS), ("resize", RESIZES),
    ("init", INITS), ("precision", PRECISIONS), ("preserve_color", PRESERVE_COLORS),
)

def _named_settings_only(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap the dataclass ``__init__``: a misspelt or positional setting is a :class:`SettingNameError`
    that names the setting meant (Python's own ``TypeError`` says only "unexpected keyword")."""
    names = tuple(f.name for f in dataclasses.fields(TransferConfig))

    @functools.wraps(init)
    def __init__(self: TransferConfig, *args: Any, **settings: Any) -> None:
        if args:
            raise SettingNameError(f"TransferConfig takes settings by name, e.g. TransferConfig(steps=100), "
                                   f"not by position ({_short_repr(args[0])} was given first).")
        for key in settings:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f"did you mean {close[0]}=?" if close else f"the settings are: {', '.join(names)}."
                raise SettingNameError(f"{key}= is not a TransferConfig setting: {hint}")
        init(self, **settings)

    return __init__


TransferConfig.__init__ = _named_settings_only(TransferConfig.__init__)  # type: ignore[method-assign]


def _short_repr(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


#: Named presets: ``PRESETS["blog"]()`` builds the blog's recipe; ``"seed"`` is its older name.
PRESETS: dict[str, Callable[..., TransferConfig]] = {
    "default": TransferConfig.default,
    "blog": TransferConfig.blog,
    "seed": TransferConfig.blog,
    "gatys": TransferConfig.gatys,
}


def preset(name: str, **changes: Any) -> TransferConfig:
    """Build a named preset (``"default"``, ``"blog"`` a.k.a. ``"seed"``, ``"gatys"``) with optional changes.

    >>> preset("blog", steps=5).steps
    5
    """
    if name not in PRESETS:
        raise ConfigError(f"Unknown preset {name!r}: choose one of {', '.join(PRESETS)}.")
    return PRESETS[name](**changes)


# ----- validators: each returns the value normalised to a plain Python type -------------------------
def _check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in allowed:
        fix = ""
        if name == "init" and not isinstance(value, str):  # an image: it goes to transfer(), never into the config
            fix = " To start from your own image, pass it as transfer(..., init=image)."
        raise ConfigError(f"{name}={_short_repr(value)} is not valid: choose one of {', '.join(allowed)}.{fix}")


def _weights_source(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise ConfigError(
        f"weights={value!r} is not valid: give 'auto', 'imagenet', 'offline-hed-vgg16', a path to a .h5 file, "
        "or None for random weights."
    )


def _layer_tuple(name: str, value: Any, net: str) -> tuple[str, ...]:
    """Keras names, each once; a string may be a list (``"conv1_1,conv2_1"``, ``"all"``, ``"0-4"``)."""
    if isinstance(value, str):
        return parse_layer_list(value, net)
    if isinstance(value, numbers.Integral):
        value = (value,)
    if not isinstance(value, (Sequence, np.ndarray)):
        raise ConfigError(
            f"{name}={value!r} is not a list of layers: give names such as ('conv1_1', 'conv2_1'), or () for none."
        )
    return resolve_layers(value, net, unique=True)


def _as_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{name}={value!r} must be True or False.")
    return bool(value)


def _as_int(name: str, value: Any, low: int, high: int) -> int:
    ok = not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Integral)
    if not ok or not low <= int(value) <= high:  # as a Python int: an int8 cannot hold the bounds
        raise ConfigError(f"{name}={value!r} must be a whole number from {low} to {high}.")
    return int(value)


def _as_float(name: str, value: Any, low: float, high: float, *, low_open: bool = False) -> float:
    ok = not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Real)
    number = float(value) if ok else math.nan  # compare as Python floats: a float16 vs 1e8 warns of overflow
    if not math.isfinite(number) or not (low < number if low_open else low <= number) or number > high:
        bound = ">" if low_open else ">="
        raise ConfigError(f"{name}={value!r} must be a finite number {bound} {low:g} and <= {high:g}.")
    return number


def _as_weight(name: str, value: Any) -> float:
    """A loss weight: 0 (off), or from ``MIN_WEIGHT`` to ``MAX_WEIGHT`` (both survive float32)."""
    weight = _as_float(name, value, 0.0, MAX_WEIGHT)
    if 0.0 < weight < MIN_WEIGHT:
        raise ConfigError(f"{name}={value!r} is so small it is 0 in float32 (nothing would change): "
                          f"give 0 to turn it off, or a weight from {MIN_WEIGHT:g} to {MAX_WEIGHT:g}.")
    return weight


def _scales(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    if isinstance(value, (str, numbers.Number)) or not isinstance(value, (Sequence, np.ndarray)):
        raise ConfigError(f"scales={value!r} is not a list of sizes: give growing sizes such as (128, 256), or None.")
    scales = tuple(_as_int("scales", s, MIN_SIZE, MAX_SIZE) for s in value)
    if not 0 < len(scales) <= MAX_SCALES:
        raise ConfigError(f"scales={scales} must list 1 to {MAX_SCALES} sizes, e.g. 128,256,512 (or None).")
    if any(b <= a for a, b in itertools.pairwise(scales)):
        raise ConfigError(f"scales={scales} must grow, e.g. 128,256,512.")
    return scales


def _weight_list(name: str, value: Any) -> tuple[float, ...]:
    if isinstance(value, str):
        parts = ", ".join(p.strip() for p in value.split(","))
        raise ConfigError(f"{name}={value!r} is text: give numbers, e.g. {name}=[{parts}].")
    if not isinstance(value, (Sequence, np.ndarray)):
        raise ConfigError(f"{name}={value!r} must be a list of numbers, e.g. {name}=(0.7, 0.3).")
    weights = tuple(_as_weight(name, w) for w in value)
    if sum(weights) == 0:
        raise ConfigError(f"{name}={weights} are all 0: give at least one weight > 0.")
    return weights
