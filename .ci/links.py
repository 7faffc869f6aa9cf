#!/usr/bin/env python3
"""`make links REPO=owner/name`: point everything at one GitHub repository.

The one source is ``pyproject.toml``'s ``[project.urls] Repository``. This rewrites it, the "Open in Colab" badge
of every notebook (``notebooks/``, ``notebooks/solutions/`` and their ``vi/`` twins), the default ``REPO`` of
their Colab bootstrap cell (the first code cell) and the README's ``git+`` install line. Nothing else in a
notebook changes: outputs stay, and the file is written the way nbformat writes it. ``python3 .ci/links.py
--check`` only reports whether the three agree.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys

import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
SLUG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
BADGE = re.compile(r"(https://colab\.research\.google\.com/github/)[^/\s)]+/[^/\s)]+(/blob/)")
BOOTSTRAP_DEFAULT = re.compile(r'(os\.environ\.get\("NST_REPO", ")[^"]*("\))')
PYPROJECT_URL = re.compile(r'(?m)^(Repository = ")[^"]*(")')
README_URL = re.compile(r"(git\+https://github\.com/)[^/\s\"`)]+/[^/\s\"`)]+")


def notebooks(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """Every notebook: the series, its solutions and their Vietnamese twins (notebooks/vi/, notebooks/vi/solutions/)."""
    folders = [root / "notebooks", root / "notebooks" / "solutions", root / "notebooks" / "vi",
               root / "notebooks" / "vi" / "solutions"]
    return [p for folder in folders for p in sorted(folder.glob("*.ipynb"))]


def slug_of(repo: str) -> str:
    """``owner/name`` from ``owner/name`` or ``https://github.com/owner/name(.git)``; exit 2 if it is neither."""
    slug = repo.strip().removeprefix("https://github.com/").removesuffix(".git").strip("/")
    if not SLUG.fullmatch(slug):
        print(f"links: {repo!r} is not a GitHub repository: give REPO=owner/name", file=sys.stderr)
        raise SystemExit(2)
    return slug


def repository_url(root: pathlib.Path = ROOT) -> str:
    with open(root / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["urls"]["Repository"].rstrip("/")


def _text(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _set_text(cell: dict, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell.get("source"), list) else text


def rewrite_notebook(nb: dict, slug: str) -> dict:
    """The badge lines of markdown cells and the first code cell's default REPO, pointed at ``slug``."""
    url = f"https://github.com/{slug}"
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown" and "colab-badge" in _text(cell):
            lines = [BADGE.sub(rf"\g<1>{slug}\g<2>", ln) if "colab-badge" in ln else ln
                     for ln in _text(cell).splitlines(keepends=True)]
            _set_text(cell, "".join(lines))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    if code:
        _set_text(code[0], BOOTSTRAP_DEFAULT.sub(lambda m: m.group(1) + url + m.group(2), _text(code[0])))
    return nb


def dump(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"  # as nbformat writes it


def disagreements(root: pathlib.Path = ROOT) -> list[str]:
    """Where a badge or a bootstrap default differs from pyproject's Repository URL."""
    url = repository_url(root)
    slug = slug_of(url)
    problems = []
    for path in notebooks(root):
        nb = json.loads(path.read_text(encoding="utf-8"))
        badges = [m.group(0) for c in nb["cells"] if c["cell_type"] == "markdown" for m in BADGE.finditer(_text(c))]
        if not badges or any(b != f"https://colab.research.google.com/github/{slug}/blob/" for b in badges):
            problems.append(f"{path.relative_to(root)}: badge {badges or 'missing'} is not {slug}")
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        defaults = BOOTSTRAP_DEFAULT.findall(_text(code[0])) if code else []
        if f'os.environ.get("NST_REPO", "{url}")' not in (_text(code[0]) if code else "") or len(defaults) != 1:
            problems.append(f"{path.relative_to(root)}: the bootstrap's default REPO is not {url}")
    readme = root / "README.md"
    if readme.is_file():
        stale = {m.group(0) for m in README_URL.finditer(readme.read_text(encoding="utf-8"))} - {f"git+{url}"}
        if stale:
            problems.append(f"README.md: {sorted(stale)} is not git+{url}")
    return problems


def set_repository(slug: str, root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """Rewrite pyproject.toml and every notebook for ``slug``; returns the files that changed."""
    changed = []
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    new, count = PYPROJECT_URL.subn(rf"\g<1>https://github.com/{slug}\g<2>", text)
    if count != 1:
        raise SystemExit("links: pyproject.toml has no single `Repository = \"...\"` line under [project.urls]")
    if new != text:
        pyproject.write_text(new, encoding="utf-8")
        changed.append(pyproject)
    readme = root / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        new = README_URL.sub(rf"\g<1>{slug}", text)
        if new != text:
            readme.write_text(new, encoding="utf-8")
            changed.append(readme)
    for path in notebooks(root):
        raw = path.read_text(encoding="utf-8")
        out = dump(rewrite_notebook(json.loads(raw), slug))
        if out != raw:
            path.write_text(out, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Point the Colab badges and the bootstrap at one repository.")
    parser.add_argument("repo", nargs="?", help="owner/name (or its https://github.com/ URL)")
    parser.add_argument("--check", action="store_true", help="only say whether badges, bootstrap and pyproject agree")
    args = parser.parse_args(argv)
    if args.check or not args.repo:
        if not args.repo and not args.check:
            print("usage: make links REPO=owner/name", file=sys.stderr)
            return 2
        problems = disagreements()
        print("\n".join(problems) or f"links: every badge and bootstrap points at {repository_url()}")
        return 1 if problems else 0
    slug = slug_of(args.repo)
    changed = set_repository(slug)
    for path in changed:
        print(f"links: updated {path.relative_to(ROOT)}")
    print(f"links: {len(changed)} file(s) changed; everything points at https://github.com/{slug}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
