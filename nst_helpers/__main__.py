"""``python -m nst_helpers``: the same as the ``nst`` command."""

from .cli import main

raise SystemExit(main())
