#!/usr/bin/env python3
"""Give the learner a working copy of the notebooks, for `make lab`.

Running a notebook saves its outputs into the file; in the tracked `notebooks/` that makes
`git status` dirty after one sitting and a later `git pull` conflict. So `make lab` opens
JupyterLab on a git-ignored copy (default `my-notebooks/`). The copy is made once: a notebook
already there is never overwritten (it holds the learner's work); only missing ones are added.
To start a notebook afresh, delete it from the copy and run `make lab` again.

The notebooks find the package (installed in .venv, editable) and the bundled images (through
the package) from any folder, so they run unchanged from the copy.

Usage: python .ci/lab_copy.py [SOURCE [DEST]]   (default: notebooks my-notebooks)
"""

from __future__ import annotations

import pathlib
import shutil
import sys


def notebooks_in(folder: pathlib.Path) -> list[pathlib.Path]:
    """The notebooks under ``folder`` (relative paths), without Jupyter's checkpoints."""
    return sorted(p.relative_to(folder) for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def copy_missing(source: pathlib.Path, dest: pathlib.Path) -> tuple[list[pathlib.Path], list[pathlib.Path]]:
    """Copy each notebook of ``source`` that ``dest`` lacks; never touch one that exists.

    Returns:
        ``(copied, kept)``: relative paths of the notebooks copied now and of those left as they were.
    """
    copied, kept = [], []
    for rel in notebooks_in(source):
        target = dest / rel
        if target.exists():
            kept.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, target)
        copied.append(rel)
    return copied, kept


def report(source: pathlib.Path, dest: pathlib.Path, copied: list[pathlib.Path], kept: list[pathlib.Path]) -> str:
    """What happened, in a line or two."""
    lines = []
    if copied and not kept:
        lines.append(f"make lab: copied {len(copied)} notebooks to {dest}/, your working copy (git ignores it; "
                     f"{source}/ stays clean).")
    elif copied:
        lines.append(f"make lab: added {len(copied)} new notebook(s) to {dest}/ ({', '.join(map(str, copied))}); "
                     f"your {len(kept)} others are kept as they are.")
    else:
        lines.append(f"make lab: opening your working copy {dest}/ ({len(kept)} notebooks, kept as they are).")
    newer = [rel for rel in kept if (source / rel).stat().st_mtime > (dest / rel).stat().st_mtime]
    if newer:
        lines.append(f"  {len(newer)} changed in {source}/ since you copied them; for a fresh copy of one, "
                     f"delete it from {dest}/ and run make lab again.")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    source = pathlib.Path(argv[0] if argv else "notebooks")
    dest = pathlib.Path(argv[1] if len(argv) > 1 else "my-notebooks")
    if not source.is_dir():
        print(f"make lab: no {source}/ folder here; run it from the repository root.", file=sys.stderr)
        return 2
    copied, kept = copy_missing(source, dest)
    print(report(source, dest, copied, kept))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
