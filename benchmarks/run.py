"""Speed, quality and memory benchmarks of nst_helpers -> benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/run.py            # headline sections (time to quality, high resolution)
    .venv/bin/python benchmarks/run.py --quick    # smoke run, tiny sizes (~3 min)
    .venv/bin/python benchmarks/run.py --only engine memory pairs context   # the other sections

Headline pair (held out: not in data/, never used for tuning): skimage's ``coffee.png``
(read from the scikit-image 0.26.0 wheel, downloaded once with ``pip download --no-deps``)
+ data/style/great_wave.jpg; the offline VGG16 (``NST_WEIGHTS`` is set to it unless you set it).

Against load: candidates and the reference alternate (A B C A B C ...), at least two
rounds, medians reported; every row records the CPU (model, bf16/AVX flags) and the
1-min load average at its start and end. RESULTS.md keeps one section per machine kind;
a run rewrites only its own machine's section, after every table, so an interrupted run
leaves what it measured so far.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import pathlib
import platform
import resource
import subprocess
import sys
import time
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
os.environ.setdefault("NST_WEIGHTS", "offline-hed-vgg16")  # no ImageNet download attempt offline
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

CONTENT, STYLE = "leuven_street.jpg", "starry_night.jpg"  # the bundled pair of the older sections
HELDOUT_WHEEL, HELDOUT_MEMBER = "scikit-image==0.26.0", "skimage/data/coffee.png"
HELDOUT_STYLE = "great_wave.jpg"
TARGETS = {
    "time_ratio": 0.10,  # default pipeline's wall time / reference's
    "quality": 0.01,  # default's final objective within 1 % of the reference's
    "stylised": 0.30,  # Gram distance / content photo's own, every bundled pair
    "overhead": 0.15,  # loop per iteration over bare forward + input gradient
    "bf16_speedup": 2.5,
    "bf16_objective": 0.02,
    "rss_512_gb": 2.5,
}


# ----- small helpers -------------------------------------------------------------------------------
def _load_text() -> str:
    """The 1-, 5- and 15-minute load averages, as the tables print them."""
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def machine() -> dict[str, str]:
    """CPU (through nst_helpers.devices), versions, and what ``precision="auto"`` picks here."""
    import tensorflow as tf

    from nst_helpers import devices

    cpu = devices.cpu_info()
    flags = [f for f in devices.BENCH_FLAGS if f in cpu.flags]
    return {
        "cpu": cpu.model,
        "cores": str(cpu.cores),
        "isa": ", ".join(flags) or "none of " + "/".join(devices.BENCH_FLAGS),
        "kind": f"{cpu.model} ({', '.join(flags) or 'no AVX2'})",
        "summary": devices.summary(cpu=cpu),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "load_start": _load_text(),
    }


def auto_bf16() -> bool:
    """Whether ``precision="auto"`` picks bfloat16 on this machine (decided by nst_helpers.devices)."""
    from nst_helpers import devices

    return devices.resolve_precision("auto") == "bfloat16"


def load1() -> float:
    return os.getloadavg()[0]


def shrink(cfg, args):
    """With ``--quick``: the same config at the tiny size and at most 10 steps per scale."""
    if not args.quick:
        return cfg
    scales = tuple(min(x, args.size) for x in cfg.scales) if cfg.scales else None
    return dataclasses.replace(cfg, size=min(cfg.size, args.size), steps=min(cfg.steps, 10), scales=scales)


def table(header: list[str], rows: list[list[Any]]) -> str:
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def describe(cfg) -> str:
    """Short label of the settings that matter for speed."""
    scales = "->".join(map(str, cfg.scales)) if cfg.scales else str(cfg.size)
    lr = f" lr={cfg.learning_rate:g}" if cfg.optimizer == "adam" else ""
    return f"{cfg.optimizer}{lr} x{cfg.steps}/scale @{scales} {cfg.precision}"


class Report:
    """Collects markdown sections and rewrites this machine's part of the output file after each one.

    The file holds one block per machine kind between ``<!-- machine: KIND -->`` and
    ``<!-- end machine -->``; blocks of other machines (and the text before the first block) are kept.
    """

    def __init__(self, path: pathlib.Path, info: dict[str, str], args: argparse.Namespace) -> None:
        self.path, self.info, self.args, self.sections = path, info, args, []
        self.verdicts: list[list[Any]] = []
        self.started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    def add(self, title: str, body: str) -> None:
        self.sections.append(f"### {title}\n\n{body}\n")
        print(f"\n### {title}\n\n{body}\n", flush=True)
        self.write()

    def block(self) -> str:
        info = dict(self.info, load_now=_load_text())
        head = [
            f"## Machine: {info['kind']}",
            "",
            f"Generated by `benchmarks/run.py{' --quick' if self.args.quick else ''}`, started {self.started}.",
            "",
            f"- CPU: {info['cpu']}, {info['cores']} cores ({info['isa']}); `nst.devices.summary()`: {info['summary']}",
            f"- Python {info['python']}, TensorFlow {info['tensorflow']}, "
            f"offline VGG16 (`{os.environ.get('NST_WEIGHTS')}`)",
            f"- Load average (1, 5, 15 min) at start: {info['load_start']}; at the last update: {info['load_now']}",
            "  (the machine is shared: absolute times are pessimistic; every comparison alternates its runs).",
            "",
        ]
        if self.verdicts:
            head += ["### Targets", "", table(["target", "goal", "measured", "met?"], self.verdicts), ""]
        return "\n".join(head + self.sections)

    def write(self) -> None:
        marker = f"<!-- machine: {self.info['kind']} -->"
        old = self.path.read_text() if self.path.is_file() else "# Benchmarks\n\n"
        mine = f"{marker}\n{self.block()}\n<!-- end machine -->"
        if marker in old:
            before, rest = old.split(marker, 1)
            after = rest.split("<!-- end machine -->", 1)[1] if "<!-- end machine -->" in rest else ""
            text = before + mine + after
        else:  # a new machine kind goes first, above the history of the others
            first = old.find("<!-- machine:")
            text = (old + "\n" + mine + "\n") if first < 0 else (old[:first] + mine + "\n\n" + old[first:])
        self.path.write_text(text)


def images(size: int):
    import nst_helpers as nst

    c = nst.images.load_image(nst.images.data_path("content", CONTENT))
    s = nst.images.load_image(nst.images.data_path("style", STYLE))
    return c, s


def run_transfer(content, style, cfg, *, extractor=None, timestamps: bool = False):
    """``transfer`` plus, optionally, the wall-clock time after each iteration."""
    import nst_helpers as nst

    stamps: list[float] = []
    cb = (lambda step, img, row: stamps.append(time.perf_counter())) if timestamps else None
    result = nst.transfer.transfer(content, style, cfg, extractor=extractor, callback=cb)
    return result, stamps


# ----- section: engine cost --------------------------------------------------------------------------
def engine(args, rep: Report) -> dict[str, float]:
    """Per-iteration cost: bare forward+input gradient vs the loop's Adam iteration, float32 vs bfloat16."""
    import tensorflow as tf

    import nst_helpers as nst

    c, s = images(args.size)
    base = nst.TransferConfig.default(size=args.size, scales=None, optimizer="adam", steps=args.engine_steps)
    fxs, bares = {}, {}
    for prec in ("float32", "bfloat16"):
        fx = nst.transfer.build_extractor(base, prec)
        x = tf.Variable(nst.images.resize(c, args.size)[None])

        @tf.function
        def bare(fx=fx, x=x):  # the same truncated network, its outputs summed: no Gram, no loss
            with tf.GradientTape() as tape:
                outs = fx.model(nst.model.preprocess(x), training=False)
                outs = outs if isinstance(outs, (list, tuple)) else [outs]
                y = tf.add_n([tf.reduce_sum(tf.cast(o, tf.float32)) for o in outs])
            return tape.gradient(y, x)

        bare().numpy()  # trace + warm up
        fxs[prec], bares[prec] = fx, bare
    times = {f"{p}_{k}": [] for p in fxs for k in ("bare", "loop")}
    for _ in range(args.rounds):  # interleaved: load drifts hit every column alike
        for prec in fxs:
            for _ in range(args.engine_steps - 1):
                t0 = time.perf_counter()
                bares[prec]().numpy()
                times[f"{prec}_bare"].append(time.perf_counter() - t0)
            cfg = dataclasses.replace(base, precision=prec)
            _, stamps = run_transfer(c, s, cfg, extractor=fxs[prec], timestamps=True)
            times[f"{prec}_loop"] += list(np.diff(stamps)[1:])  # drop the first: tracing
    med = {k: float(np.median(v)) for k, v in times.items()}
    rows = []
    for prec in fxs:
        over = med[f"{prec}_loop"] / med[f"{prec}_bare"] - 1
        rows.append([prec, 1000 * med[f"{prec}_bare"], 1000 * med[f"{prec}_loop"], f"{100 * over:+.0f} %"])
    speed = med["float32_loop"] / med["bfloat16_loop"]
    body = (
        f"Adam loop at {args.size} px (longest side) vs the bare truncated VGG16 (to conv5_1: forward, "
        f"sum of the 6 used outputs, gradient w.r.t. the input), median of {args.rounds} interleaved rounds "
        f"x {args.engine_steps - 1} iterations.\n\n"
        + table(["precision", "bare fwd+grad (ms)", "loop iteration (ms)", "loop overhead"], rows)
        + f"\n\nbfloat16 speed-up per loop iteration: **{speed:.2f}x** "
        f"(bare network: {med['float32_bare'] / med['bfloat16_bare']:.2f}x)."
    )
    rep.add("Engine cost per iteration", body)
    med["speedup"] = speed
    return med


def memory_probe(size: int, steps: int) -> None:
    """Child process: one default transfer at ``size``; prints peak RSS in MB as JSON."""
    import nst_helpers as nst

    c, s = images(size)
    import psutil

    before = psutil.Process().memory_info().rss / 2**20  # current, not peak: TF's import has its own peak
    for prec in ("auto",):
        cfg = nst.TransferConfig.default(size=size, scales=None, steps=steps, precision=prec)
        r = nst.transfer.transfer(c, s, cfg)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"size": size, "peak_mb": peak, "before_mb": before, "precision": r.precision,
                      "optimizer": cfg.optimizer}))


def memory(args, rep: Report) -> dict[int, float]:
    out, rows = {}, []
    for size in args.memory_sizes:
        proc = subprocess.run(
            [sys.executable, __file__, "--memory-probe", str(size), "--memory-steps", str(args.memory_steps)],
            capture_output=True, text=True, env=os.environ.copy(),
        )
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if not line:
            rows.append([size, "failed", proc.stderr[-300:].replace("\n", " "), "", ""])
            continue
        d = json.loads(line[-1])
        out[size] = d["peak_mb"]
        rows.append([size, d["precision"], d["optimizer"], round(d["before_mb"]), round(d["peak_mb"])])
    body = (
        f"Peak resident memory (ru_maxrss) of a fresh process running the default config for "
        f"{args.memory_steps} steps at one scale; 'RSS before the run' is after importing "
        "nst_helpers and loading the images (TensorFlow loads with the model, so it counts in the peak).\n\n"
        + table(["size (px)", "precision", "optimizer", "RSS before the run (MB)", "peak RSS (MB)"], rows)
    )
    rep.add("Peak memory", body)
    return out


# ----- the held-out pair --------------------------------------------------------------------------------
def heldout_pair(workdir: pathlib.Path):
    """skimage's coffee.png (a 600x400 photo, read from the scikit-image wheel) + the bundled Great Wave."""
    import zipfile

    import nst_helpers as nst

    wheels = workdir / "wheels"
    found = sorted(wheels.glob("scikit_image-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                        HELDOUT_WHEEL, "-d", str(wheels)], check=True)
        found = sorted(wheels.glob("scikit_image-*.whl"))
    with zipfile.ZipFile(found[0]) as z:
        content = nst.images.load_image(z.read(HELDOUT_MEMBER))
    return content, nst.images.load_image(nst.images.data_path("style", HELDOUT_STYLE))


def heldout_label() -> str:
    return f"`{HELDOUT_MEMBER}` ({HELDOUT_WHEEL} wheel) + `data/style/{HELDOUT_STYLE}`"


# ----- section: time to quality (interleaved) ------------------------------------------------------------
def ttq_candidates(args) -> list[tuple[str, Any]]:
    """The reference (TF tutorial's loop: Adam, float32) first, then the default and one lever at a time."""
    import nst_helpers as nst

    d = nst.TransferConfig.default(size=args.size)
    ref = dataclasses.replace(d, optimizer="adam", precision="float32", learning_rate=args.ref_lr,
                              steps=args.ref_steps, tolerance=0.0)
    candidates = [(label, dataclasses.replace(d, **ch)) for label, ch in args.candidates]
    return [("reference", ref), ("default", d), *candidates]


def timed_run(c, s, cfg, extractor) -> dict[str, Any]:
    """One transfer with its load average, and objective-vs-seconds points from its history."""
    l0 = load1()
    r, stamps = run_transfer(c, s, cfg, extractor=extractor, timestamps=True)
    start = stamps[-1] - r.seconds if stamps else 0.0  # Result.seconds ends with the last step
    curve = [(t - start, h["total"]) for t, h in zip(stamps, r.history, strict=True)]
    return {"result": r, "seconds": r.seconds, "final": r.final_loss, "load": (l0, load1()), "curve": curve,
            "iterations": len(r.history), "evaluations": sum(h.get("evaluations", 1) for h in r.history)}


def time_to_quality(args, rep: Report) -> dict[str, Any]:
    import nst_helpers as nst

    c, s = heldout_pair(args.workdir)
    cands = [(label, shrink(cfg, args)) for label, cfg in ttq_candidates(args)]
    extractors: dict[str, Any] = {}
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in cands}
    rows = []
    for rnd in range(1, args.rounds + 1):
        for label, cfg in cands:  # A B C ... A B C: load drifts hit every candidate alike
            prec = nst.devices.resolve_precision(cfg.precision)
            fx = extractors.setdefault(prec, nst.transfer.build_extractor(cfg, prec))
            run = timed_run(c, s, cfg, fx)
            runs[label].append(run)
            ref = runs["reference"][-1]
            rows.append([rnd, f"{label}: {describe(cfg)} (-> {run['result'].precision})", round(run["seconds"], 1),
                         run["final"], f"{run['final'] / ref['final']:.4f}", f"{run['seconds'] / ref['seconds']:.3f}",
                         f"{run['iterations']}/{run['evaluations']:.0f}", "{:.2f} -> {:.2f}".format(*run["load"]),
                         rep.info["kind"]])
            nst.images.save_image(run["result"].image, args.workdir / f"ttq_{label}.png")
            rep_rows = rows[:]
            _ttq_report(args, rep, cands, runs, rep_rows, partial=True)
    return _ttq_report(args, rep, cands, runs, rows, partial=False)


def _ttq_report(args, rep, cands, runs, rows, *, partial: bool) -> dict[str, Any]:
    ref_final = float(np.median([r["final"] for r in runs["reference"]])) if runs["reference"] else float("nan")
    ref_sec = float(np.median([r["seconds"] for r in runs["reference"]])) if runs["reference"] else float("nan")
    summary, med = [], {}
    for label, cfg in cands:
        rs = runs[label]
        if not rs:
            continue
        sec, fin = float(np.median([r["seconds"] for r in rs])), float(np.median([r["final"] for r in rs]))
        hit = [next((t for t, v in r["curve"] if v <= 1.01 * ref_final), None) for r in rs]
        hit_s = "never" if any(h is None for h in hit) else f"{np.median(hit):.1f} s"
        ok = fin <= 1.01 * ref_final and sec <= 0.1 * ref_sec
        med[label] = {"seconds": sec, "final": fin, "ok": ok}
        summary.append([f"{label}: {describe(cfg)}", len(rs), round(sec, 1), fin, f"{fin / ref_final:.4f}",
                        f"{ref_sec / sec:.1f}x", hit_s, "-" if label == "reference" else _yes(ok)])
    body = (
        f"Pair: {heldout_label()}, {args.size} px (longest side). Objective = the default config's losses and "
        "weights, evaluated in float32 on the output at that size (`Result.final_loss`). Reference: the TF "
        f"tutorial's loop, Adam float32 x{args.ref_steps} at lr {args.ref_lr:g} (the best of the earlier 2/5/10 grid), "
        "from the content image. Runs alternate reference, default, levers, in each of "
        f"{args.rounds} rounds; wall time excludes model building (one network per precision, built once), "
        "includes targets and tracing. 'speed-up' = median reference time / median time; 'first within 1 %' reads "
        "each run's own objective history (bfloat16 runs: bfloat16 values) against 1.01 x the reference's median "
        "final objective. 'met' = median final objective within 1 % of the reference's in <= 1/10 of its time.\n\n"
        "Medians:\n\n"
        + table(["run", "rounds", "seconds", "final objective", "objective / ref", "speed-up", "first within 1 %",
                 "met"], summary)
        + "\n\nEvery run, in the order they ran ('iter/evals': iterations / objective evaluations; load: 1-min "
        "load average at the row's start -> end):\n\n"
        + table(["round", "run", "seconds", "final objective", "objective / ref (same round)",
                 "time / ref (same round)", "iter/evals", "load", "machine"], rows)
    )
    rep.sections = [x for x in rep.sections if not x.startswith("### Time to quality")]  # replace the partial table
    rep.add("Time to quality" + (" (in progress)" if partial else ""), body)
    if not partial:
        figure(args, runs, ref_final)
    return {"ref": {"final": ref_final, "seconds": ref_sec}, "medians": med}


def figure(args, runs, ref_final: float) -> None:
    """Objective (relative to the reference's final) against seconds, one line per lever (the last round)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=90)
    for label, rs in runs.items():
        t, v = zip(*rs[-1]["curve"], strict=True)
        ax.plot(t, np.array(v) / ref_final, label=label, lw=1.5 if label in ("default", "reference") else 1)
    ax.axhline(1.01, color="grey", ls="--", lw=0.8)
    ax.text(1, 1.012, "reference's final + 1 %", fontsize=8, color="grey")
    ax.set(xscale="log", yscale="log", xlabel="seconds (log)", ylabel="objective / reference's final (log)",
           ylim=(0.9, 30), title=f"Time to quality, {args.size} px, held-out pair, last round")
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = HERE / ("ttq_quick.png" if args.quick else "ttq.png")
    fig.savefig(args.workdir / out.name if args.quick else out)
    plt.close(fig)


# ----- section: high resolution ---------------------------------------------------------------------------
def hires_probe(size: int, mode: str, steps: int, workdir: pathlib.Path) -> None:
    """Child process: one transfer of the held-out pair at ``size``; prints JSON with time, objective, peak RSS."""
    import nst_helpers as nst

    c, s = heldout_pair(workdir)
    cfg = nst.TransferConfig.default(size=size, steps=steps)
    if mode == "single":
        cfg = dataclasses.replace(cfg, scales=(size,), tolerance=0.0)
    l0 = load1()
    r = nst.transfer.transfer(c, s, cfg)
    nst.images.save_image(r.image, workdir / f"hires_{mode}_{size}.png")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps({"size": size, "mode": mode, "seconds": r.seconds, "final": r.final_loss, "peak_gb": peak,
                      "stages": r.stages, "iterations": len(r.history), "precision": r.precision,
                      "load": [l0, load1()]}))


def hires(args, rep: Report) -> None:
    """Cost, objective and large-stroke Gram distance against pixel count; single-scale L-BFGS at the sizes asked."""
    from evaluator import evaluate_image

    import nst_helpers as nst

    c, s = heldout_pair(args.workdir)
    rows, base = [], None
    for size, mode in args.hires_runs:
        proc = subprocess.run([sys.executable, __file__, "--hires-probe", str(size), mode, "--probe-steps",
                               str(args.hires_steps)], capture_output=True, text=True, env=os.environ.copy())
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if not line:
            rows.append([size, mode, "failed: " + proc.stderr[-200:].replace("\n", " ")] + [""] * 7)
            continue
        d = json.loads(line[-1])
        img = nst.images.load_image(args.workdir / f"hires_{mode}_{size}.png")
        g256 = evaluate_image(nst.images.resize(img, 256), c, s)["gram"]  # large strokes: judged at 256 px
        if size == 256 and mode == "default":
            base = g256
        stages = "->".join(f"{a}x{b}" for a, b in d["stages"])
        rows.append([size, mode, stages, round(d["seconds"], 1), d["final"], g256,
                     f"{g256 / base:.2f}" if base else "-", f"{d['peak_gb']:.2f}",
                     "{:.2f} -> {:.2f}".format(*d["load"]), rep.info["kind"]])
        rep.sections = [x for x in rep.sections if not x.startswith("### High resolution")]
        rep.add("High resolution", _hires_body(args, rows))


def _hires_body(args, rows) -> str:
    return (
        f"Pair: {heldout_label()}. 'default' = `TransferConfig.default(size=N)` (coarse-to-fine by itself above "
        "400 px, stopping on convergence); 'single' = `scales=(N,)`, 200 L-BFGS iterations at full size. "
        "'objective' is the float32 objective at the output size; 'Gram @256' is the Gram distance "
        "(`benchmarks/evaluator.py`) of the output downsampled to 256 px, i.e. whether the painting's large "
        "strokes survived; 'vs 256 default' divides it by the 256 px default's. Each run in a fresh process "
        "(peak RSS = ru_maxrss); runs one after the other, not alternated (each is minutes long).\n\n"
        + table(["size", "mode", "stages (size x max steps)", "seconds", "objective", "Gram @256", "vs 256 default",
                 "peak RSS (GB)", "load", "machine"], rows)
    )


# ----- section: context rows and all pairs ---------------------------------------------------------------
def tutorial_config(nst, *, rebalanced: bool, steps: int, precision: str):
    """The TF tutorial's recipe in package units (0-255 images; VGG16 because VGG19 is not available offline).

    Tutorial: content block5_conv2, style block1..5_conv1, Gram / HW, style 1e-2, content 1e4,
    tf.image.total_variation (sum of |diffs|) x 30 on [0, 1] images, Adam lr 0.02 on [0, 1].
    On 0-255 pixels the TV sum is 255x larger (weight / 255) and the learning rate 255x (5.1).
    """
    return nst.TransferConfig(
        net="vgg16", content_layers=("block5_conv2",),
        style_layers=("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"),
        content_weight=1e4, style_weight=1.0 if rebalanced else 1e-2, tv_weight=(3.0 if rebalanced else 30.0) / 255.0,
        gram_norm="hw", tv_kind="l1_sum", optimizer="adam", learning_rate=0.02 * 255, steps=steps,
        size=256, init="content", precision=precision,
    )


def context(args, rep: Report) -> None:
    from evaluator import evaluate_image

    import nst_helpers as nst

    c, s = images(args.size)
    own = evaluate_image(nst.images.resize(c, args.size), c, s)
    rows = [["the content photo itself", "-", "-", own["gram"], 1.0, own["content"]]]
    cases = [
        ("seed recipe (faithful)", nst.TransferConfig.seed_recipe(steps=args.seed_steps, precision="float32")),
        ("TF tutorial as published", tutorial_config(nst, rebalanced=False, steps=args.tutorial_steps,
                                                     precision=args.tutorial_precision)),
        ("TF tutorial rebalanced (style 1, TV 3)", tutorial_config(nst, rebalanced=True, steps=args.tutorial_steps,
                                                                   precision=args.tutorial_precision)),
        ("default", nst.TransferConfig.default()),
    ]
    for label, cfg in cases:
        cfg = shrink(cfg, args)
        r, _ = run_transfer(c, s, cfg)
        ev = evaluate_image(r.image, c, s)
        # the photo's own Gram distance at this output's size
        own_here = evaluate_image(nst.images.resize(c, r.image.shape[:2]), c, s)["gram"]
        rows.append([f"{label}: {describe(cfg)}", "x".join(map(str, r.image.shape[:2])), round(r.seconds, 1),
                     ev["gram"], ev["gram"] / own_here, ev["content"]])
        nst.images.save_image(r.image, args.workdir / f"context_{label.split()[0]}_{label.split()[-1]}.png")
    body = (
        "One yardstick for every output (`benchmarks/evaluator.py`, not a training loss): Gram distance = mean over "
        "conv1_1..conv5_1 of the MSE of ÷HW Gram matrices to the style image's; content distance = MSE of conv4_2 "
        "features to the photo's; float32 offline VGG16 at the output's own size. 'Gram ratio' divides by the "
        "photo's own Gram distance at that size (lower = more stylised). The tutorial used VGG19 at 512 px for "
        f"1000 steps; here VGG16 (offline), 256 px, {args.tutorial_steps} steps, precision "
        f"{args.tutorial_precision}, Adam with Keras' defaults (the tutorial's beta_1=0.99, epsilon=0.1 are not "
        "config fields).\n\n"
        + table(["run", "output (HxW)", "seconds", "Gram distance", "Gram ratio", "content distance"], rows)
    )
    rep.add("Context: the seed, the TF tutorial and the default on one yardstick", body)


def all_pairs(args, rep: Report) -> float:
    from evaluator import evaluate_image

    import nst_helpers as nst

    cfg = shrink(nst.TransferConfig.default(), args)
    fx = nst.transfer.build_extractor(cfg)
    rows, worst = [], 0.0
    for cname in nst.images.list_bundled("content"):
        for sname in nst.images.list_bundled("style"):
            c = nst.images.load_image(nst.images.data_path("content", cname))
            s = nst.images.load_image(nst.images.data_path("style", sname))
            r = nst.transfer.transfer(c, s, cfg, extractor=fx)
            ev = evaluate_image(r.image, c, s)
            own = evaluate_image(nst.images.resize(c, r.image.shape[:2]), c, s)
            ratio = ev["gram"] / own["gram"]
            worst = max(worst, ratio)
            rows.append([cname, sname, round(r.seconds, 1), f"{ratio:.2g}", ev["content"], r.final_loss])
            nst.images.save_image(r.image, args.workdir / f"pair_{cname[:-4]}__{sname[:-4]}.png")
    body = (
        f"The default config ({describe(cfg)}, weights content {cfg.content_weight:g} / style "
        f"{cfg.style_weight:g} / TV {cfg.tv_weight:g}) on every bundled content x style pair. Gram ratio = Gram "
        f"distance of the output / of the photo itself (target <= {TARGETS['stylised']}). Output images: "
        f"`{args.workdir}/pair_*.png`.\n\n"
        + table(["content", "style", "seconds", "Gram ratio", "content distance", "final objective"], rows)
    )
    rep.add("Stylisation on every bundled pair", body)
    return worst


# ----- main ---------------------------------------------------------------------------------------------
def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: tiny sizes and few steps (writes to /tmp)")
    p.add_argument("--out",
                   help="markdown file (default benchmarks/RESULTS.md; --quick: /tmp/nst_bench/RESULTS_quick.md)")
    p.add_argument("--only", nargs="*", default=None,
                   choices=["quality", "hires", "engine", "memory", "context", "pairs"],
                   help="run only these sections (default: quality hires)")
    p.add_argument("--size", type=int, help="working size of the time-to-quality section (default 256)")
    p.add_argument("--rounds", type=int, help="alternating rounds of the time-to-quality section (default 2)")
    p.add_argument("--levers", nargs="*", help="time-to-quality levers to run (default: all; e.g. lbfgs-scipy)")
    p.add_argument("--hires", nargs="*", help="high-resolution runs as SIZE:MODE (mode default or single)")
    p.add_argument("--memory-probe", type=int, help=argparse.SUPPRESS)
    p.add_argument("--memory-steps", type=int, default=10, help=argparse.SUPPRESS)
    p.add_argument("--hires-probe", nargs=2, help=argparse.SUPPRESS)
    p.add_argument("--probe-steps", type=int, default=200, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    q = args.quick
    args.size = args.size or (64 if q else 256)
    args.rounds = max(2, args.rounds or 2)
    args.engine_steps = 4 if q else 6
    args.ref_lr = 10.0
    args.ref_steps = 30 if q else 1000
    args.seed_steps = 5 if q else 60
    args.tutorial_steps = 10 if q else 200
    args.tutorial_precision = "auto"
    args.memory_sizes = (64, 96) if q else (256, 512)
    args.memory_steps = 3 if q else 10
    args.hires_steps = 10 if q else 200
    pairs = args.hires or (["64:default", "96:default"] if q else
                           ["256:default", "512:default", "1024:default", "1024:single", "2048:default"])
    args.hires_runs = [(int(x.split(":")[0]), (x.split(":") + ["default"])[1]) for x in pairs]
    # the levers, one at a time, relative to the default (which is TF L-BFGS, tolerance 1e-3, precision auto)
    args.candidates = [
        ("lbfgs-scipy", dict(optimizer="lbfgs-scipy")),
        # the precision "auto" does not pick here: each machine shows what its precision choice buys
        ("float32", dict(precision="float32")) if auto_bf16() else ("bfloat16", dict(precision="bfloat16")),
    ]
    if args.size >= 128:  # a half-size stage must still be >= 64 px for VGG's deepest layers
        args.candidates.append(("coarse-to-fine", dict(scales=(args.size // 2, args.size), steps=100)))
    if args.levers is not None:
        args.candidates = [c for c in args.candidates if c[0] in args.levers]
    args.workdir = pathlib.Path("/tmp/nst_bench")
    args.workdir.mkdir(parents=True, exist_ok=True)
    args.out = pathlib.Path(args.out) if args.out else (args.workdir / "RESULTS_quick.md" if q else HERE / "RESULTS.md")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.memory_probe:
        memory_probe(args.memory_probe, args.memory_steps)
        return
    if args.hires_probe:
        hires_probe(int(args.hires_probe[0]), args.hires_probe[1], args.probe_steps, args.workdir)
        return
    if args.quick:
        os.environ.setdefault("NST_QUICK", "1")
    import nst_helpers as nst  # noqa: F401  (TensorFlow import after the environment is set)

    rep = Report(args.out, machine(), args)
    only = args.only if args.only is not None else ["quality", "hires"]
    want = lambda name: name in only  # noqa: E731
    v = rep.verdicts
    start = time.time()
    if want("quality"):
        tq = time_to_quality(args, rep)
        m, ref = tq["medians"], tq["ref"]
        d = m["default"]
        excess = 100 * (d["final"] / ref["final"] - 1)
        v.append(["default: objective vs reference (median)", "<= +1 %", f"{excess:+.2f} %",
                  _yes(d["final"] <= 1.01 * ref["final"])])
        v.append(["default: speed-up vs reference (median)", ">= 10x", f"{ref['seconds'] / d['seconds']:.1f}x",
                  _yes(d["seconds"] <= 0.1 * ref["seconds"])])
        rep.write()
    if want("hires"):
        hires(args, rep)
    if want("memory"):
        memory(args, rep)
    if want("pairs"):
        all_pairs(args, rep)
    if want("context"):
        context(args, rep)
    if want("engine"):
        engine(args, rep)
    rep.add("Run", f"Total benchmark time {time.time() - start:.0f} s; load average at the end "
            + _load_text() + ".")


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


if __name__ == "__main__":
    main()
