"""A wheel built from a copy of the repository carries the bundled images, and the installed `nst` finds them.

The wheel is installed with ``--no-deps`` into a scratch ``--target`` folder that is put first on ``PYTHONPATH``
(TensorFlow and the rest come from the running environment), and ``nst`` runs from an unrelated folder.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[1]
#: Not part of a fresh clone (see .gitignore), or not needed to build a wheel.
JUNK = (".git", ".venv", "outputs", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".ipynb_checkpoints")


def _setuptools_version() -> tuple[int, ...] | None:
    if importlib.util.find_spec("setuptools") is None:
        return None
    from importlib.metadata import version

    return tuple(int(p) for p in version("setuptools").split(".")[:3] if p.isdigit())


def build_wheel(source: pathlib.Path, dest: pathlib.Path) -> pathlib.Path:
    """``pip wheel`` of ``source``: offline with the installed setuptools when it is new enough, else isolated."""
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check", "-w", str(dest)]
    if (_setuptools_version() or (0,)) >= (77, 0, 1):  # pyproject's build-system floor
        cmd.append("--no-build-isolation")
    done = subprocess.run([*cmd, str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"pip wheel failed:\n{done.stdout}\n{done.stderr}"
    (wheel,) = dest.glob("nst_helpers-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel from a copy of the repository and install it into a scratch --target folder."""
    base = tmp_path_factory.mktemp("install")
    source = base / "repo"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*JUNK))
    wheel = build_wheel(source, base / "dist")
    shutil.rmtree(source)  # nothing may be read from the copy once the wheel is built
    target = base / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check",
         "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, f"pip install failed:\n{done.stdout}\n{done.stderr}"
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(target), NST_QUICK="1")
    return {"wheel": wheel, "target": target, "cwd": elsewhere, "env": env}


def test_wheel_carries_the_bundled_images_and_their_sources(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    bundled = {f"nst_helpers/data/{kind}/{p.name}"
               for kind in ("content", "style") for p in (ROOT / "data" / kind).glob("*.jpg")}
    assert len(bundled) >= 2 and bundled <= names, f"missing from the wheel: {sorted(bundled - names)}"
    assert "nst_helpers/data/SOURCES.md" in names, "the images' licences must travel with them"


def test_installed_package_finds_its_images_outside_the_checkout(installed):
    code = ("import nst_helpers, nst_helpers.images as i; print(nst_helpers.__file__); "
            "print(i.data_path('content')); print(i.data_path('style'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=installed["cwd"], env=installed["env"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    package, content, style = (pathlib.Path(line) for line in done.stdout.split())
    target = installed["target"].resolve()
    assert package.is_relative_to(target), f"imported {package}, not the installed wheel"
    assert content.is_relative_to(target) and content.is_file()
    assert style.is_relative_to(target) and style.is_file()


def test_installed_nst_runs_with_no_image_arguments(installed):
    """The console script of the wheel paints the bundled pair at a tiny size from an unrelated folder."""
    nst = installed["target"] / "bin" / "nst"
    assert nst.is_file(), "the wheel installs no `nst` script"
    cmd = [str(nst), "--size", "48", "--steps", "2", "--quiet", "-o", "out.png", "--report", "run.json"]
    done = subprocess.run(cmd, cwd=installed["cwd"], env=installed["env"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"nst failed:\n{done.stdout}\n{done.stderr}"
    out = installed["cwd"] / "out.png"
    with Image.open(out) as img:
        assert max(img.size) == 48
    report = json.loads((installed["cwd"] / "run.json").read_text())
    target = installed["target"].resolve()
    assert pathlib.Path(report["content"]["path"]).resolve().is_relative_to(target), report["content"]
    assert pathlib.Path(report["styles"][0]["path"]).resolve().is_relative_to(target), report["styles"]


# ----- one repository URL: `make links` and the Colab bootstrap ----------------------------------------------
def _load_links():
    spec = importlib.util.spec_from_file_location("links", ROOT / ".ci" / "links.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(path: pathlib.Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.fixture()
def repo_copy(tmp_path) -> pathlib.Path:
    copy = tmp_path / "repo"
    (copy / ".ci").mkdir(parents=True)
    shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
    shutil.copy2(ROOT / "README.md", copy / "README.md")
    shutil.copy2(ROOT / ".ci" / "links.py", copy / ".ci" / "links.py")
    shutil.copytree(ROOT / "notebooks", copy / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "nst-helpers"))
    return copy


def test_links_rewrites_badges_bootstrap_and_pyproject_and_nothing_else(repo_copy):
    script = repo_copy / ".ci" / "links.py"
    before = {p: p.read_bytes() for p in [*repo_copy.rglob("*.ipynb"), repo_copy / "README.md"]}
    assert before, "no notebooks copied"
    done = subprocess.run([sys.executable, str(script), "some-org/nst.v2"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert 'Repository = "https://github.com/some-org/nst.v2"' in (repo_copy / "pyproject.toml").read_text()
    assert "git+https://github.com/some-org/nst.v2" in (repo_copy / "README.md").read_text(encoding="utf-8")
    for path, old_bytes in before.items():
        if path.suffix != ".ipynb":
            continue
        old, new = json.loads(old_bytes), _cells(path)
        assert len(old["cells"]) == len(new)
        first_code = next(i for i, c in enumerate(new) if c["cell_type"] == "code")
        assert 'os.environ.get("NST_REPO", "https://github.com/some-org/nst.v2")' in _text(new[first_code])
        badge = f"colab.research.google.com/github/some-org/nst.v2/blob/main/{path.relative_to(repo_copy).as_posix()})"
        assert badge in _text(new[0])
        for i, (a, b) in enumerate(zip(old["cells"], new, strict=True)):
            assert a.get("outputs") == b.get("outputs"), f"{path.name}: outputs of cell {i} changed"
            if i != first_code and "colab-badge" not in _text(a):
                assert a == b, f"{path.name}: cell {i} changed"
    check = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    # and back: byte for byte what was there (the file is written as nbformat writes it)
    subprocess.run([sys.executable, str(script), _load_links().slug_of(_load_links().repository_url(ROOT))], check=True,
                   capture_output=True)
    assert {p: p.read_bytes() for p in before} == before


def test_links_check_reports_a_stale_badge_and_rejects_a_bad_name(repo_copy):
    script = repo_copy / ".ci" / "links.py"
    nb = sorted((repo_copy / "notebooks").glob("*.ipynb"))[0]
    stale = nb.read_text(encoding="utf-8").replace("colab.research.google.com/github/",
                                                   "colab.research.google.com/github/x", 1)
    nb.write_text(stale, encoding="utf-8")
    check = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert check.returncode == 1 and nb.name in check.stdout
    bad = subprocess.run([sys.executable, str(script), "not a repo"], capture_output=True, text=True)
    assert bad.returncode == 2 and "owner/name" in bad.stderr


def _bootstrap_source() -> str:
    first = ROOT / "notebooks" / "00_setup_and_images.ipynb"
    return next(_text(c) for c in _cells(first) if c["cell_type"] == "code")


def _run_colab_bootstrap(
    workdir: pathlib.Path, stub: pathlib.Path, origin: pathlib.Path
) -> subprocess.CompletedProcess:
    script = workdir / "cell.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(stub)!r})\nimport google.colab\n{_bootstrap_source()}\n")
    env = dict(os.environ, NST_REPO=str(origin), PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return subprocess.run([sys.executable, str(script)], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=300)


def test_bootstrap_updates_its_clone_on_rerun_and_says_when_it_cannot(tmp_path):
    git = shutil.which("git")
    if git is None:
        pytest.skip("needs git")
    origin = tmp_path / "origin"
    origin.mkdir()

    def commit(name: str) -> None:
        (origin / name).write_text(name)
        subprocess.run([git, "-C", str(origin), "add", name], check=True)
        subprocess.run([git, "-C", str(origin), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", name],
                       check=True)

    subprocess.run([git, "init", "-q", str(origin)], check=True)
    commit("first")
    stub = tmp_path / "stub"
    (stub / "google" / "colab").mkdir(parents=True)
    (stub / "google" / "colab" / "__init__.py").write_text("")
    content = tmp_path / "content"
    content.mkdir()
    assert _run_colab_bootstrap(content, stub, origin).returncode == 0
    clone = content / "nst-helpers"
    assert (clone / "first").is_file()

    commit("second")  # the course moved on: a rerun brings the clone up to date
    done = _run_colab_bootstrap(content, stub, origin)
    assert done.returncode == 0, done.stderr
    assert (clone / "second").is_file(), "the rerun kept a stale clone"

    subprocess.run([git, "-C", str(origin), "checkout", "-q", "--orphan", "rewritten"], check=True)
    commit("third")  # history rewritten: no fast-forward, so the cell says what to do and goes on
    branch = subprocess.run([git, "-C", str(clone), "branch", "--show-current"],
                            capture_output=True, text=True).stdout.strip()
    subprocess.run([git, "-C", str(origin), "branch", "-q", "-M", "rewritten", branch], check=True)
    done = _run_colab_bootstrap(content, stub, origin)
    assert done.returncode == 0, done.stderr
    assert "Could not update nst-helpers/" in done.stdout and "rm -rf nst-helpers" in done.stdout
    assert (clone / "second").is_file()


def test_every_declared_requirement_has_a_floor_make_compat_can_pin():
    """`make compat` pins each floor of pyproject.toml with ``==``; a requirement it cannot read stops it at once.

    (A ``ruff~=`` line added after compat was written did exactly that, and only `make compat` would have shown it.)
    """
    spec = importlib.util.spec_from_file_location("compat", ROOT / ".ci" / "compat.py")
    compat = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compat)
    project = compat.pyproject()
    pins = compat.floors_requirements(project)
    names = {compat.requirement_name(r) for r in compat.declared_requirements(project)}
    assert {compat.requirement_name(p) for p in pins} == names
    assert all("==" in p and ">=" not in p and "~=" not in p for p in pins), pins
    assert compat.floor_pin("ruff~=0.17.0") == "ruff==0.17.0"
    for not_a_floor in ("numpy", "numpy<2", "numpy>=1.2,<2"):
        with pytest.raises(SystemExit):
            compat.floor_pin(not_a_floor)
