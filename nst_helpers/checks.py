"""Exercise checkers: run your function on small inputs and say how it compares.

Each ``check_*`` function calls your function on several small inputs (random
``tf.Tensor`` and float32 numpy inputs, plus edge cases such as a single pixel or an
all-zero map), compares what it returns with the package's own implementation
computed right now, prints a short verdict and returns ``True`` or ``False``:

* **exact**: the very same numbers;
* **close**: the same up to float32 rounding (the largest absolute and relative
  differences are printed);
* **wrong**: with a hint on the most likely mistake, found by comparing your result
  with typical wrong versions computed on the same inputs (wrong normalisation,
  ``B B^T`` instead of ``B^T B``, sum instead of mean, a missing direction, ...).

A crash in your function, including the ``NotImplementedError`` of an unfinished stub,
becomes a short message naming your line, not a traceback.

The functions you write, as the checkers call them:

==============================  ====================================================
checker                         your function
==============================  ====================================================
``check_gram_matrix``           ``fn(features) -> (C, C)``
``check_content_loss``          ``fn(features, target) -> scalar``
``check_style_loss``            ``fn(features, target_gram) -> scalar``
``check_total_variation_loss``  ``fn(image) -> scalar``
``check_feature_extractor``     ``fn(vgg, layer_names) -> extract``, then
                                ``extract(image) -> [features, ...]``
``check_seed_step``             ``fn(image, grad, step_size) -> new image``
``check_transfer_loop``         ``fn(content, style, init, steps) -> image``
``check_adam_loop``             ``fn(content, style, init, steps) -> image`` (Adam)
==============================  ====================================================

Checked tweak experiments take a setting, not a function: they run it in quick mode (64 px,
20 steps) next to the default and measure both with one fixed yardstick
(:func:`check_style_layers_choice`, :func:`check_weight_change`, :func:`check_bigger_strokes`,
:func:`check_init_choice`). A do-nothing answer fails; the message says what moved.

Every message lives in :data:`MESSAGES` (English) and in a table of the same keys per language
(:data:`LANGUAGES`): ``set_language("vi")``, or ``NST_LANG=vi`` in the environment, makes the checkers
speak Vietnamese.

Inputs are always batched, as everywhere in the course: feature maps are
``(1, H, W, C)`` float32 and images ``(1, H, W, 3)`` RGB in [0, 255] float32, given
both as ``tf.Tensor`` and as numpy arrays. Scalars may come back as a 0-d tensor,
a numpy number or a Python float.

For :func:`check_feature_extractor`, ``vgg`` is a ``keras.Model``: VGG16's 13
convolutions and 4 poolings (``nst.model.build_vgg("vgg16")``) with trained weights
loaded (:func:`load_vgg`). It expects *preprocessed* input (BGR minus the ImageNet
means, :func:`nst_helpers.model.preprocess`); its layers have Keras names such as
``"block3_conv1"`` (``vgg.get_layer(name).output``). ``layer_names`` is a list of such
names; ``extract(image)`` gets an RGB 0-255 ``(1, H, W, 3)`` image and returns one
``(1, h, w, c)`` feature map per name, in the order of ``layer_names``.

Introduced in notebooks/01_feature_extraction.ipynb, notebooks/02_gram_matrices.ipynb,
notebooks/03_losses.ipynb and notebooks/04_transfer_loop.ipynb.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import messages_vi
from .errors import ConfigError

__all__ = [
    "check_gram_matrix",
    "check_seed_step",
    "check_preprocess",
    "check_shape_prediction",
    "check_content_loss",
    "check_style_loss",
    "check_total_variation_loss",
    "check_feature_extractor",
    "check_transfer_loop",
    "check_adam_loop",
    "check_style_layers_choice",
    "check_weight_change",
    "check_bigger_strokes",
    "check_init_choice",
    "stroke_width",
    "load_vgg",
    "MESSAGES",
    "LANGUAGES",
    "message",
    "set_language",
    "get_language",
]

#: "close" means: largest absolute difference <= ATOL + RTOL * largest |reference value|.
RTOL, ATOL = 1e-4, 1e-6
#: Looser tolerance for recognising a typical wrong version (it may be computed another way).
HINT_RTOL = 1e-3


#: Every checker message, in English, in one place. Other languages are tables of the same keys
#: (:data:`LANGUAGES`; Vietnamese in :mod:`nst_helpers.messages_vi`); the checkers look every text up
#: with :func:`message`. ``{name}`` fields are filled in with ``str.format``.
MESSAGES: dict[str, str] = {
    # every checker: which input, verdicts, crashes, unreadable results
    "where": "input {i}/{n} ({label})",
    "where_layers": "input {i}/{n} ({label}, layer_names={layers})",
    "where_start": "start {i}/2 ({label}, {steps} steps)",
    "label": "{kind}, shape {shape}",
    "with_target": "{label} and target",
    "with_gram_target": "{label} and a (C, C) target",
    "in_tensor": "random tf.Tensor",
    "in_numpy": "random numpy array",
    "in_tensors": "random tf.Tensors",
    "in_numpys": "random numpy arrays",
    "in_two_tensors": "two random tf.Tensors",
    "in_two_numpys": "two random numpy arrays",
    "in_pixel": "single pixel",
    "in_zeros": "all zeros",
    "in_relu": "non-negative (like ReLU output)",
    "in_identical": "identical maps (loss 0)",
    "in_zeros_ones": "zeros vs ones",
    "in_same_style": "same map as the style (loss 0)",
    "in_zero_map": "all-zero map",
    "in_flat": "flat grey image (loss 0)",
    "in_hstripes": "horizontal stripes",
    "in_vstripes": "vertical stripes",
    "in_2x2": "smallest image, 2 x 2",
    "in_leaves": "a step that leaves [0, 255]",
    "in_rgb_random": "a random RGB image",
    "in_rgb_grey": "a flat grey image",
    "in_rgb_orange": "a flat orange image (R > G > B)",
    "in_tiny": "tiny gradients, step 2",
    "start_photo": "the photo as start",
    "start_noise": "the seed's start, 128 + U[0, 1) noise",
    "bad_normalize": "normalize={normalize!r}: choose one of {choices}.",
    "norm_none": "not normalised: the plain sum over positions",
    "norm_hw": "divided by H*W, the number of positions",
    "norm_chw": "divided by C*H*W, the number of elements",
    "norm_paper": "divided by 2*H*W",
    "raised": "your function raised {kind}: {message}",
    "raised_at": "at {where}",
    "line_of": "line {line} of {name}(): {code}",
    "not_callable": "pass your function itself (no parentheses), not a {kind}.",
    "shape_none": ("no prediction yet: write your prediction first (e.g. my_prediction = (height, width, 3)), "
                   "then run this check again."),
    "shape_right": "✅ {title}: right, the shape is {actual}.",
    "shape_wrong": "you predicted {prediction}; the shape is {actual}.",
    "shape_hint": ("a shape is (height, width, channels); with max_size the longest side becomes max_size and "
                   "the other keeps the ratio (rounded)."),
    "stopped_on": "stopped on {where}.",
    "wrong_on": "wrong on {where}.",
    "cannot_check": "cannot check.",
    "hint": "Hint: {hint}",
    "ok_exact": "✅ {title}: correct on all {n} inputs (exact).",
    "ok_close": ("✅ {title}: correct on all {n} inputs (close: max abs difference {max_abs:.2g}, max relative "
                "difference {max_rel:.2g}: float32 rounding)."),
    "not_implemented": ("not implemented yet: replace `raise NotImplementedError` with your code, run that cell, then "
                       "run this check again."),
    "returned_none": "your function returned None: did you forget the `return` statement?",
    "returned_container": "your function returned a {kind}; return one tensor.",
    "unreadable": "could not read your result ({kind}) as numbers: {error}",
    "numpy_input": ("this input is a numpy array, not a tf.Tensor: convert it first, e.g. x = "
                   "tf.convert_to_tensor(x, tf.float32)."),
    "not_scalar": "a loss is one number, but you returned shape {shape}: reduce over every axis.",
    "nan_hint": ("your result contains NaN or inf. Divide only by sizes (H, W, C), never by values computed "
                "from the data, which can be 0."),
    "axes_hint": "check which axes you reshape and multiply.",
    "formula_hint": "compare your formula with the one in the text above, term by term.",
    "shape_differs": "expected shape {expected}, your result has shape {got}.",
    "has_nan": "your result contains NaN or inf.",
    "scalar_differs": "expected {expected:.6g}, got {got:.6g}.",
    "values_differ": ("values differ: max abs difference {max_abs:.3g}, max relative difference {max_rel:.3g}."),
    "extract_dict": "your extractor returned a dict; return a list of tensors in the order of layer_names.",
    "extract_kind": "your extractor returned a {kind}; return a list of tensors, one per layer.",
    "extract_count": "your extractor returned {got} feature maps for {n} layer names: one per name.",
    "output_for": "output {index} (for {layer!r}): {detail}",
    "also": " Also: ",
    "extract_not_callable": ("your function returned a {kind}; it must return a function (or a keras.Model) "
                             "that takes an image."),
    # typical mistakes of the function checkers
    "seed_1": "you forgot to clip to [0, 255]: pixels must stay valid colours.",
    "seed_2": "you moved up the gradient: subtract it to go downhill.",
    "seed_3": ("you divided by max|grad| (the blog's first formula); this step divides by std(grad)."),
    "seed_4": "you multiplied by std(grad) instead of dividing by it.",
    "seed_5": ("you used the raw gradient times step_size: without dividing by std(grad) the step depends on "
              "the loss's scale."),
    "seed_6": ("you moved every pixel by exactly step_size (the sign of the gradient); scale the gradient by "
              "step_size / std(grad) instead."),
    "pre_mutates": ("it changed its input: `image` must stay as it was (this is the trap of Keras' "
                    "preprocess_input); compute on a copy, e.g. `image[..., ::-1] - means` builds a new array."),
    "pre_1": "you subtracted the means but kept RGB order: flip the last axis first (image[..., ::-1]).",
    "pre_2": "you flipped RGB to BGR but did not subtract the ImageNet means (103.939, 116.779, 123.68).",
    "pre_3": ("you subtracted the means in RGB order (123.68, 116.779, 103.939) after flipping: "
              "the means are given for B, G, R."),
    "pre_4": "you scaled to 0-1 (divided by 255): VGG16's Caffe weights expect 0-255 values minus the means.",
    "pre_5": "you added the means: subtract them.",
    "difference_1": ("you summed the squared differences; the loss is their mean (average over all elements)."),
    "difference_2": "you averaged absolute differences (L1); square the differences instead.",
    "difference_3": ("you averaged the differences without squaring them, so positive and negative errors cancel."),
    "difference_4": ("you took a square root (RMSE or a norm); the loss is the mean squared difference, no root."),
    "difference_6": ("you squared the mean difference; square each difference first, then take the mean."),
    "difference_7": "you halved the mean squared difference; drop the factor 1/2.",
    "difference_8": ("that is the paper's 1/2 * sum of squares; here the loss is the mean of the squared "
                    "differences (no 1/2, average over all elements)."),
    "difference_9": "you divided by H*W only; average over every element, channels too (H*W*C).",
    "tv_1": ("a direction is missing: you only used vertical differences (between rows); add the "
            "horizontal ones (between columns)."),
    "tv_2": ("a direction is missing: you only used horizontal differences (between columns); add the "
            "vertical ones (between rows)."),
    "tv_3": "you squared the differences; this loss uses their absolute values (L1).",
    "tv_4": ("you summed the absolute differences (like tf.image.total_variation); this loss takes the "
            "mean of each direction."),
    "tv_5": ("you summed both directions and divided once by the number of pixels; take the mean of each "
            "direction separately, then add the two means."),
    "tv_6": "you averaged the two directions; add the two means instead.",
    "tv_7": "you forgot the absolute value: positive and negative differences cancel.",
    "tv_8": ("you treated the image as channels-first (1, 3, H, W): some differences were taken between "
            "colour channels. Images here are (1, H, W, 3): rows are axis 1, columns axis 2."),
    "tv_9": ("you took differences between colour channels (axis 3) instead of between columns (axis 2). "
            "Images here are (1, H, W, 3)."),
    "gram_bbt": ("you computed B B^T (position by position, shape (H*W, H*W)). The Gram matrix is B^T B: "
                 "channel by channel, shape (C, C)."),
    "gram_scrambled": ("reshaping the (1, H, W, C) map straight to (C, H*W) scrambles positions and channels: "
                       "reshape keeps memory order, it does not move axes. Reshape to (H*W, C), then take B^T B."),
    "gram_channels_first": ("you took the number of channels from axis 1 (channels-first, PyTorch's (N, C, H, W)). "
                            "Keras feature maps are channels-last, (1, H, W, C): channels are the last axis."),
    "gram_batch_kept": ("right numbers, but you kept the batch axis: return shape (C, C), not (1, C, C) "
                        "(reshape to (H*W, C) first)."),
    "gram_diagonal": ("you computed only the diagonal: B * B is an element-wise product. The Gram matrix needs "
                      "the matrix product B^T B."),
    "gram_norm": ("wrong normalisation: your Gram matrix is {yours}, but this exercise asks for "
                  "normalize={asked!r} ({asked_words})."),
    "gram_by_c": ("wrong normalisation: you divided by the number of channels C; this exercise asks for "
                  "normalize={asked!r} ({asked_words})."),
    "gram_paper_factor": ("wrong normalisation: the paper's 1/(4 N^2 M^2) belongs to the style loss, not to the "
                          "Gram matrix; this exercise asks for normalize={asked!r} ({asked_words})."),
    "style_norm": ("wrong Gram normalisation: your Gram matrix of `features` is {yours}, but the target uses "
                   "normalize={asked!r} ({asked_words}): compare like with like."),
    "style_paper_factor": ("the paper's 1/(4 N^2 M^2) * sum of squares; this exercise uses the plain mean of the "
                           "squared differences between the two Gram matrices."),
    "style_gram_twice": ("`target_gram` already is a Gram matrix: compare your Gram matrix with it directly, do not "
                         "take its Gram matrix again."),
    "style_scrambled": ("your Gram matrix is wrong: reshaping (1, H, W, C) straight to (C, H*W) scrambles positions "
                        "and channels. Reshape to (H*W, C), then take B^T B."),
    "prep_none": ("you fed the raw RGB 0-255 image to VGG: preprocess it first (RGB -> BGR and subtract the "
                 "ImageNet means, nst.model.preprocess)."),
    "prep_rgb_means": ("you subtracted the ImageNet means but kept RGB order: VGG was trained on BGR images, so "
                      "flip the channel axis too (nst.model.preprocess does both)."),
    "prep_no_flip": ("you subtracted the ImageNet means but did not flip RGB to BGR (nst.model.preprocess does "
                    "both)."),
    "prep_flip_only": "you flipped RGB to BGR but did not subtract the ImageNet means.",
    "prep_scaled": "you scaled the image to [0, 1]; VGG here takes 0-255 values, preprocessed.",
    "prep_scaled_then": "you divided by 255 before preprocessing; keep the 0-255 range.",
    "prep_twice": ("you preprocessed twice: once is enough (does your extractor preprocess, and you again "
                  "before calling it?)."),
    "layer_order": ("output {index} holds {layer!r} but {asked!r} was asked for at that position: return the "
                    "feature maps in the order of layer_names."),
    "layer_pool": "output {index} is the pooling layer {layer!r}; take the convolution {asked!r} itself.",
    "layer_wrong": ("wrong layer: output {index} comes from {layer!r} ({paper}), "
                    "but {asked!r} ({asked_paper}) was asked for."),
    # check_transfer_loop
    "loop_ok": ("✅ {title}: your loop paints the same images as the package's run from both starts "
                "(max difference {diff:.2g} grey levels: float rounding)."),
    "loop_differs": ("your image differs from the package's by up to {max:.3g} grey levels (mean {mean:.3g}). "
                     "Your image moved {moved:.3g} grey levels on average from the start, the package's "
                     "{ref_moved:.3g}; your pixels range from {low:.4g} to {high:.4g}."),
    "loop_tuple": "your loop returned a {kind}; return only the image.",
    "loop_shape": "your loop returned shape {got}; return the image, shape (1, {h}, {w}, 3) or ({h}, {w}, 3).",
    "loop_nan": "your image contains NaN or inf: is a loss 0 where you divide by it? Add 1e-10 (the seed's eps).",
    "loop_returned_init": ("you returned the start image unchanged: update the image inside the loop "
                           "(x = x - rate * grad, or x.assign(...)) and return the updated one."),
    "loop_sign": "you moved up the gradient: subtract rate * grad to make the loss smaller.",
    "loop_no_adaptive": ("you left out the 1/loss weights: divide each loss by its own current value "
                         "(held constant: tf.stop_gradient) before the weights 2, 9 and 0.4."),
    "loop_targets_from_image": ("you computed the targets from the image being painted: take the content "
                                "features from the photo and the Gram matrices from the painting, once, "
                                "before the loop."),
    "loop_no_preprocessing": ("you fed VGG raw RGB 0-255 pixels: preprocess first (RGB -> BGR and subtract "
                              "the ImageNet means, nst.model.preprocess)."),
    "loop_no_flip": "you subtracted the ImageNet means but did not flip RGB to BGR (nst.model.preprocess does both).",
    "loop_rgb_means": ("you subtracted the means in RGB order: VGG wants BGR minus (103.939, 116.779, 123.68) "
                       "(nst.model.preprocess)."),
    "loop_gram_hw": ("your Gram matrices are divided by H*W (or 2*H*W: the same here, the 1/loss weights cancel "
                     "a common factor); the seed's are the plain sum B^T B."),
    "loop_gram_chw": "your Gram matrices are divided by C*H*W; the seed's are the plain sum B^T B.",
    "loop_layer_block4_conv2": "wrong content layer: you used conv4_2 (the paper's); the seed uses conv3_1.",
    "loop_layer_block4_conv1": ("wrong content layer: you used conv4_1; "
                                "the seed's layer index 4 counts from 0: conv3_1."),
    "loop_layer_block2_conv2": ("wrong content layer: you used conv2_2 (the 4th convolution counting from 1); "
                                "the seed's index 4 counts from 0: conv3_1."),
    "loop_layer_block3_conv2": "wrong content layer: you used conv3_2; the seed uses conv3_1.",
    "loop_layer_block5_conv1": "wrong content layer: you used conv5_1; the seed uses conv3_1.",
    "loop_paper_style_layers": ("you used the paper's 5 style layers; "
                                "the seed takes Gram matrices of all 13 convolutions."),
    "loop_tv_squared": "your denoise loss squares the differences; the seed's takes their absolute values (L1 mean).",
    "loop_no_clip": "you forgot to clip the image to [0, 255] after each step.",
    "loop_max_step": "you divided the step by max|grad|; this recipe divides by std(grad).",
    "loop_adam_sign": "you moved up the gradient: give Adam the gradient itself (apply_gradients minimises).",
    "loop_new_optimizer": ("you created a new Adam optimiser inside the loop: it forgets its running averages "
                           "every step. Create it once, before the loop."),
    "loop_adam_rate": "Adam's learning rate is too small: use 5.0 (pixels are on the 0-255 scale, not 0-1).",
    "loop_seed_step": "you used the seed's 10/std(grad) step; this exercise steps with Adam (apply_gradients).",
    "loop_steps_off": "your loop ran one step too many or too few: do exactly `steps` updates.",
    "loop_generic": ("none of the typical mistakes explains it. Check, in order: the targets (once, before the loop), "
                     "the three losses, the 1/loss weights, the gradient of the weighted sum, the step "
                     "10 / (std(grad) + 1e-8), the clipping. Test each piece with its own checker first."),
    # tweak experiments
    "tweak_ok": "✅ {title}: goal met. {numbers}",
    "tweak_fail": "❌ {title}: goal not met yet. {numbers}",
    "tweak_bad_config": "this setting cannot run: {error}",
    "tweak_not_config": "pass a TransferConfig (e.g. nst.TransferConfig.default(...)), not a {kind}.",
    "layers_numbers": ("Fine-texture gap {texture:.3g} (default layers: {base_texture:.3g}); large-shape gap "
                       "{shapes:.3g} (default layers: {base_shapes:.3g})."),
    "layers_no_texture": ("the fine texture did not move towards the painting: include the shallow layers "
                          "(conv1_1, conv2_1), whose small receptive fields see colours and small marks."),
    "layers_shapes": ("the large shapes moved towards the painting as much as with the default layers: leave out "
                      "the deep layers (conv3_1 and deeper), whose large receptive fields see whole shapes."),
    "nothing": "nothing",
    "weights_one": ("change exactly one of content_weight, style_weight, tv_weight and nothing else "
                    "(you changed: {changed})."),
    "weights_numbers": ("With your {name}: content distance {content:.3g} (default: {base_content:.3g}), style gap "
                        "{style:.3g} (default: {base_style:.3g}, the photo itself: {photo_style:.3g})."),
    "weights_content": ("the content distance did not halve: give the content loss more pull relative to the style "
                        "loss (raise content_weight, or lower style_weight), by a larger factor."),
    "weights_not_stylised": ("the content distance fell, but the result is barely stylised any more: "
                             "change the weight by a smaller factor."),
    "strokes_numbers": "Stroke width {width:.3g} px with style_scale={scale:g} (default: {base:.3g} px).",
    "strokes_small": ("the strokes did not grow: style_scale above 1 shows VGG a bigger painting, so its "
                      "strokes cover more pixels (try 2 or 3)."),
    "init_numbers": "Layout kept (correlation with the photo's brightness): {layout:.2f} with init={init!r}.",
    "init_lost": ("after so few steps the start image still dominates: start from the photo itself "
                  "(init='content') to keep its layout."),
}

#: The checkers' languages: code -> table of every key of :data:`MESSAGES`.
LANGUAGES: dict[str, dict[str, str]] = {"en": MESSAGES, "vi": messages_vi.MESSAGES}
#: The environment variable that chooses the language when :func:`set_language` was not called.
LANGUAGE_ENV = "NST_LANG"
_chosen: list[str] = []  # set_language's choice (empty: read LANGUAGE_ENV at each message)


def set_language(language: str | None) -> None:
    """Choose the language of every checker message from now on, e.g. ``set_language("vi")``.

    Args:
        language: ``"en"`` or ``"vi"`` (case and a region such as ``"vi_VN"`` are ignored), or
            ``None`` to go back to the ``NST_LANG`` environment variable (English when unset).

    Raises:
        ConfigError: for a language without a table; the message lists the ones there are.
    """
    _chosen.clear()
    if language is not None:
        _chosen.append(_language_code(language, "set_language"))


def get_language() -> str:
    """The language checker messages are in: :func:`set_language`'s choice, else ``NST_LANG``, else ``"en"``.

    Raises:
        ConfigError: if ``NST_LANG`` names a language without a table.
    """
    if _chosen:
        return _chosen[0]
    value = os.environ.get(LANGUAGE_ENV, "").strip()
    return _language_code(value, LANGUAGE_ENV) if value else "en"


def _language_code(language: str, where: str) -> str:
    """``"vi"`` from ``"vi"``, ``"VI"`` or ``"vi_VN.UTF-8"``; a :class:`ConfigError` (in both languages) if unknown."""
    code = re.split(r"[-_.]", str(language).strip().lower())[0]
    if code not in LANGUAGES:
        how = "call set_language with" if where == "set_language" else f"set {LANGUAGE_ENV} to"
        choices = " or ".join(repr(k) for k in LANGUAGES)
        raise ConfigError(f"{where}: no checker messages in {language!r}; {how} {choices} (Vietnamese is 'vi', "
                          f"English 'en'). / Không có thông báo bằng {language!r}; hãy dùng 'vi' (tiếng Việt) "
                          "hoặc 'en' (tiếng Anh).")
    return code


def message(key: str, /, **fields: Any) -> str:
    """The checker message ``key`` in the current language (:func:`get_language`), ``fields`` filled in.

    Every text a checker prints goes through here. A key missing from a translation falls back to
    English (tests/test_i18n.py keeps the tables complete).

    >>> message("hint", hint="...")
    'Hint: ...'
    """
    table = LANGUAGES[get_language()]
    return table.get(key, MESSAGES[key]).format(**fields)


#: The Gram normalisations the checkers know (their words are the messages ``norm_<name>``).
_NORMS = ("none", "hw", "chw", "paper")


def _norm_words(name: str) -> str:
    return message(f"norm_{name}")


# ----- the checkers ----------------------------------------------------------------------------
def check_gram_matrix(fn: Callable[[Any], Any], *, normalize: str = "none") -> bool:
    """Check ``fn(features) -> gram``.

    Args:
        fn: your function. It receives a (1, H, W, C) float32 feature map (a ``tf.Tensor``
            or a numpy array) and returns the (C, C) Gram matrix ``B^T B`` where ``B`` is the
            map reshaped to (H*W, C).
        normalize: the normalisation the exercise asks for: ``"none"`` (the seed's plain
            sum), ``"hw"`` (divide by H*W), ``"chw"`` (by C*H*W) or ``"paper"`` (by 2*H*W).

    Returns:
        True if your function matches :func:`nst_helpers.losses.gram_matrix` on every input.
    """
    _check_norm(normalize)
    rng = np.random.default_rng(2)
    inputs = [
        ("in_tensor", _tensor(rng.normal(size=(1, 4, 5, 3)))),
        ("in_numpy", _f32(rng.normal(size=(1, 3, 2, 4)))),
        ("in_pixel", _tensor(rng.normal(size=(1, 1, 1, 5)))),
        ("in_zeros", _f32(np.zeros((1, 2, 3, 2)))),
        ("in_relu", _tensor(rng.random((1, 6, 6, 8)))),
    ]
    cases = [_Case(_label(name, x), (x,), _ref_gram(x, normalize), _gram_variants(x, normalize)) for name, x in inputs]
    return _run("check_gram_matrix", fn, cases)


def check_content_loss(fn: Callable[[Any, Any], Any]) -> bool:
    """Check ``fn(features, target) -> scalar``: the mean squared difference of two feature maps.

    Args:
        fn: your function. It receives two (1, H, W, C) float32 feature maps (``tf.Tensor``
            or numpy) and returns one number: the mean over all H*W*C elements of the squared
            differences (the seed's content loss for one layer).

    Returns:
        True if your function matches the package's content loss on every input.
    """
    rng = np.random.default_rng(3)
    a = rng.normal(size=(1, 4, 5, 3))
    inputs = [
        ("in_two_tensors", _tensor(a), _tensor(rng.normal(size=a.shape))),
        ("in_two_numpys", _f32(rng.normal(size=(1, 3, 6, 2))), _f32(rng.normal(size=(1, 3, 6, 2)))),
        ("in_identical", _tensor(a), _tensor(a)),
        ("in_zeros_ones", _tensor(np.zeros((1, 2, 2, 4))), _tensor(np.ones((1, 2, 2, 4)))),
        ("in_pixel", _tensor(rng.normal(size=(1, 1, 1, 3))), _tensor(rng.normal(size=(1, 1, 1, 3)))),
    ]
    cases = [
        _Case(message("with_target", label=_label(name, x)), (x, t), _ref_content(x, t),
              _difference_variants(_np(x) - _np(t)))
        for name, x, t in inputs
    ]
    return _run("check_content_loss", fn, cases, scalar=True)


def check_style_loss(fn: Callable[[Any, Any], Any], *, normalize: str = "none") -> bool:
    """Check ``fn(features, target_gram) -> scalar`` for one layer.

    Args:
        fn: your function. It receives a (1, H, W, C) float32 feature map of the generated
            image and the (C, C) Gram matrix of the style image (already computed with the
            same normalisation), and returns one number: the mean squared difference between
            the Gram matrix of ``features`` and ``target_gram``.
        normalize: the Gram normalisation the exercise asks for (see :func:`check_gram_matrix`).

    Returns:
        True if your function matches the package's style loss on every input.
    """
    _check_norm(normalize)
    rng = np.random.default_rng(4)
    inputs = [  # the style map has another size on purpose: Gram matrices do not depend on H, W
        ("in_tensor", _tensor(rng.normal(size=(1, 4, 5, 3))), rng.normal(size=(1, 6, 3, 3))),
        ("in_numpy", _f32(rng.random((1, 3, 3, 4))), rng.random((1, 5, 4, 4))),
        ("in_same_style", _tensor(np.full((1, 2, 3, 2), 0.5)), np.full((1, 2, 3, 2), 0.5)),
        ("in_zero_map", _tensor(np.zeros((1, 3, 2, 3))), rng.random((1, 2, 2, 3))),
        ("in_pixel", _tensor(rng.normal(size=(1, 1, 1, 4))), rng.normal(size=(1, 2, 2, 4))),
    ]
    cases = []
    for name, x, style in inputs:
        target = _ref_gram(_f32(style), normalize).astype(np.float32)
        target_in = _tensor(target) if _is_tensor(x) else target
        expected = _ref_style(x, target_in, normalize)
        cases.append(_Case(message("with_gram_target", label=_label(name, x)), (x, target_in), expected,
                           _style_variants(_np(x), target, normalize)))
    return _run("check_style_loss", fn, cases, scalar=True)


def check_total_variation_loss(fn: Callable[[Any], Any]) -> bool:
    """Check ``fn(image) -> scalar``: the seed's total-variation ("denoise") loss.

    Args:
        fn: your function. It receives a (1, H, W, 3) float32 image in [0, 255] (``tf.Tensor``
            or numpy) and returns mean |vertical differences| + mean |horizontal differences|
            (differences of neighbouring pixels, each direction averaged on its own).

    Returns:
        True if your function matches ``nst.losses.total_variation_loss(image)`` on every input.
    """
    rng = np.random.default_rng(5)
    rows = np.zeros((1, 4, 5, 3))
    rows[:, ::2] = 255.0
    inputs = [
        ("in_tensor", _tensor(rng.uniform(0, 255, (1, 5, 7, 3)))),
        ("in_numpy", _f32(rng.uniform(0, 255, (1, 4, 6, 3)))),
        ("in_flat", _tensor(np.full((1, 3, 3, 3), 128.0))),
        ("in_hstripes", _tensor(rows)),
        ("in_vstripes", _f32(np.swapaxes(rows, 1, 2))),
        ("in_2x2", _tensor(rng.uniform(0, 255, (1, 2, 2, 3)))),
    ]
    cases = [_Case(_label(name, x), (x,), _ref_tv(x), _tv_variants(_np(x))) for name, x in inputs]
    return _run("check_total_variation_loss", fn, cases, scalar=True)


def check_seed_step(fn: Callable[[Any, Any, float], Any]) -> bool:
    """Check ``fn(image, grad, step_size) -> new image``: one step of the seed's optimiser.

    Args:
        fn: your function. It receives a (1, H, W, 3) float32 image in [0, 255], the loss's
            gradient of the same shape (``tf.Tensor`` or numpy) and the step size (the seed's 10),
            and returns ``image - step_size / (std(grad) + 1e-8) * grad`` clipped to [0, 255].

    Returns:
        True if your function matches ``nst.transfer.seed_update`` on every input.
    """
    from .transfer import seed_update

    rng = np.random.default_rng(11)
    inputs = [
        ("in_tensors", _tensor(rng.uniform(0, 255, (1, 4, 5, 3))), _tensor(rng.normal(0, 3, (1, 4, 5, 3))), 10.0),
        ("in_numpys", _f32(rng.uniform(0, 255, (1, 3, 4, 3))), _f32(rng.normal(0, 1e6, (1, 3, 4, 3))), 10.0),
        ("in_leaves", _tensor(np.full((1, 2, 3, 3), 250.0)), _tensor(rng.normal(0, 1, (1, 2, 3, 3))), 40.0),
        ("in_tiny", _tensor(rng.uniform(0, 255, (1, 3, 3, 3))), _tensor(rng.normal(0, 1e-6, (1, 3, 3, 3))), 2.0),
    ]
    cases = []
    for name, x, g, step in inputs:
        expected = np.asarray(seed_update(x, g, step))
        cases.append(_Case(_label(name, x), (x, g, step), expected, _seed_variants(_np(x), _np(g), step)))
    return _run("check_seed_step", fn, cases)


def _seed_variants(x: np.ndarray, g: np.ndarray, step: float) -> list[tuple[str, np.ndarray]]:
    std, clip = g.std() + 1e-8, lambda v: np.clip(v, 0.0, 255.0)  # noqa: E731
    return [
        (message("seed_1"), x - step / std * g),
        (message("seed_2"), clip(x + step / std * g)),
        (message("seed_3"),
         clip(x - step / (np.abs(g).max() + 1e-8) * g)),
        (message("seed_4"), clip(x - step * g.std() * g)),
        (message("seed_5"), clip(x - step * g)),
        (message("seed_6"), clip(x - step * np.sign(g))),
    ]


def check_shape_prediction(prediction: Any, actual: Sequence[int]) -> bool:
    """Check a predicted image shape, e.g. what ``load_image(..., max_size=200)`` returns.

    Args:
        prediction: your prediction, ``(height, width, channels)``, or ``None`` if not made yet.
        actual: the real shape (``image.shape``).

    Returns:
        True if the prediction equals the shape.

    Introduced in notebooks/00_setup_and_images.ipynb.
    """
    title, actual = "check_shape_prediction", tuple(int(n) for n in actual)
    if prediction is None:
        print(f"❌ {title}: " + message("shape_none"))
        return False
    try:
        mine = tuple(int(n) for n in prediction)
    except (TypeError, ValueError):
        mine = None
    if mine == actual:
        print(message("shape_right", title=title, actual=actual))
        return True
    print(f"❌ {title}: " + message("shape_wrong", prediction=prediction, actual=actual))
    print("   " + message("hint", hint=message("shape_hint")))
    return False


def check_preprocess(fn: Callable[[np.ndarray], Any]) -> bool:
    """Check ``fn(image) -> VGG input``: RGB 0-255 to BGR minus the ImageNet means, input untouched.

    Args:
        fn: your function. It receives an ``(H, W, 3)`` float32 numpy image, RGB in [0, 255], and returns
            ``image[..., ::-1] - (103.939, 116.779, 123.68)`` as a new array (numpy or tensor), without
            writing into ``image``.

    Returns:
        True if your function matches :func:`nst_helpers.model.preprocess` on every input and leaves
        every input as it was.

    Introduced in notebooks/00_setup_and_images.ipynb.
    """
    from .model import IMAGENET_MEAN_BGR, preprocess

    title = "check_preprocess"
    rng = np.random.default_rng(5)
    images = [("in_rgb_random", _f32(rng.uniform(0, 255, (4, 5, 3)))), ("in_rgb_grey", _f32(np.full((2, 3, 3), 128.0))),
              ("in_rgb_orange", _f32(np.stack([np.full((3, 2), v) for v in (255.0, 140.0, 0.0)], -1)))]
    if not callable(fn):
        return _fail(title, "", message("not_callable", kind=type(fn).__name__))
    for i, (name, image) in enumerate(images, 1):  # first: does it write into its input?
        before = image.copy()
        try:
            _call(fn, image)
        except _Problem:
            break  # reported below, with the input it failed on
        if not np.array_equal(image, before):
            return _fail(title, message("where", i=i, n=len(images), label=_label(name, before)),
                         message("pre_mutates"))
    bgr, rgb_means = np.array(IMAGENET_MEAN_BGR, np.float32), np.array(IMAGENET_MEAN_BGR[::-1], np.float32)
    cases = [
        _Case(_label(name, x), (x.copy(),), np.asarray(preprocess(x)), [
            (message("pre_1"), x - bgr), (message("pre_2"), x[..., ::-1]), (message("pre_3"), x[..., ::-1] - rgb_means),
            (message("pre_4"), x[..., ::-1] / 255.0 - bgr), (message("pre_5"), x[..., ::-1] + bgr),
        ])
        for name, x in images
    ]
    return _run(title, fn, cases)


def check_feature_extractor(
    fn: Callable[[Any, Sequence[str]], Callable[[Any], Any]],
    *,
    net: str = "vgg16",
    weights: str | None = "auto",
) -> bool:
    """Check ``fn(vgg, layer_names) -> extract`` where ``extract(image)`` returns a list of features.

    Args:
        fn: your function. It receives ``vgg`` (see :func:`load_vgg`: a Keras model taking a
            *preprocessed* (1, H, W, 3) image) and a list of Keras layer names such as
            ``["block4_conv2", "block2_conv1"]``. It returns a callable (a function or a model)
            that maps an RGB 0-255 image (1, H, W, 3) to a list of (1, h, w, c) feature maps,
            one per name, in the order of ``layer_names``.
        net: ``"vgg16"`` (the course's network) or ``"vgg19"``.
        weights: which trained weights ``vgg`` gets (see :func:`nst_helpers.model.resolve_weights`).

    Returns:
        True if your extractor matches :class:`nst_helpers.model.FeatureExtractor` (same
        weights) on every input.
    """
    title = "check_feature_extractor"
    vgg = load_vgg(net, weights=weights)
    cases = _extractor_cases()
    worst = _Diff("exact", 0.0, 0.0)
    for i, (layers, name, image) in enumerate(cases, 1):
        where = message("where_layers", i=i, n=len(cases), label=_label(name, image), layers=layers)
        try:
            outputs = _run_extractor(fn, vgg, layers, image)
        except _Problem as problem:
            hint = _numpy_hint(problem, [image]) if i > 1 else problem.hint
            return _fail(title, where, str(problem), hint, crashed=True)
        expected = _ref_features(vgg, net, layers, image)
        diff, wrong = _compare_features(outputs, expected)
        if wrong is not None:
            detail = message("output_for", index=wrong, layer=layers[wrong],
                             detail=_difference_text(outputs[wrong], expected[wrong]))
            return _fail(title, where, detail, _feature_hint(vgg, image, outputs[wrong], layers, wrong))
        worst = worst.worse(diff)
    return _succeed(title, len(cases), worst)


def _extractor_cases() -> list[tuple[list[str], str, Any]]:
    """(layer_names, description key, image): shallow and deep layers, out of order, tensor and numpy input."""
    rng = np.random.default_rng(6)
    return [
        (["block1_conv1", "block3_conv1"], "in_tensor", _tensor(rng.uniform(0, 255, (1, 32, 48, 3)))),
        (["block4_conv2", "block2_conv1"], "in_numpy", _f32(rng.uniform(0, 255, (1, 40, 40, 3)))),
        (["block5_conv1"], "in_tensor", _tensor(rng.uniform(0, 255, (1, 32, 32, 3)))),
    ]


def _run_extractor(fn: Callable, vgg: Any, layers: Sequence[str], image: Any) -> list[np.ndarray]:
    """Build the learner's extractor and run it on ``image`` (a :class:`_Problem` if either fails)."""
    extract = _call(fn, vgg, list(layers))
    if not callable(extract):
        raise _Problem(message("extract_not_callable", kind=type(extract).__name__))
    return _as_feature_list(_call(extract, image), len(layers))


def _compare_features(outputs: Sequence[np.ndarray], expected: Sequence[np.ndarray]) -> tuple[_Diff, int | None]:
    """The worst difference over all outputs, and the index of the first wrong output (or ``None``)."""
    worst = _Diff("exact", 0.0, 0.0)
    for j, (got, ref) in enumerate(zip(outputs, expected, strict=True)):
        diff = _compare(got, ref)
        if diff.status == "wrong":
            return diff, j
        worst = worst.worse(diff)
    return worst, None


@functools.lru_cache(maxsize=2)
def load_vgg(net: str = "vgg16", *, weights: str | None = "auto") -> Any:
    """VGG's convolution stack with trained weights: the ``vgg`` that :func:`check_feature_extractor` passes.

    Args:
        net: ``"vgg16"`` or ``"vgg19"``.
        weights: see :func:`nst_helpers.model.resolve_weights` (``"auto"`` falls back to the
            offline VGG16 weights when ImageNet's cannot be downloaded).

    Returns:
        A frozen ``keras.Model`` from a preprocessed (1, H, W, 3) image (BGR minus the ImageNet
        means) to the last convolution; every layer is reachable with ``vgg.get_layer(name)``.
        Cached: calling it twice gives the same model.
    """
    from . import model

    _, arrays = model.resolve_weights(weights, net)
    vgg = model.build_vgg(net)
    if arrays is not None:
        for layer in vgg.layers:
            if layer.name in arrays:
                layer.set_weights(arrays[layer.name])
    vgg.trainable = False
    return vgg


# ----- running a check -------------------------------------------------------------------------
@dataclasses.dataclass
class _Case:
    """One input: its description, the arguments, the reference result and typical wrong results."""

    label: str
    args: tuple
    expected: np.ndarray
    variants: list[tuple[str, np.ndarray]]


@dataclasses.dataclass
class _Diff:
    status: str  # "exact", "close" or "wrong"
    max_abs: float
    max_rel: float

    def worse(self, other: _Diff) -> _Diff:
        rank = {"exact": 0, "close": 1, "wrong": 2}
        status = max(self.status, other.status, key=rank.get)
        return _Diff(status, max(self.max_abs, other.max_abs), max(self.max_rel, other.max_rel))


class _Problem(Exception):
    """A short, readable reason why the learner's function could not be checked, and maybe a hint."""

    def __init__(self, message: str, hint: str | None = None, *, crash: bool = False) -> None:
        super().__init__(message)
        self.hint, self.crash = hint, crash  # crash: the learner's code raised (not a wrong kind of result)


_NUMPY_HINT = "numpy_input"  # a key of MESSAGES


def _numpy_hint(problem: _Problem, args: Sequence[Any]) -> str | None:
    return message(_NUMPY_HINT) if problem.crash and any(isinstance(a, np.ndarray) for a in args) else problem.hint


def _run(title: str, fn: Callable, cases: list[_Case], *, scalar: bool = False) -> bool:
    if not callable(fn):
        return _fail(title, "", message("not_callable", kind=type(fn).__name__))
    results: list[tuple[_Case, np.ndarray, _Diff]] = []
    for i, case in enumerate(cases, 1):
        where = message("where", i=i, n=len(cases), label=case.label)
        try:
            got = _as_array(_call(fn, *case.args))
        except _Problem as problem:
            hint = _numpy_hint(problem, case.args) if i > 1 else problem.hint
            return _fail(title, where, str(problem), hint, crashed=True)
        if scalar and got.shape != () and got.size == 1:
            got = got.reshape(())  # shape (1,) or (1, 1) is a scalar too
        results.append((case, got, _compare(got, case.expected)))
    wrong = [i for i, (_, _, diff) in enumerate(results) if diff.status == "wrong"]
    if not wrong:
        worst = _Diff("exact", 0.0, 0.0)
        for _, _, diff in results:
            worst = worst.worse(diff)
        return _succeed(title, len(cases), worst)
    case, got, _ = results[wrong[0]]
    where = message("where", i=wrong[0] + 1, n=len(cases), label=case.label)
    hint = _best_hint(results, wrong[0]) or _generic_hint(got, case.expected, scalar)
    return _fail(title, where, _difference_text(got, case.expected), hint)


def _call(fn: Callable, *args: Any) -> Any:
    """Call the learner's code; turn any crash into a :class:`_Problem` with a short message."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise _Problem(message("not_implemented")) from None
    except Exception as err:  # the learner's bug, whatever it is: report it, do not re-raise
        raise _Problem(_crash_text(err), crash=True) from None


def _crash_text(err: Exception) -> str:
    said = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", str(err)).strip()
    where = _learner_line(err)
    if said.startswith("in user code:"):  # a tf.function's error: the learner's line is in the message
        where = _graph_line(said) or where
        said = said.splitlines()[-1].strip()
    said = said.splitlines()[0] if said else ""
    said = re.sub(r" for '\{\{node [^']*'", "", said).removeprefix(f"{type(err).__name__}: ")
    said = said if len(said) <= 240 else said[:237] + "..."
    text = message("raised", kind=type(err).__name__, message=said)
    return text + ("\n   " + message("raised_at", where=where) if where else "")


def _learner_line(err: Exception) -> str | None:
    frame = _learner_frame(err)
    if frame is None:
        return None
    return message("line_of", line=frame.lineno, name=frame.name, code=(frame.line or "").strip())


def _graph_line(error_text: str) -> str | None:
    """The learner's line in a tf.function error: its 'File ..., line N, in name *' entries."""
    found = [
        m for m in re.finditer(r'File "([^"]+)", line (\d+), in (\w+)\s*\*?\s*\n\s*(.+)', error_text)
        if "-packages" not in m[1]
    ]
    return message("line_of", line=found[-1][2], name=found[-1][3], code=found[-1][4].strip()) if found else None


def _learner_frame(err: Exception) -> traceback.FrameSummary | None:
    """The last traceback frame in the learner's code (not in a library, not in this package)."""
    package_dir = os.path.dirname(os.path.abspath(__file__))
    frames = [
        f for f in traceback.extract_tb(err.__traceback__)
        if "-packages" not in f.filename and not os.path.abspath(f.filename).startswith(package_dir)
        and not f.filename.startswith("<frozen")
    ]
    return frames[-1] if frames else None


def _as_array(value: Any) -> np.ndarray:
    """What the learner returned, as a float64 numpy array (or a :class:`_Problem`)."""
    if value is None:
        raise _Problem(message("returned_none"))
    if isinstance(value, (dict, list, tuple)) and not _is_numeric_sequence(value):
        raise _Problem(message("returned_container", kind=type(value).__name__))
    try:
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64)
    except Exception as err:
        raise _Problem(message("unreadable", kind=type(value).__name__, error=err)) from None
    return array


def _is_numeric_sequence(value: Any) -> bool:
    try:
        return np.asarray(value).dtype.kind in "biuf"
    except Exception:
        return False


def _compare(got: np.ndarray, expected: np.ndarray) -> _Diff:
    if got.shape != expected.shape or not np.all(np.isfinite(got)):
        return _Diff("wrong", np.inf, np.inf)
    max_abs = float(np.max(np.abs(got - expected))) if got.size else 0.0
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else np.inf)
    if max_abs == 0.0:
        return _Diff("exact", 0.0, 0.0)
    return _Diff("close" if max_abs <= ATOL + RTOL * scale else "wrong", max_abs, max_rel)


def _matches(got: np.ndarray, variant: np.ndarray) -> bool:
    if got.shape != variant.shape or not np.all(np.isfinite(got)) or not np.all(np.isfinite(variant)):
        return False
    scale = max(float(np.max(np.abs(variant))) if variant.size else 0.0, 1e-12)
    return bool(np.max(np.abs(got - variant), initial=0.0) <= ATOL + HINT_RTOL * scale)


def _best_hint(results: list[tuple[_Case, np.ndarray, _Diff]], first_wrong: int) -> str | None:
    """The typical mistake that explains the first wrong input and, preferably, every input."""
    case, got, _ = results[first_wrong]
    candidates = list(dict.fromkeys(hint for hint, v in case.variants if _matches(got, v)))
    if not candidates:
        return None

    def explained(hint: str) -> int:
        return sum(any(h == hint and _matches(g, v) for h, v in c.variants) for c, g, _ in results)

    return max(candidates, key=explained)  # max keeps the first of equals: variants are listed by likelihood


def _generic_hint(got: np.ndarray, expected: np.ndarray, scalar: bool) -> str:
    if scalar and got.size > 1:
        return message("not_scalar", shape=got.shape)
    if not np.all(np.isfinite(got)):
        return message("nan_hint")
    if got.shape != expected.shape:
        return message("axes_hint")
    return message("formula_hint")


def _difference_text(got: np.ndarray, expected: np.ndarray) -> str:
    if got.shape != expected.shape:
        return message("shape_differs", expected=expected.shape, got=got.shape)
    if not np.all(np.isfinite(got)):
        return message("has_nan")
    diff = _compare(got, expected)
    if got.shape == ():
        return message("scalar_differs", expected=float(expected), got=float(got))
    return message("values_differ", max_abs=diff.max_abs, max_rel=diff.max_rel)


def _succeed(title: str, n: int, worst: _Diff) -> bool:
    if worst.status == "exact":
        print(message("ok_exact", title=title, n=n))
    else:
        print(message("ok_close", title=title, n=n, max_abs=worst.max_abs, max_rel=worst.max_rel))
    return True


def _fail(title: str, where: str, detail: str, hint: str | None = None, *, crashed: bool = False) -> bool:
    verdict = message("stopped_on" if crashed else "wrong_on", where=where) if where else message("cannot_check")
    print(f"❌ {title}: {verdict}")
    print(f"   {detail}")
    if hint:
        print("   " + message("hint", hint=hint))
    return False


# ----- inputs ----------------------------------------------------------------------------------
def _f32(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def _tensor(x: np.ndarray) -> Any:
    import tensorflow as tf

    return tf.constant(_f32(x))


def _is_tensor(x: Any) -> bool:
    return not isinstance(x, np.ndarray)


def _np(x: Any) -> np.ndarray:
    """float64 copy of an input, for computing the typical wrong variants."""
    return np.array(x, dtype=np.float64)


def _label(key: str, x: Any) -> str:
    """An input's description: ``key`` names its kind in :data:`MESSAGES` (``"in_tensor"``, ...)."""
    return message("label", kind=message(key), shape=tuple(int(d) for d in x.shape))


def _check_norm(normalize: str) -> None:
    if normalize not in _NORMS:
        raise ValueError(message("bad_normalize", normalize=normalize, choices=", ".join(_NORMS)))


# ----- references: the package's own functions, run now ----------------------------------------
def _ref_gram(x: Any, normalize: str) -> np.ndarray:
    from . import losses

    return losses.gram_matrix(x, normalize=normalize).numpy().astype(np.float64)


def _ref_content(x: Any, target: Any) -> np.ndarray:
    from . import losses

    return losses.content_loss({"layer": x}, {"layer": target}).numpy().astype(np.float64)


def _ref_style(x: Any, target_gram: Any, normalize: str) -> np.ndarray:
    from . import losses

    gram = losses.gram_matrix(x, normalize=normalize)
    return losses.style_loss({"layer": gram}, {"layer": target_gram}).numpy().astype(np.float64)


def _ref_tv(x: Any) -> np.ndarray:
    from . import losses

    return losses.total_variation_loss(x, kind="l1_mean").numpy().astype(np.float64)


def _ref_features(vgg: Any, net: str, layers: Sequence[str], image: Any) -> list[np.ndarray]:
    """The package's :class:`FeatureExtractor`, given the very weights of ``vgg``."""
    from . import model

    reference = model.FeatureExtractor(layers, net=net, weights=None)
    for layer in reference.model.layers:
        if layer.get_weights():
            layer.set_weights(vgg.get_layer(layer.name).get_weights())
    features = reference(image)
    return [features[name].numpy().astype(np.float64) for name in layers]


# ----- typical wrong versions, computed on the same inputs ------------------------------------
def _norm_divisors(h: int, w: int, c: int) -> dict[str, float]:
    return {"none": 1.0, "hw": h * w, "chw": c * h * w, "paper": 2.0 * h * w}


def _gram_variants(x: Any, normalize: str) -> list[tuple[str, np.ndarray]]:
    x = _np(x)
    _, h, w, c = x.shape
    hw = h * w
    b = x.reshape(-1, c)
    gram = b.T @ b
    asked = _norm_divisors(h, w, c)[normalize]
    scrambled = x.reshape(c, -1)  # straight reshape to (C, HW): keeps memory order, mixes axes
    first_axis = x.reshape(-1, h)  # channels read from axis 1, as in PyTorch's (N, C, H, W)
    out = [
        (message("gram_bbt"), b @ b.T / asked),
        (message("gram_scrambled"), scrambled @ scrambled.T / asked),
        (message("gram_channels_first"), first_axis.T @ first_axis / asked),
        (message("gram_batch_kept"), (gram / asked)[None]),
        (message("gram_diagonal"), np.sum(b * b, axis=0) / asked),
    ]
    for name, divisor in _norm_divisors(h, w, c).items():
        if name != normalize:
            out.append((message("gram_norm", yours=_norm_words(name), asked=normalize,
                                                     asked_words=_norm_words(normalize)), gram / divisor))
    out += [
        (message("gram_by_c", asked=normalize, asked_words=_norm_words(normalize)), gram / c),
        (message("gram_paper_factor", asked=normalize, asked_words=_norm_words(normalize)),
         gram / (4.0 * c**2 * hw**2)),
    ]
    return out


def _difference_variants(d: np.ndarray, *, feature_map: bool = True) -> list[tuple[str, np.ndarray]]:
    """Typical wrong versions of 'mean of the squared differences' for a difference array ``d``.

    ``feature_map``: ``d`` is a (1, H, W, C) map (content loss), not a difference of Gram matrices.
    """
    sq = d**2
    out = [
        (message("difference_1"), sq.sum()),
        (message("difference_2"), np.abs(d).mean()),
        (message("difference_3"),
         d.mean()),
        (message("difference_4"),
         np.sqrt(sq.mean())),
        (message("difference_4"),
         np.sqrt(sq.sum())),
        (message("difference_6"), d.mean() ** 2),
        (message("difference_7"), 0.5 * sq.mean()),
    ]
    if feature_map:
        _, h, w, _ = d.shape
        out += [
            (message("difference_8"), 0.5 * sq.sum()),
            (message("difference_9"), sq.sum() / (h * w)),
        ]
    return out


def _style_variants(x: np.ndarray, target: np.ndarray, normalize: str) -> list[tuple[str, np.ndarray]]:
    _, h, w, c = x.shape
    b = x.reshape(-1, c)
    gram = b.T @ b
    asked = gram / _norm_divisors(h, w, c)[normalize]
    out = _difference_variants(asked - target, feature_map=False)
    for name, divisor in _norm_divisors(h, w, c).items():
        if name != normalize:
            out.append((message("style_norm", yours=_norm_words(name), asked=normalize,
                                                      asked_words=_norm_words(normalize)),
                        np.mean((gram / divisor - target) ** 2)))
    scrambled = x.reshape(c, -1)
    out += [
        (message("style_paper_factor"), np.sum((asked - target) ** 2) / (4.0 * c**2 * (h * w) ** 2)),
        (message("style_gram_twice"), np.mean((asked - target.T @ target) ** 2)),
        (message("style_scrambled"),
         np.mean((scrambled @ scrambled.T / _norm_divisors(h, w, c)[normalize] - target) ** 2)),
    ]
    return out


def _tv_variants(x: np.ndarray) -> list[tuple[str, np.ndarray]]:
    dy = x[:, 1:] - x[:, :-1]  # between rows: vertical neighbours
    dx = x[:, :, 1:] - x[:, :, :-1]  # between columns: horizontal neighbours
    dc = x[..., 1:] - x[..., :-1]  # between colour channels: never wanted
    mean_abs = lambda d: np.abs(d).mean()  # noqa: E731
    return [
        (message("tv_1"), mean_abs(dy)),
        (message("tv_2"), mean_abs(dx)),
        (message("tv_3"), (dy**2).mean() + (dx**2).mean()),
        (message("tv_4"), np.abs(dy).sum() + np.abs(dx).sum()),
        (message("tv_5"), (np.abs(dy).sum() + np.abs(dx).sum()) / x.size),
        (message("tv_6"), (mean_abs(dy) + mean_abs(dx)) / 2),
        (message("tv_7"), dy.mean() + dx.mean()),
        (message("tv_8"), mean_abs(dx) + mean_abs(dc)),
        (message("tv_9"), mean_abs(dy) + mean_abs(dc)),
    ]


# ----- the feature extractor's details ---------------------------------------------------------
def _as_feature_list(outputs: Any, n: int) -> list[np.ndarray]:
    if isinstance(outputs, dict):
        raise _Problem(message("extract_dict"))
    if n == 1 and not isinstance(outputs, (list, tuple)):
        outputs = [outputs]  # a one-output Keras model returns a bare tensor
    if not isinstance(outputs, (list, tuple)):
        raise _Problem(message("extract_kind", kind=type(outputs).__name__))
    if len(outputs) != n:
        raise _Problem(message("extract_count", got=len(outputs), n=n))
    return [_as_array(o) for o in outputs]


_PREPROCESS_MISTAKES = (  # variant -> key of MESSAGES
    ("no preprocessing", "prep_none"),
    ("means, RGB kept", "prep_rgb_means"),
    ("means, no flip", "prep_no_flip"),
    ("flip only", "prep_flip_only"),
    ("scaled to [0, 1]", "prep_scaled"),
    ("scaled, preprocessed", "prep_scaled_then"),
    ("preprocessed twice", "prep_twice"),
)


def _preprocess_variants(image: Any) -> dict[str, Any]:
    from .model import IMAGENET_MEAN_BGR, preprocess

    x = np.array(image, dtype=np.float32)
    return {
        "correct": preprocess(x),
        "no preprocessing": x,
        "means, RGB kept": x - np.array(IMAGENET_MEAN_BGR[::-1], np.float32),
        "means, no flip": x - np.array(IMAGENET_MEAN_BGR, np.float32),
        "flip only": x[..., ::-1],
        "scaled to [0, 1]": x / 255.0,
        "scaled, preprocessed": preprocess(x / 255.0),
        "preprocessed twice": preprocess(preprocess(x)),
    }


def _feature_hint(vgg: Any, image: Any, got: np.ndarray, layers: Sequence[str], index: int) -> str | None:
    """Which layer, under which preprocessing, produced the learner's output ``index``."""
    import keras

    from .layers import paper_name

    names = [layer.name for layer in vgg.layers[1:]]
    probe = keras.Model(vgg.input, {n: vgg.get_layer(n).output for n in names})
    mistakes = {name: message(key) for name, key in _PREPROCESS_MISTAKES}
    asked = layers[index]
    for variant, x in _preprocess_variants(image).items():
        outputs = probe(x)
        found = [n for n in names if _matches(got, np.asarray(outputs[n], np.float64))]
        if not found:
            continue
        layer = asked if asked in found else found[0]
        parts = [] if variant == "correct" else [mistakes[variant]]
        if layer != asked:
            parts.append(_layer_hint(layer, asked, layers, index, paper_name))
        return message("also").join(parts) if parts else None
    return None


def _layer_hint(layer: str, asked: str, layers: Sequence[str], index: int, paper_name: Callable) -> str:
    if layer in layers:
        return message("layer_order", index=index, layer=layer, asked=asked)
    if layer.endswith("pool"):
        return message("layer_pool", index=index, layer=layer, asked=asked)
    return message("layer_wrong", index=index, layer=layer, asked=asked, paper=paper_name(layer),
                                          asked_paper=paper_name(asked))


# ----- the capstone: your own transfer loop ----------------------------------------------------
#: Side of the square test images of :func:`check_transfer_loop` (small: a few seconds on a laptop CPU).
LOOP_SIZE = 48
#: "the same image": largest pixel difference, in grey levels (0-255). Measured: an independent port
#: differs from the package's run by <= 6e-5 after 8 steps at 48 and 64 px (float32 rounding, amplified
#: by 1/std(grad)); the nearest typical mistake (Gram divided by C*H*W) differs by >= 14 after 3 steps.
LOOP_ATOL = 1.0


def check_transfer_loop(fn: Callable[[Any, Any, Any, int], Any], *, size: int = LOOP_SIZE) -> bool:
    """Check your whole transfer loop, ``fn(content, style, init, steps) -> image``, against the package's run.

    Your loop must do ``steps`` steps of the seed's recipe (``TransferConfig.seed_recipe()``):
    VGG16 with the weights the package resolves (``nst.model.resolve_weights``), content layer
    conv3_1, Gram matrices (``B^T B``, not normalised) of all 13 convolutions, mean squared
    errors, the L1-mean denoise loss, the 1/loss weights with 2 / 9 / 0.4, the step
    ``image - 10 / std(grad) * grad`` and clipping to [0, 255], starting from ``init``.

    The 1/loss weights divide each loss by its own current value, so a constant factor inside a
    loss cancels: summing instead of averaging over layers, positions or channels gives the same
    images and is accepted. Dividing the Gram matrices by H*W is not a constant factor (H*W differs
    from layer to layer): it changes the images and is rejected.

    A correct loop is checked in a few seconds; a wrong one takes longer, because the checker then
    runs up to 20 typical wrong loops to find the hint.

    Args:
        fn: your loop. It receives three float32 numpy arrays of shape (1, H, W, 3), RGB in
            [0, 255] (the photo, the painting and the start image; copies, so changing them in
            place is harmless) and the number of steps, and returns the image after the last
            step: a numpy array or a ``tf.Tensor``/``tf.Variable``, shape (1, H, W, 3) or (H, W, 3).
        size: side of the square test images (at least 32).

    Returns:
        True if your images equal the package's (``nst.transfer.transfer`` with ``init=``, run
        now from the same start) within ``LOOP_ATOL`` grey levels, from two starts.
    """
    return _check_loop("check_transfer_loop", fn, _loop_run(size))


#: Adam's learning rate in :func:`check_adam_loop`, on the 0-255 pixel scale (the package default's 5).
ADAM_RATE = 5.0


def check_adam_loop(fn: Callable[[Any, Any, Any, int], Any], *, size: int = LOOP_SIZE) -> bool:
    """Check your loop with Adam instead of the seed's step: ``fn(content, style, init, steps) -> image``.

    The same recipe as :func:`check_transfer_loop` (the seed's losses and 1/loss weights), but
    each step is ``keras.optimizers.Adam(learning_rate=5.0).apply_gradients([(grad, image)])`` on
    a ``tf.Variable`` (one optimiser for the whole run: it remembers past gradients), then
    clipping to [0, 255]. The checker passes the photo as ``init`` first (Adam's usual start),
    then the seed's noise. Measured: an independent port differs by <= 3e-4 grey levels after 5
    steps at 48 px; re-creating the optimiser every step differs by >= 12.

    Args:
        fn: your loop, as in :func:`check_transfer_loop`.
        size: side of the square test images (at least 32).

    Returns:
        True if your images equal the package's run (``transfer`` with ``optimizer="adam"``)
        within ``LOOP_ATOL`` grey levels, from both starts.
    """
    return _check_loop("check_adam_loop", fn, _loop_run(size, "adam"))


def _check_loop(title: str, fn: Callable, run: _LoopRun) -> bool:
    if not callable(fn):
        return _fail(title, "", message("not_callable", kind=type(fn).__name__))
    worst = 0.0
    for i, (label, init, steps) in enumerate(run.starts(), 1):
        where = message("where_start", i=i, label=message(label), steps=steps)
        expected = run.reference(init, steps)
        try:
            got = _as_loop_image(_call(fn, run.content[None].copy(), run.style[None].copy(), init[None].copy(), steps),
                                 expected.shape)
        except _Problem as problem:
            return _fail(title, where, str(problem), problem.hint, crashed=True)
        diff = float(np.max(np.abs(got - expected)))
        if diff > LOOP_ATOL:
            return _fail(title, where, _loop_difference_text(got, expected, init), run.hint(got, init, steps))
        worst = max(worst, diff)
    print(message("loop_ok", title=title, diff=worst))
    return True


@functools.lru_cache(maxsize=4)
def _loop_run(size: int, optimizer: str = "seed") -> _LoopRun:
    return _LoopRun(size, optimizer)


class _LoopRun:
    """The checker's images, the package's reference runs and the typical wrong loops, at one size.

    Runs are computed when first needed and remembered for the session (a re-check is quicker).
    """

    def __init__(self, size: int, optimizer: str = "seed") -> None:
        from .config import TransferConfig
        from .images import data_path, load_image, resize
        from .transfer import build_extractor

        self.config = TransferConfig.seed_recipe(size=size, optimizer=optimizer, learning_rate=ADAM_RATE)
        self.content = resize(load_image(data_path("content")), size, square=True)
        self.style = resize(load_image(data_path("style")), size, square=True)
        self.extractor = build_extractor(self.config)  # all 13 convolutions: every wrong layer is reachable
        self._memo: dict[tuple, np.ndarray] = {}

    def starts(self) -> list[tuple[str, np.ndarray, int]]:
        rng = np.random.default_rng(0)
        noise = (rng.random(self.content.shape) + 128.0).astype(np.float32)  # the seed's start
        # measured: from the photo, clipping matters within 2 steps; from noise it does not
        return [("start_photo", self.content.copy(), 2), ("start_noise", noise, 3)]

    def reference(self, init: np.ndarray, steps: int) -> np.ndarray:
        """The package's own run: ``nst.transfer.transfer`` from ``init``."""
        import dataclasses

        from .transfer import transfer

        key = ("reference", init.tobytes(), steps)
        if key not in self._memo:
            cfg = dataclasses.replace(self.config, steps=steps)
            run = transfer(self.content, self.style, cfg, init=init, extractor=self.extractor)
            self._memo[key] = np.asarray(run.image, np.float64)
        return self._memo[key]

    def hint(self, got: np.ndarray, init: np.ndarray, steps: int) -> str:
        if np.max(np.abs(got - init)) <= LOOP_ATOL:
            return message("loop_returned_init")
        for i, (key, make) in enumerate(self._variants(init, steps)):
            memo = ("variant", i, init.tobytes(), steps)
            if memo not in self._memo:
                self._memo[memo] = make()
            if np.max(np.abs(got - self._memo[memo])) <= LOOP_ATOL:
                return message(key)
        return message("loop_generic")

    def _variants(self, init: np.ndarray, steps: int) -> list[tuple[str, Callable[[], np.ndarray]]]:
        """Typical wrong loops, most likely first; each is run only if the ones before did not match."""
        import dataclasses

        import tensorflow as tf

        from .model import IMAGENET_MEAN_BGR

        cfg, loop = self.config, functools.partial(self._loop, init, steps)
        other = lambda **changes: dataclasses.replace(cfg, **changes)  # noqa: E731
        means = tf.constant(IMAGENET_MEAN_BGR, tf.float32)
        variants = [
            ("loop_sign" if cfg.optimizer == "seed" else "loop_adam_sign", lambda: loop(sign=-1.0)),
            ("loop_no_adaptive", lambda: loop(adaptive=False)),
            ("loop_targets_from_image", lambda: loop(targets_from_image=True)),
            ("loop_no_preprocessing", lambda: loop(prep=lambda x: x)),
            ("loop_no_flip", lambda: loop(prep=lambda x: x - means)),
            ("loop_rgb_means", lambda: loop(prep=lambda x: x - means[::-1])),
            ("loop_gram_hw", lambda: loop(config=other(gram_norm="hw"))),
            ("loop_gram_chw", lambda: loop(config=other(gram_norm="chw"))),
            *[("loop_layer_" + k, functools.partial(loop, config=other(content_layers=(k,))))
              for k in ("block4_conv2", "block4_conv1", "block2_conv2", "block3_conv2", "block5_conv1")],
            ("loop_paper_style_layers", lambda: loop(config=other(style_layers=_paper_style_layers()))),
            ("loop_tv_squared", lambda: loop(config=other(tv_kind="l2_mean"))),
            ("loop_no_clip", lambda: loop(clip=False)),
            *([("loop_max_step", lambda: loop(divide="max"))] if cfg.optimizer == "seed" else [
                ("loop_new_optimizer", lambda: loop(new_optimizer=True)),
                ("loop_adam_rate", lambda: loop(rate=0.001)),
                ("loop_seed_step", lambda: loop(config=other(optimizer="seed"))),
            ]),
            ("loop_steps_off", lambda: loop(steps=steps - 1)),
            ("loop_steps_off", lambda: loop(steps=steps + 1)),
        ]
        first = ("loop_new_optimizer", "loop_adam_sign", "loop_seed_step")  # Adam's own mistakes are the likeliest
        return sorted(variants, key=lambda v: v[0] not in first)  # stable: keeps the order otherwise

    def _loop(self, init: np.ndarray, steps: int, *, config: Any = None, sign: float = 1.0, adaptive: bool = True,
              targets_from_image: bool = False, prep: Callable | None = None, clip: bool = True,
              divide: str = "std", new_optimizer: bool = False, rate: float | None = None) -> np.ndarray:
        """The recipe's loop from the package's pieces (``Objective``, ``seed_update``, Keras' Adam), one mistake."""
        import tensorflow as tf

        from .transfer import Objective

        cfg = config or self.config
        fx = self.extractor if prep is None else _Reprocessed(self.extractor, prep)
        objective = Objective(fx, cfg, self.content, [self.style])
        x = tf.Variable(init[None], dtype=tf.float32)
        adam = _adam(rate or cfg.learning_rate) if cfg.optimizer == "adam" else None
        for _ in range(steps):
            if targets_from_image:
                now = x.numpy()[0]
                objective = Objective(fx, cfg, now, [now])
            with tf.GradientTape() as tape:
                total = objective.total(objective.losses(x), adaptive=adaptive)
            grad = sign * tape.gradient(total, x)
            if adam is not None:
                adam = _adam(rate or cfg.learning_rate) if new_optimizer else adam
                adam.apply_gradients([(grad, x)])
            else:
                scale = tf.math.reduce_std(grad) if divide == "std" else tf.reduce_max(tf.abs(grad))
                x.assign(x - cfg.step_size / (scale + 1e-8) * grad)
            if clip:
                x.assign(tf.clip_by_value(x, 0.0, 255.0))
        return x.numpy()[0].astype(np.float64)


def _adam(rate: float) -> Any:
    import keras

    return keras.optimizers.Adam(learning_rate=rate)


class _Reprocessed:
    """A feature extractor that feeds VGG ``prep(image)`` instead of the right preprocessing."""

    def __init__(self, extractor: Any, prep: Callable) -> None:
        self.extractor, self.prep = extractor, prep

    def __call__(self, image: Any) -> dict:
        import tensorflow as tf

        x = tf.convert_to_tensor(image, tf.float32)
        x = x[None] if x.shape.rank == 3 else x
        outputs = self.extractor.model(self.prep(x), training=False)
        return dict(zip(self.extractor.layers, outputs, strict=True))


def _paper_style_layers() -> tuple[str, ...]:
    from .config import PAPER_STYLE_LAYERS

    return PAPER_STYLE_LAYERS


def _as_loop_image(value: Any, shape: tuple[int, ...]) -> np.ndarray:
    """The learner's image as float64 (H, W, 3), or a :class:`_Problem` saying what is wrong with it."""
    if isinstance(value, (list, tuple)) and value and not _is_numeric_sequence(value):
        raise _Problem(message("loop_tuple", kind=type(value).__name__))
    array = _as_array(value)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.shape != shape:
        raise _Problem(message("loop_shape", got=array.shape, h=shape[0], w=shape[1]))
    if not np.all(np.isfinite(array)):
        raise _Problem(message("loop_nan"))
    return array


def _loop_difference_text(got: np.ndarray, expected: np.ndarray, init: np.ndarray) -> str:
    diff = np.abs(got - expected)
    return message(
        "loop_differs",
        max=float(diff.max()), mean=float(diff.mean()), moved=float(np.abs(got - init).mean()),
        ref_moved=float(np.abs(expected - init).mean()), low=float(got.min()), high=float(got.max()),
    )


# ----- checked tweak experiments ----------------------------------------------------------------
#: Quick runs of the tweak checkers: the default recipe (L-BFGS from the photo) at this size, this many steps.
TWEAK_SIZE, TWEAK_STEPS = 64, 20
#: The seed-recipe runs of :func:`check_init_choice`: few steps, so that the start still shows.
INIT_STEPS = 10
#: Thresholds, measured on leuven_street x starry_night at 64 px, 20 L-BFGS steps, offline HED weights
#: (the measured values are in each checker's docstring).
TWEAK_LIMITS = {
    "texture_gap": 0.05,  # fine texture matched: conv1_1/conv2_1 Gram gap at most this
    "shapes_factor": 1.6,  # large shapes left alone: conv3_1/conv4_1 gap at least this x the default's
    "content_factor": 0.5,  # content distance at most this x the default's ("halves")
    "stylised": 0.35,  # style gap at most this x the photo's own ("stays stylised")
    "stroke_factor": 1.12,  # stroke width at least this x the default's
    "layout": 0.8,  # correlation of the blurred brightness with the photo's, at least
}


def check_style_layers_choice(layers: Sequence[str]) -> bool:
    """Goal: style layers that copy the painting's fine texture but not its large shapes.

    Runs the default recipe in quick mode with ``style_layers=layers`` and measures the result
    against the painting with one yardstick: the relative Gram gap (``|G(x) - G(p)|^2 / |G(p)|^2``,
    Gram divided by H*W) at the shallow layers conv1_1, conv2_1 (fine texture: colours, small
    marks) and at conv3_1, conv4_1 (larger shapes). Passes if the fine texture is matched (gap at
    most ``texture_gap``) while the larger shapes stay at least ``shapes_factor`` times further
    from the painting than with the default layers. Measured: default layers 0.004 / 0.037,
    conv1_1 + conv2_1 0.004 / 0.080 (2.2x), conv4_1 + conv5_1 0.49 / 0.054.

    Args:
        layers: style layer names in any scheme (``"conv1_1"``, ``"block1_conv1"``, ``0``).

    Returns:
        True if the goal is met.
    """
    from .config import TransferConfig

    title = "check_style_layers_choice"
    try:
        cfg = TransferConfig.default(style_layers=tuple(layers))
    except Exception as err:  # a bad layer name: say it, do not raise
        return _fail(title, "", message("tweak_bad_config", error=err))
    yard = _yardstick()
    base, got = yard.measure(_tweak_run(_default_tweak())), yard.measure(_tweak_run(cfg))
    texture_ok = got["texture"] <= TWEAK_LIMITS["texture_gap"]
    shapes_ok = got["shapes"] >= TWEAK_LIMITS["shapes_factor"] * base["shapes"]
    numbers = message("layers_numbers", texture=got["texture"], shapes=got["shapes"],
                                                base_texture=base["texture"], base_shapes=base["shapes"])
    if texture_ok and shapes_ok:
        return _tweak_pass(title, numbers)
    return _tweak_fail(title, numbers, "layers_no_texture" if not texture_ok else "layers_shapes")


def check_weight_change(config: Any) -> bool:
    """Goal: change ONE weight so that the content distance halves while the result stays stylised.

    Runs ``config`` in quick mode and the default next to it. Yardstick: the content distance
    (conv4_2 features vs the photo's, mean squared difference / mean square of the photo's) and the
    style gap (relative Gram gap averaged over conv1_1 ... conv5_1). Passes if exactly one of
    ``content_weight``, ``style_weight``, ``tv_weight`` differs from the default, the content
    distance is at most ``content_factor`` times the default's, and the style gap is at most
    ``stylised`` times the photo's own. Measured: default 0.55 / 0.10 (photo: 0 / 0.57);
    content_weight x10: 0.23 / 0.14; style_weight / 10: 0.21 / 0.14; content_weight x30: 0.10 / 0.23.

    Args:
        config: a :class:`TransferConfig`, e.g. ``TransferConfig.default(content_weight=...)``.

    Returns:
        True if the goal is met.
    """
    from .config import TransferConfig

    title = "check_weight_change"
    default = TransferConfig.default()
    if not isinstance(config, TransferConfig):
        return _fail(title, "", message("tweak_not_config", kind=type(config).__name__))
    names = ("content_weight", "style_weight", "tv_weight")
    changed = [n for n in names if getattr(config, n) != getattr(default, n)]
    others = [f.name for f in dataclasses.fields(TransferConfig)
              if f.name not in names and f.name not in ("steps", "size", "precision")
              and getattr(config, f.name) != getattr(default, f.name)]
    if len(changed) != 1 or others:
        return _fail(title, "", message("weights_one", changed=", ".join(changed + others) or message("nothing")))
    yard = _yardstick()
    base, got = yard.measure(_tweak_run(_default_tweak())), yard.measure(_tweak_run(config))
    numbers = message("weights_numbers", name=changed[0], content=got["content"], style=got["style"],
                                                 base_content=base["content"], base_style=base["style"],
                                                 photo_style=yard.photo["style"])
    if got["content"] > TWEAK_LIMITS["content_factor"] * base["content"]:
        return _tweak_fail(title, numbers, "weights_content")
    if got["style"] > TWEAK_LIMITS["stylised"] * yard.photo["style"]:
        return _tweak_fail(title, numbers, "weights_not_stylised")
    return _tweak_pass(title, numbers)


def check_bigger_strokes(config: Any) -> bool:
    """Goal: bigger brush strokes than the default gives.

    Runs ``config`` and the default in quick mode. Yardstick: the stroke width, the integral of
    the radial autocorrelation of the result's fine brightness detail (brightness minus its
    Gaussian blur, sigma 4 px) up to its first zero, in pixels. Passes if it is at least
    ``stroke_factor`` times the default's. Measured: default 1.86 px, style_scale=3: 2.57 px
    (1.38x); the hint names style_scale (above 1 paints the style image bigger: bigger strokes).

    Args:
        config: a :class:`TransferConfig`.

    Returns:
        True if the goal is met.
    """
    from .config import TransferConfig

    title = "check_bigger_strokes"
    if not isinstance(config, TransferConfig):
        return _fail(title, "", message("tweak_not_config", kind=type(config).__name__))
    try:
        got = stroke_width(_tweak_run(config))
    except Exception as err:  # e.g. a style image too small for VGG at this style_scale
        return _fail(title, "", message("tweak_bad_config", error=err))
    base = stroke_width(_tweak_run(_default_tweak()))
    numbers = message("strokes_numbers", width=got, base=base, scale=config.style_scale)
    if got >= TWEAK_LIMITS["stroke_factor"] * base:
        return _tweak_pass(title, numbers)
    return _tweak_fail(title, numbers, "strokes_small")


def check_init_choice(config: Any) -> bool:
    """Goal: with the seed's recipe and only ``INIT_STEPS`` steps, keep the photo's layout.

    Runs ``config`` for ``INIT_STEPS`` steps in quick mode. Yardstick: the correlation between
    the result's blurred brightness (Gaussian, sigma 2 px) and the photo's (1 = the same layout).
    Passes if it is at least ``layout``. The seed's noise start scores low after so few steps.

    Args:
        config: a :class:`TransferConfig`, e.g. ``TransferConfig.seed_recipe(init=...)``.

    Returns:
        True if the goal is met.
    """
    from .config import TransferConfig

    title = "check_init_choice"
    if not isinstance(config, TransferConfig):
        return _fail(title, "", message("tweak_not_config", kind=type(config).__name__))
    got = _layout(_tweak_run(dataclasses.replace(config, steps=INIT_STEPS)))
    numbers = message("init_numbers", init=config.init, layout=got)
    if got >= TWEAK_LIMITS["layout"]:
        return _tweak_pass(title, numbers)
    return _tweak_fail(title, numbers, "init_lost")


def _tweak_pass(title: str, numbers: str) -> bool:
    print(message("tweak_ok", title=title, numbers=numbers))
    return True


def _tweak_fail(title: str, numbers: str, hint: str) -> bool:
    print(message("tweak_fail", title=title, numbers=numbers))
    print("   " + message("hint", hint=message(hint)))
    return False


def _default_tweak() -> Any:
    from .config import TransferConfig

    return TransferConfig.default()


def _tweak_images() -> tuple[np.ndarray, np.ndarray]:
    from .images import data_path, load_image

    return (load_image(data_path("content"), max_size=TWEAK_SIZE), load_image(data_path("style"), max_size=TWEAK_SIZE))


_TWEAK_MEMO: dict[Any, np.ndarray] = {}


def _tweak_run(config: Any) -> np.ndarray:
    """``config`` at ``TWEAK_SIZE`` px and at most ``TWEAK_STEPS`` steps, float32 (remembered per session)."""
    from .transfer import transfer

    cfg = dataclasses.replace(config, size=TWEAK_SIZE, steps=min(config.steps, TWEAK_STEPS), precision="float32")
    if cfg not in _TWEAK_MEMO:
        content, style = _tweak_images()
        _TWEAK_MEMO[cfg] = transfer(content, style, cfg).image
    return _TWEAK_MEMO[cfg]


class _Yardstick:
    """Fixed measurements of a result against the photo and the painting (VGG16, the package's weights)."""

    LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1", "block4_conv2")

    def __init__(self) -> None:
        from . import losses
        from .model import FeatureExtractor

        self.extractor = FeatureExtractor(self.LAYERS)
        content, style = _tweak_images()
        self.shape = content.shape[:2]
        self.content_features = self.extractor(content)
        self.style_grams = {k: losses.gram_matrix(v, normalize="hw") for k, v in self.extractor(style).items()}
        self.photo = self.measure(content)

    def measure(self, image: np.ndarray) -> dict[str, float]:
        import tensorflow as tf

        from . import losses
        from .images import resize

        feats = self.extractor(resize(image, self.shape))  # a square (seed-style) result, back to the photo's shape
        gap = {}
        for k in self.LAYERS[:5]:
            g, a = losses.gram_matrix(feats[k], normalize="hw"), self.style_grams[k]
            gap[k] = float(tf.reduce_sum(tf.square(g - a)) / tf.reduce_sum(tf.square(a)))
        f, p = feats["block4_conv2"], self.content_features["block4_conv2"]
        return {
            "texture": (gap["block1_conv1"] + gap["block2_conv1"]) / 2,
            "shapes": (gap["block3_conv1"] + gap["block4_conv1"]) / 2,
            "style": float(np.mean(list(gap.values()))),
            "content": float(tf.reduce_mean(tf.square(f - p)) / tf.reduce_mean(tf.square(p))),
        }


@functools.lru_cache(maxsize=1)
def _yardstick() -> _Yardstick:
    return _Yardstick()


def _brightness(image: np.ndarray) -> np.ndarray:
    return np.asarray(image, np.float64) @ np.array([0.299, 0.587, 0.114])


def stroke_width(image: np.ndarray) -> float:
    """Width of the brush strokes in an image, in pixels: the yardstick of :func:`check_bigger_strokes`.

    The fine brightness detail (brightness minus its Gaussian blur, sigma 4 px, so the photo's layout
    does not count) is correlated with itself shifted by every offset; the radial profile of that
    autocorrelation (1 at offset 0) is summed up to its first zero. Wider strokes stay correlated over
    longer shifts, so the sum grows with the stroke width. Compare images of the same size only.

    Args:
        image: ``(H, W, 3)`` RGB, 0-255 (float or uint8).

    Returns:
        The width in pixels (about 1.5-3 for the course's 64-256 px runs).
    """
    import cv2

    y = _brightness(image)
    detail = y - cv2.GaussianBlur(y, (0, 0), 4)  # strokes, not the photo's layout
    power = np.abs(np.fft.fft2(detail - detail.mean())) ** 2
    auto = np.fft.fftshift(np.fft.ifft2(power).real)
    auto /= auto.max()
    centre = np.array(auto.shape) // 2
    rows, cols = np.indices(auto.shape)
    radius = np.hypot(rows - centre[0], cols - centre[1]).astype(int).ravel()
    profile = np.bincount(radius, auto.ravel()) / np.bincount(radius)
    first_zero = int(np.argmax(profile < 0)) or len(profile)
    return float(profile[:first_zero].sum())


def _layout(image: np.ndarray) -> float:
    """Correlation of the blurred brightness of ``image`` with the photo's: 1 means the same layout."""
    import cv2

    from .images import resize

    content = resize(_tweak_images()[0], image.shape[:2])  # the seed squashes to a square
    a, b = (cv2.GaussianBlur(_brightness(x), (0, 0), 2).ravel() for x in (image, content))
    return float(np.corrcoef(a, b)[0, 1])
