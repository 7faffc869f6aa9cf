"""Crop panel_browser.py's screenshot to the control panel and save it as a small JPEG for docs/.

    .venv/bin/python tests/browser/panel_browser.py --screenshot /tmp/nst_panel_big.png \
        --size 160 --steps 30 --optimizer lbfgs
    .venv/bin/python tests/browser/crop_screenshot.py /tmp/nst_panel_big.png docs/control_panel.jpg

The box is JupyterLab's output area at panel_browser.py's window size (1400 x 2000).
"""

from __future__ import annotations

import argparse
import pathlib

from PIL import Image

BOX = (120, 92, 1180, 1150)  # left, top, right, bottom in screenshot pixels
WIDTH = 800  # px of the stored JPEG


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("screenshot", type=pathlib.Path)
    parser.add_argument("out", type=pathlib.Path)
    args = parser.parse_args()
    panel = Image.open(args.screenshot).convert("RGB").crop(BOX)
    panel = panel.resize((WIDTH, round(panel.height * WIDTH / panel.width)), Image.LANCZOS)
    panel.save(args.out, quality=82, optimize=True)
    print(f"{args.out}: {panel.width}x{panel.height}, {args.out.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
