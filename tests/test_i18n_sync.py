"""The sync check between the English notebooks and their Vietnamese twins (.ci/i18n_sync.py)."""

from __future__ import annotations

import importlib.util
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("i18n_sync", ROOT / ".ci" / "i18n_sync.py")
sync = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sync)


def md(i, text):
    return {"cell_type": "markdown", "id": str(i), "metadata": {}, "source": text}


def code(i, text):
    return {"cell_type": "code", "id": str(i), "metadata": {}, "source": text, "outputs": [], "execution_count": None}


def english():
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        md(0, "# Gram matrices\nOne sentence."), code(1, "# NBVAL_CHECK_OUTPUT\nx = 1  # a comment\nprint(x)"),
        md(2, "The Gram matrix is B^T B."), code(3, "y = x + 1")]}


def translated(en):
    vi = sync.skeleton(en)
    for c in vi["cells"]:
        if c["cell_type"] == "markdown":
            c["source"] = ["Bản dịch tiếng Việt."]
    return vi


def test_in_sync_is_clean_and_a_skeleton_is_not():
    en = english()
    assert sync.compare(en, translated(en)) == []
    fresh = sync.compare(en, sync.skeleton(en))
    assert len(fresh) == 2 and all(sync.MARKER in p for p in fresh)


def test_changed_english_sentence_names_the_cell():
    en = english()
    vi = translated(en)
    en["cells"][2]["source"] = "The Gram matrix is B^T B, channel by channel."
    assert sync.compare(en, vi) == ["stale: English cell 2 changed since cell 2 was translated"]
    again = sync.skeleton(en, vi)  # the update keeps the other translation and marks this one
    assert sync.MARKER in "".join(again["cells"][2]["source"])
    assert again["cells"][0]["source"] == ["Bản dịch tiếng Việt."]


def test_reordered_cells_are_reported():
    en = english()
    vi = translated(en)
    en["cells"] = [en["cells"][2], en["cells"][1], en["cells"][0], en["cells"][3]]
    problems = sync.compare(en, vi)
    assert any("out of order" in p for p in problems), problems


def test_missing_and_extra_cells_are_reported():
    en = english()
    vi = translated(en)
    vi["cells"].pop()
    assert sync.compare(en, vi) == ["missing: English cell 3 has no vi twin"]
    vi = translated(en)
    vi["cells"].append(md(9, "thêm"))
    assert any(p.startswith("extra vi cell 4") for p in sync.compare(en, vi))


def test_code_difference_is_reported_comments_are_not():
    en = english()
    vi = translated(en)
    vi["cells"][1]["source"] = "# NBVAL_CHECK_OUTPUT\nx = 1  # một chú thích\n\nprint(x)  # in ra"
    assert sync.compare(en, vi) == []
    vi["cells"][3]["source"] = "y = x + 2"
    assert [p for p in sync.compare(en, vi) if p.startswith("code differs: cell 3")]
    vi = translated(en)
    vi["cells"][1]["source"] = "x = 1\nprint(x)"  # the NBVAL marker must stay
    assert sync.compare(en, vi)


def test_only_the_language_switch_may_be_vi_only():
    en = english()
    vi = translated(en)
    vi["cells"].insert(1, {**code(9, 'nst.checks.set_language("vi")'), "metadata": {"i18n": {"only": "vi"}}})
    assert sync.compare(en, vi) == []
    vi["cells"][1]["source"] = "x = 2"
    assert sync.compare(en, vi)


def test_skeleton_files_round_trip(tmp_path):
    en = english()
    path = tmp_path / "vi" / "02.ipynb"
    sync.save(translated(en), path)
    assert sync.compare(en, sync.load(path)) == []


def test_real_vi_notebooks_are_in_sync_count_may_be_zero_this_session():
    """Every notebooks/vi/ twin present is in sync. Until the translations land, there are 0 twins: the folder
    (with GLOSSARY.md) must exist, and the count is printed, so this test never passes silently on nothing."""
    assert sync.VI.is_dir() and (sync.VI / "GLOSSARY.md").exists()
    report, count = sync.status()
    print(f"{count} Vietnamese notebook(s) checked")
    assert count == len(list(sync.VI.rglob("*.ipynb")))
    assert {k: v for k, v in report.items() if v} == {}


def test_make_test_collects_notebooks_vi_under_nbval(tmp_path):
    """make test passes the whole notebooks/ folder to pytest with nbval, so notebooks/vi/*.ipynb are run too."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.M)[1]
    assert re.search(r"pytest \$\(PYTEST_NB\).* notebooks(\s|;)", recipe), recipe
    nb_flags = re.search(r"^PYTEST_NB = (.*)$", makefile, re.M)[1].split()
    target = tmp_path / "notebooks" / "vi" / "00_tiny.ipynb"
    sync.save({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [code(0, "1 + 1")]}, target)
    done = subprocess.run([sys.executable, "-m", "pytest", *nb_flags, "--collect-only", "-q",
                           str(tmp_path / "notebooks")], capture_output=True, text=True, cwd=ROOT)
    assert "vi/00_tiny.ipynb::Cell 0" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.mark.parametrize("dirty", [False, True])
def test_status_command_exit_code(tmp_path, monkeypatch, dirty):
    en_dir = tmp_path / "notebooks"
    en = english()
    sync.save(en, en_dir / "02.ipynb")
    vi = translated(en)
    if dirty:
        vi["cells"][0]["source"] = [sync.MARKER]
    sync.save(vi, en_dir / "vi" / "02.ipynb")
    monkeypatch.setattr(sync, "NOTEBOOKS", en_dir)
    monkeypatch.setattr(sync, "VI", en_dir / "vi")
    monkeypatch.setattr(sync, "ROOT", tmp_path)
    assert sync.main([]) == (1 if dirty else 0)


def test_update_keeps_vi_code_cells_that_still_match_and_replaces_changed_ones():
    en = english()
    en["cells"][1]["source"] = "import nst_helpers as nst\nx = 1"
    vi = translated(en)
    vi["cells"][1]["source"] = "import nst_helpers as nst  # chú thích tiếng Việt\nx = 1"
    vi["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "Đúng!\n"}]
    vi["cells"][3]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "cũ\n"}]
    en["cells"][3]["source"] = "y = x + 2"  # the English code changed: its vi twin must follow
    again = sync.skeleton(en, vi)
    assert "chú thích" in sync.source(again["cells"][1]) and again["cells"][1]["outputs"][0]["text"] == "Đúng!\n"
    assert sync.source(again["cells"][3]) == "y = x + 2" and again["cells"][3]["outputs"] == []
    assert sync.compare(en, again) == []


def test_language_switch_goes_after_the_import_cell():
    en = english()
    en["cells"].insert(2, code(9, "import nst_helpers as nst"))
    vi = translated(en)
    switch = {**code(99, 'nst.checks.set_language("vi")'), "metadata": {"i18n": {"only": "vi"}}}
    vi["cells"].insert(0, switch)  # wherever it stood, the update puts it where `nst` exists
    again = sync.skeleton(en, vi)
    kinds = [sync.source(c) for c in again["cells"]]
    assert kinds.index('nst.checks.set_language("vi")') == kinds.index("import nst_helpers as nst") + 1
    assert sync.compare(en, again) == []


def test_moving_the_repository_does_not_make_translations_stale():
    # `make links REPO=...` rewrites every Colab badge, English and Vietnamese: that is not a new English text
    badge = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    en = english()
    en["cells"][0]["source"] = f"# Title\n{badge}(https://colab.research.google.com/github/a/b/blob/main/x.ipynb)"
    vi = translated(en)
    en["cells"][0]["source"] = f"# Title\n{badge}(https://colab.research.google.com/github/c/d/blob/main/x.ipynb)"
    assert sync.compare(en, vi) == []
    en["cells"][0]["source"] = f"# Title changed\n{badge}(https://colab.research.google.com/github/c/d/blob/main/x.ipynb)"
    assert any("stale" in p for p in sync.compare(en, vi))
