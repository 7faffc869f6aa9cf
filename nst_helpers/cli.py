"""The ``nst`` command: stylise a photo from the shell.

Everything that can be wrong with the input is checked *before* TensorFlow is imported (the
images, the settings, the weights, and every file the run will write), so a typo costs a
second, not a model load. Errors are one line on stderr and exit status 2 (``--debug`` shows
the traceback). Ctrl-C (any number of times) and SIGTERM end the run with the best image so
far written, and the report says how the run ended.

Introduced in README.md (quick start).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import pathlib
import signal
import sys
import threading
import urllib.parse
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from . import arguments, controls, images, safe_write
from .config import INITS, OPTIMIZERS, PRECISIONS, PRESERVE_COLORS, PRESETS, TransferConfig, preset
from .errors import ConfigError, ImageError, NSTError, WeightsError
from .layers import NETWORKS, parse_layer_list
from .safe_write import OutputError

if TYPE_CHECKING:
    import numpy as np

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
#: 128 + the signal's number, as shells report a process ended by that signal.
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}
EXIT_INTERRUPTED = EXIT_SIGNAL[signal.SIGINT]
#: How a run may end without a fault (any other ``stop_reason`` is a sentence on a NaN/inf loss).
NORMAL_STOPS = ("completed", "interrupted", "terminated", "callback")
#: Errors that mean "change the command": exit status 2.
USER_ERRORS = (ConfigError, ImageError, OutputError, WeightsError)
#: Longest side (px) above which loading a photo gets a one-line notice (phone photos).
BIG_IMAGE = 2048
IMAGE_SUFFIXES = tuple(images.OUTPUT_FORMATS)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one short line plus a hint, not the whole usage block."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"nst: error: {message}\nTry 'nst --help' for the options.\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nst-helpers")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="nst",
        description="Paint a photo in the style of a painting (Gatys et al. neural style transfer). "
        "With no images, uses the bundled default photo and painting.",
        epilog="Example: nst photo.jpg painting.jpg -o out.png --size 384 --report run.json",
    )
    p.add_argument("content", nargs="?", help="content photo (default: bundled {})".format(images.DEFAULTS["content"]))
    p.add_argument("styles", nargs="*", metavar="style",
                   help="one or more style images (default: bundled {})".format(images.DEFAULTS["style"]))
    p.add_argument("-o", "--output", help="output .png or .jpg (default: outputs/<content>_<style>.png)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output or report file")
    p.add_argument("--preset", choices=sorted(PRESETS), default="default",
                   help="starting recipe; other options change it")
    p.add_argument("--size", type=int, help="longest side in pixels (seed preset: square side)")
    p.add_argument("--steps", type=int, help="optimisation steps")
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--content-weight", type=float)
    p.add_argument("--style-weight", type=float)
    p.add_argument("--tv-weight", type=float)
    p.add_argument("--content-layers", help="comma-separated: conv4_2 / block4_conv2 / seed index 0-12")
    p.add_argument("--style-layers", help="comma-separated, or 'all' for every convolution")
    p.add_argument("--net", choices=NETWORKS)
    p.add_argument("--weights", help="auto | imagenet | offline-hed-vgg16 | random | PATH.h5 (default: auto)")
    p.add_argument("--init", choices=INITS, help="starting image")
    p.add_argument("--seed", type=int, help="random seed (noise init)")
    p.add_argument("--precision", choices=PRECISIONS, help="float32, bfloat16 (mixed) or auto")
    p.add_argument("--learning-rate", type=float, help="Adam's learning rate (0-255 pixel scale)")
    p.add_argument("--scales", help="coarse-to-fine sizes, e.g. 256,512,1024: optimise small, upsample, refine "
                   "(big, sharp results; overrides --size)")
    p.add_argument("--style-scale", type=float, help="style image size relative to the content (default 1): "
                   "above 1 gives bigger brush strokes, below 1 finer ones")
    p.add_argument("--style-blend", help="mix several paintings: one weight per style image, e.g. 0.7,0.3")
    p.add_argument("--preserve-color", choices=PRESERVE_COLORS,
                   help="keep the photo's colours: 'luminance' transfers brightness only (YCrCb), "
                   "'histogram' recolours the painting to the photo's colour mean and covariance first")
    p.add_argument("--mask", action="append", metavar="FILE",
                   help="paint regions with different styles: a grey image per style image, in order "
                   "(white = that style's region; resized to the photo); repeat once per style")
    p.add_argument("--report", help="write a JSON report (weights, config, time, loss history, how it ended) here")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    p.add_argument("--version", action="version", version=f"nst (nst-helpers) {_version()}")
    return p


# ----- step 1: everything checkable without TensorFlow ----------------------------------------------
def config_from_args(args: argparse.Namespace) -> TransferConfig:
    """The run's :class:`TransferConfig`: the preset, changed by every option given."""
    changes: dict[str, Any] = {}
    for field in ("size", "steps", "optimizer", "content_weight", "style_weight", "tv_weight", "net",
                  "init", "seed", "precision", "learning_rate", "style_scale", "preserve_color"):
        value = getattr(args, field)
        if value is not None:
            changes[field] = value
    if args.weights is not None:
        changes["weights"] = None if args.weights == "random" else args.weights
    net = args.net or preset(args.preset).net
    if args.content_layers is not None:
        changes["content_layers"] = parse_layer_list(args.content_layers, net)
    if args.style_layers is not None:
        changes["style_layers"] = parse_layer_list(args.style_layers, net)
    if args.scales is not None:
        changes["scales"] = _number_list(args.scales, int, "--scales")
    if args.style_blend is not None:
        changes["style_blend"] = _number_list(args.style_blend, float, "--style-blend")
    config = preset(args.preset, **changes)
    arguments.check_style_side(config)
    return config


def _number_list(text: str, kind: type, option: str) -> tuple:
    try:
        return tuple(kind(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{option} {text!r}: give comma-separated numbers, e.g. 128,256.") from None


#: An input: a local file, or an ``http(s)://`` URL (a ``str``) that is downloaded.
Source = pathlib.Path | str


@dataclasses.dataclass(frozen=True)
class RunFiles:
    """Every file a run reads or writes (``file://`` URLs already turned into paths)."""

    content: Source
    styles: tuple[Source, ...]
    masks: tuple[Source, ...]
    output: pathlib.Path
    report: pathlib.Path | None

    @property
    def inputs(self) -> tuple[pathlib.Path, ...]:
        """The local input files: what the run must never write over."""
        return tuple(s for s in (self.content, *self.styles, *self.masks) if isinstance(s, pathlib.Path))


def files_from_args(args: argparse.Namespace) -> RunFiles:
    content = images.locate(args.content) if args.content is not None else images.data_path("content")
    styles = tuple(images.locate(s) for s in args.styles) or (images.data_path("style"),)
    output = _destination(args.output, "-o") if args.output is not None else default_output(content, styles)
    return RunFiles(content=content, styles=styles, masks=tuple(images.locate(m) for m in args.mask or ()),
                    output=output, report=_destination(args.report, "--report") if args.report is not None else None)


def _destination(text: str, option: str) -> pathlib.Path:
    """The file ``-o`` or ``--report`` names: a path or a ``file://`` URL; never a web address."""
    try:
        where = images.locate(text)
    except ImageError as err:
        raise OutputError(f"{option} {err}") from None
    if isinstance(where, str):
        raise OutputError(f"{option} {text}: cannot write to a web address; give a file name, e.g. out.png.")
    if not text.strip():
        raise OutputError(f"{option} {text!r} is not a file name: give one such as out.png.")
    return where


def _name(source: Source) -> pathlib.PurePath:
    """The file name part of a path or URL (``https://host/a/b.jpg?x=1`` -> ``b.jpg``)."""
    return pathlib.PurePosixPath(urllib.parse.urlsplit(source).path) if isinstance(source, str) else source


def _stem(source: Source) -> str:
    return _name(source).stem or "download"


def default_output(content: Source, styles: Sequence[Source]) -> pathlib.Path:
    return pathlib.Path("outputs") / f"{_stem(content)}_{'+'.join(_stem(s) for s in styles)}.png"


def check_destinations(files: RunFiles, overwrite: bool) -> None:
    """The output and the report, with one rule set: never an input, never each other, never an
    existing file unless ``overwrite``, a writable folder, a legal name (see :mod:`safe_write`)."""
    safe_write.check_target(files.output, inputs=files.inputs, overwrite=overwrite, suffixes=IMAGE_SUFFIXES,
                            overwrite_hint="--overwrite")
    if files.report is not None:
        if safe_write.same_file(files.report, files.output):
            raise OutputError(f"--report {files.report} is also the output image: give the report its own name, "
                              "e.g. run.json.")
        safe_write.check_target(files.report, inputs=files.inputs, overwrite=overwrite, overwrite_hint="--overwrite")


def _load(source: Source, working_size: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Load an image (>= 32 px a side), big photos at a reduced size (one line says so).

    Returns:
        The image and its own ``(height, width)``, before any reduction. A file is decoded straight
        at the reduced size; a URL is downloaded once and reduced after decoding.
    """
    limit = 2 * max(working_size, images.MIN_SIDE)  # keep headroom for a good resize later
    if isinstance(source, str):
        image = images.load_image(source, min_side=images.MIN_SIDE)
        full = image.shape[:2]
    else:
        full = images.image_size(source)
    if max(full) > limit and max(full) > BIG_IMAGE:
        print(f"nst: note: {_name(source).name or source} is {full[1]}x{full[0]} px; reading it at about {limit} px "
              f"(work size {working_size}).", file=sys.stderr)
    if isinstance(source, str):
        return (images.resize(image, limit) if max(full) > limit else image), full
    return images.load_image(source, max_size=limit if max(full) > limit else None, min_side=images.MIN_SIDE), full


def _check_working_size(content: np.ndarray, styles: Sequence[np.ndarray], config: TransferConfig) -> None:
    """VGG needs >= 32 px per side at the smallest scale, for the photo and every painting: fail now,
    not after loading TensorFlow. The shapes come from :func:`images.resized_shape`, as the run's."""
    smallest, square = min(config.sizes), config.resize == "square"
    h, w = images.resized_shape(content.shape, smallest, square=square)
    if min(h, w) < images.MIN_SIDE:
        raise ImageError(
            f"the content image ({content.shape[1]}x{content.shape[0]}) is only {min(h, w)} px on its short side "
            f"at size {smallest}; VGG needs at least {images.MIN_SIDE}. Use a larger --size or a less elongated image."
        )
    side = arguments.style_side(smallest, config.style_scale)
    for i, style in enumerate(styles, 1):
        sh, sw = images.resized_shape(style.shape, side, square=square)
        if min(sh, sw) < images.MIN_SIDE:
            raise ImageError(
                f"style image {i} ({style.shape[1]}x{style.shape[0]}) is only {min(sh, sw)} px on its short side at "
                f"--style-scale {config.style_scale:g} and size {smallest}; VGG needs at least {images.MIN_SIDE}. "
                "Raise --style-scale or --size, or use a less elongated painting."
            )


@dataclasses.dataclass
class Inputs:
    """What step 1 prepared for the run."""

    config: TransferConfig
    files: RunFiles
    content: np.ndarray
    styles: list
    masks: list | None


def prepare(args: argparse.Namespace) -> Inputs:
    """Step 1: settings, files, weights, images and masks, all checked; raises a user error or returns."""
    config = config_from_args(args)
    files = files_from_args(args)
    check_destinations(files, args.overwrite)
    arguments.check_weights(config.weights, config.net, option="--weights ")
    largest = max(config.sizes)
    content, content_shape = _load(files.content, largest)
    styles = [_load(s, round(largest * config.style_scale))[0] for s in files.styles]
    _check_working_size(content, styles, config)
    controls.check_style_options(config.style_blend, len(styles), n_masks=len(files.masks) if files.masks else None)
    masks = None
    if files.masks:  # checked against the photo's own size, which is what the user drew them over
        masks = controls.load_masks([str(m) for m in files.masks], n_styles=len(styles),
                                    content_shape=content_shape,
                                    allow_uncovered=config.content_weight > 0)
    return Inputs(config=config, files=files, content=content, styles=styles, masks=masks)


# ----- the command ---------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Run ``nst`` with ``argv`` (default: the command line); returns the exit status.

    Called as a program (``argv=None``), SIGINT and SIGTERM stay ignored after the run, so a
    signal during the interpreter's shutdown cannot turn a written result into a kill; called
    in-process (a notebook, a test), the previous handlers come back.
    """
    args = build_parser().parse_args(argv)
    stopper = _Stopper()
    try:
        with stopper.installed(restore=argv is not None):
            return _run(args, stopper)
    except NSTError as err:
        if args.debug:
            raise
        print(f"nst: error: {err}", file=sys.stderr)
        return EXIT_USAGE if isinstance(err, USER_ERRORS) else EXIT_ERROR
    except KeyboardInterrupt:  # only before the first step: afterwards a signal just stops the loop
        how = "terminated" if stopper.signum == signal.SIGTERM else "interrupted"
        print(f"nst: {how} before the first step; nothing written.", file=sys.stderr)
        return EXIT_SIGNAL.get(stopper.signum, EXIT_INTERRUPTED)
    except Exception as err:  # a bug or a system fault: still one line, the traceback on request
        if args.debug:
            raise
        print(f"nst: unexpected {type(err).__name__}: {err} (run again with --debug for the traceback)",
              file=sys.stderr)
        return EXIT_ERROR


def _run(args: argparse.Namespace, stopper: _Stopper) -> int:
    run = prepare(args)
    from . import transfer  # step 2: the expensive part

    extractor = transfer.build_extractor(run.config)  # resolve the weights (and any notice) before the bar
    progress = _Progress(run.config.total_steps, show=not args.quiet)
    try:
        result = transfer.transfer(run.content, run.styles, run.config, callback=stopper.callback(progress),
                                   extractor=extractor, masks=run.masks)
    finally:
        progress.close()  # an error below starts on its own line
    stopper.keep_work()
    if stopper.steps == 0 and stopper.signum is not None:
        raise KeyboardInterrupt  # stopped before the first step: there is nothing to keep
    # the stopper's callback is the only one here: it asked to stop because a signal came. A signal in the last
    # step's callback cut nothing, and transfer() says "completed" then (the report's `signal` and the exit
    # status still say a signal came)
    if result.stop_reason == "callback":
        result.stop_reason = "terminated" if stopper.signum == signal.SIGTERM else "interrupted"
    return _write_results(result, run, args.overwrite, stopper)


def _write_results(result: Any, run: Inputs, overwrite: bool, stopper: _Stopper) -> int:
    """Write the image, then the report; a signal now is only noted (the work is kept).

    The exit status is fixed once the image is written, so that a signal during its save counts,
    and the report says the status the process ends with. (A signal while the report itself is
    written is too late to change either: the work is complete and saved.)

    A run that stopped on a NaN/inf loss still writes its best finite image (for a look), but says
    so and exits 1: at step 0 that image is only the start (noise), not a result.
    """
    faulted = result.stop_reason not in NORMAL_STOPS
    if faulted:
        print(f"nst: warning: {result.stop_reason}", file=sys.stderr)
    output, moved = _save(run.files.output, overwrite, lambda p: images.save_image(
        result.image, p, overwrite=overwrite, inputs=run.files.inputs, overwrite_hint="--overwrite"))
    signum = stopper.signum
    code = EXIT_SIGNAL.get(signum, EXIT_ERROR if faulted or moved else EXIT_OK)
    if run.files.report is not None:
        report = report_dict(result, run, output=output, signum=signum, exit_code=code)
        data = (json.dumps(report, indent=2) + "\n").encode()
        _, report_moved = _save(run.files.report, overwrite, lambda p: safe_write.write_bytes(
            p, data, overwrite=overwrite, inputs=run.files.inputs, overwrite_hint="--overwrite"))
        code = code or (EXIT_ERROR if report_moved else EXIT_OK)
    _summary(result, output)
    return code


def _save(path: pathlib.Path, overwrite: bool, write: Any) -> tuple[pathlib.Path, bool]:
    """``write(path)``; if a file appeared at ``path`` during the run, write a fresh sibling instead
    (nothing clobbered, nothing lost). Returns the path written and whether it moved."""
    try:
        return write(path), False
    except OutputError:
        if overwrite or not path.exists():
            raise
    for n in range(1, 1000):
        sibling = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if sibling.exists():
            continue
        try:
            written = write(sibling)
        except OutputError:
            continue  # taken meanwhile too
        print(f"nst: warning: {path} appeared during the run (another program wrote it) and was left alone; "
              f"wrote {written} instead.", file=sys.stderr)
        return written, True
    raise OutputError(f"{path} appeared during the run and no free name next to it was found.")


def report_dict(result: Any, run: Inputs, *, output: pathlib.Path, signum: int | None, exit_code: int) -> dict:
    """The JSON report: weights really used, settings, time, loss history, files, and how the run ended."""
    report = {
        "weights": result.weights,
        "weights_description": result.weights_description,
        "precision": result.precision,
        "config": result.config.to_dict(),
        "seconds": round(result.seconds, 3),
        "steps_run": len(result.history),
        "stop_reason": result.stop_reason,
        "signal": signal.Signals(signum).name if signum is not None else None,
        "exit_code": exit_code,
        "final_loss": result.final_loss,
        "final_losses": result.final_losses,
        "history": result.history,
        "output": str(output),
        "output_size": list(result.image.shape[:2]),
        "content": {"path": str(run.files.content), "size": list(run.content.shape[:2])},
        "styles": [{"path": str(p), "size": list(s.shape[:2])}
                   for p, s in zip(run.files.styles, run.styles, strict=True)],
    }
    if run.files.masks:
        report["masks"] = [str(m) for m in run.files.masks]
    return report


def _summary(result: Any, output: pathlib.Path) -> None:
    h, w = result.image.shape[:2]
    note = "" if result.stop_reason == "completed" else f" [{result.stop_reason}]"
    print(f"Wrote {output} ({w}x{h}) in {result.seconds:.1f} s; weights: {result.weights} "
          f"({result.weights_description}){note}")


# ----- signals and progress ----------------------------------------------------------------------------
class _Stopper:
    """SIGINT (any number of times) and SIGTERM: stop the loop at the end of the step, keep the work.

    Before the first step there is nothing to keep, so a signal raises ``KeyboardInterrupt`` at
    once. Once a step has run, a signal only raises a flag: the loop stops at the end of the current
    step (a ``KeyboardInterrupt`` raised at a random point inside TensorFlow's Python code can leave one
    of its locks held), and the final evaluation and the writing of the image and report go on. To
    quit without saving, use SIGKILL (or Ctrl-\\, SIGQUIT).
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.steps = 0
        self._keep = False

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is None:
            self.signum = signum
        if not self._keep:
            raise KeyboardInterrupt

    def keep_work(self) -> None:
        """From now on a signal never interrupts: there is work to write."""
        self._keep = True

    def callback(self, progress: _Progress) -> Any:
        def on_step(step: int, image: Any, losses: dict) -> bool:
            self.steps += 1
            self._keep = True
            progress.update(losses)
            return self.signum is not None

        return on_step

    @contextlib.contextmanager
    def installed(self, *, restore: bool = True) -> Iterator[None]:
        """Handle SIGINT and SIGTERM inside the block; afterwards restore the old handlers, or ignore both."""
        if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
            yield
            return
        previous = {s: signal.signal(s, self._handle) for s in EXIT_SIGNAL}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler if restore else signal.SIG_IGN)


class _Progress:
    """A tqdm bar on stderr (or nothing with ``--quiet``)."""

    def __init__(self, total: int, *, show: bool = True) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, unit="step", file=sys.stderr, dynamic_ncols=True) if show else None

    def update(self, losses: dict) -> None:
        if self.bar is not None:
            self.bar.set_postfix(total=f"{losses['total']:.4g}", refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
