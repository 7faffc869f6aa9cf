"""The optimisation loop: the only module that owns a ``tf.Variable`` or an optimiser.

:func:`transfer` is the one entry point. Content reconstruction (style weight 0),
texture synthesis (content weight 0) and full style transfer are the same call.
The optimisers: ``"lbfgs"`` (L-BFGS written in TensorFlow, the default), ``"lbfgs-scipy"``
(scipy's L-BFGS-B), ``"adam"`` and ``"seed"`` (the blog's normalised gradient step).
The objective they minimise is :class:`nst_helpers.objective.Objective`.

Introduced in notebooks/04_transfer_loop.ipynb.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from . import arguments, controls
from . import images as imgs
from . import losses as L
from .config import TransferConfig, stage_schedule
from .devices import quiet_retracing_hint, resolve_precision
from .errors import NonFiniteError
from .model import FeatureExtractor

# the objective moved to objective.py; these names stay importable from here (notebooks use them)
from .objective import Objective, _float32_twin, build_extractor, evaluate  # noqa: F401

#: ``callback(step, image, losses)``: called after every step with the step number,
#: the current image (numpy, package convention) and the losses as floats.
#: Return ``True`` to stop early (the Stop button of the control panel does this).
Callback = Callable[[int, np.ndarray, Mapping[str, float]], Any]

#: Convergence test of L-BFGS: the relative fall of the objective over this many iterations.
CONVERGENCE_WINDOW = 10


@dataclasses.dataclass
class Result:
    """What a run produced.

    Attributes:
        image: float32 (H, W, 3) RGB in [0, 255]: the best image found.
        history: one dict per step: ``step``, ``total``, ``content``, ``style``, ``tv``
            (float32 values; Adam and seed: at the image *before* that step's update, with
            ``adaptive`` also ``adaptive_content`` etc., the ``1/loss`` weights the step used;
            L-BFGS: at the iterate the step reached, plus ``evaluations``, the line search's count),
            plus ``scale`` (the image's longest side at that step).
        final_losses: ``total``, ``content``, ``style``, ``tv`` of ``image``, in float32
            (with ``preserve_color="luminance"``: of the grey image that was optimised,
            before the photo's colour was put back).
        seconds: wall time of the optimisation (targets included, model loading excluded).
        weights: label of the weights used (``"imagenet"``, ``"offline-hed-vgg16"``, ...).
        weights_description: one sentence on those weights.
        config: the :class:`TransferConfig` of the run.
        precision: ``"float32"`` or ``"bfloat16"`` (what ``"auto"`` resolved to).
        stop_reason: ``"completed"``, ``"interrupted"`` (Ctrl-C), ``"callback"`` (Stop, before the last step)
            or a sentence on a numerical fault.
        traces: how many times the step function was traced (1 per scale means no retracing).
        stages: ``(size, steps)`` of each coarse-to-fine stage (see :func:`nst_helpers.config.stage_schedule`).
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
    stages: tuple[tuple[int, int], ...] = ()

    @property
    def final_loss(self) -> float:
        """The objective (weighted sum, no adaptive scaling) of the output, in float32."""
        return self.final_losses["total"]

    @property
    def interrupted(self) -> bool:
        return self.stop_reason != "completed"


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


# ----- Adam and seed: one compiled step ---------------------------------------------------------
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


class _Log:
    """The run's history and callback, shared by the stages: one row per step, then the callback."""

    def __init__(self, callback: Callback | None) -> None:
        self.history: list[dict[str, float]] = []
        self.callback = callback
        self.scale = 0

    def step(self, values: Mapping[str, Any], image: Callable[[], np.ndarray]) -> bool:
        """Record one step's losses; ``True`` if the callback asks to stop (``image`` is built only for it)."""
        row = {"step": len(self.history), "scale": self.scale}
        row.update({k: float(v) for k, v in values.items() if k not in ("finite", "accepted")})
        self.history.append(row)
        return self.callback is not None and bool(self.callback(len(self.history), image(), row))


def _run_gradient(objective: Objective, x0: np.ndarray, config: TransferConfig, steps: int, log: _Log):
    """Seed or Adam: a compiled step applied ``steps`` times; returns (best image, stop reason, traces)."""
    x = tf.Variable(x0[None], dtype=tf.float32)
    stepper = _Stepper(objective, x, config)
    best, best_total = x0.copy(), np.inf
    stop = "completed"
    try:
        for _ in range(steps):
            before = x.numpy()[0]
            out = stepper.step()
            if not bool(out["finite"]):
                stop = _nonfinite_message(len(log.history))
                break
            asked_to_stop = log.step(out, lambda: x.numpy()[0])
            total = log.history[-1]["total"]
            # with adaptive weights the objective is constant, so "best" is simply the latest
            if config.adaptive or total <= best_total:
                best, best_total = before, total
            if asked_to_stop:
                stop = "callback"
                break
        else:
            best = x.numpy()[0]  # the image after the last update
    except KeyboardInterrupt:
        stop = "interrupted"
        if config.adaptive:
            best = x.numpy()[0]
    return best.astype(np.float32), stop, stepper.traces


def _converged(totals: Sequence[float], tolerance: float) -> bool:
    """True once the objective fell by less than ``tolerance`` (relative) over :data:`CONVERGENCE_WINDOW` steps."""
    if tolerance <= 0 or len(totals) <= CONVERGENCE_WINDOW:
        return False
    return totals[-CONVERGENCE_WINDOW - 1] - totals[-1] <= tolerance * abs(totals[-1])


# ----- L-BFGS in TensorFlow ------------------------------------------------------------------------
class _LBFGS:
    """L-BFGS on the box [0, 255], state and evaluations in TensorFlow, one compiled call per iteration.

    Direction: the two-loop recursion over the last :attr:`MEMORY` (or fewer) pairs ``s = x' - x``,
    ``y = g' - g`` (Nocedal & Wright, algorithm 7.4), scaled by ``s.y / y.y``. Pixels at a bound
    whose gradient pushes outwards are held (their direction is 0), the step is clipped into the box,
    and a backtracking line search (Armijo, quadratic interpolation) accepts the unit step almost
    always, so an iteration costs one evaluation. Everything stays float32 on the device: no float64
    copy, no host round trip per evaluation, only the few scalars of the history row come back.
    """

    MEMORY = 30  # pairs kept (fewer for big images, see _memory); 30 beat 10 by 2.5 % at 128 px, 150 iterations
    MEMORY_BYTES = 512 * 2**20  # cap on the pairs' storage: 2048 px keeps 6 pairs
    FIRST_STEP = 1.0  # RMS pixel change (grey levels) of the first step, before any curvature is known
    MAX_TRIES = 8  # line-search evaluations before giving up (the objective cannot fall further)
    ARMIJO = 1e-4

    def __init__(self, objective: Objective, x0: np.ndarray) -> None:
        self.objective, self.shape = objective, (1,) + x0.shape
        n = x0.size
        m = self.memory = int(np.clip(self.MEMORY_BYTES // (8 * n), 5, self.MEMORY))
        self.x = tf.Variable(x0.reshape(-1).astype(np.float32), name="image")
        self.g = tf.Variable(tf.zeros(n), name="gradient")
        self.f = tf.Variable(np.inf, dtype=tf.float32, name="objective")
        self.s_pairs = tf.Variable(tf.zeros((m, n)))
        self.y_pairs = tf.Variable(tf.zeros((m, n)))
        self.rho = tf.Variable(tf.zeros(m))
        self.pairs = tf.Variable(0, dtype=tf.int32)  # pairs stored since the last reset
        self.gamma = tf.Variable(1.0)  # initial inverse-Hessian scale
        self.started = tf.Variable(False)
        self.traces = 0
        self.step = tf.function(self._step)

    def image(self) -> np.ndarray:
        """The current iterate, (H, W, 3) float32 in [0, 255]."""
        return self.x.numpy().reshape(self.shape[1:])

    def _value_and_grad(self, flat: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, dict[str, tf.Tensor]]:
        x = tf.reshape(flat, self.shape)
        with tf.GradientTape() as tape:
            tape.watch(x)
            losses = self.objective.losses(x)
            total = self.objective.total(losses)
        return total, tf.reshape(tape.gradient(total, x), [-1]), losses

    def _direction(self) -> tuple[tf.Tensor, tf.Tensor]:
        """Projected quasi-Newton direction and its slope ``g.d`` (steepest descent if that is not downhill)."""
        x, g = self.x, self.g
        held = ((x <= 0.0) & (g > 0.0)) | ((x >= 255.0) & (g < 0.0))
        g_free = tf.where(held, 0.0, g)
        d = tf.where(held, 0.0, -self._two_loop(g_free))
        slope = tf.reduce_sum(g_free * d)
        downhill = slope < 0.0
        self.pairs.assign(tf.where(downhill, self.pairs, 0))  # a stale memory: forget it
        d = tf.where(downhill, d, -self.gamma * g_free)
        return d, tf.where(downhill, slope, -self.gamma * tf.reduce_sum(g_free * g_free))

    def _two_loop(self, q: tf.Tensor) -> tf.Tensor:
        """``H q`` by the two-loop recursion over the stored pairs (graph loops: the graph stays small)."""
        m = self.memory
        count = tf.minimum(self.pairs, m)
        slot = lambda j: tf.math.floormod(self.pairs - 1 - j, m)  # noqa: E731  (j = 0: the newest pair)
        s_all, y_all, rho = self.s_pairs.read_value(), self.y_pairs.read_value(), self.rho.read_value()  # read once

        def newest_first(j, q, alphas):
            i = slot(j)
            a = rho[i] * tf.reduce_sum(s_all[i] * q)
            return j + 1, q - a * y_all[i], tf.tensor_scatter_nd_update(alphas, [[j]], [a])

        _, q, alphas = tf.while_loop(lambda j, *_: j < count, newest_first, (tf.constant(0), q, tf.zeros(m)))

        def oldest_first(j, r):
            i = slot(j)
            b = rho[i] * tf.reduce_sum(y_all[i] * r)
            return j - 1, r + s_all[i] * (alphas[j] - b)

        _, r = tf.while_loop(lambda j, _: j >= 0, oldest_first, (count - 1, self.gamma * q))
        return r

    def _line_search(self, d: tf.Tensor, slope: tf.Tensor):
        """Backtrack from the unit step until the Armijo condition holds; returns the trial point and whether it did."""
        x, f, g = self.x.read_value(), self.f.read_value(), self.g.read_value()

        def trial(tries, t, ok, *_):
            x_new = tf.clip_by_value(x + t * d, 0.0, 255.0)
            f_new, g_new, losses = self._value_and_grad(x_new)
            finite = _finite(f_new, g_new)
            ok = finite & (f_new <= f + self.ARMIJO * tf.reduce_sum(g * (x_new - x)))
            # next trial: minimum of the quadratic through f, slope and f_new, kept within [0.1 t, 0.5 t]
            curve = f_new - f - slope * t
            t_quad = tf.where(finite & (curve > 0), -slope * t * t / (2.0 * curve + 1e-30), 0.1 * t)
            t_next = tf.clip_by_value(t_quad, 0.1 * t, 0.5 * t)
            return tries + 1, t_next, ok, x_new, f_new, g_new, losses, finite

        zeros = {k: tf.constant(0.0) for k in ("content", "style", "tv")}
        init = (tf.constant(0), tf.constant(1.0), tf.constant(False), x, f, g, zeros, tf.constant(True))
        return tf.while_loop(lambda tries, t, ok, *_: (tries < self.MAX_TRIES) & ~ok, trial, init)

    def _remember(self, s: tf.Tensor, y: tf.Tensor) -> None:
        """Store the pair if it has positive curvature (else the inverse-Hessian model would not be positive)."""
        sy, yy = tf.reduce_sum(s * y), tf.reduce_sum(y * y)
        if sy > 1e-10 * yy and sy > 0.0:
            # a row assignment, not scatter_update: a scatter switches the variable to copy-on-read, and
            # then every read copies all the pairs (at 1024 px: 28 x 2 x 9 MB, 56 times an iteration)
            i = tf.math.floormod(self.pairs, self.memory)
            self.s_pairs[i].assign(s)
            self.y_pairs[i].assign(y)
            self.rho[i].assign(1.0 / sy)
            self.pairs.assign_add(1)
            self.gamma.assign(sy / yy)

    def _step(self) -> dict[str, tf.Tensor]:
        """One iteration: direction, line search, memory update. Returns the losses at the new iterate.

        The first call only evaluates the start (the gradient is still 0, so the step is 0 and any finite
        objective beats ``f = inf``); it then scales the first real step to move pixels by
        :attr:`FIRST_STEP` (RMS). One compiled function does both, so the network is traced once.
        """
        self.traces += 1  # Python side effect: runs only while tracing
        d, slope = self._direction()
        tries, _, ok, x_new, f_new, g_new, losses, finite = self._line_search(d, slope)
        if ok:
            self._remember(x_new - self.x, g_new - self.g)
            self.x.assign(x_new)
            self.g.assign(g_new)
            self.f.assign(f_new)
            if not self.started:
                self.gamma.assign(self.FIRST_STEP / (tf.sqrt(tf.reduce_mean(tf.square(g_new))) + 1e-12))
                self.started.assign(True)
        return dict(losses, total=tf.where(ok, f_new, self.f), accepted=ok, finite=finite,
                    evaluations=tf.cast(tries, tf.float32))


def _finite(total: tf.Tensor, grad: tf.Tensor) -> tf.Tensor:
    return tf.math.is_finite(total) & tf.reduce_all(tf.math.is_finite(grad))


def _run_lbfgs(objective: Objective, x0: np.ndarray, config: TransferConfig, steps: int, log: _Log):
    """L-BFGS in TensorFlow for at most ``steps`` iterations, stopping on convergence (``config.tolerance``)."""
    opt = _LBFGS(objective, x0)
    stop = "completed"
    try:
        first = opt.step()  # evaluates the start only
        if not bool(first["accepted"]):
            return x0.astype(np.float32), _nonfinite_message(len(log.history)), opt.traces
        totals = [float(first["total"])]
        for _ in range(steps):
            out = {k: v.numpy() for k, v in opt.step().items()}
            if not out["accepted"]:  # no downhill step left: converged, or the loss broke down
                stop = "completed" if out["finite"] else _nonfinite_message(len(log.history))
                break
            if log.step(out, opt.image):
                stop = "callback"
                break
            totals.append(float(out["total"]))
            if _converged(totals, config.tolerance):
                break
    except KeyboardInterrupt:
        stop = "interrupted"
    # the line search only accepts points that lower the objective, so the iterate is the best image
    return opt.image().astype(np.float32), stop, opt.traces


# ----- L-BFGS-B through scipy ---------------------------------------------------------------------
class _ScipyLBFGS:
    """scipy's L-BFGS-B on [0, 255]: float64 state on the host, one compiled TF evaluation per call.

    Kept for comparison with :class:`_LBFGS` (``optimizer="lbfgs-scipy"``); each evaluation copies
    the image and its gradient between TensorFlow and numpy.
    """

    def __init__(self, objective: Objective, x0: np.ndarray, config: TransferConfig, log: _Log) -> None:
        self.objective, self.x0, self.config, self.log = objective, x0, config, log
        self.shape = (1,) + x0.shape
        self.traces = 0
        self.best, self.best_total = x0.copy(), np.inf
        self.last_losses: dict[str, float] = {}
        self.totals: list[float] = []
        self.value_and_grad = tf.function(  # no Python control flow inside
            self._value_and_grad, input_signature=[tf.TensorSpec(self.shape, tf.float32)], autograph=False
        )

    def _value_and_grad(self, x: tf.Tensor):
        self.traces += 1
        with tf.GradientTape() as tape:
            tape.watch(x)
            losses = self.objective.losses(x)
            total = self.objective.total(losses)
        return total, tape.gradient(total, x), losses

    def fun(self, flat: np.ndarray) -> tuple[float, np.ndarray]:
        """scipy's objective: value and float64 gradient; tracks the best point evaluated."""
        x = flat.reshape(self.shape).astype(np.float32)
        total, grad, losses = self.value_and_grad(tf.constant(x))
        total, grad = float(total), grad.numpy()
        if not (np.isfinite(total) and np.all(np.isfinite(grad))):
            raise NonFiniteError(_nonfinite_message(len(self.log.history)))
        self.last_losses = dict({k: float(v) for k, v in losses.items()}, total=total)
        if total < self.best_total:
            self.best, self.best_total = x[0].copy(), total
        return total, grad.astype(np.float64).ravel()

    def on_iteration(self, xk: np.ndarray) -> None:
        """scipy's callback: history row, user callback, convergence (StopIteration ends scipy's run cleanly)."""
        if self.log.step(self.last_losses, lambda: xk.reshape(self.x0.shape).astype(np.float32)):
            self.stop = "callback"
            raise StopIteration
        self.totals.append(self.last_losses["total"])
        if _converged(self.totals, self.config.tolerance):
            raise StopIteration

    def run(self, steps: int) -> tuple[np.ndarray, str, int]:
        from scipy.optimize import Bounds, minimize

        self.stop = "completed"
        try:
            minimize(
                self.fun, self.x0.astype(np.float64).ravel(), jac=True, method="L-BFGS-B",
                bounds=Bounds(0.0, 255.0), callback=self.on_iteration,
                options={"maxiter": steps, "maxfun": steps * 2, "maxcor": 10},
            )
        except KeyboardInterrupt:
            self.stop = "interrupted"
        except NonFiniteError as err:
            self.stop = str(err)
        # the lowest objective of every evaluated point: never worse than scipy's last iterate
        return self.best, self.stop, self.traces


def _run_scipy_lbfgs(objective: Objective, x0: np.ndarray, config: TransferConfig, steps: int, log: _Log):
    return _ScipyLBFGS(objective, x0, config, log).run(steps)


_RUNNERS = {"lbfgs": _run_lbfgs, "lbfgs-scipy": _run_scipy_lbfgs, "adam": _run_gradient, "seed": _run_gradient}


# ----- the loop ---------------------------------------------------------------------------------
@dataclasses.dataclass
class _Inputs:
    """The checked, loaded inputs of one run, in what the optimiser sees (grey in luminance mode)."""

    photo: np.ndarray
    content: np.ndarray
    styles: list[np.ndarray]
    masks: list[np.ndarray] | None
    init: np.ndarray | None
    callback: Callback | None


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
    :mod:`nst_helpers.controls`. Above 400 px (and without explicit ``scales``) the run goes
    coarse-to-fine by itself: see :func:`nst_helpers.config.stage_schedule`.

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
    both L-BFGS. The ``seed`` optimiser rescales every step by 1/std(gradient), which amplifies last-bit
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
    config, styles = arguments.check_transfer_call(
        content, style, config, callback=callback, init=init, extractor=extractor, masks=masks
    )
    inputs = _load_inputs(content, styles, config, masks, init, callback)
    quiet_retracing_hint()  # each run compiles its own step on purpose
    precision = resolve_precision(config.precision)
    extractor = extractor or build_extractor(config, precision)
    stages = stage_schedule(config)
    log = _Log(inputs.callback)
    start = time.perf_counter()
    image, objective, stop, traces = _optimise(inputs, config, extractor, stages, log)
    seconds = time.perf_counter() - start
    return Result(
        image=controls.color_output(image, inputs.photo, config.preserve_color),
        history=log.history,
        final_losses=evaluate(image, objective, config, precision),
        seconds=seconds,
        weights=extractor.weights.label,
        weights_description=extractor.weights.description,
        config=config,
        precision=precision,
        stop_reason=stop,
        traces=traces,
        stages=stages,
    )


def _load_inputs(content, styles: list, config: TransferConfig, masks, init, callback) -> _Inputs:
    """Load and check every input before any work; apply the colour control (what the optimiser sees)."""
    photo = imgs.load_image(content)
    style_imgs = [imgs.load_image(s) for s in styles]
    arguments.check_loaded_images(photo, style_imgs, init)
    n_masks = None if masks is None else len(controls.as_mask_list(masks))
    controls.check_style_options(config.style_blend, len(style_imgs), n_masks=n_masks)
    mask_imgs = None if masks is None else controls.load_masks(
        masks, n_styles=len(style_imgs), content_shape=photo.shape[:2], allow_uncovered=config.content_weight > 0
    )
    # colour control: grey images in luminance mode, recoloured paintings in histogram mode
    content_img, style_imgs = controls.color_inputs(photo, style_imgs, config.preserve_color)
    start = None if init is None else imgs.load_image(init)
    if config.preserve_color == "luminance":
        callback = _colored_callback(callback, photo)
        if start is not None:
            start = controls.gray3(controls.luminance(start))
    return _Inputs(photo, content_img, style_imgs, mask_imgs, start, callback)


def _optimise(inputs: _Inputs, config: TransferConfig, extractor: FeatureExtractor,
              stages: Sequence[tuple[int, int]], log: _Log) -> tuple[np.ndarray, Objective, str, int]:
    """Run the stages coarse to fine, each warm-started from the previous one's image."""
    image, stop, traces, objective = inputs.init, "completed", 0, None
    for scale, steps in stages:
        content_s = _resize(inputs.content, scale, config)
        imgs.check_min_size(content_s, name="content image")
        style_s = scaled_styles(inputs.styles, scale, config)
        masks_s = None if inputs.masks is None else controls.fit_masks(inputs.masks, content_s.shape[:2])
        objective = Objective(extractor, config, content_s, style_s, config.style_blend, masks=masks_s)
        x0 = _initial_image(config, content_s, style_s[0], image)
        log.scale = scale
        image, stop, n = _RUNNERS[config.optimizer](objective, x0, config, steps, log)
        traces += n
        if stop != "completed":
            break
    if stop == "callback" and len(log.history) >= sum(steps for _, steps in stages):
        stop = "completed"  # asked to stop as the last step ended: that cut nothing
    return image, objective, stop, traces


def scaled_styles(styles: Sequence[np.ndarray], scale: int, config: TransferConfig) -> list[np.ndarray]:
    """The style images for one scale: longest side ``scale * config.style_scale`` (at least 32 px).

    Raises:
        ImageError: a style image would be too small for VGG (raise ``style_scale``).
    """
    side = arguments.style_side(scale, config.style_scale)
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
        return callback(step, controls.recombine_luminance(image, cache[shape]), losses)

    return colored


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


def _nonfinite_message(step: int) -> str:
    return (
        f"stopped at step {step}: the loss or gradient became NaN/inf. Kept the best finite image. "
        "Likely causes: a huge learning rate or weight, or a blank (all-zero) image with gram_norm='none'."
    )
