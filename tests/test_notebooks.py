"""Tests of the committed notebooks as files (nbval runs them; these check how they are written).

* (a) they are clean: ``nbstripout`` with the project's keep-output settings would not change them,
  and they carry no widget state;
* (b) the first cell is a title with an "Open in Colab" badge built from ``pyproject.toml``'s Repository URL;
* (c) no notebook redefines a public function of ``nst_helpers`` (exercise stubs are allowed when the same
  notebook passes them to an ``nst.checks.check_*`` checker);
* (d) every notebook has the same Colab bootstrap cell, and that cell works: run in a subprocess with a
  stand-in ``google.colab`` module, it clones the repository and makes ``import nst_helpers`` use the clone.
"""

from __future__ import annotations

import ast
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import pytest
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
ENGLISH = sorted(NOTEBOOK_DIR.glob("*.ipynb")) + sorted((NOTEBOOK_DIR / "solutions").glob("*.ipynb"))
#: Every notebook, the Vietnamese twins (notebooks/vi/) included: all are stripped, badged and linted alike.
VIETNAMESE = sorted((NOTEBOOK_DIR / "vi").glob("*.ipynb")) + sorted((NOTEBOOK_DIR / "vi" / "solutions").glob("*.ipynb"))
NOTEBOOKS = ENGLISH + VIETNAMESE
IDS = [str(p.relative_to(NOTEBOOK_DIR)) for p in NOTEBOOKS]

#: The same settings as ``make strip`` and .pre-commit-config.yaml.
NBSTRIPOUT_ARGS = [
    "--keep-output", "--keep-count",
    "--extra-keys", "metadata.colab cell.metadata.colab cell.metadata.executionInfo",
]
BOOTSTRAP_MARK = "# Setup. On Colab this fetches the course code"

needs_notebooks = pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks in notebooks/")


def load(path: pathlib.Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def code_cells(nb: dict) -> list[str]:
    return [source(c) for c in nb["cells"] if c["cell_type"] == "code"]


def repository_url() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["urls"]["Repository"].rstrip("/")


def badge_url(path: pathlib.Path) -> str:
    """Colab's URL for a notebook of the repository, on the main branch."""
    github = repository_url().removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{github}/blob/main/{path.relative_to(ROOT).as_posix()}"


# ----- (c) helpers: which functions does a notebook define, and which does it check? ----------------
def python_source(cell_source: str) -> str:
    """A code cell as plain Python: IPython magics (``%config``, ``!pip``) become function calls."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(cell_source)


def package_public_names(package_dir: pathlib.Path = ROOT / "nst_helpers") -> set[str]:
    """Names of the public top-level functions and classes of every module of the package (read with ast)."""
    names = set()
    for module in package_dir.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in tree.body:
            is_definition = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            if is_definition and not node.name.startswith("_"):
                names.add(node.name)
    return names


def defined_names(trees: list[ast.AST]) -> set[str]:
    """Every function or class a notebook defines, at any depth."""
    return {
        node.name
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }


def checked_names(trees: list[ast.AST]) -> set[str]:
    """Names passed as the first argument to ``nst.checks.check_*(...)`` (or ``checks.check_*``)."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            is_checker = node.func.attr.startswith("check_") and owner_name == "checks"
            if is_checker and node.args and isinstance(node.args[0], ast.Name):
                names.add(node.args[0].id)
    return names


def redefined_package_functions(cells: list[str], public: set[str]) -> set[str]:
    """Package names a notebook defines without passing them to a checker."""
    trees = [ast.parse(python_source(c)) for c in cells]
    return (defined_names(trees) & public) - checked_names(trees)


def test_redefinition_finder_flags_pasted_code_and_allows_checked_stubs():
    public = {"gram_matrix", "content_loss", "show_images"}
    pasted = ["import nst_helpers as nst", "def gram_matrix(f):\n    return f", "%config X.y = 1\nx = 1"]
    assert redefined_package_functions(pasted, public) == {"gram_matrix"}
    checked = pasted + ["nst.checks.check_gram_matrix(gram_matrix)"]
    assert redefined_package_functions(checked, public) == set()
    # checking one stub does not excuse another pasted function, nor a call that is not a checker
    other = checked + ["class show_images: pass", "def content_loss(a, b): ...",
                       "nst.losses.content_loss(content_loss)"]
    assert redefined_package_functions(other, public) == {"show_images", "content_loss"}


def test_package_public_names_sees_the_real_api():
    names = package_public_names()
    assert {"gram_matrix", "content_loss", "load_image", "FeatureExtractor", "transfer", "show_images"} <= names
    assert not any(n.startswith("_") for n in names)


def test_strip_settings_agree_with_pre_commit_and_makefile():
    """The pre-commit hook and `make strip` use the settings this file verifies."""
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [h for repo in config["repos"] for h in repo["hooks"] if h["id"] == "nbstripout"]
    assert len(hooks) == 1 and hooks[0]["args"] == NBSTRIPOUT_ARGS
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert '--keep-output --keep-count --extra-keys "' + NBSTRIPOUT_ARGS[-1] + '"' in makefile


# ----- the notebooks ---------------------------------------------------------------------------------
#: The series, in order (NOTEBOOKS.md); every numbered notebook has notebooks/solutions/<name>_solutions.ipynb.
SERIES = ["00_setup_and_images", "01_feature_extraction", "02_gram_matrices", "03_losses", "04_transfer_loop",
          "05_your_own_loop", "06_playground", "07_beyond"]


def test_notebook_files_exist():
    present = {p.stem for p in NOTEBOOK_DIR.glob("*.ipynb")}
    assert set(SERIES) <= present, f"missing notebooks: {sorted(set(SERIES) - present)}"
    numbered = sorted(stem for stem in present if stem[:2].isdigit())
    extra = sorted(set(numbered) - set(SERIES))
    assert numbered == SERIES, f"notebooks outside the series (rename or add them to SERIES): {extra}"
    solutions = {p.stem for p in (NOTEBOOK_DIR / "solutions").glob("*.ipynb")}
    missing = [name for name in numbered if f"{name}_solutions" not in solutions]
    assert not missing, f"numbered notebooks without notebooks/solutions/<name>_solutions.ipynb: {missing}"
    orphans = sorted(s for s in solutions if s.removesuffix("_solutions") not in numbered)
    assert not orphans, f"solutions notebooks without their notebook: {orphans}"


@needs_notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_stripped(path):
    """(a) nbstripout with the project's settings would leave the file unchanged; no widget state."""
    nbstripout = shutil.which("nbstripout", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("nbstripout")
    if nbstripout is None:
        pytest.skip("nbstripout is not installed (pip install -e '.[test]')")
    done = subprocess.run([nbstripout, "--verify", *NBSTRIPOUT_ARGS, str(path)], capture_output=True, text=True)
    assert done.returncode == 0, f"{path.name} is not stripped: run `make strip`.\n{done.stdout}{done.stderr}"
    nb = load(path)
    assert "widgets" not in nb.get("metadata", {}), f"{path.name} stores widget state: run `make strip`"
    for cell in nb["cells"]:
        assert "widgets" not in cell.get("metadata", {})


@needs_notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_first_cell_has_title_and_colab_badge(path):
    """(b) H1 title first, and a badge pointing at this very file on Colab."""
    first = load(path)["cells"][0]
    assert first["cell_type"] == "markdown"
    text = source(first)
    assert text.startswith("# "), f"{path.name}: the first cell must start with an H1 title"
    badge = f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({badge_url(path)})"
    assert badge in text, f"{path.name}: expected the badge\n{badge}"


@needs_notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_package_function_is_redefined(path):
    """(c) notebooks call the package; only checked exercise stubs may share a package name."""
    redefined = redefined_package_functions(code_cells(load(path)), package_public_names())
    assert not redefined, (
        f"{path.name} defines {sorted(redefined)}, which nst_helpers already has: call the package instead "
        "(exercise stubs must be passed to an nst.checks.check_* checker in the same notebook)."
    )


def bootstrap_cell(path: pathlib.Path) -> str:
    cells = [c for c in code_cells(load(path)) if c.startswith(BOOTSTRAP_MARK)]
    assert len(cells) == 1, f"{path.name}: expected exactly one bootstrap cell starting with {BOOTSTRAP_MARK!r}"
    return cells[0]


@needs_notebooks
def test_every_notebook_has_the_same_bootstrap_cell_first():
    """(d) one bootstrap for the whole series, as the first code cell, guarded by IS_COLAB."""
    reference = bootstrap_cell(ENGLISH[0])
    for path in ENGLISH:  # the vi twins' code equals their English twins' up to comments (tests/test_i18n_sync.py)
        first_code = code_cells(load(path))[0]
        assert first_code == reference, f"{path.name}: the first code cell differs from {ENGLISH[0].name}'s bootstrap"
    assert 'IS_COLAB = "google.colab" in sys.modules' in reference
    assert repository_url() in reference, "the bootstrap must clone the Repository URL of pyproject.toml"


def _run_bootstrap(workdir: pathlib.Path, bootstrap: str, *, colab_stub: pathlib.Path | None, env: dict) -> dict:
    """Run the bootstrap cell in a fresh interpreter in ``workdir``; return what it reports."""
    lines = ["import sys"]
    if colab_stub is not None:
        lines += [f"sys.path.insert(0, {str(colab_stub)!r})", "import google.colab  # now in sys.modules, as on Colab"]
    lines += [
        bootstrap,
        "import os, nst_helpers",
        "print('IS_COLAB=' + str(IS_COLAB))",
        "print('NST_HELPERS=' + os.path.realpath(nst_helpers.__file__))",
    ]
    script = workdir / "run_bootstrap.py"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"bootstrap failed:\n{done.stdout}\n{done.stderr}"
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


@needs_notebooks
def test_colab_bootstrap_clones_and_imports_the_clone(tmp_path):
    """(d) the bootstrap on "Colab": clone NST_REPO, install the weights package, import from the clone."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout")
    origin = tmp_path / "origin"
    subprocess.run([git, "clone", "--quiet", str(ROOT), str(origin)], check=True, timeout=300)
    stub = tmp_path / "stub"
    (stub / "google" / "colab").mkdir(parents=True)  # `google` stays a namespace package (protobuf shares it)
    (stub / "google" / "colab" / "__init__.py").write_text('"""Stand-in for Colab\'s google.colab."""\n')
    workdir = tmp_path / "content"  # Colab's working directory is /content
    workdir.mkdir()
    env = dict(os.environ, NST_REPO=str(origin), PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    bootstrap = bootstrap_cell(NOTEBOOKS[0])

    report = _run_bootstrap(workdir, bootstrap, colab_stub=stub, env=env)
    clone = (workdir / "nst-helpers").resolve()
    assert report["IS_COLAB"] == "True"
    assert (clone / ".git").is_dir(), "the bootstrap did not clone the repository"
    assert pathlib.Path(report["NST_HELPERS"]).is_relative_to(clone), f"nst_helpers came from {report['NST_HELPERS']}"

    again = _run_bootstrap(workdir, bootstrap, colab_stub=stub, env=env)  # re-running the cell is safe
    assert pathlib.Path(again["NST_HELPERS"]).is_relative_to(clone)


@needs_notebooks
def test_bootstrap_does_nothing_outside_colab(tmp_path):
    env = dict(os.environ, NST_REPO=str(tmp_path / "does-not-exist"))
    report = _run_bootstrap(tmp_path, bootstrap_cell(NOTEBOOKS[0]), colab_stub=None, env=env)
    assert report["IS_COLAB"] == "False"
    assert not (tmp_path / "nst-helpers").exists()
    assert not pathlib.Path(report["NST_HELPERS"]).is_relative_to(tmp_path.resolve())


def test_bootstrap_script_reports_failures(tmp_path):
    """The helper itself fails loudly when the cell fails (so the tests above can fail)."""
    with pytest.raises(AssertionError, match="bootstrap failed"):
        _run_bootstrap(tmp_path, textwrap.dedent("raise SystemExit(3)"), colab_stub=None, env=dict(os.environ))


@needs_notebooks
def test_badges_bootstrap_and_pyproject_name_one_repository():
    """One source for the repository: every badge and every bootstrap default is pyproject's Repository URL
    (``make links REPO=owner/name`` rewrites all three)."""
    import re

    url = repository_url()
    for path in NOTEBOOKS:
        nb = load(path)
        badges = re.findall(r"https://colab\.research\.google\.com/github/([^/\s)]+/[^/\s)]+)/blob/",
                            "".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown"))
        assert badges and {f"https://github.com/{b}" for b in badges} == {url}, f"{path.name}: badges {badges}"
        defaults = re.findall(r'os\.environ\.get\("NST_REPO", "([^"]*)"\)', code_cells(nb)[0])
        assert defaults == [url], f"{path.name}: the bootstrap clones {defaults} by default, pyproject says {url}"
