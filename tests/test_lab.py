"""`make lab` works on a git-ignored copy of the notebooks: made once, never overwritten, `git status` stays clean."""

import json
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "lab_copy.py"


def _git(repo: pathlib.Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True,
                          capture_output=True, text=True).stdout


def _lab_copy(repo: pathlib.Path) -> str:
    run = subprocess.run([sys.executable, ".ci/lab_copy.py", "notebooks", "my-notebooks"], cwd=repo,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.fixture()
def repo(tmp_path):
    """A git repository with this project's notebooks, .gitignore and copy script, all committed."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "notebooks", repo / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "outputs"))
    (repo / ".ci").mkdir()
    shutil.copy2(SCRIPT, repo / ".ci")
    shutil.copy2(ROOT / ".gitignore", repo)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "start")
    return repo


def _run_in_jupyter(notebook: pathlib.Path) -> None:
    """What a sitting in JupyterLab leaves behind: outputs saved in the file, a checkpoint, an output image."""
    nb = json.loads(notebook.read_text())
    code = next(cell for cell in nb["cells"] if cell["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["my own run\n"]}]
    notebook.write_text(json.dumps(nb))
    checkpoints = notebook.parent / ".ipynb_checkpoints"
    checkpoints.mkdir(exist_ok=True)
    (checkpoints / notebook.name.replace(".ipynb", "-checkpoint.ipynb")).write_text(json.dumps(nb))
    (notebook.parent / "outputs").mkdir(exist_ok=True)
    (notebook.parent / "outputs" / "panel.png").write_bytes(b"png")


def test_the_copy_is_made_once_and_git_stays_clean(repo):
    tracked = sorted(p.relative_to(repo / "notebooks") for p in (repo / "notebooks").rglob("*.ipynb"))
    out = _lab_copy(repo)
    assert f"copied {len(tracked)} notebooks to my-notebooks/" in out
    copied = sorted(p.relative_to(repo / "my-notebooks") for p in (repo / "my-notebooks").rglob("*.ipynb"))
    assert copied == tracked and any(p.parts[0] == "solutions" for p in copied)

    mine = repo / "my-notebooks" / "00_setup_and_images.ipynb"
    _run_in_jupyter(mine)
    _run_in_jupyter(repo / "my-notebooks" / "solutions" / tracked[-1].name)
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""

    # a second `make lab` keeps the learner's work and says so
    out = _lab_copy(repo)
    assert "kept as they are" in out and "copied" not in out
    assert "my own run" in mine.read_text()


def test_only_missing_notebooks_are_added(repo):
    _lab_copy(repo)
    mine = repo / "my-notebooks" / "01_feature_extraction.ipynb"
    _run_in_jupyter(mine)
    (repo / "my-notebooks" / "02_gram_matrices.ipynb").unlink()  # "start this one afresh"
    out = _lab_copy(repo)
    assert "added 1 new notebook(s)" in out and "02_gram_matrices.ipynb" in out
    assert "my own run" in mine.read_text()
    assert (repo / "my-notebooks" / "02_gram_matrices.ipynb").read_bytes() == \
        (repo / "notebooks" / "02_gram_matrices.ipynb").read_bytes()


def test_make_lab_opens_the_copy():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    run = subprocess.run(["make", "-n", "lab", "VENV=.venv"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    lines = run.stdout.splitlines()
    copy = next(i for i, line in enumerate(lines) if "lab_copy.py notebooks my-notebooks" in line)
    lab = next(i for i, line in enumerate(lines) if re.search(r"jupyter lab my-notebooks$", line))
    assert copy < lab
    assert "my-notebooks/" in (ROOT / ".gitignore").read_text().splitlines()


def test_notebooks_do_not_depend_on_their_folder():
    """They must run from my-notebooks/ too: no paths relative to notebooks/ (data come through the package)."""
    bad = []
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
            bad += [f"{path.name}: {line.strip()}" for line in source.splitlines()
                    if re.search(r"""["'](\.\./|\.\.["']|notebooks/|data/)""", line)]
    assert bad == []


def test_readme_and_notebook_00_tell_the_learner_about_the_copy():
    """Issue 11 point 3: say so in README and in 00 (both languages); on Colab nothing changes."""
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"`make lab`[^\n]*`my-notebooks/`[^\n]*git-ignored[^\n]*never overwritten", readme)
    for name in ("00_setup_and_images.ipynb", "vi/00_setup_and_images.ipynb"):
        cells = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        assert "`make lab`" in text and "`my-notebooks/`" in text and "Colab" in text, name
