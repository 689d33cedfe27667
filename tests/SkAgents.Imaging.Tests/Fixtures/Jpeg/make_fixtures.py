#!/usr/bin/env python3
"""Regenerates the JPEG test fixtures (development time only; the tests use the committed files).

Needs cjpeg/djpeg from libjpeg-turbo (apt-get install libjpeg-turbo-progs). Writes source PPM/PGM images, encodes them
with cjpeg and stores djpeg's reference decoding (*.ref.ppm / *.ref.pgm) next to each photographic JPEG.
"""
import math, os, subprocess

HERE = os.path.dirname(os.path.abspath(__file__))

# Flat fixtures: 50x37, 16x16 cells of uniform colour (every 8x8 luma block and every chroma block is uniform).
PALETTE = [
    (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0),
    (0, 255, 255), (255, 0, 255), (128, 128, 128), (255, 255, 255),
    (0, 0, 0), (200, 100, 50), (30, 60, 90), (90, 200, 160),
]
FW, FH = 50, 37


def write_ppm(path, w, h, pix, grey=False):
    with open(path, "wb") as f:
        f.write(b"P5\n" if grey else b"P6\n")
        f.write(f"{w} {h}\n255\n".encode())
        f.write(bytes(pix))


def flat_pixels():
    out = []
    for y in range(FH):
        for x in range(FW):
            out.extend(PALETTE[(y // 16) * 4 + (x // 16)])
    return out


def flat_grey_pixels():
    return [((y // 16) * 4 + (x // 16)) * 20 + 10 for y in range(FH) for x in range(FW)]


def photo_pixels(w, h):
    """Gradients, a hard-edged disc, stripes and deterministic noise."""
    seed = 12345
    out = []
    for y in range(h):
        for x in range(w):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            n = (seed >> 16) % 21 - 10
            r = int(255 * x / (w - 1))
            g = int(255 * y / (h - 1))
            b = int(128 + 127 * math.sin(x / 3.0 + y / 5.0))
            if (x - w * 0.6) ** 2 + (y - h * 0.45) ** 2 < (min(w, h) * 0.3) ** 2:
                r, g, b = 240, 220, 30
            if 5 <= x < 9:
                r, g, b = 10, 10, 10
            out.extend(max(0, min(255, c + n)) for c in (r, g, b))
    return out


def cjpeg(src, dst, *args):
    subprocess.run(["cjpeg", *args, "-outfile", os.path.join(HERE, dst), src], check=True)


def djpeg(jpg, ref):
    subprocess.run(["djpeg", "-pnm", "-outfile", os.path.join(HERE, ref), os.path.join(HERE, jpg)], check=True)


def main():
    tmp = "/tmp/jpeg-fixture-src"
    os.makedirs(tmp, exist_ok=True)
    flat = os.path.join(tmp, "flat.ppm")
    write_ppm(flat, FW, FH, flat_pixels())
    flatg = os.path.join(tmp, "flatg.pgm")
    write_ppm(flatg, FW, FH, flat_grey_pixels(), grey=True)
    single = os.path.join(tmp, "single.ppm")
    write_ppm(single, 40, 24, [200, 100, 50] * (40 * 24))

    q = ["-quality", "100", "-dct", "int"]
    cjpeg(flat, "flat-444.jpg", *q, "-sample", "1x1")
    cjpeg(flat, "flat-422.jpg", *q, "-sample", "2x1")
    cjpeg(flat, "flat-420.jpg", *q, "-sample", "2x2")
    cjpeg(flat, "flat-440.jpg", *q, "-sample", "1x2")
    cjpeg(flat, "flat-444-progressive.jpg", *q, "-sample", "1x1", "-progressive")
    cjpeg(flat, "flat-420-progressive.jpg", *q, "-sample", "2x2", "-progressive")
    cjpeg(flat, "flat-422-progressive.jpg", *q, "-sample", "2x1", "-progressive")
    cjpeg(flat, "flat-420-restart-rows.jpg", *q, "-sample", "2x2", "-restart", "1")
    cjpeg(flat, "flat-444-restart-blocks.jpg", *q, "-sample", "1x1", "-restart", "3B")
    cjpeg(flat, "flat-420-progressive-restart.jpg", *q, "-sample", "2x2", "-progressive", "-restart", "2B")
    cjpeg(flatg, "flat-grey.jpg", *q)
    cjpeg(flatg, "flat-grey-progressive.jpg", *q, "-progressive")
    cjpeg(single, "single-411.jpg", *q, "-sample", "4x1")
    cjpeg(flat, "flat-arithmetic.jpg", *q, "-arithmetic")

    photo = os.path.join(tmp, "photo.ppm")
    write_ppm(photo, 67, 45, photo_pixels(67, 45))
    photos = {
        "photo-420.jpg": ["-quality", "85", "-sample", "2x2"],
        "photo-420-progressive.jpg": ["-quality", "85", "-sample", "2x2", "-progressive"],
        "photo-422-optimized.jpg": ["-quality", "75", "-sample", "2x1", "-optimize"],
        "photo-440-restart.jpg": ["-quality", "90", "-sample", "1x2", "-restart", "5B"],
        "photo-444-progressive.jpg": ["-quality", "95", "-sample", "1x1", "-progressive"],
        "photo-411.jpg": ["-quality", "80", "-sample", "4x1"],
        "photo-grey.jpg": ["-quality", "85", "-grayscale"],
        "photo-rgb.jpg": ["-quality", "90", "-rgb"],
    }
    scans = os.path.join(tmp, "separate.scans")
    with open(scans, "w") as f:
        f.write("0;\n1;\n2;\n")
    photos["photo-420-separate-scans.jpg"] = ["-quality", "85", "-sample", "2x2", "-scans", scans, "-restart", "7B"]
    # Quality 1 without -baseline: quantisers over 255, so 16-bit DQT tables and an SOF1 (extended sequential) frame.
    photos["photo-q1-16bit-tables.jpg"] = ["-quality", "1", "-sample", "2x2"]
    for name, args in photos.items():
        cjpeg(photo, name, "-dct", "int", *args)
        djpeg(name, name.replace(".jpg", ".ref.pnm"))


    # CMYK (Adobe APP14, transform 0, inverted values) from ImageMagick; no libjpeg reference (djpeg cannot output RGB
    # from CMYK), the test checks the flat colours.
    subprocess.run(["convert", flat, "-quality", "100", "-colorspace", "CMYK", os.path.join(HERE, "flat-cmyk.jpg")], check=True)


if __name__ == "__main__":
    main()
