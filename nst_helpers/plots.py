"""Figures and animations for the notebooks: this module only draws, it computes nothing.

Every ``show_*``/``plot_*`` function returns the :class:`matplotlib.figure.Figure` it drew,
so you can save it (``fig.savefig("out.png")``) or test it. In a notebook, end the
call with ``;`` (or assign it: ``fig = ...``) so Jupyter does not show it twice.

Images follow the package convention (see :mod:`nst_helpers.images`): float32
``(H, W, 3)`` RGB in ``[0, 255]``; ``(1, H, W, 3)`` batches of one and uint8 arrays
are accepted too.

Introduced in notebooks/00_setup_and_images.ipynb.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.animation as mpl_animation
import matplotlib.colors as mpl_colors
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .images import to_uint8

History = Sequence[Mapping[str, float]]


def _as_image(image: Any) -> np.ndarray:
    """Any package image (numpy, tensor, (1, H, W, 3), uint8) -> uint8 (H, W, 3) for imshow."""
    array = np.asarray(image)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 3 or array.shape[-1] != 3:
        raise ValueError(f"Expected an image of shape (H, W, 3) or (1, H, W, 3), got {array.shape}.")
    return array if array.dtype == np.uint8 else to_uint8(array)


def _grid(n: int, ncols: int | None, size: float, *, aspect: float = 1.0) -> tuple[Figure, np.ndarray]:
    """A figure with ``n`` axes in rows of ``ncols``; the unused cells of the last row are removed."""
    ncols = max(1, min(n, ncols or n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * aspect + 0.3), squeeze=False)
    for ax in axes.flat[n:]:
        ax.remove()
    return fig, axes.flat[:n]


def show_images(
    images: Sequence[Any] | Any,
    titles: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
    size: float = 3.0,
    suptitle: str | None = None,
) -> Figure:
    """Show images side by side (in rows of ``ncols``), without axes.

    Args:
        images: one image, a batch (N, H, W, 3), or a sequence of images, each (H, W, 3)
            or (1, H, W, 3), float in [0, 255] (rounded and clipped for display) or uint8.
        titles: one title per image (a string for a single image), or ``None``.
        ncols: images per row; ``None`` puts them all in one row.
        size: width of each panel in inches.
        suptitle: a title for the whole figure.

    Returns:
        The figure, one axes per image, each titled with its entry of ``titles``.

    >>> fig = show_images([np.zeros((8, 8, 3)), np.full((8, 8, 3), 255.0)], ["black", "white"])
    >>> [ax.get_title() for ax in fig.axes]
    ['black', 'white']
    """
    if not isinstance(images, (list, tuple)):
        array = np.asarray(images)  # one image (H, W, 3), or a batch (N, H, W, 3) as an array or tensor
        images = list(array) if array.ndim == 4 else [array]
    if isinstance(titles, str):
        titles = [titles]
    images = [_as_image(im) for im in images]
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"{len(titles)} titles for {len(images)} images: give one title per image.")
    aspect = max(im.shape[0] / im.shape[1] for im in images)
    fig, axes = _grid(len(images), ncols, size, aspect=aspect)
    for i, (ax, im) in enumerate(zip(axes, images, strict=False)):  # a grid may have spare axes
        ax.imshow(im)
        ax.set_axis_off()
        if titles is not None:
            ax.set_title(titles[i], fontsize=10)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_channels(
    image: Any,
    *,
    names: Sequence[str] = ("R", "G", "B"),
    title: str | None = None,
    size: float = 3.0,
    cmap: str = "gray",
) -> Figure:
    """Show each channel of an image (or of a preprocessed VGG input) in gray, with a colour bar.

    The colour bars show each channel's value range: 0..255 for a package image,
    roughly -124..152 after VGG preprocessing.

    Args:
        image: (H, W, 3) or (1, H, W, 3), any range (not clipped).
        names: one label per channel, e.g. ``("B", "G", "R")`` after preprocessing.
        title: figure title.
        size: width of each panel in inches.
        cmap: matplotlib colour map.

    Returns:
        The figure: 3 image axes titled by ``names``, plus one colour-bar axes each.
    """
    array = np.asarray(image, dtype=np.float32)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 3 or array.shape[-1] != len(names):
        raise ValueError(f"Expected (H, W, {len(names)}), got {array.shape}.")
    fig, axes = _grid(len(names), None, size, aspect=array.shape[0] / array.shape[1])
    for i, ax in enumerate(axes):
        shown = ax.imshow(array[..., i], cmap=cmap)
        ax.set_title(names[i])
        ax.set_axis_off()
        fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_feature_maps(
    features: Any,
    *,
    n: int = 16,
    channels: Sequence[int] | None = None,
    ncols: int = 8,
    size: float = 1.3,
    title: str | None = None,
    cmap: str = "viridis",
) -> Figure:
    """Show feature maps (channels of one layer's output) as a grid of small images.

    Each map gets its own colour scale (dark = 0, the ReLU's floor; bright = that
    map's maximum), so a weak map is as visible as a strong one.

    Args:
        features: (1, h, w, c) or (h, w, c), e.g. one value of a
            :class:`~nst_helpers.model.FeatureExtractor` result.
        n: show the first ``n`` channels (ignored if ``channels`` is given).
        channels: explicit channel indices to show.
        ncols: maps per row.
        size: width of each panel in inches.
        title: figure title (e.g. the layer name and shape).
        cmap: matplotlib colour map.

    Returns:
        The figure, one axes per map, titled with the channel index.
    """
    array = np.asarray(features, dtype=np.float32)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 3:
        raise ValueError(f"Expected feature maps (1, h, w, c) or (h, w, c), got {array.shape}.")
    picks = list(channels) if channels is not None else list(range(min(n, array.shape[-1])))
    fig, axes = _grid(len(picks), ncols, size, aspect=array.shape[0] / array.shape[1])
    for ax, c in zip(axes, picks, strict=False):  # spare axes of the grid stay empty
        ax.imshow(array[..., c], cmap=cmap, vmin=0.0, vmax=max(float(array[..., c].max()), 1e-6))
        ax.set_title(f"#{c}", fontsize=8)
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_gram(
    gram: Any,
    *,
    title: str | None = None,
    ax: Any = None,
    log: bool = True,
    max_channels: int | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    size: float = 3.5,
    cmap: str = "magma",
) -> Figure:
    """Show a Gram matrix as a heat map.

    Args:
        gram: (C, C), e.g. from :func:`nst_helpers.losses.gram_matrix`.
        title: axes title.
        ax: draw into this matplotlib axes (to put several Grams in one figure);
            ``None`` makes a new figure.
        log: logarithmic colour scale (Gram entries of ReLU features span several
            orders of magnitude; zeros are shown in the darkest colour).
        max_channels: show only the top-left ``max_channels x max_channels`` block.
        vmin, vmax: colour-scale limits; give the same to several heat maps to compare
            them (``None``: this matrix's own range; with ``log``, ``vmin`` defaults to
            ``vmax / 1e6``).
        size: figure width in inches (new figures only).
        cmap: matplotlib colour map.

    Returns:
        The figure holding the heat map (and its colour bar).
    """
    array = _gram_array(gram, max_channels)
    fig, ax = _target_axes(ax, (size, size * 0.85))
    shown = ax.imshow(array, cmap=cmap, norm=_gram_colour_scale(array, log=log, vmin=vmin, vmax=vmax),
                      interpolation="nearest")
    ax.set_xlabel("channel j")
    ax.set_ylabel("channel i")
    if title:
        ax.set_title(title, fontsize=10)
    fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
    return fig


def _gram_array(gram: Any, max_channels: int | None) -> np.ndarray:
    """A (C, C) float64 array, cut to its top-left ``max_channels`` block; ``ValueError`` if not square."""
    array = np.asarray(gram, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise ValueError(f"A Gram matrix is square (C, C); got shape {array.shape}.")
    return array if max_channels is None else array[:max_channels, :max_channels]


def _target_axes(ax: Any, figsize: tuple[float, float]) -> tuple[Figure, Any]:
    """``ax`` and its figure, or a new figure with one axes."""
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def _gram_colour_scale(array: np.ndarray, *, log: bool, vmin: float | None, vmax: float | None) -> mpl_colors.Normalize:
    """Linear, or logarithmic over at most six decades (zeros get the darkest colour)."""
    positive = array[array > 0]
    if not log or not (positive.size or vmax is not None):
        return mpl_colors.Normalize(vmin=vmin, vmax=vmax)
    top = vmax if vmax is not None else positive.max()
    if vmin is not None:
        bottom = vmin
    elif vmax is not None:
        bottom = top * 1e-6  # a fixed span, so heat maps given the same vmax share the whole scale
    else:
        bottom = max(positive.min(), top * 1e-6)
    return mpl_colors.LogNorm(vmin=bottom, vmax=top, clip=True)


def plot_losses(
    histories: History | Mapping[str, History],
    *,
    keys: Sequence[str] = ("total",),
    log: bool = True,
    ax: Any = None,
    title: str | None = None,
    size: tuple[float, float] = (6.0, 3.5),
) -> Figure:
    """Plot loss curves against the step number.

    Args:
        histories: one run's history (``Result.history``: a list of dicts with a
            ``"step"`` key and loss values), or ``{run_name: history}`` to compare runs.
        keys: which values to plot, e.g. ``("content", "style", "tv")``.
        log: logarithmic y axis (losses differ by orders of magnitude).
        ax: draw into this axes; ``None`` makes a new figure.
        title: axes title.
        size: figure size in inches (new figures only).

    Returns:
        The figure; one line per (run, key), labelled ``key`` or ``run: key``.
    """
    runs = dict(histories) if isinstance(histories, Mapping) else {"": histories}
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
    else:
        fig = ax.figure
    for run, history in runs.items():
        for key in keys:
            rows = [row for row in history if key in row]
            if not rows:
                continue
            steps = [row.get("step", i) for i, row in enumerate(rows)]
            label = f"{run}: {key}" if run else key
            ax.plot(steps, [row[key] for row in rows], label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("value" if len(keys) > 1 else keys[0])
    if title:
        ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


def animation(
    frames: Sequence[Any],
    *,
    interval: int = 100,
    titles: Sequence[str] | None = None,
    fmt: str = "gif",
    size: float = 3.0,
) -> bytes | str:
    """Turn a sequence of images into an animation.

    Args:
        frames: images (H, W, 3) in [0, 255], all the same size (e.g. what a
            ``transfer`` callback collected every few steps).
        interval: milliseconds per frame.
        titles: one caption per frame (e.g. ``"step 20"``), or ``None``.
        fmt: ``"gif"`` returns GIF bytes (show with
            ``IPython.display.Image(data=..., format="gif")``, or write to a ``.gif`` file);
            ``"html"`` returns a self-contained HTML player (show with ``IPython.display.HTML``).
        size: width in inches.

    Returns:
        GIF bytes or an HTML string.
    """
    if not len(frames):
        raise ValueError("No frames to animate.")
    if titles is not None and len(titles) != len(frames):
        raise ValueError(f"{len(titles)} titles for {len(frames)} frames: give one per frame.")
    if fmt not in ("gif", "html"):
        raise ValueError(f"fmt={fmt!r}: choose 'gif' or 'html'.")
    images = [_as_image(f) for f in frames]
    h, w = images[0].shape[:2]
    fig = Figure(figsize=(size, size * h / w + (0.35 if titles else 0.0)))
    ax = fig.add_axes((0.0, 0.0, 1.0, (h / w * size) / (h / w * size + (0.35 if titles else 0.0))))
    ax.set_axis_off()
    shown = ax.imshow(images[0])
    caption = fig.suptitle(titles[0] if titles else "", fontsize=10)

    def draw(i: int) -> list:
        shown.set_data(images[i])
        if titles:
            caption.set_text(titles[i])
        return [shown, caption]

    anim = mpl_animation.FuncAnimation(fig, draw, frames=len(images), interval=interval, blit=False)
    if fmt == "html":
        return anim.to_jshtml(default_mode="once")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "animation.gif")
        anim.save(path, writer=mpl_animation.PillowWriter(fps=max(1.0, 1000.0 / interval)), dpi=80)
        with open(path, "rb") as f:
            return f.read()



# ----- the algorithm at a glance ---------------------------------------------------------------
_BOX_COLOURS = {"image": "#dbe9f6", "net": "#e8e8e8", "feature": "#fdf0d5", "loss": "#f8d7da", "update": "#d8f0dc"}


def _diagram_texts(config: Any) -> dict[str, str]:
    """The labels of :func:`algorithm_diagram`, filled in from a :class:`TransferConfig`."""
    from .layers import paper_name

    content = ", ".join(paper_name(k) for k in config.content_layers) or "none"
    n_style = len(config.style_layers)
    style = (f"all {n_style} convolutions" if n_style == 13 and config.net == "vgg16"
             else ", ".join(paper_name(k) for k in config.style_layers) or "none")
    init = {"noise": "128 + U[0, 1) noise", "random": "U[0, 255) noise", "content": "the photo",
            "style": "the painting"}.get(config.init, str(config.init))
    step = {"seed": f"x ← clip(x − {config.step_size:g}/std(g) · g, 0, 255)",
            "adam": f"Adam step (lr {config.learning_rate:g}), clip to 0–255",
            "lbfgs": "L-BFGS step, x kept in 0–255"}[config.optimizer]
    return {
        "content": "photo\n(content image)",
        "generated": f"generated image x\n(starts as {init})",
        "style": "painting\n(style image)",
        "net": f"{config.net.upper()}\n(frozen, trained)\n\nRGB → BGR,\n− ImageNet means",
        "features": f"feature maps\nat {content}",
        "grams": f"Gram matrices\nG = BᵀB\nat {style}",
        "content_loss": "content loss\nMSE(F(x), F(photo))",
        "style_loss": "style loss\nmean over layers of\nMSE(G(x), G(painting))",
        "tv_loss": "denoise (TV) loss\nmean |neighbour differences|\nof x itself",
        "total": (f"L = {config.content_weight:g}·Lc + {config.style_weight:g}·Ls\n+ {config.tv_weight:g}·Ltv"
                  + ("\n\neach term divided by\nits own current value\n(the 1/loss weights)"
                     if config.adaptive else "")),
        "gradient": "gradient\ng = ∂L/∂x\n(tf.GradientTape)",
        "update": f"update\n{step}\nrepeat {config.steps} times",
    }


def _box(ax: Any, xy: tuple[float, float], text: str, kind: str, *, width: float = 0.15, height: float = 0.13) -> None:
    from matplotlib.patches import FancyBboxPatch

    x, y = xy
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.008",
                                facecolor=_BOX_COLOURS[kind], edgecolor="#555555", linewidth=1.0))
    ax.text(x, y, text, ha="center", va="center", fontsize=8)


def _arrow(ax: Any, start: tuple[float, float], end: tuple[float, float], *, colour: str = "#333333",
           curve: float = 0.0, label: str | None = None) -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(
        arrowstyle="-|>", color=colour, lw=1.3, shrinkA=0, shrinkB=0, connectionstyle=f"arc3,rad={curve}"))
    if label:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.02, label, ha="center", fontsize=7.5,
                color=colour)


def algorithm_diagram(config: Any = None, *, size: tuple[float, float] = (13.0, 6.0)) -> Figure:
    """Draw the whole style-transfer algorithm as boxes and arrows.

    Photo, painting and the generated image go through the frozen VGG; the photo's feature
    maps and the painting's Gram matrices are the targets; the three losses are weighted and
    summed; the gradient of that sum with respect to the generated image's pixels updates
    the image, and the loop repeats. The labels (layers, weights, step) come from ``config``.

    Args:
        config: a :class:`nst_helpers.config.TransferConfig`; ``None`` means the seed's recipe
            (``TransferConfig.seed_recipe()``: content conv3_1, all 13 convolutions for style,
            weights 2 / 9 / 0.4 with 1/loss scaling, step 10/std(grad)).
        size: figure size in inches.

    Returns:
        The figure.

    Introduced in notebooks/00_setup_and_images.ipynb.
    """
    from .config import TransferConfig

    texts = _diagram_texts(config or TransferConfig.seed_recipe())
    fig = Figure(figsize=size)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    for name, (xy, kind, width, height) in _DIAGRAM_LAYOUT.items():
        _box(ax, xy, texts[name], kind, width=width, height=height)
    _forward_arrows(ax)
    _backward_arrows(ax)
    ax.text(0.5, 0.97, "Style transfer: optimise the pixels of x, the network stays fixed", ha="center",
            fontsize=11, weight="bold")
    ax.text(0.5, 0.015, "black: forward pass (the targets of the photo and the painting are computed once); "
            "green: the gradient flows back to x's pixels", ha="center", fontsize=8, color="#444444")
    return fig


#: name -> ((x, y) centre, colour kind, width, height), in axes fractions.
_DIAGRAM_LAYOUT = {
    "content": ((0.08, 0.84), "image", 0.15, 0.12),
    "generated": ((0.08, 0.58), "image", 0.15, 0.12),
    "style": ((0.08, 0.32), "image", 0.15, 0.12),
    "net": ((0.27, 0.58), "net", 0.12, 0.46),
    "features": ((0.46, 0.84), "feature", 0.13, 0.12),
    "grams": ((0.46, 0.32), "feature", 0.13, 0.14),
    "content_loss": ((0.65, 0.84), "loss", 0.14, 0.12),
    "tv_loss": ((0.65, 0.58), "loss", 0.14, 0.12),
    "style_loss": ((0.65, 0.32), "loss", 0.14, 0.14),
    "total": ((0.88, 0.58), "loss", 0.15, 0.26),
    "gradient": ((0.88, 0.12), "update", 0.15, 0.11),
    "update": ((0.46, 0.12), "update", 0.3, 0.11),
}


def _forward_arrows(ax: Any) -> None:
    for y in (0.84, 0.58, 0.32):  # the three images into VGG
        _arrow(ax, (0.155, y), (0.21, 0.58 + (y - 0.58) * 0.6))
    _arrow(ax, (0.33, 0.7), (0.395, 0.83), label=None)
    _arrow(ax, (0.33, 0.46), (0.395, 0.33))
    _arrow(ax, (0.525, 0.84), (0.58, 0.84))
    _arrow(ax, (0.525, 0.32), (0.58, 0.32))
    _arrow(ax, (0.155, 0.55), (0.58, 0.56), colour="#888888", curve=0.35)
    ax.text(0.47, 0.455, "x's pixels (no network)", ha="center", fontsize=7.5, color="#888888")
    for y in (0.84, 0.58, 0.32):  # the three losses into the weighted sum
        _arrow(ax, (0.72, y), (0.805, 0.58 + (y - 0.58) * 0.35))


def _backward_arrows(ax: Any) -> None:
    green = "#1e7b34"
    _arrow(ax, (0.88, 0.45), (0.88, 0.175), colour=green)
    _arrow(ax, (0.805, 0.12), (0.61, 0.12), colour=green)
    _arrow(ax, (0.31, 0.12), (0.08, 0.52), colour=green, curve=-0.3)
    ax.text(0.13, 0.22, "new x: repeat", fontsize=8, color=green)
