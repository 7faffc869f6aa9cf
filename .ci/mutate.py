"""Mutation testing of the pure modules, one scratch copy per module (``make mutate``).

mutmut reads only ``./pyproject.toml``, and each module should be judged by its own tests only,
so every module gets its own copy of the package (plus ``data/``, which ``images.DATA_DIR`` finds
next to the package) with a small pyproject naming that module and its test files. The shared
mutmut settings come from this repository's ``[tool.mutmut]`` section.

Usage: ``python .ci/mutate.py [--min 90] [module ...]``. Prints the killed share per module and
exits 1 if any module is below ``--min`` percent.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
#: module -> the test files that judge it
TESTS = {
    "losses": ["tests/test_losses.py"],
    "layers": ["tests/test_layers.py"],
    "config": ["tests/test_config.py"],
    "images": ["tests/test_images.py", "tests/test_images_behaviour.py"],
    "controls": ["tests/test_controls.py"],
}


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def _pyproject(module: str) -> str:
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    mutmut = dict(tool["mutmut"])
    mutmut["only_mutate"] = [f"nst_helpers/{module}.py"]
    mutmut["pytest_add_cli_args_test_selection"] = [t for t in TESTS[module] if (ROOT / t).is_file()]
    lines = ["[tool.pytest.ini_options]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in tool["pytest"]["ini_options"].items() if k != "testpaths"]
    lines += ["", "[tool.mutmut]"] + [f"{k} = {_toml_value(v)}" for k, v in mutmut.items()]
    return "\n".join(lines) + "\n"


def _scratch(module: str, base: pathlib.Path) -> pathlib.Path:
    work = base / module
    shutil.rmtree(work, ignore_errors=True)
    (work / "tests").mkdir(parents=True)
    shutil.copytree(ROOT / "nst_helpers", work / "nst_helpers", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "data", work / "data")
    shutil.copy2(ROOT / "conftest.py", work / "conftest.py")
    for name in ["tests/conftest.py", *TESTS[module]]:
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, work / name)
    (work / "pyproject.toml").write_text(_pyproject(module))
    return work


def run(module: str, base: pathlib.Path) -> dict[str, int]:
    """Run mutmut on one module in its scratch copy; return its counts (killed, survived, timeout, other)."""
    work = _scratch(module, base)
    mutmut = [sys.executable, "-m", "mutmut"]
    env = dict(os.environ, NST_QUICK="1", NST_WEIGHTS=os.environ.get("NST_WEIGHTS", "offline-hed-vgg16"))
    log = work / "mutmut.log"
    with log.open("w") as out:
        subprocess.run([*mutmut, "run"], cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    meta = work / "mutants" / "nst_helpers" / f"{module}.py.meta"
    if not meta.is_file():
        sys.exit(f"mutate: mutmut produced no results for {module}; see {log}")
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    for name, code in codes.items():
        if code == WORKER_ERROR:
            codes[name] = _recheck(work, module, name, env)
    return _count(codes)


#: mutmut's forkserver worker exits 255 when pytest.main raises instead of returning (e.g. a test id
#: with spaces it cannot pass back to pytest); mutmut files that as "timeout". Those are re-run here.
WORKER_ERROR = 255
KINDS = (("killed", (1, 3)), ("survived", (0,)), ("timeout", (24, -24, 152)))


def _recheck(work: pathlib.Path, module: str, mutant: str, env: dict[str, str]) -> int:
    """Run the module's test files on one mutant in a plain pytest process; 1 = killed, 0 = survived."""
    tests = [t for t in TESTS[module] if (work / t).is_file()]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                          cwd=work / "mutants", env=dict(env, MUTANT_UNDER_TEST=mutant),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return 0 if proc.returncode == 0 else 1


def _count(codes: dict[str, int | None]) -> dict[str, int]:
    stats = {"total": len(codes), "killed": 0, "survived": 0, "timeout": 0, "other": 0}
    for code in codes.values():
        kinds = [kind for kind, known in KINDS if code in known]
        stats[(kinds or ["other"])[0]] += 1
    return stats


def killed_share(stats: dict[str, int]) -> float:
    """Killed over all mutants, in percent (a real timeout counts as killed, as in mutmut's own score)."""
    return 100.0 * (stats["killed"] + stats["timeout"]) / max(stats["total"], 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(TESTS), choices=[[], *TESTS], metavar="module")
    parser.add_argument("--min", type=float, default=90.0, help="lowest acceptable killed share, percent")
    parser.add_argument("--workdir", type=pathlib.Path, default=pathlib.Path(tempfile.gettempdir()) / "nst-mutate")
    args = parser.parse_args()
    failed = []
    for module in args.modules or list(TESTS):
        stats = run(module, args.workdir)
        share = killed_share(stats)
        print(f"mutate: {module + '.py':12s} {share:5.1f} % killed "
              f"({stats.get('killed', 0)} killed, {stats.get('survived', 0)} survived, "
              f"{stats['timeout']} timeout, {stats['other']} other of {stats['total']}); "
              f"survivors: cd {args.workdir / module} && mutmut results", flush=True)
        if share < args.min:
            failed.append(module)
    if failed:
        print(f"mutate: below {args.min:g} %: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
