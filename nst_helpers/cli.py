"""The ``nst`` command: stylise a photo from the shell.

Everything that can be wrong with the input is checked *before* TensorFlow is
imported, so a typo costs a second, not a model load. Errors are one line on
stderr and a non-zero exit status (``--debug`` shows the traceback).

Introduced in README.md (quick start).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import signal
import sys
import threading
from typing import Any, NoReturn, Sequence

from . import config as C
from . import controls
from . import images as imgs
from .errors import NSTError
from .layers import NETWORKS, parse_layer_list

EXIT_USAGE, EXIT_ERROR, EXIT_INTERRUPTED = 2, 1, 130
#: Longest side (px) above which loading a photo gets a one-line notice (phone photos).
BIG_IMAGE = 2048


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one short line plus a hint, not the whole usage block."""

    def error(self, message: str) -> "NoReturn":  # type: ignore[override]
        self.exit(EXIT_USAGE, f"nst: error: {message}\nTry 'nst --help' for the options.\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="nst",
        description="Paint a photo in the style of a painting (Gatys et al. neural style transfer). "
        "With no images, uses the bundled default photo and painting.",
        epilog="Example: nst photo.jpg painting.jpg -o out.png --size 384 --report run.json",
    )
    p.add_argument("content", nargs="?", help="content photo (default: bundled %s)" % imgs.DEFAULTS["content"])
    p.add_argument("styles", nargs="*", metavar="style", help="one or more style images (default: bundled %s)" % imgs.DEFAULTS["style"])
    p.add_argument("-o", "--output", help="output .png or .jpg (default: outputs/<content>_<style>.png)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--preset", choices=sorted(C.PRESETS), default="default", help="starting recipe; other options change it")
    p.add_argument("--size", type=int, help="longest side in pixels (seed preset: square side)")
    p.add_argument("--steps", type=int, help="optimisation steps")
    p.add_argument("--optimizer", choices=C.OPTIMIZERS)
    p.add_argument("--content-weight", type=float)
    p.add_argument("--style-weight", type=float)
    p.add_argument("--tv-weight", type=float)
    p.add_argument("--content-layers", help="comma-separated: conv4_2 / block4_conv2 / seed index 0-12")
    p.add_argument("--style-layers", help="comma-separated, or 'all' for every convolution")
    p.add_argument("--net", choices=NETWORKS)
    p.add_argument("--weights", help="auto | imagenet | offline-hed-vgg16 | random | PATH.h5 (default: auto)")
    p.add_argument("--init", choices=C.INITS, help="starting image")
    p.add_argument("--seed", type=int, help="random seed (noise init)")
    p.add_argument("--precision", choices=C.PRECISIONS, help="float32, bfloat16 (mixed) or auto")
    p.add_argument("--learning-rate", type=float, help="Adam's learning rate (0-255 pixel scale)")
    p.add_argument("--scales", help="coarse-to-fine sizes, e.g. 256,512,1024: optimise small, upsample, refine "
                   "(big, sharp results; overrides --size)")
    p.add_argument("--style-scale", type=float, help="style image size relative to the content (default 1): "
                   "below 1 gives bigger brush strokes, above 1 finer ones")
    p.add_argument("--style-blend", help="mix several paintings: one weight per style image, e.g. 0.7,0.3")
    p.add_argument("--preserve-color", choices=C.PRESERVE_COLORS,
                   help="keep the photo's colours: 'luminance' transfers brightness only (YCrCb), "
                   "'histogram' recolours the painting to the photo's colour mean and covariance first")
    p.add_argument("--mask", action="append", metavar="FILE",
                   help="paint regions with different styles: a grey image per style image, in order "
                   "(white = that style's region; resized to the photo); repeat once per style")
    p.add_argument("--report", help="write a JSON report (weights, config, time, loss history) here")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    return p


def config_from_args(args: argparse.Namespace) -> C.TransferConfig:
    """The run's :class:`TransferConfig`: the preset, changed by every option given."""
    changes: dict[str, Any] = {}
    for field in ("size", "steps", "optimizer", "content_weight", "style_weight", "tv_weight", "net",
                  "init", "seed", "precision", "learning_rate", "style_scale", "preserve_color"):
        value = getattr(args, field)
        if value is not None:
            changes[field] = value
    if args.weights is not None:
        changes["weights"] = None if args.weights == "random" else args.weights
    net = args.net or C.preset(args.preset).net
    if args.content_layers is not None:
        changes["content_layers"] = parse_layer_list(args.content_layers, net)
    if args.style_layers is not None:
        changes["style_layers"] = parse_layer_list(args.style_layers, net)
    if args.scales is not None:
        changes["scales"] = _number_list(args.scales, int, "--scales")
    if args.style_blend is not None:
        changes["style_blend"] = _number_list(args.style_blend, float, "--style-blend")
    return C.preset(args.preset, **changes)


def _number_list(text: str, kind: type, option: str) -> tuple:
    try:
        return tuple(kind(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise C.ConfigError(f"{option} {text!r}: give comma-separated numbers, e.g. 128,256.") from None


def default_output(content: pathlib.Path, styles: Sequence[pathlib.Path]) -> pathlib.Path:
    return pathlib.Path("outputs") / f"{content.stem}_{'+'.join(s.stem for s in styles)}.png"


def check_output(output: pathlib.Path, inputs: Sequence[pathlib.Path], overwrite: bool) -> None:
    """Refuse to overwrite an input, and any existing file unless ``overwrite``."""
    if output.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise imgs.ImageError(f"{output}: the output must end in .png or .jpg.")
    resolved = output.resolve()
    if any(resolved == p.resolve() for p in inputs):
        raise imgs.ImageError(f"{output} is one of the input images: choose another output name.")
    if output.exists() and not overwrite:
        raise imgs.ImageError(f"{output} already exists: pass --overwrite to replace it, or choose another -o.")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except NSTError as err:
        if args.debug:
            raise
        print(f"nst: error: {err}", file=sys.stderr)
        return EXIT_USAGE if isinstance(err, (C.ConfigError, imgs.ImageError)) else EXIT_ERROR
    except KeyboardInterrupt:  # before the first step: there is no image to keep yet
        print("nst: interrupted before the first step; nothing written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:  # a bug or a system fault: still one line, the traceback on request
        if args.debug:
            raise
        print(f"nst: unexpected {type(err).__name__}: {err} (run again with --debug for the traceback)", file=sys.stderr)
        return EXIT_ERROR


def _run(args: argparse.Namespace) -> int:
    # 1. everything checkable without TensorFlow
    config = config_from_args(args)
    content = pathlib.Path(args.content) if args.content else imgs.data_path("content")
    styles = [pathlib.Path(s) for s in args.styles] or [imgs.data_path("style")]
    output = pathlib.Path(args.output) if args.output else default_output(content, styles)
    check_output(output, [content, *styles, *(pathlib.Path(m) for m in args.mask or ())], args.overwrite)
    content_img = _load(content, max(config.scales or (config.size,)))
    style_imgs = [_load(s, round(max(config.scales or (config.size,)) * config.style_scale)) for s in styles]
    _check_working_size(content_img, config)
    controls.check_style_options(config.style_blend, len(style_imgs), n_masks=len(args.mask) if args.mask else None)
    masks = None
    if args.mask:
        masks = controls.load_masks(args.mask, n_styles=len(style_imgs), content_shape=content_img.shape[:2],
                                   allow_uncovered=config.content_weight > 0)
    # 2. the expensive part
    from . import transfer as T

    extractor = T.build_extractor(config)  # resolve the weights (and report a fallback) before the progress bar
    steps = _Steps(config.steps * len(config.scales or (config.size,)), show=not args.quiet)
    with steps.stop_on_ctrl_c():
        result = T.transfer(content_img, style_imgs, config, callback=steps, extractor=extractor, masks=masks)
    steps.close()
    if steps.interrupted:
        result.stop_reason = "interrupted"
    imgs.save_image(result.image, output)
    if args.report:
        _write_report(pathlib.Path(args.report), result, content, styles, content_img, style_imgs, output,
                      masks=args.mask)
    _summary(result, output)
    return EXIT_INTERRUPTED if result.stop_reason == "interrupted" else 0


def _load(path: pathlib.Path, working_size: int) -> "imgs.np.ndarray":
    """Load an image, decoding big photos straight at a reduced size (one line says so)."""
    full = imgs.image_size(path)
    limit = 2 * max(working_size, imgs.MIN_SIDE)  # keep headroom for a good resize later
    if max(full) <= limit:
        return imgs.load_image(path)
    if max(full) > BIG_IMAGE:
        print(f"nst: note: {path.name} is {full[1]}x{full[0]} px; reading it at about {limit} px (work size {working_size}).", file=sys.stderr)
    return imgs.load_image(path, max_size=limit)


def _check_working_size(content, config: C.TransferConfig) -> None:
    """VGG needs >= 32 px per side at the smallest scale: fail now, not after loading TensorFlow."""
    smallest = min(config.scales or (config.size,))
    h, w = content.shape[:2]
    short = smallest if config.resize == "square" else round(min(h, w) * smallest / max(h, w))
    if short < imgs.MIN_SIDE:
        raise imgs.ImageError(
            f"the content image ({w}x{h}) is only {short} px on its short side at size {smallest}; "
            f"VGG needs at least {imgs.MIN_SIDE}. Use a larger --size or a less elongated image."
        )


class _Steps:
    """The transfer callback of the CLI: a tqdm bar on stderr, and a clean stop on Ctrl-C.

    The first Ctrl-C only raises a flag; the callback then asks the loop to stop at the end of
    the current step, so the best image so far is written. (A KeyboardInterrupt raised at a
    random point inside TensorFlow's Python code can leave one of its locks held.) A second
    Ctrl-C interrupts at once.
    """

    def __init__(self, total: int, *, show: bool = True) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, unit="step", file=sys.stderr, dynamic_ncols=True) if show else None
        self.interrupted = False

    def __call__(self, step: int, image: Any, losses: dict) -> bool:
        if self.bar is not None:
            self.bar.set_postfix(total=f"{losses['total']:.4g}", refresh=False)
            self.bar.update(1)
        return self.interrupted

    @contextlib.contextmanager
    def stop_on_ctrl_c(self):
        def request_stop(signum, frame):
            self.interrupted = True
            signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C stops at once

        if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
            yield
            return
        previous = signal.signal(signal.SIGINT, request_stop)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _write_report(path, result, content, styles, content_img, style_imgs, output, masks=None) -> None:
    report = {
        "weights": result.weights,
        "weights_description": result.weights_description,
        "precision": result.precision,
        "config": result.config.to_dict(),
        "seconds": round(result.seconds, 3),
        "steps_run": len(result.history),
        "stop_reason": result.stop_reason,
        "final_loss": result.final_loss,
        "final_losses": result.final_losses,
        "history": result.history,
        "output": str(output),
        "output_size": list(result.image.shape[:2]),
        "content": {"path": str(content), "size": list(content_img.shape[:2])},
        "styles": [{"path": str(p), "size": list(s.shape[:2])} for p, s in zip(styles, style_imgs)],
    }
    if masks:
        report["masks"] = [str(m) for m in masks]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(report, indent=2))
    os.replace(tmp, path)


def _summary(result, output: pathlib.Path) -> None:
    h, w = result.image.shape[:2]
    note = "" if result.stop_reason == "completed" else f" [{result.stop_reason}]"
    print(f"Wrote {output} ({w}x{h}) in {result.seconds:.1f} s; weights: {result.weights} ({result.weights_description}){note}")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
