"""A control panel for style transfer in Jupyter and Colab (ipywidgets 7.7 and 8).

    import nst_helpers as nst
    nst.widgets.control_panel()   # as the last line of a cell

Pick a network, content and style layers (with a weight per style layer, used as shown),
the three loss weights, the optimiser, steps, size and colour preservation; pick a
bundled image or upload your own; press Run. The run happens in a background thread,
so Stop works (the transfer callback returns ``True``), the progress bar moves and a
preview and the loss curve refresh every few steps. Save writes a PNG.

The settings become a :class:`~nst_helpers.config.TransferConfig` through
:func:`config_from_values`, a plain function of plain values that needs no widgets.
ipywidgets is imported only inside functions, so importing this module is cheap.

Introduced in notebooks/06_playground.ipynb.
"""

from __future__ import annotations

import dataclasses
import io
import math
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import images as imgs
from .config import MAX_WEIGHT, OPTIMIZERS, PRESERVE_COLORS, TransferConfig, is_quick
from .errors import NSTError
from .layers import NETWORKS, layer_table, paper_name

__all__ = [
    "control_panel", "ControlPanel", "config_from_values", "panel_layer_weights",
    "describe_config", "uploaded_files", "placeholder_png", "default_layer_weight", "log_range",
]

#: Keys of :func:`config_from_values`'s ``values`` that are copied into the config as they are.
CONFIG_KEYS = (
    "net", "content_layers", "style_layers", "content_weight", "style_weight", "tv_weight",
    "optimizer", "steps", "size", "preserve_color",
)
#: Ranges of the log sliders, as powers of ten.
LOG_RANGE = (-4, 6)
#: The three losses, as named in the transfer's loss rows, each with its panel label.
LOSSES = (("content", "content weight"), ("style", "style weight"), ("tv", "TV weight"))
UPLOAD_PREFIX = "upload:"

Runner = Callable[..., Any]


# ----- plain functions: the config logic, testable without widgets ----------------------------
def panel_layer_weights(weights: Sequence[float]) -> tuple[float, ...] | None:
    """The per-layer style weights typed in the panel, as :class:`TransferConfig` takes them.

    They are used as they are (what the boxes show is what the loss uses). Equal weights of
    ``1/L`` each (to the boxes' 4 decimals) give ``None``, the config's default, so an untouched
    panel reproduces the base config exactly. Zero or negative weights are passed through for
    :class:`TransferConfig` to reject with its own clear message.

    >>> panel_layer_weights([0.5, 0.5]), panel_layer_weights([3, 1])
    (None, (3.0, 1.0))
    """
    weights = tuple(float(w) for w in weights)
    if weights and max(weights) - min(weights) < 1e-12 and abs(weights[0] * len(weights) - 1) < 1e-3:
        return None
    return weights or None


def default_layer_weight(n_layers: int) -> float:
    """The config's default per-layer weight, ``1/L``, as the panel's boxes show it (4 decimals)."""
    return round(1.0 / max(1, n_layers), 4)


def config_from_values(values: Mapping[str, Any], base: TransferConfig | None = None) -> TransferConfig:
    """Build a run's config from the panel's values with :func:`dataclasses.replace`.

    Args:
        values: any of ``CONFIG_KEYS`` (``net``, ``content_layers``, ``style_layers``,
            ``content_weight``, ``style_weight``, ``tv_weight``, ``optimizer``, ``steps``,
            ``size``, ``preserve_color``) plus ``style_layer_weights``: one weight per
            style layer, used as given (see :func:`panel_layer_weights`).
        base: the config to start from; ``None`` means :meth:`TransferConfig.default`.

    Returns:
        A validated :class:`TransferConfig`; everything not in ``values`` comes from ``base``.

    Raises:
        ConfigError: a value is out of range (the message says which and how to fix it).
    """
    base = base or TransferConfig.default()
    changes = {k: values[k] for k in CONFIG_KEYS if k in values}
    for key in ("content_layers", "style_layers"):
        if key in changes:
            changes[key] = tuple(changes[key])
    if "style_layer_weights" in values:
        changes["style_layer_weights"] = panel_layer_weights(values["style_layer_weights"])
    elif "style_layers" in changes and tuple(changes["style_layers"]) != base.style_layers:
        changes["style_layer_weights"] = None  # the base's per-layer weights belong to its own layers
    return dataclasses.replace(base, **changes)


def describe_config(config: TransferConfig, *, weights: str | None = None, weights_description: str = "") -> str:
    """A short HTML summary of the weights a run uses: losses, layers, and the VGG weights if known."""
    layer_w = config.style_layer_weights or [1.0 / max(1, len(config.style_layers))] * len(config.style_layers)
    style = ", ".join(f"{paper_name(n)} {w:.3g}" for n, w in zip(config.style_layers, layer_w, strict=True))
    content = ", ".join(paper_name(n) for n in config.content_layers)

    def weight(value: float) -> str:
        return f"weight {value:.3g}" if value > 0 else "off"

    lines = [
        f"<b>content</b> {weight(config.content_weight)} on [{content}] (mean over layers)",
        f"<b>style</b> {weight(config.style_weight)} on [{style}] (Gram normalisation {config.gram_norm!r})",
        f"<b>total variation</b> {weight(config.tv_weight)} ({config.tv_kind})",
        f"{config.net.upper()}, {config.optimizer}, {config.steps} steps, {config.size} px, "
        f"colour: {config.preserve_color}" + (", adaptive weights" if config.adaptive else ""),
    ]
    if weights:
        lines.append(f"<b>VGG weights</b>: {weights}" + (f" ({weights_description})" if weights_description else ""))
    return "<br>".join(lines)


def uploaded_files(value: Any) -> list[tuple[str, bytes]]:
    """``(name, bytes)`` of each file in a ``FileUpload.value``, for ipywidgets 7 and 8.

    ipywidgets 8 gives a tuple of dicts ``{"name", "type", "size", "content": memoryview, ...}``;
    ipywidgets 7 gives a dict ``{name: {"metadata": {...}, "content": bytes}}``.
    """
    if isinstance(value, Mapping):  # ipywidgets 7
        return [(str(name), bytes(item["content"])) for name, item in value.items()]
    return [(str(item["name"]), bytes(item["content"])) for item in value or ()]


def png_bytes(image: np.ndarray, *, max_side: int | None = None) -> bytes:
    """PNG encoding of a package image (float32 (H, W, 3), 0-255), optionally shrunk for display."""
    from PIL import Image

    if max_side is not None and max(image.shape[:2]) > max_side:
        image = imgs.resize(image, max_side)
    buffer = io.BytesIO()
    Image.fromarray(imgs.to_uint8(image)).save(buffer, format="PNG")
    return buffer.getvalue()


def placeholder_png(text: str, *, width: int = 320, height: int = 208) -> bytes:
    """A light grey PNG with a short centred text: what an image widget shows before there is a picture.

    (An empty ``ipywidgets.Image`` is drawn by browsers as a broken-image icon.)
    """
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (width, height), (238, 238, 238))
    draw = ImageDraw.Draw(picture)
    box = draw.textbbox((0, 0), text)
    draw.text(((width - box[2]) / 2, (height - box[3]) / 2), text, fill=(110, 110, 110))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def loss_curve_png(
    history: Sequence[Mapping[str, float]],
    *,
    losses: Sequence[str] = ("content", "style", "tv"),
    width: float = 4.0,
    height: float = 2.6,
) -> bytes:
    """The losses per step on a log scale, as PNG bytes (matplotlib's Figure: thread-safe, no pyplot).

    Args:
        history: one ``{"total": ..., "content": ..., ...}`` row per step.
        losses: the losses to draw besides the total (the panel leaves out those switched off).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=80)
    ax = fig.subplots()
    steps = np.arange(1, len(history) + 1)
    colours = {key: f"C{i}" for i, (key, _) in enumerate(LOSSES)}  # a loss keeps its colour when others are off
    looks = [(key, {"color": colours.get(key)}) for key in losses] + [("total", {"color": "k", "linestyle": "--"})]
    for key, look in looks:
        values = np.array([row.get(key, np.nan) for row in history], dtype=float)
        if np.any(values > 0):  # log scale: zero weights and zero losses are left out
            ax.plot(steps, np.where(values > 0, values, np.nan), label=key, **look)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_title("losses", fontsize=10)
    if ax.lines:
        ax.legend(fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def log_range(value: float) -> tuple[int, int]:
    """A log slider's exponent range: :data:`LOG_RANGE`, widened to hold ``value`` (else the slider clips it).

    >>> log_range(10.0), log_range(3e7), log_range(2e-6)
    ((-4, 6), (-4, 8), (-6, 6))
    """
    low, high = LOG_RANGE
    if value > 0:
        exponent = math.log10(value)
        low, high = min(low, math.floor(exponent)), max(high, math.ceil(exponent))
    return low, high


def is_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


# ----- the panel -------------------------------------------------------------------------------
def control_panel(
    *,
    runner: Runner | None = None,
    base: TransferConfig | None = None,
    preview_every: int = 5,
    save_path: str = "outputs/panel.png",
) -> Any:
    """The style-transfer control panel, ready to display.

    Args:
        runner: the function that runs a transfer, called as
            ``runner(content, style, config, callback=...)``; ``None`` means
            :func:`nst_helpers.transfer.transfer`. Tests pass a fast fake.
        base: starting settings; ``None`` means :meth:`TransferConfig.default`
            (its :meth:`~TransferConfig.quick` version when ``NST_QUICK=1``).
        preview_every: refresh the preview and the loss curve every this many steps.
        save_path: where Save writes the PNG (editable in the panel).

    Returns:
        An ``ipywidgets.VBox``; its ``.panel`` attribute is the :class:`ControlPanel`
        (``.panel.result`` holds the last run's result).
    """
    panel = ControlPanel(runner=runner, base=base, preview_every=preview_every, save_path=save_path)
    return panel.widget


class ControlPanel:
    """The widgets of the control panel, and what its buttons do.

    Args: see :func:`control_panel`.

    Attributes:
        widget: the ``ipywidgets.VBox`` to display.
        result: the last run's result (``None`` before the first run).
        history: the loss rows received so far in the current run.
        previews: how many times the preview image was refreshed.
    """

    def __init__(
        self,
        *,
        runner: Runner | None = None,
        base: TransferConfig | None = None,
        preview_every: int = 5,
        save_path: str = "outputs/panel.png",
    ) -> None:
        if base is None:
            base = TransferConfig.default().quick() if is_quick() else TransferConfig.default()
        self.base, self._runner = base, runner
        self.preview_every = max(1, int(preview_every))
        self.result: Any = None
        self.history: list[dict[str, float]] = []
        self.previews = 0
        self.uploads: dict[str, dict[str, np.ndarray]] = {"content": {}, "style": {}}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._curve_losses: tuple[str, ...] = tuple(key for key, _ in LOSSES)
        self._layer_weights_edited = False  # until the learner types a weight, the boxes follow the layers
        self._last_weights: tuple[str, str] | None = None  # (label, description) of the last run's VGG weights
        self._build_controls(save_path)
        self._build_layout()
        self._connect()
        self._sync_layer_weights()
        for kind in ("content", "style"):
            self._show_thumbnail(kind)
        self._refresh_summary()

    # ----- building ------------------------------------------------------------------------
    def _build_controls(self, save_path: str) -> None:
        import ipywidgets as w

        base, wide = self.base, {"description_width": "initial"}
        self.net = w.Dropdown(options=list(NETWORKS), value=base.net, description="network", style=wide)
        self.content_layers = w.SelectMultiple(description="content layers", rows=6, style=wide)
        self.style_layers = w.SelectMultiple(description="style layers", rows=6, style=wide)
        self._set_layer_options(base.net, base.content_layers, base.style_layers)
        self.layer_weights: dict[str, Any] = {}
        self.layer_weight_box = w.VBox()
        self.content_weight, self.use_content = self._log_weight(LOSSES[0][1], base.content_weight)
        self.style_weight, self.use_style = self._log_weight(LOSSES[1][1], base.style_weight)
        self.tv_weight, self.use_tv = self._log_weight(LOSSES[2][1], base.tv_weight)
        self.optimizer = w.Dropdown(options=list(OPTIMIZERS), value=base.optimizer, description="optimiser", style=wide)
        self.steps = w.IntSlider(value=base.steps, min=1, max=max(1000, base.steps), description="steps", style=wide)
        self.size = w.IntSlider(value=base.size, min=32, max=max(1024, base.size), step=32, description="size (px)",
                                style=wide)
        self.preserve_color = w.Dropdown(options=list(PRESERVE_COLORS), value=base.preserve_color,
                                         description="keep colours", style=wide)
        self.content_choice = w.Dropdown(options=imgs.list_bundled("content"), value=imgs.DEFAULTS["content"],
                                         description="content", style=wide)
        self.style_choice = w.Dropdown(options=imgs.list_bundled("style"), value=imgs.DEFAULTS["style"],
                                       description="style", style=wide)
        self.content_upload = w.FileUpload(accept="image/*", multiple=False, description="upload content",
                                           layout=w.Layout(width="auto"))
        self.style_upload = w.FileUpload(accept="image/*", multiple=False, description="upload style",
                                         layout=w.Layout(width="auto"))
        self.colab_buttons = {k: w.Button(description=f"upload {k}", icon="upload", layout=w.Layout(width="auto"))
                              for k in ("content", "style")}
        self.thumbs = {k: w.Image(value=placeholder_png(f"no {k} image", width=120, height=90), format="png", width=120)
                       for k in ("content", "style")}
        self.run_button = w.Button(description="Run", button_style="success", icon="play")
        self.stop_button = w.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.save_button = w.Button(description="Save PNG", icon="save", disabled=True)
        self.save_path = w.Text(value=save_path, description="file", style=wide)
        self.progress = w.IntProgress(value=0, min=0, max=base.steps, description="progress", style=wide)
        self.status = w.HTML("Choose settings and press <b>Run</b>.")
        self.preview = w.Image(value=placeholder_png("the picture appears here: press Run"), format="png", width=320)
        self.curve = w.Image(value=placeholder_png("the loss curves appear here"), format="png", width=320)
        self.summary = w.HTML()
        for name in ("run_button", "stop_button", "save_button", "progress", "status", "preview", "curve", "summary"):
            getattr(self, name).add_class(f"nst-{name.replace('_', '-')}")  # stable hooks for browser tests

    def _log_weight(self, label: str, value: float) -> tuple[Any, Any]:
        import ipywidgets as w

        low, high = log_range(value)
        shown = value if value > 0 else 1.0
        slider = w.FloatLogSlider(value=shown, base=10, min=low, max=high, step=0.1, description=label,
                                  readout_format=".3g", style={"description_width": "initial"}, disabled=value <= 0)
        return slider, w.Checkbox(value=value > 0, description="on", indent=False)

    def _build_layout(self) -> None:
        import ipywidgets as w

        uploads = ([self.colab_buttons["content"], self.colab_buttons["style"]] if is_colab()
                   else [self.content_upload, self.style_upload])
        pictures = w.VBox([
            w.HBox([self.content_choice, self.thumbs["content"]]),
            w.HBox([self.style_choice, self.thumbs["style"]]),
            w.HBox(uploads),
        ])
        weights = w.VBox([w.HBox([s, c]) for s, c in (
            (self.content_weight, self.use_content), (self.style_weight, self.use_style),
            (self.tv_weight, self.use_tv))])
        layers = w.HBox([self.content_layers, self.style_layers,
                         w.VBox([w.HTML("<b>style-layer weights</b> (used as shown)"),
                                 self.layer_weight_box])])
        settings = w.VBox([w.HBox([self.net, self.optimizer, self.preserve_color]), layers, weights,
                           w.HBox([self.steps, self.size])])
        buttons = w.HBox([self.run_button, self.stop_button, self.save_button, self.save_path])
        self.widget = w.VBox([pictures, settings, buttons, self.progress, self.status,
                              w.HBox([self.preview, self.curve]), self.summary])
        self.widget.panel = self  # reach the result from the displayed widget: widget.panel.result

    def _connect(self) -> None:
        self.net.observe(self._on_net, names="value")
        self.style_layers.observe(lambda _: self._sync_layer_weights(), names="value")
        for slider, box in self._loss_controls():
            box.observe(lambda change, slider=slider: setattr(slider, "disabled", not change["new"]), names="value")
        for control in (self.net, self.content_layers, self.style_layers, self.optimizer, self.steps, self.size,
                        self.preserve_color, *(c for pair in self._loss_controls() for c in pair)):
            control.observe(lambda _: self._refresh_summary(), names="value")
        for kind, upload in (("content", self.content_upload), ("style", self.style_upload)):
            upload.observe(lambda change, kind=kind: self._on_upload(kind, change["new"]), names="value")
            self.colab_buttons[kind].on_click(lambda _, kind=kind: self._colab_upload(kind))
        self.content_choice.observe(lambda _: self._show_thumbnail("content"), names="value")
        self.style_choice.observe(lambda _: self._show_thumbnail("style"), names="value")
        self.run_button.on_click(lambda _: self.run())
        self.stop_button.on_click(lambda _: self.stop())
        self.save_button.on_click(lambda _: self.save())

    # ----- layers --------------------------------------------------------------------------
    def _set_layer_options(self, net: str, content: Sequence[str], style: Sequence[str]) -> None:
        options = [(f"{row['paper']} ({row['keras']})", row["keras"]) for row in layer_table(net)]
        names = {value for _, value in options}
        for widget, chosen in ((self.content_layers, content), (self.style_layers, style)):
            widget.options = options  # resets the selection: set it again below
            widget.value = tuple(n for n in chosen if n in names)

    def _on_net(self, change: Mapping[str, Any]) -> None:
        self._set_layer_options(change["new"], self.content_layers.value, self.style_layers.value)

    def _loss_controls(self) -> list[tuple[Any, Any]]:
        """``(slider, checkbox)`` of the content, style and TV weights, in :data:`LOSSES` order."""
        return [(self.content_weight, self.use_content), (self.style_weight, self.use_style),
                (self.tv_weight, self.use_tv)]

    def _sync_layer_weights(self) -> None:
        """One weight box per selected style layer, showing the weight the loss will use.

        Until the learner types a weight, the boxes follow the selection: the base config's
        weights for its own layers, else ``1/L`` each. Afterwards, typed values are kept and
        newly selected layers start at ``1/L``.
        """
        import ipywidgets as w

        selected = tuple(self.style_layers.value)
        default = default_layer_weight(len(selected))
        start = dict.fromkeys(selected, default)
        if self._layer_weights_edited:
            start.update({name: box.value for name, box in self.layer_weights.items() if name in start})
        elif selected == self.base.style_layers and self.base.style_layer_weights:
            start.update(zip(selected, self.base.style_layer_weights, strict=True))
        self.layer_weights = {
            name: w.BoundedFloatText(value=start[name], min=0.0, max=MAX_WEIGHT, step=0.05,  # never clip a weight
                                     description=paper_name(name), layout=w.Layout(width="170px"))
            for name in selected
        }
        for box in self.layer_weights.values():
            box.observe(self._on_layer_weight, names="value")
        self.layer_weight_box.children = tuple(self.layer_weights.values())
        self._refresh_summary()

    def _on_layer_weight(self, _: Mapping[str, Any]) -> None:
        self._layer_weights_edited = True
        self._refresh_summary()

    # ----- images --------------------------------------------------------------------------
    def add_image(self, kind: str, name: str, source: imgs.ImageSource) -> None:
        """Add an image to the content or style choices and select it.

        Args:
            kind: ``"content"`` or ``"style"``.
            name: the name shown in the list.
            source: anything :func:`nst_helpers.images.load_image` takes (path, bytes, array).
        """
        image = imgs.load_image(source)
        self.uploads[kind][name] = image
        choice = self._choice(kind)
        value = UPLOAD_PREFIX + name
        bundled = [(n, n) for n in imgs.list_bundled(kind)]
        uploaded = [(f"{n} (uploaded)", UPLOAD_PREFIX + n) for n in self.uploads[kind]]
        choice.options = bundled + uploaded
        choice.value = value

    def image(self, kind: str) -> np.ndarray:
        """The chosen content or style image, in the package convention."""
        value = self._choice(kind).value
        if value.startswith(UPLOAD_PREFIX):
            return self.uploads[kind][value[len(UPLOAD_PREFIX):]]
        return imgs.load_image(imgs.data_path(kind, value))

    def _choice(self, kind: str) -> Any:
        return self.content_choice if kind == "content" else self.style_choice

    def _show_thumbnail(self, kind: str) -> None:
        try:
            self.thumbs[kind].value = png_bytes(self.image(kind), max_side=160)
        except NSTError as err:
            self._say(f"⚠️ {err}")

    def _on_upload(self, kind: str, value: Any) -> None:
        try:
            for name, data in uploaded_files(value):
                self.add_image(kind, name, data)
        except NSTError as err:
            self._say(f"⚠️ {err}")

    def _colab_upload(self, kind: str) -> None:
        """Colab's own upload dialog (its FileUpload widget fails on files above about 1 MB)."""
        try:
            from google.colab import files  # type: ignore[import-not-found]

            for name, data in files.upload().items():
                self.add_image(kind, name, data)
        except Exception as err:  # shown in the panel: a callback's traceback would go unseen
            self._say(f"⚠️ Upload failed ({type(err).__name__}: {err}). In a new cell run "
                      f"<code>uploaded = files.upload()</code>, then "
                      f"<code>panel.add_image('{kind}', name, data)</code> for each file.")

    # ----- settings ------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The widgets' values as plain data (the input of :func:`config_from_values`)."""
        return {
            "net": self.net.value,
            "content_layers": tuple(self.content_layers.value),
            "style_layers": tuple(self.style_layers.value),
            "style_layer_weights": tuple(self.layer_weights[n].value for n in self.style_layers.value),
            "content_weight": float(self.content_weight.value) if self.use_content.value else 0.0,
            "style_weight": float(self.style_weight.value) if self.use_style.value else 0.0,
            "tv_weight": float(self.tv_weight.value) if self.use_tv.value else 0.0,
            "optimizer": self.optimizer.value,
            "steps": int(self.steps.value),
            "size": int(self.size.value),
            "preserve_color": self.preserve_color.value,
        }

    def config(self) -> TransferConfig:
        """The :class:`TransferConfig` the next run will use."""
        return config_from_values(self.values(), self.base)

    def _refresh_summary(self) -> None:
        """Show what Run would use now (called on every change of a control)."""
        if not hasattr(self, "summary"):
            return  # still building the controls
        try:
            config = self.config()
        except (NSTError, ValueError) as err:
            self.summary.value = f"⚠️ {err}"
            return
        label, description = self._last_weights or (None, "")
        self.summary.value = describe_config(config, weights=label, weights_description=description)

    # ----- running -------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run(self) -> None:
        """Start a run in a background thread with the current settings (the Run button)."""
        if self.running:
            return
        try:
            config = self.config()
            content, style = self.image("content"), self.image("style")
        except (NSTError, ValueError) as err:
            self._say(f"⚠️ {err}")
            return
        self._start(config)
        self._thread = threading.Thread(target=self._work, args=(config, content, style), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the running transfer to stop after the current step (the Stop button)."""
        self._stop.set()
        if self.running:
            self._say("Stopping after this step…")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends; ``True`` if it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def save(self) -> None:
        """Write the last result as a PNG (or JPEG) to the path in the panel (the Save button)."""
        if self.result is None:
            self._say("Nothing to save yet: press Run first.")
            return
        try:
            path = imgs.save_image(self.result.image, self.save_path.value)
        except (NSTError, OSError) as err:
            self._say(f"⚠️ {err}")
            return
        self._say(f"Saved <code>{path}</code>.")

    def _start(self, config: TransferConfig) -> None:
        self._stop.clear()
        self.history, self.previews, self._started = [], 0, time.perf_counter()
        self.progress.max = config.total_steps
        self.progress.value = 0
        self.run_button.disabled, self.stop_button.disabled = True, False
        weights = {"content": config.content_weight, "style": config.style_weight, "tv": config.tv_weight}
        self._curve_losses = tuple(key for key, _ in LOSSES if weights[key] > 0)
        self._say(f"Running {config.steps} steps at {config.size} px…")

    def _work(self, config: TransferConfig, content: np.ndarray, style: np.ndarray) -> None:
        runner = self._runner
        if runner is None:
            from .transfer import transfer as runner
        try:
            result = runner(content, style, config, callback=self._on_step)
        except Exception as err:  # shown in the panel: a thread's traceback would go unseen
            self._finish(None, f"⚠️ {type(err).__name__}: {err}")
            return
        self._finish(result, None)

    def _on_step(self, step: int, image: np.ndarray, losses: Mapping[str, float]) -> bool:
        """The transfer's callback: record, show progress, refresh the preview; ``True`` stops."""
        self.history.append({k: float(v) for k, v in losses.items()})
        self.progress.value = min(step, self.progress.max)
        if step % self.preview_every == 0:
            self._show(image)
        return self._stop.is_set()

    def _show(self, image: np.ndarray) -> None:
        self.preview.value = png_bytes(image, max_side=512)
        self.curve.value = loss_curve_png(self.history, losses=self._curve_losses)
        self.previews += 1

    def _finish(self, result: Any, error: str | None) -> None:
        self.run_button.disabled, self.stop_button.disabled = False, True
        if error is not None:
            self._say(error)
            return
        self.result = result
        self._show(result.image)
        self.save_button.disabled = False
        reason = getattr(result, "stop_reason", "completed")
        stopped = "stopped by you" if reason == "callback" else reason
        seconds = time.perf_counter() - self._started
        self._say(f"Done: {len(self.history)} steps in {seconds:.1f} s ({stopped}).")
        if getattr(result, "weights", None):
            self._last_weights = (result.weights, getattr(result, "weights_description", ""))
        self._refresh_summary()

    def _say(self, html: str) -> None:
        self.status.value = html

    def _ipython_display_(self) -> None:  # a ControlPanel on a cell's last line shows its widget
        from IPython.display import display

        display(self.widget)
