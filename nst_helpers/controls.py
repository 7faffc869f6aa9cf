"""Controls beyond the 2015 algorithm: colour, blending, spatial masks and scale.

Gatys, Ecker, Bethge, Hertzmann and Shechtman (2017), "Controlling Perceptual
Factors in Neural Style Transfer", split a style into factors you can steer:

* **colour** - keep the photo's colours, either by transferring luminance only
  (:func:`luminance_only_inputs` + :func:`recombine_luminance`) or by recolouring
  the painting to the photo's colour statistics first (:func:`match_color_histogram`);
* **space** - give each region of the photo its own painting with guided Gram
  matrices (:func:`load_masks` here, :func:`nst_helpers.losses.guided_gram` with the other losses);
* **scale** - the style image's size relative to the photo (``TransferConfig.style_scale``)
  and coarse-to-fine optimisation (``TransferConfig.scales``), both run by
  :func:`nst_helpers.transfer.transfer`.

Blending several paintings (``TransferConfig.style_blend``) is a weighted sum of
their Gram matrices, done in :meth:`nst_helpers.transfer.Objective.blended_grams`.

Images follow the package convention (float32, (H, W, 3), RGB, 0-255; see
:mod:`nst_helpers.images`); masks are float32 (H, W) in [0, 1]. Everything here
is numpy/OpenCV (no TensorFlow), so the command line can check masks before loading a model.

Introduced in notebooks/07_beyond.ipynb.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from . import images as imgs
from .config import PRESERVE_COLORS
from .errors import ConfigError, ImageError

# ----- colour spaces ------------------------------------------------------------------------------
#: RGB -> (Y, Cr, Cb): ITU-R BT.601 full range, the JPEG convention (OpenCV's ``COLOR_RGB2YCrCb``).
#: Y is the luminance in [0, 255]; Cr and Cb are the red and blue colour differences, centred on 128.
RGB_TO_YCRCB = np.array(
    [
        [0.299, 0.587, 0.114],
        [0.5, -0.418688, -0.081312],
        [-0.168736, -0.331264, 0.5],
    ]
)
YCRCB_TO_RGB = np.linalg.inv(RGB_TO_YCRCB)
CHROMA_OFFSET = np.array([0.0, 128.0, 128.0])

#: ``method`` values of :func:`match_color_histogram`.
COLOR_MATCH_METHODS = ("pca", "cholesky")


def rgb_to_ycrcb(image: np.ndarray) -> np.ndarray:
    """Split an image into luminance and colour: RGB -> YCrCb (BT.601 full range, as JPEG).

    Args:
        image: float (H, W, 3) RGB in [0, 255].

    Returns:
        float32 (H, W, 3): Y in [0, 255], Cr and Cb in [0, 255] with 128 meaning "grey".

    >>> rgb_to_ycrcb(np.full((1, 1, 3), 200.0, np.float32)).round(3).tolist()
    [[[200.0, 128.0, 128.0]]]
    """
    image = np.asarray(image, np.float64)
    return (image @ RGB_TO_YCRCB.T + CHROMA_OFFSET).astype(np.float32)


def ycrcb_to_rgb(ycrcb: np.ndarray, *, clip: bool = True) -> np.ndarray:
    """Inverse of :func:`rgb_to_ycrcb`.

    Args:
        ycrcb: float (H, W, 3) Y, Cr, Cb.
        clip: clip the result to [0, 255] (a bright Y with a strong colour can leave the RGB cube).

    Returns:
        float32 (H, W, 3) RGB.
    """
    rgb = (np.asarray(ycrcb, np.float64) - CHROMA_OFFSET) @ YCRCB_TO_RGB.T
    return (np.clip(rgb, 0.0, 255.0) if clip else rgb).astype(np.float32)


def luminance(image: np.ndarray) -> np.ndarray:
    """The Y channel of an RGB image: float32 (H, W) in [0, 255]."""
    return rgb_to_ycrcb(image)[..., 0]


def gray3(y: np.ndarray) -> np.ndarray:
    """A luminance map (H, W) as a grey RGB image (H, W, 3): what VGG sees in luminance-only mode."""
    return np.repeat(np.asarray(y, np.float32)[..., None], 3, axis=-1)


def match_luminance(style: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The style's luminance, shifted and scaled to the content's mean and standard deviation.

    Gatys et al. (2017), section 5.1: without this, a dark painting would darken the
    photo, because its overall brightness is part of its Gram matrices.

    Args:
        style: (H, W, 3) RGB in [0, 255].
        content: (H', W', 3) RGB in [0, 255] (any size).

    Returns:
        float32 (H, W, 3) grey image (Y replicated), clipped to [0, 255].
    """
    ys, yc = luminance(style).astype(np.float64), luminance(content).astype(np.float64)
    scale = yc.std() / max(ys.std(), 1e-6)  # a flat style stays flat instead of dividing by zero
    return gray3(np.clip((ys - ys.mean()) * scale + yc.mean(), 0.0, 255.0))


def luminance_only_inputs(content: np.ndarray, styles: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Prepare a luminance-only transfer: the content's Y and each style's matched Y, as grey images.

    Args:
        content: (H, W, 3) RGB in [0, 255].
        styles: style images, (H_i, W_i, 3) RGB in [0, 255].

    Returns:
        ``(content_grey, [style_grey, ...])``, float32 (H, W, 3) grey images.
    """
    return gray3(luminance(content)), [match_luminance(s, content) for s in styles]


def recombine_luminance(generated: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The generated image's luminance with the content's colour (Cr, Cb).

    Args:
        generated: (H, W, 3) RGB in [0, 255], the output of a luminance-only transfer.
        content: the original colour photo; resized to (H, W) if needed.

    Returns:
        float32 (H, W, 3) RGB in [0, 255].
    """
    h, w = generated.shape[:2]
    if content.shape[:2] != (h, w):
        content = imgs.resize(content, (h, w))
    ycrcb = rgb_to_ycrcb(content)
    ycrcb[..., 0] = luminance(generated)
    return ycrcb_to_rgb(ycrcb)


# ----- colour histogram matching ------------------------------------------------------------------
def color_stats(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (3,) and covariance (3, 3) of an image's RGB pixels, in float64."""
    pixels = np.asarray(image, np.float64).reshape(-1, 3)
    return pixels.mean(axis=0), np.cov(pixels, rowvar=False, bias=True)


def _sym_sqrt(cov: np.ndarray, power: float) -> np.ndarray:
    """``cov ** power`` for a symmetric positive-definite matrix, through its eigen-decomposition."""
    values, vectors = np.linalg.eigh(cov)
    return (vectors * np.maximum(values, 1e-12) ** power) @ vectors.T


def color_transform(
    style: np.ndarray, content: np.ndarray, *, method: str = "pca", eps: float = 1e-3
) -> tuple[np.ndarray, np.ndarray]:
    """The linear map ``x -> A x + b`` giving the style's pixels the content's colour mean and covariance.

    Gatys et al. (2017), section 5.1: with means ``mu`` and covariances ``S``, any ``A`` with
    ``A S_style A^T = S_content`` works, and ``b = mu_content - A mu_style``.

    * ``"pca"`` (default; the "Image Analogies" colour matching the paper prefers):
      ``A = S_c^(1/2) S_s^(-1/2)`` with symmetric square roots from eigen-decompositions.
    * ``"cholesky"``: ``A = L_c L_s^(-1)`` with the Cholesky factors ``S = L L^T``.

    Args:
        style, content: (H, W, 3) RGB in [0, 255] (sizes may differ).
        method: ``"pca"`` or ``"cholesky"``.
        eps: added to both covariances' diagonals, so a grey (rank-1) painting still works.

    Returns:
        ``(A, b)``: float64 (3, 3) and (3,).
    """
    if method not in COLOR_MATCH_METHODS:
        raise ConfigError(f"method={method!r}: choose one of {', '.join(COLOR_MATCH_METHODS)}.")
    mu_s, cov_s = color_stats(style)
    mu_c, cov_c = color_stats(content)
    cov_s, cov_c = cov_s + eps * np.eye(3), cov_c + eps * np.eye(3)
    if method == "pca":
        a = _sym_sqrt(cov_c, 0.5) @ _sym_sqrt(cov_s, -0.5)
    else:
        a = np.linalg.cholesky(cov_c) @ np.linalg.inv(np.linalg.cholesky(cov_s))
    return a, mu_c - a @ mu_s


def match_color_histogram(
    style: np.ndarray, content: np.ndarray, *, method: str = "pca", clip: bool = True
) -> np.ndarray:
    """Recolour a painting with the photo's colours, before the transfer (``preserve_color="histogram"``).

    Matches the first two moments of the colour distribution (mean and covariance, see
    :func:`color_transform`), not every bin of the histogram: a linear recolouring keeps
    the painting's brush strokes and contrasts intact.

    Args:
        style: (H, W, 3) RGB in [0, 255]: the painting.
        content: (H', W', 3) RGB in [0, 255]: the photo whose colours to keep.
        method: ``"pca"`` (default) or ``"cholesky"``.
        clip: clip to [0, 255] (exact moments need ``clip=False``).

    Returns:
        float32 (H, W, 3): the recoloured painting.
    """
    a, b = color_transform(style, content, method=method)
    out = np.asarray(style, np.float64) @ a.T + b
    return (np.clip(out, 0.0, 255.0) if clip else out).astype(np.float32)


# ----- the colour step of a run -------------------------------------------------------------------
def color_inputs(
    content: np.ndarray, styles: Sequence[np.ndarray], mode: str
) -> tuple[np.ndarray, list[np.ndarray]]:
    """What the optimiser sees for ``TransferConfig.preserve_color == mode``.

    Args:
        content: (H, W, 3) RGB in [0, 255].
        styles: style images in the same convention.
        mode: ``"none"`` (unchanged), ``"luminance"`` (grey content and luminance-matched grey
            styles) or ``"histogram"`` (styles recoloured to the content's colour statistics).

    Returns:
        ``(content, styles)`` to optimise with; undo with :func:`color_output`.
    """
    if mode not in PRESERVE_COLORS:
        raise ConfigError(f"preserve_color={mode!r}: choose one of {', '.join(PRESERVE_COLORS)}.")
    if mode == "luminance":
        return luminance_only_inputs(content, styles)
    if mode == "histogram":
        return content, [match_color_histogram(s, content) for s in styles]
    return content, list(styles)


def color_output(image: np.ndarray, content: np.ndarray, mode: str) -> np.ndarray:
    """The final image for ``preserve_color == mode``: puts the photo's colour back in luminance mode."""
    return recombine_luminance(image, content) if mode == "luminance" else image


# ----- spatial control: masks ---------------------------------------------------------------------
#: A pixel is covered when the masks' values there add up to at least this (values in [0, 1]).
MASK_COVERED = 0.5
#: Fraction of pixels that may stay uncovered (anti-aliased seams between hand-drawn masks).
MASK_UNCOVERED_TOLERANCE = 0.005
#: Aspect ratios of a mask and the content may differ by this much (relative) before it is refused.
MASK_ASPECT_TOLERANCE = 0.05
_CHECK_SIDE = 512  # coverage is checked at most at this size: exact enough, and cheap for huge photos


def load_mask(source: imgs.ImageSource) -> np.ndarray:
    """Load a mask: any image :func:`nst_helpers.images.load_image` reads, white = inside.

    Args:
        source: a path, bytes, PIL image, or an array (H, W) of bools, floats in [0, 1] or
            values in [0, 255]; colour images are averaged to grey.

    Returns:
        float32 (H, W) in [0, 1].
    """
    return (imgs.load_image(source).mean(axis=-1) / 255.0).astype(np.float32)


def fit_masks(masks: Sequence[np.ndarray], shape: tuple[int, int]) -> list[np.ndarray]:
    """Resize masks to ``shape = (H, W)`` (area averaging when shrinking): float32 (H, W) in [0, 1]."""
    h, w = shape
    out = []
    for m in masks:
        m = np.asarray(m, np.float32)
        if m.shape != (h, w):
            method = cv2.INTER_AREA if h * w < m.size else cv2.INTER_LINEAR
            m = cv2.resize(m, (w, h), interpolation=method)
        out.append(np.clip(m, 0.0, 1.0).astype(np.float32))
    return out


def check_style_options(style_blend: Sequence[float] | None, n_styles: int, *, n_masks: int | None = None) -> None:
    """The rules tying style images, ``style_blend`` and masks together (no TensorFlow needed).

    Pure and constant-time (a few comparisons, no I/O): calling it again at another layer of a
    run costs nothing and gives the same answer, so each entry point may check for itself.

    Args:
        style_blend: the config's blend weights, or ``None``.
        n_styles: how many style images the run has.
        n_masks: how many masks were given, or ``None`` for no masks.

    Raises:
        ConfigError: a blend weight count or mask count that does not match the style images,
            or a blend together with masks.
    """
    if style_blend is not None and len(style_blend) != n_styles:
        raise ConfigError(
            f"style_blend (--style-blend) has {len(style_blend)} weights for {n_styles} style images: "
            "give one per image."
        )
    if n_masks is None:
        return
    if style_blend is not None:
        raise ConfigError(
            "style_blend (--style-blend) mixes styles everywhere; masks (--mask) give each style its own region: "
            "use one or the other."
        )
    if n_masks != n_styles:
        raise ConfigError(
            f"{n_masks} mask(s) for {n_styles} style image(s): give exactly one mask per style image, "
            "in the same order (white = where that style paints)."
        )


def check_masks(
    masks: Sequence[np.ndarray], *, n_styles: int, content_shape: tuple[int, int], allow_uncovered: bool = False
) -> None:
    """Raise a clear error unless the masks fit the content and give each style a region.

    Args:
        masks: float (H_i, W_i) in [0, 1], one per style image, in the same order.
        n_styles: how many style images the run has.
        content_shape: ``(H, W)`` of the content image.
        allow_uncovered: let pixels that no mask covers keep the photo ("paint only the sky").
            Only meaningful when the content loss is on: without it nothing would pull there.

    Raises:
        ConfigError: not one mask per style image.
        ImageError: a mask's aspect ratio differs from the content's; a mask is all black;
            or the masks together leave part of the content without a style.
    """
    check_style_options(None, n_styles, n_masks=len(masks))
    h, w = content_shape
    for i, m in enumerate(masks, 1):
        mh, mw = m.shape[:2]
        if abs((mw / mh) / (w / h) - 1.0) > MASK_ASPECT_TOLERANCE:
            raise ImageError(
                f"mask {i} is {mw}x{mh} px but the content is {w}x{h} px: draw each mask over the content photo "
                "so they have the same aspect ratio."
            )
    scale = min(1.0, _CHECK_SIDE / max(h, w))
    fitted = fit_masks(masks, (max(1, round(h * scale)), max(1, round(w * scale))))
    for i, m in enumerate(fitted, 1):
        if m.max() < MASK_COVERED:
            raise ImageError(
                f"mask {i} is (almost) all black: it gives style image {i} no region. White marks its region."
            )
    uncovered = float(np.mean(np.sum(fitted, axis=0) < MASK_COVERED))
    if uncovered > MASK_UNCOVERED_TOLERANCE and not allow_uncovered:
        raise ImageError(
            f"the masks leave {uncovered:.1%} of the content without a style (black in every mask), and with "
            "content weight 0 nothing would paint there: turn the content loss on (uncovered parts then keep "
            "the photo), extend the masks, or add a mask for the rest with a style image for it."
        )


def as_mask_list(sources: Any) -> list:
    """Mask sources as a list: a single path, bytes or array is one mask (for one style)."""
    if isinstance(sources, (str, bytes, np.ndarray)) or not isinstance(sources, Sequence):
        return [sources]
    return list(sources)


def load_masks(
    sources: Sequence[imgs.ImageSource], *, n_styles: int, content_shape: tuple[int, int], allow_uncovered: bool = False
) -> list[np.ndarray]:
    """Load one mask per style image and check them (see :func:`check_masks`).

    Args:
        sources: mask images (paths, arrays, ...), one per style image, in the same order.
        n_styles: number of style images.
        content_shape: ``(H, W)`` of the content image.
        allow_uncovered: see :func:`check_masks`.

    Returns:
        float32 masks (H_i, W_i) in [0, 1], at their own resolution (the transfer resizes them).

    Example:
        >>> left = np.zeros((48, 64)); left[:, :32] = 1
        >>> [m.shape for m in load_masks([left, 1 - left], n_styles=2, content_shape=(96, 128))]
        [(48, 64), (48, 64)]
    """
    masks = []
    for i, source in enumerate(as_mask_list(sources), 1):
        try:
            masks.append(load_mask(source))
        except ImageError as err:
            raise ImageError(f"mask {i}: {err}") from None
    check_masks(masks, n_styles=n_styles, content_shape=content_shape, allow_uncovered=allow_uncovered)
    return masks


def layer_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A mask at a feature map's resolution ``(h, w)``: each cell is the fraction of it inside the region."""
    return fit_masks([mask], shape)[0]


def guided_gram(features: Any, mask: Any, *, normalize: str = "hw") -> Any:
    """The masked Gram matrix; it lives in :func:`nst_helpers.losses.guided_gram` (kept here for old code).

    Imports TensorFlow when called, so this module stays usable before a model is loaded.
    """
    from . import losses

    return losses.guided_gram(features, mask, normalize=normalize)
