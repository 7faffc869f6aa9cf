"""Rebuild the bundled sample images in data/ from their Debian packages.

This script documents exactly how every file listed in data/SOURCES.md was
made, so anyone can check the provenance. It is not needed to use the
project; run it only if you want to regenerate the images.

Requirements (Debian):
    apt-get install opencv-doc gcompris-qt-data
    (or: apt-get download gcompris-qt-data && dpkg-deb -x gcompris-qt-data_*.deb x
     and pass --rcc x/usr/share/gcompris-qt/rcc/paintings.rcc)

Usage:
    python data/build_data.py [--opencv-data DIR] [--rcc FILE] [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import struct
import zlib
from pathlib import Path

from PIL import Image

MAX_SIDE = 512
JPEG_QUALITY = 90

OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
PAINTINGS_RCC = Path("/usr/share/gcompris-qt/rcc/paintings.rcc")
PAINTINGS_PREFIX = "gcompris/src/activities/paintings/resource/"


def read_rcc(path: Path) -> dict[str, bytes]:
    """Return {resource path: bytes} for every file in a Qt .rcc bundle."""
    blob = path.read_bytes()
    if blob[:4] != b"qres":
        raise ValueError(f"{path} is not a Qt resource file")
    version, tree, data, names = struct.unpack(">IIII", blob[4:20])
    node_size = 14 if version == 1 else 22
    files: dict[str, bytes] = {}

    def name_at(offset: int) -> str:
        pos = names + offset
        (length,) = struct.unpack(">H", blob[pos : pos + 2])
        return blob[pos + 6 : pos + 6 + 2 * length].decode("utf-16-be")

    def walk(index: int, prefix: str) -> None:
        pos = tree + index * node_size
        name_offset, flags = struct.unpack(">IH", blob[pos : pos + 6])
        name = name_at(name_offset) if index else ""
        here = f"{prefix}/{name}".lstrip("/")
        if flags & 2:  # directory
            count, first = struct.unpack(">II", blob[pos + 6 : pos + 14])
            for child in range(first, first + count):
                walk(child, here)
            return
        (data_offset,) = struct.unpack(">I", blob[pos + 10 : pos + 14])
        start = data + data_offset
        (size,) = struct.unpack(">I", blob[start : start + 4])
        payload = blob[start + 4 : start + 4 + size]
        if flags & 1:  # zlib, preceded by a 4-byte uncompressed size
            payload = zlib.decompress(payload[4:])
        elif flags & 4:
            raise NotImplementedError("zstd-compressed rcc entries")
        files[here] = payload

    walk(0, "")
    return files


def assemble_puzzle(files: dict[str, bytes], board: str) -> Image.Image:
    """Put a GCompris 'paintings' puzzle back together from its pieces.

    Each board file gives the canvas size and, for each piece, the position of
    the piece's centre as a fraction of the canvas width and height.
    """
    text = files[PAINTINGS_PREFIX + "board/" + board].decode("utf-8")
    width = int(re.search(r'"width":\s*(\d+)', text).group(1))
    height = int(re.search(r'"height":\s*(\d+)', text).group(1))
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    pieces = re.findall(
        r'"pixmapfile"\s*:\s*"(image/[^"]+\.webp)",\s*'
        r'"x"\s*:\s*"([\d.]+)",\s*"y"\s*:\s*"([\d.]+)"',
        text,
    )
    for name, x, y in pieces:
        piece = Image.open(io.BytesIO(files[PAINTINGS_PREFIX + name])).convert("RGBA")
        left = round(float(x) * width - piece.width / 2)
        top = round(float(y) * height - piece.height / 2)
        canvas.alpha_composite(piece, (left, top))
    left, top, right, bottom = canvas.getchannel("A").getbbox()
    # The last row of the assembled picture is only partly covered (rounding
    # of the piece positions), so drop it.
    return canvas.crop((left, top, right, bottom - 1)).convert("RGB")


def save_small(image: Image.Image, dest: Path) -> None:
    image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    dest.parent.mkdir(parents=True, exist_ok=True)
    image.save(dest, "JPEG", quality=JPEG_QUALITY, optimize=True)
    print(f"{dest}: {image.size[0]}x{image.size[1]}, {dest.stat().st_size} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opencv-data", type=Path, default=OPENCV_DATA)
    parser.add_argument("--rcc", type=Path, default=PAINTINGS_RCC)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    out: Path = args.out
    cv = args.opencv_data

    # Content photos (opencv-doc).
    save_small(Image.open(cv / "leuvenA.jpg"), out / "content/leuven_street.jpg")
    save_small(Image.open(cv / "building.jpg"), out / "content/building.jpg")
    # home.jpg is already 512x384: copy it unchanged (no re-encoding).
    (out / "content").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cv / "home.jpg", out / "content/ornate_building.jpg")
    print(f"{out / 'content/ornate_building.jpg'}: copied unchanged")

    # Style paintings.
    starry = Image.open(cv / "starry_night.jpg")
    # Remove the black frame and pale canvas edge around the painting.
    border = 20
    starry = starry.crop((border, border, starry.width - border, starry.height - border))
    save_small(starry, out / "style/starry_night.jpg")

    files = read_rcc(args.rcc)
    save_small(assemble_puzzle(files, "board7_0.qml"), out / "style/great_wave.jpg")
    save_small(
        assemble_puzzle(files, "board22_0.qml"), out / "style/village_street_auvers.jpg"
    )


if __name__ == "__main__":
    main()
