"""Face detection on real photos: recall, false positives and speed of each detector setting.

    python benchmarks/fetch_photos.py                 # once: the photos, into .cache/photos/
    python benchmarks/face_detection.py               # all settings (MTCNN ones take minutes)
    python benchmarks/face_detection.py --only haar   # settings whose name contains "haar"
    python benchmarks/face_detection.py --out benchmarks/RESULTS-detection.md.tables

What it does
- Photos: the real photos and truth boxes of benchmarks/photos_truth.json (16 faces in 11 photos), each
  under these conditions: original; dark (x0.3 brightness after gamma 1.5); back-lit (contrast x0.4 under
  a bright haze, brightest at the top); rotated in-plane +15 and -15 degrees; mirrored; masked
  (emotion.masks.apply_mask at every truth box, once per colour in MASK_COLOURS); webcam (640 wide,
  blur, sensor noise, JPEG quality 35).
- LFW: the 100 LFW face crops of scikit-image's lfw_subset, scaled up to 100-150 px and pasted, 3 at a
  time, at random places on 640x480 face-free backgrounds; the same frames with masks; the 100 non-face
  crops pasted the same way on a plain gray background (any box there is a false positive); and 12
  face-free photos (a cat and a mandrill among them).
- A face counts as found when a detection has IoU >= 0.3 with its truth box, or contains the truth box's
  centre while its size (square root of area) is within 2x of the truth's. Each detection finds at most one
  face. Detections that find no face are false positives, except inside the 'ignore' regions of the
  truth file (a crowd, people cut by the edge).
- Speed: median milliseconds of detect() per 640x480 frame (photos and LFW scenes fitted into 640x480),
  after a warm-up, with the libraries' default threads; then again with 1 thread (OpenCV and TensorFlow)
  in a child process. Timings depend on what else runs on the machine: the table header says the load.

A script, not a test: it prints Markdown tables.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _common import PHOTO_CACHE as CACHE, PHOTO_TRUTH as TRUTH, load_note  # noqa: E402


def _set_threads(n: int | None) -> None:
    """Limit OpenCV and TensorFlow to n threads (must run before TensorFlow starts)."""
    import cv2
    if n is None:
        return
    cv2.setNumThreads(n)
    os.environ["OMP_NUM_THREADS"] = str(n)
    from emotion.runtime import import_tensorflow
    tf = import_tensorflow()
    tf.config.threading.set_intra_op_parallelism_threads(n)
    tf.config.threading.set_inter_op_parallelism_threads(n)


# --- detector settings ---------------------------------------------------------------------------

def settings() -> dict[str, callable]:
    """name -> factory for every detector setting measured."""
    from emotion.detectors import HaarDetector, MTCNNDetector
    out = {}
    for side in (320, 480, 640):
        for clahe in (True, False):
            c = "" if clahe else " noCLAHE"
            out[f"haar default {side}{c}"] = lambda s=side, c=clahe: HaarDetector(s, profiles=False, clahe=c)
            out[f"haar alt2 {side}{c}"] = lambda s=side, c=clahe: HaarDetector(s, profiles=False, frontal="alt2",
                                                                               clahe=c)
            out[f"haar default+profile {side}{c}"] = lambda s=side, c=clahe: HaarDetector(s, clahe=c)
            out[f"haar alt2+profile {side}{c}"] = lambda s=side, c=clahe: HaarDetector(s, frontal="alt2", clahe=c)
    out["mtcnn 320 min20"] = lambda: MTCNNDetector(320, min_face=20)
    out["mtcnn 320 min20 t0.7"] = lambda: MTCNNDetector(320, min_face=20, threshold=0.7)
    for m in (24, 28, 32, 40):  # fewer pyramid levels: faster, misses small faces
        out[f"mtcnn 320 min{m}"] = lambda m=m: MTCNNDetector(320, min_face=m)
    out["mtcnn 480 min20"] = lambda: MTCNNDetector(480, min_face=20)
    out["mtcnn 640 min20"] = lambda: MTCNNDetector(640, min_face=20)
    out["mtcnn 1024 min20"] = lambda: MTCNNDetector(1024, min_face=20)
    try:  # settings that exist only once emotion/detectors.py has them
        from emotion.detectors import DETECTORS
        for name in DETECTORS:
            out[f"get_detector({name!r})"] = lambda n=name: DETECTORS[n]()
    except ImportError:
        pass
    return out


# --- image conditions ----------------------------------------------------------------------------

def _box_map(boxes, fn):
    """Move boxes by a point map applied to their centres (sizes kept)."""
    out = []
    for b in boxes:
        x, y, w, h = b[:4]
        cx, cy = fn(x + w / 2, y + h / 2)
        out.append([cx - w / 2, cy - h / 2, w, h, *b[4:]])
    return out


def dark(img):
    return np.clip(255 * 0.3 * (img / 255.0) ** 1.5, 0, 255).round().astype(np.uint8)


def backlit(img):
    h = img.shape[0]
    haze = (170 - 70 * np.linspace(0, 1, h) ** 0.7)[:, None, None]  # bright sky/window above, less below
    return np.clip(0.4 * img + haze, 0, 255).round().astype(np.uint8)


def rotate(img, boxes, ignore, angle):
    import cv2
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)  # grow the canvas: nothing is cut off
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    out = cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    def fn(x, y):
        return m[0, 0] * x + m[0, 1] * y + m[0, 2], m[1, 0] * x + m[1, 1] * y + m[1, 2]

    return out, _box_map(boxes, fn), _box_map(ignore, fn)


def mirror(img, boxes, ignore):
    w = img.shape[1]
    def fn(x, y):
        return w - x, y

    return img[:, ::-1].copy(), _box_map(boxes, fn), _box_map(ignore, fn)


def webcam(img, boxes, ignore, rng):
    import cv2
    s = min(1.0, 640 / img.shape[1])
    small = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else img.copy()
    small = cv2.GaussianBlur(small, (0, 0), 1.2)
    small = np.clip(small + rng.normal(0, 8, small.shape), 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 35])

    def scale_b(bs):
        return [[v * s for v in b[:4]] + [b[4] * s if b[4] else 0] if len(b) > 4 else [v * s for v in b] for b in bs]

    return cv2.imdecode(buf, cv2.IMREAD_COLOR), scale_b(boxes), scale_b(ignore)


def load_photos(truth):
    import cv2
    photos = []
    for name, t in truth["photos"].items():
        img = cv2.imread(str(CACHE / name), cv2.IMREAD_COLOR)
        if img is None:
            sys.exit(f"missing {CACHE / name}: run python benchmarks/fetch_photos.py first")
        photos.append((name, img, [list(b) for b in t["faces"]], [list(b) for b in t.get("ignore", [])]))
    return photos


def photo_sets(truth, rng):
    """condition -> list of (name, image, truth boxes, ignore regions)."""
    from emotion.masks import MASK_COLOURS, apply_mask
    photos = load_photos(truth)
    sets = {"original": photos,
            "dark": [(n, dark(i), b, g) for n, i, b, g in photos],
            "backlit": [(n, backlit(i), b, g) for n, i, b, g in photos],
            "rot±15": [(n, *rotate(i, b, g, a)) for n, i, b, g in photos for a in (15, -15)],
            "mirror": [(n, *mirror(i, b, g)) for n, i, b, g in photos],
            "masked": []}
    for colour in MASK_COLOURS:
        for n, i, b, g in photos:
            m = i
            for box in b:
                m = apply_mask(m, tuple(int(v) for v in box), colour)
            sets["masked"].append((n, m, b, g))
    sets["webcam"] = [(n, *webcam(i, b, g, rng)) for n, i, b, g in photos]
    return sets


def lfw_sets(truth, rng):
    """LFW faces pasted on face-free backgrounds (plain and masked), non-faces on gray, face-free photos."""
    import cv2

    from emotion.masks import MASK_COLOURS, apply_mask
    lfw = np.load(CACHE / truth["lfw_subset"]["file"])
    lfw = (lfw * 255).round().astype(np.uint8) if lfw.max() <= 1.0 else lfw.astype(np.uint8)
    f0, f1 = truth["lfw_subset"]["faces"]
    n0, n1 = truth["lfw_subset"]["non_faces"]
    backgrounds = []
    for name in ("building.jpg", "leuvenA.jpg", "home.jpg", "motorcycle_left.png", "coffee.png", "stuff.jpg",
                 "aero3.jpg"):
        bg = cv2.imread(str(CACHE / name))
        s = max(640 / bg.shape[1], 480 / bg.shape[0])
        bg = cv2.resize(bg, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        backgrounds.append(bg[:480, :640].copy())

    def paste(crops, background_for):
        frames = []
        for start in range(0, len(crops), 3):
            frame = background_for(len(frames)).copy()
            boxes = []
            for crop in crops[start:start + 3]:
                side = int(rng.integers(100, 151))
                for _ in range(200):  # random place, not overlapping the others
                    x, y = int(rng.integers(0, 640 - side)), int(rng.integers(0, 480 - side))
                    if all(x + side + 10 < bx or bx + bs + 10 < x or y + side + 10 < by or by + bs + 10 < y
                           for bx, by, bs, _ in boxes):
                        break
                patch = cv2.cvtColor(cv2.resize(crop, (side, side), interpolation=cv2.INTER_CUBIC), cv2.COLOR_GRAY2BGR)
                alpha = np.ones((side, side), np.float32)  # feathered edge, not a hard square
                ramp = np.minimum(np.arange(side), np.arange(side)[::-1])
                alpha *= np.clip(ramp / 6.0, 0, 1)[None, :] * np.clip(ramp / 6.0, 0, 1)[:, None]
                roi = frame[y:y + side, x:x + side].astype(np.float32)
                frame[y:y + side, x:x + side] = (alpha[..., None] * patch
                                                 + (1 - alpha[..., None]) * roi).astype(np.uint8)
                boxes.append([x, y, side, side])
            frames.append((f"lfw{start:03d}", frame, boxes, []))
        return frames

    order = rng.permutation(np.arange(f0, f1))
    faces = paste([lfw[i] for i in order], lambda k: backgrounds[k % len(backgrounds)])
    masked = []
    for k, (n, frame, boxes, g) in enumerate(faces):
        for j, box in enumerate(boxes):
            frame = apply_mask(frame, tuple(box), MASK_COLOURS[(k + j) % len(MASK_COLOURS)])
        masked.append((n, frame, boxes, g))
    gray = np.clip(rng.normal(128, 6, (480, 640, 3)), 0, 255).astype(np.uint8)
    non_faces = [(n, f, [], []) for n, f, _, _ in paste([lfw[i] for i in range(n0, n1)], lambda k: gray)]
    face_free = [(name, cv2.imread(str(CACHE / name)), [], []) for name in truth["face_free"]]
    return {"LFW pasted": faces, "LFW masked": masked, "LFW non-faces": non_faces, "face-free": face_free}


# --- scoring -------------------------------------------------------------------------------------

def iou(a, b) -> float:
    ax, ay, aw, ah = a[:4]
    bx, by, bw, bh = b[:4]
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / (aw * ah + bw * bh - inter) if inter else 0.0


def finds(det, face) -> bool:
    """The matching rule: IoU >= 0.3, or the face's centre inside the detection with sizes within 2x."""
    if iou(det, face) >= 0.3:
        return True
    x, y, w, h = det[:4]
    fx, fy, fw, fh = face[:4]
    cx, cy = fx + fw / 2, fy + fh / 2
    ratio = np.sqrt(w * h) / np.sqrt(fw * fh)
    return x <= cx <= x + w and y <= cy <= y + h and 0.5 <= ratio <= 2.0


def score(dets, faces, ignore) -> tuple[int, int]:
    """(faces found, false positives) for one image; greedy one-to-one matching, best IoU first."""
    pairs = sorted(((iou(d, f), i, j) for i, d in enumerate(dets) for j, f in enumerate(faces) if finds(d, f)),
                   reverse=True)
    used_d, used_f = set(), set()
    for _, i, j in pairs:
        if i not in used_d and j not in used_f:
            used_d.add(i)
            used_f.add(j)
    fp = 0
    for i, (x, y, w, h) in enumerate(dets):
        if i in used_d:
            continue
        cx, cy, side = x + w / 2, y + h / 2, np.sqrt(w * h)
        if any(gx <= cx <= gx + gw and gy <= cy <= gy + gh and (not lim or side <= lim)
               for gx, gy, gw, gh, lim in ignore):
            continue
        fp += 1
    return len(used_f), fp


def evaluate(detector, sets) -> dict:
    out = {}
    for cond, items in sets.items():
        found = total = fps = 0
        misses = []
        for name, img, faces, ignore in items:
            f, fp = score(detector.detect(img), faces, ignore)
            found, total, fps = found + f, total + len(faces), fps + fp
            if f < len(faces):
                misses.append(name)
        out[cond] = {"found": found, "faces": total, "fp": fps, "images": len(items), "missed_in": misses}
    return out


# --- timing --------------------------------------------------------------------------------------

def timing_frames(truth) -> list[np.ndarray]:
    """640x480 frames: every photo (original, dark, blue mask, webcam) fitted in, plus LFW scenes."""
    import cv2
    rng = np.random.default_rng(1)
    sets = photo_sets(truth, rng)
    frames = []
    for cond in ("original", "dark", "webcam"):
        frames += [i for _, i, _, _ in sets[cond]]
    frames += [i for _, i, _, _ in sets["masked"][: len(sets["original"])]]
    out = []
    for img in frames:
        s = min(640 / img.shape[1], 480 / img.shape[0])
        small = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        canvas = np.full((480, 640, 3), 110, np.uint8)
        y0, x0 = (480 - small.shape[0]) // 2, (640 - small.shape[1]) // 2
        canvas[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
        out.append(canvas)
    out += [f for _, f, _, _ in lfw_sets(truth, np.random.default_rng(0))["LFW pasted"][:12]]
    return out


def time_detector(detector, frames, repeats: int) -> dict:
    """Median wall-clock and process-CPU ms of detect() over the frames (after two warm-up calls).

    On a busy machine the wall time grows with the load; the CPU time of a 1-thread run much less so
    (it still grows when another process shares the core's caches or hyper-threads).
    """
    for f in frames[:2]:
        detector.detect(f)
    wall, cpu = [], []
    for _ in range(repeats):
        for f in frames:
            t, c = time.perf_counter(), time.process_time()
            detector.detect(f)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    return {"wall": statistics.median(wall), "cpu": statistics.median(cpu)}


# --- report --------------------------------------------------------------------------------------

PHOTO_CONDS = ("original", "dark", "backlit", "rot±15", "mirror", "masked", "webcam")
LFW_CONDS = ("LFW pasted", "LFW masked")


def table(results: dict, single: dict) -> str:
    any_r = next(iter(results.values()))["eval"]
    head = ["setting"] + [f"{c} /{any_r[c]['faces']}" for c in PHOTO_CONDS + LFW_CONDS] + \
           ["all photo conds", "FP/img photos", "FP/img LFW non-faces", "FP/img face-free", "ms/frame", "ms 1 thread",
            "CPU ms 1 thread"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in results.items():
        e = r["eval"]
        cells = [name] + [f"{100 * e[c]['found'] / e[c]['faces']:.0f}%" for c in PHOTO_CONDS + LFW_CONDS]
        found = sum(e[c]["found"] for c in PHOTO_CONDS)
        total = sum(e[c]["faces"] for c in PHOTO_CONDS)
        cells.append(f"{100 * found / total:.0f}% ({found}/{total})")
        photo_fp = sum(e[c]["fp"] for c in PHOTO_CONDS) / sum(e[c]["images"] for c in PHOTO_CONDS)
        cells.append(f"{photo_fp:.2f}")
        cells += [f"{e[c]['fp'] / e[c]['images']:.2f}" for c in ("LFW non-faces", "face-free")]
        cells.append(f"{r['ms']['wall']:.0f}")
        cells += [f"{single[name]['wall']:.0f}", f"{single[name]['cpu']:.0f}"] if name in single else ["-", "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", action="append", help="measure settings whose name contains this (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the setting names and exit")
    ap.add_argument("--repeats", type=int, default=1, help="timing passes over the frames (MTCNN: always 1)")
    ap.add_argument("--no-single-thread", action="store_true", help="skip the 1-thread timing")
    ap.add_argument("--out", help="also write the Markdown to this file")
    ap.add_argument("--json", help="also write all numbers as JSON")
    ap.add_argument("--time-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--exact", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    _set_threads(args.threads)
    truth = json.loads(TRUTH.read_text())
    all_settings = settings()
    if args.list:
        print("\n".join(all_settings))
        return
    names = [n for n in all_settings
             if not args.only or any((o == n) if args.exact else (o in n) for o in args.only)]
    frames = timing_frames(truth)

    if args.time_only:  # child process: 1-thread timings as JSON on stdout
        out = {}
        for n in names:
            out[n] = time_detector(all_settings[n](), frames, 1 if "mtcnn" in n else args.repeats)
        print(json.dumps(out))
        return

    rng = np.random.default_rng(0)
    sets = {**photo_sets(truth, rng), **lfw_sets(truth, rng)}
    results = {}
    for n in names:
        t0 = time.time()
        det = all_settings[n]()
        results[n] = {"eval": evaluate(det, sets),
                      "ms": time_detector(det, frames, 1 if "mtcnn" in n else args.repeats)}
        print(f"{n}: done in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    load = load_note()

    single = {}
    if not args.no_single_thread:
        cmd = [sys.executable, __file__, "--time-only", "--exact", "--threads", "1", "--repeats", str(args.repeats)]
        for n in names:
            cmd += ["--only", n]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode == 0:
            single = {k: v for k, v in json.loads(res.stdout.strip().splitlines()[-1]).items() if k in results}
        else:
            print(res.stderr[-2000:], file=sys.stderr)

    md = [f"Recall per condition (faces found / faces; the number after / is the count of faces), false positives "
          f"per image, and median ms per 640x480 frame ({len(frames)} frames). Machine: {load}.", "",
          table(results, single), "",
          "Missed faces (photo, condition) for each setting:", ""]
    for n, r in results.items():
        miss = {c: sorted(set(v["missed_in"])) for c, v in r["eval"].items()
                if v["missed_in"] and not c.startswith("LFW")}
        md.append(f"- {n}: " + "; ".join(f"{c}: {', '.join(m)}" for c, m in miss.items()))
    text = "\n".join(md)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps({"load": load, "results": results, "single_thread_ms": single}, indent=1))


if __name__ == "__main__":
    main()
