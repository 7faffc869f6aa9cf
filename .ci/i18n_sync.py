"""Keep notebooks/vi/ in step with the English notebooks: status report and twin skeletons.

Each Vietnamese markdown cell carries ``metadata.i18n = {"source": <English cell id>, "sha256": <hash of that
English cell's source>}``. The English cell ids are nbstripout's sequential ones ("0", "1", ...), so an id names
a position; the hash says whether the English text is still the one translated. Code cells must equal their
English twins token for token once comments are dropped (``# NBVAL_*`` markers are kept). A vi-only code cell
(``metadata.i18n = {"only": "vi"}``) may hold nothing but ``nst.checks.set_language("vi")``.

    python .ci/i18n_sync.py status            # report; exit 1 if anything is stale or differs
    python .ci/i18n_sync.py update NOTEBOOK   # create or update notebooks/vi/<same path> as a skeleton
"""

from __future__ import annotations

import hashlib
import io
import json
import pathlib
import re
import sys
import tokenize

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS, VI = ROOT / "notebooks", ROOT / "notebooks" / "vi"
MARKER = "[CHƯA DỊCH]"
VI_ONLY_CODE = ['nst.checks.set_language("vi")']


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


#: The repository part of a Colab badge URL: ``make links`` rewrites it, so the hash does not see it.
BADGE_REPO = re.compile(r"(https://colab\.research\.google\.com/github/)[^/\s)]+/[^/\s)]+(/blob/)")


def sha256(text: str) -> str:
    """Hash of an English cell's text, with the repository of any Colab badge left out."""
    return hashlib.sha256(BADGE_REPO.sub(r"\g<1>REPO\g<2>", text).encode("utf-8")).hexdigest()


def code_tokens(text: str) -> list[str]:
    """The code's tokens without comments and blank lines; ``# NBVAL_*`` markers stay; magics become one token."""
    magic = ("%", "!")
    lines = [f"__magic__({line.strip()!r})" if line.lstrip().startswith(magic) else line for line in text.splitlines()]
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if tok.type == tokenize.COMMENT and not re.match(r"#\s*NBVAL_", tok.string):
                continue
            if tok.type in (tokenize.NL, tokenize.ENDMARKER):
                continue
            out.append(tok.string.strip() if tok.type == tokenize.COMMENT else tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]
    return out


def load(path: pathlib.Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def save(nb: dict, path: pathlib.Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("i18n", {}) or {}


def _vi_only(cell: dict) -> bool:
    return _meta(cell).get("only") == "vi"


def compare(en: dict, vi: dict) -> list[str]:
    """Problems of a Vietnamese twin against its English notebook (empty: in sync)."""
    problems: list[str] = []
    en_cells = en["cells"]
    vi_cells = [c for c in vi["cells"] if not _vi_only(c)]
    for c in vi["cells"]:
        if _vi_only(c) and (c["cell_type"] != "code" or code_tokens(source(c)) not in
                            [code_tokens(s) for s in VI_ONLY_CODE]):
            problems.append(f"vi-only cell may only hold {VI_ONLY_CODE[0]!r}: {source(c)[:60]!r}")
    hash_at = {}
    for j, e in enumerate(en_cells):
        hash_at.setdefault(sha256(source(e)), j)
    for k, v in enumerate(vi_cells):
        if k >= len(en_cells):
            problems.append(f"extra vi cell {k} (no English cell there): {source(v)[:60]!r}")
            continue
        e = en_cells[k]
        eid = e.get("id", str(k))
        if v["cell_type"] != e["cell_type"]:
            problems.append(f"cell {k}: vi is {v['cell_type']}, English cell {eid} is {e['cell_type']} "
                            "(missing, extra or out-of-order cells)")
            continue
        meta = _meta(v)
        if v["cell_type"] == "markdown":
            if not meta.get("sha256"):
                problems.append(f"cell {k}: no metadata.i18n (which English cell does it translate?)")
            elif meta["sha256"] != sha256(source(e)):
                moved = hash_at.get(meta["sha256"])
                if moved is not None and moved != k:
                    problems.append(f"cell {k}: out of order: it translates English cell {moved}, but stands "
                                    f"where English cell {eid} is")
                else:
                    problems.append(f"stale: English cell {eid} changed since cell {k} was translated")
            elif str(meta.get("source")) != str(eid):
                problems.append(f"cell {k}: records English cell {meta.get('source')}, stands at {eid} (renumbered)")
            elif MARKER in source(v):
                problems.append(f"cell {k}: not translated yet ({MARKER}), English cell {eid}")
        elif v["cell_type"] == "code" and code_tokens(source(v)) != code_tokens(source(e)):
            a, b = code_tokens(source(v)), code_tokens(source(e))
            first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            problems.append(f"code differs: cell {k} vs English cell {eid} at token {first}: "
                            f"{' '.join(a[first:first + 6])!r} vs {' '.join(b[first:first + 6])!r}")
    for j in range(len(vi_cells), len(en_cells)):
        problems.append(f"missing: English cell {en_cells[j].get('id', j)} has no vi twin")
    return problems


def twin(path: pathlib.Path) -> pathlib.Path:
    return VI / path.relative_to(NOTEBOOKS)


def english_notebooks() -> list[pathlib.Path]:
    return sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if VI not in p.parents)


def status(root: pathlib.Path = NOTEBOOKS) -> tuple[dict[str, list[str]], int]:
    """{vi notebook: problems} for every vi twin present, and how many twins there are."""
    report, count = {}, 0
    for en_path in english_notebooks():
        vi_path = twin(en_path)
        if vi_path.exists():
            count += 1
            report[str(vi_path.relative_to(ROOT))] = compare(load(en_path), load(vi_path))
    return report, count


def skeleton(en: dict, vi: dict | None = None) -> dict:
    """A vi twin: kept translations, marked English text for new or stale markdown, English code where it changed.

    A vi code cell whose tokens still equal its English twin's is kept as it is (its translated comments and
    its Vietnamese outputs); otherwise the English cell is copied. The vi-only cells (the language switch)
    go right after the first code cell that imports ``nst_helpers``, where ``nst`` exists.
    """
    old_md, old_code, only = {}, {}, []
    for c in (vi or {}).get("cells", []):
        if _vi_only(c):
            only.append(c)
        elif c["cell_type"] == "markdown" and _meta(c).get("sha256"):
            old_md.setdefault(_meta(c)["sha256"], c)
        elif c["cell_type"] == "code":
            old_code.setdefault(tuple(code_tokens(source(c))), c)
    cells = []
    for j, e in enumerate(en["cells"]):
        eid = e.get("id", str(j))
        if e["cell_type"] == "markdown":
            kept = old_md.get(sha256(source(e)))
            text = source(kept) if kept else f"{MARKER}\n\n{source(e)}"
            cell = {"cell_type": "markdown", "id": eid, "source": text.splitlines(keepends=True),
                    "metadata": {"i18n": {"source": eid, "sha256": sha256(source(e))}}}
        else:
            kept = old_code.pop(tuple(code_tokens(source(e))), None) if e["cell_type"] == "code" else None
            cell = json.loads(json.dumps(kept if kept is not None else e))
            cell["id"] = eid
        cells.append(cell)
    if only:
        at = next((k + 1 for k, c in enumerate(cells)
                   if c["cell_type"] == "code" and "import nst_helpers" in source(c)), 1)
        cells = cells[:at] + only + cells[at:]
    for k, cell in enumerate(cells):  # sequential ids, as nbstripout (`make strip`) numbers them
        cell["id"] = str(k)
    return {**{k: v for k, v in en.items() if k != "cells"}, "cells": cells}


def update(en_path: pathlib.Path) -> pathlib.Path:
    vi_path = twin(en_path)
    save(skeleton(load(en_path), load(vi_path) if vi_path.exists() else None), vi_path)
    return vi_path


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"] and len(argv) == 2:
        print(update(pathlib.Path(argv[1]).resolve()))
        return 0
    report, count = status()
    print(f"i18n-status: {count} Vietnamese notebook(s) in notebooks/vi/, "
          f"{len(english_notebooks())} English notebook(s)")
    bad = 0
    for name, problems in report.items():
        print(f"{name}: {'in sync' if not problems else f'{len(problems)} problem(s)'}")
        for p in problems:
            print(f"   {p}")
        bad += len(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
