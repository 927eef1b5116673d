"""Get FER2013 training onto a lent GPU machine (the `device` tool): it reaches no network, has JAX and
PyTorch but no TensorFlow, and takes at most 64 MiB a call, the repository included.

    python -m emotion.train.gpu_pack pack ../shared/data/face/fer2013 .gpu   # here: data + wheels, size check
    python3 -m emotion.train.gpu_pack unpack .gpu/fer.npz /tmp/fer            # there: folders again

`pack` stores the training JPEGs byte for byte in one .npz (43 MiB: less than any lossless re-encoding
of the pixels, and decoding them there gives the same pixels as here) and downloads the Keras wheels
the machine lacks (Keras runs on JAX there: `KERAS_BACKEND=jax python3 -m emotion train face ...`).
The val/ split stays here (it would not fit): validate the trained model here with
`python -m emotion evaluate face ../shared/data/face/fer2013/val --faces whole`.
Standard library and numpy only, so it runs on either machine.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

LIMIT_MIB = 64
WHEELS = ("keras", "namex", "optree")  # what Keras needs that the GPU machine's image lacks
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")


def pack_split(split_dir: Path, out: Path) -> int:
    """Every file under `split_dir/<folder>/` into `out` (.npz): the bytes, where each ends, its folder."""
    files = sorted(f for f in split_dir.glob("*/*") if f.is_file())
    if not files:
        raise SystemExit(f"error: no files under {split_dir}/<emotion>/")
    blobs = [f.read_bytes() for f in files]
    folders, suffixes = sorted({f.parent.name for f in files}), sorted({f.suffix for f in files})
    np.savez(out, data=np.frombuffer(b"".join(blobs), np.uint8), ends=np.cumsum([len(b) for b in blobs]),
             folder=np.array([folders.index(f.parent.name) for f in files], np.uint8), folders=np.array(folders),
             suffix=np.array([suffixes.index(f.suffix) for f in files], np.uint8), suffixes=np.array(suffixes),
             split=np.array(split_dir.name))
    return len(files)


def unpack_split(packed: Path, dest: Path) -> Path:
    """Write the files of a packed split back as `dest/<split>/<folder>/<n><suffix>`; returns that split folder."""
    z = np.load(packed)
    split_dir = dest / str(z["split"])
    folders = [split_dir / name for name in z["folders"]]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    data, starts = z["data"], np.concatenate([[0], z["ends"][:-1]])
    suffixes = [str(s) for s in z["suffixes"]]
    for i, (start, end, k, s) in enumerate(zip(starts, z["ends"], z["folder"], z["suffix"])):
        (folders[k] / f"{i}{suffixes[s]}").write_bytes(data[start:end].tobytes())
    return split_dir


def download_wheels(dest: Path) -> None:
    """The wheels of WHEELS for the GPU machine's Python 3.12, at the Keras version installed here."""
    from importlib.metadata import version

    names = [f"keras=={version('keras')}", *WHEELS[1:]]
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "--python-version", "3.12", "--implementation", "cp", *platforms, "-d", str(dest), *names],
                   check=True)


def tracked_mib(repo: Path) -> float:
    """Size of the files git tracks: they travel with every call."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True).stdout
    return sum((repo / n).stat().st_size for n in names.decode().split("\0") if n and (repo / n).is_file()) / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emotion.train.gpu_pack", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    pack = sub.add_parser("pack", help="here: training JPEGs and Keras wheels into OUT (an ignored folder)")
    pack.add_argument("data", type=Path, help="FER2013 root (with train/<emotion>/)")
    pack.add_argument("out", type=Path)
    unpack = sub.add_parser("unpack", help="there: the packed split back into folders under DEST")
    unpack.add_argument("packed", type=Path)
    unpack.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    if args.command == "unpack":
        print(f"unpacked into {unpack_split(args.packed, args.dest)}")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    n = pack_split(args.data / "train", args.out / "fer.npz")
    download_wheels(args.out / "whl")
    carried = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file()) / 2**20
    tree = tracked_mib(Path(__file__).resolve().parents[2])
    print(f"{n} training images; {args.out}: {carried:.1f} MiB, repository {tree:.1f} MiB, "
          f"together {carried + tree:.1f} of {LIMIT_MIB} MiB a call")
    return 0 if carried + tree < LIMIT_MIB else 1


if __name__ == "__main__":
    sys.exit(main())
