"""Peak memory of decoding a picture at the pixel limit: a 10000x10000 16-bit RGBA PNG or TIFF (100 MP).

Writes the picture (gradients, a quarter half-transparent; the PNG is about 1 MB, since it compresses
well, the TIFF about 25 MB) to a temporary folder, then decodes it in a fresh process per way of decoding
and prints that process's peak resident memory over what it held before decoding (the file's bytes already read):
  app     emotion.images.decode_image, as the app and the command line call it
  opencv  cv2.imdecode(IMREAD_UNCHANGED) then images._to_bgr8: the path before 16-bit colour PNGs
          and TIFFs went through Pillow

    .venv/bin/python benchmarks/image_memory.py [--side 10000] [--formats png tiff]

Goal (issue 34): no more than about 1 GB over the baseline at the 100 MP limit.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WRITE = """
import sys, cv2, numpy as np
side = int(sys.argv[2])
img = np.zeros((side, side, 4), np.uint16)
img[:, :, 0] = np.linspace(0, 65535, side, dtype=np.uint16)[None, :]
img[:, :, 1] = 30000
img[:, :, 2] = np.linspace(0, 65535, side, dtype=np.uint16)[:, None]
img[:, :, 3] = 65535
img[: side // 2, : side // 2, 3] = 20000
params = [cv2.IMWRITE_PNG_COMPRESSION, 9] if sys.argv[1].endswith('.png') else []
assert cv2.imwrite(sys.argv[1], img, params)
"""

MEASURE = """
import resource, sys, time
import cv2, numpy as np
from emotion import images
data = open(sys.argv[1], "rb").read()
way = sys.argv[2]
def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
before = max(peak_mb(), rss_mb())
t = time.perf_counter()
if way == "app":
    out = images.decode_image(data, "big")
else:
    out = images._to_bgr8(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED))
took = time.perf_counter() - t
print(f"{way:7s} {out.shape[1]}x{out.shape[0]} -> {out.dtype} BGR ({out.nbytes / 2**20:.0f} MB): "
      f"peak {peak_mb() - before:.0f} MB over the {before:.0f} MB before decoding, {took:.1f} s")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", type=int, default=10000, help="width and height in pixels (default 10000)")
    parser.add_argument("--ways", nargs="+", default=["app", "opencv"], choices=["app", "opencv"])
    parser.add_argument("--formats", nargs="+", default=["png", "tiff"], choices=["png", "tiff"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats:
            picture = Path(tmp) / f"rgba16.{fmt}"
            subprocess.run([sys.executable, "-c", WRITE, str(picture), str(args.side)], check=True)
            print(f"{args.side}x{args.side} 16-bit RGBA {fmt.upper()}, {picture.stat().st_size / 2**20:.1f} MB on disk")
            for way in args.ways:
                subprocess.run([sys.executable, "-c", MEASURE, str(picture), way], check=True, cwd=ROOT,
                               env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
            picture.unlink()

if __name__ == "__main__":
    main()
