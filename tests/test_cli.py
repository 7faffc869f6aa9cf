"""The `nst` command: reports, exit codes, one-line errors, nothing overwritten, Ctrl-C keeps the image."""

import json
import os
import re
import signal
import subprocess
import sys
import time

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
                   "--content-layers", "--style-layers", "--net", "--weights", "--init", "--seed", "--report", "--quiet"):
        assert option in text


def test_python_dash_m_and_console_script_exist():
    assert _nst("--help").returncode == 0
    assert "nst" in (_nst("--version").stderr + _nst("--help").stdout)


def test_ctrl_c_leaves_a_valid_output_image(tmp_path):
    out = tmp_path / "o.png"
    env = dict(os.environ, NST_WEIGHTS="offline-hed-vgg16", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "nst_helpers", "--size", "64", "--steps", "5000", "-o", str(out),
                             "--optimizer", "adam"], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    buffer = ""
    deadline = time.time() + 120
    while not re.search(r"\b[1-9]\d*/5000", buffer) and time.time() < deadline:  # a few steps done
        buffer += proc.stderr.read(1)
    proc.send_signal(signal.SIGINT)
    stdout, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "interrupted" in stdout
    image = nst.load_image(out)
    assert image.shape == (48, 64, 3)


@pytest.mark.parametrize("args", [["--size", "abc"], ["--optimizer", "sgd"], ["--no-such-option"], ["--preset", "x"]])
def test_usage_errors_are_at_most_three_lines(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2 and 1 <= len(err) <= 3 and err[0].startswith("nst: error:")


def test_missing_weights_file_is_one_line_exit_1(tmp_path, capsys):
    rc = cli.main(["--weights", str(tmp_path / "none.h5"), "--size", "48", "--steps", "1", "-o", str(tmp_path / "o.png")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and "none.h5" in err[0] and not (tmp_path / "o.png").exists()
