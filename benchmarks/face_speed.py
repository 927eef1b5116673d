"""Face speed: detection + classification frames/s at 640x480, per-face classifier latency, and the
`fer` package's pipeline on the same frames.

    python benchmarks/face_speed.py                                  # our pipeline only
    pip install --no-deps --target /tmp/fer_pkg fer                  # fer only for this benchmark
    python benchmarks/face_speed.py --fer /tmp/fer_pkg               # ... and side by side with fer

`fer` is never an app dependency: `--fer DIR` puts a `pip install --no-deps --target DIR fer` on
sys.path for this process only (fer imports pkg_resources and requests, which our environment has;
its other dependencies are not needed for Haar detection + its TFLite/Keras model).

Frames: the committed FER2013 fixture faces (tests/fixtures/faces) scaled up and placed on a
photo-like 640x480 scene, 1 face (220 px) or 3 faces (150 px). Every number is a median over
`--frames` calls after a warm-up: wall-clock, and the process's CPU time summed over its threads
(less sensitive to other load on the machine), with the libraries' default threads. With `--fer`, the last
lines compare the two pipelines taking turns on each frame (`--rounds` passes), so that both meet the same
load; the table's rows are measured one after the other. A script, not a test: it prints Markdown. Timings
depend on what else runs on the machine; the header says the load.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time

import cv2
import numpy as np

from _common import ROOT, load_note

sys.path.insert(0, str(ROOT / "tests"))

from emotion.detectors import DEFAULT_DETECTOR, HaarDetector, get_detector  # noqa: E402
from emotion.face import ALWAYS_MIRROR, FACE_SIZE, MIRROR_BELOW, crop_face  # noqa: E402
from emotion.runtime import import_tensorflow  # noqa: E402

FACES = ROOT / "tests" / "fixtures" / "faces"


def frames(n_faces: int, count: int) -> list[np.ndarray]:
    """`count` 640x480 BGR frames with `n_faces` fixture faces each (different faces per frame)."""
    from media import photo_background

    faces = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted(FACES.glob("*.jpg"))]
    spots = {1: [((330, 110), 220)], 3: [((20, 300), 150), ((245, 60), 150), ((470, 300), 150)]}[n_faces]
    out = []
    for i in range(count):
        scene = photo_background(seed=i)
        for j, ((x, y), side) in enumerate(spots):
            face = cv2.resize(faces[(i + j) % len(faces)], (side, side), interpolation=cv2.INTER_CUBIC)
            scene[y:y + side, x:x + side] = cv2.cvtColor(face, cv2.COLOR_GRAY2BGR)
        out.append(scene)
    return out


class Ms(float):
    """Median wall-clock ms, carrying the median process-CPU ms (all threads) as `.cpu`."""

    cpu: float


def median_ms(fn, items, warm: int = 3) -> Ms:
    for it in items[:warm]:
        fn(it)
    wall, cpu = [], []
    for it in items:
        t, c = time.perf_counter(), time.process_time()
        fn(it)
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    out = Ms(statistics.median(wall))
    out.cpu = statistics.median(cpu)
    return out


def row(name: str, ms: Ms, note: str = "") -> str:
    cpu = f"{ms.cpu:.1f}" if hasattr(ms, "cpu") else "-"
    return f"| {name} | {ms:.1f} | {1000 / ms:.0f} | {cpu} | {note} |"


def ours(n_frames: int, tflite: bool) -> tuple[list[str], dict]:
    from emotion.detectors import MTCNNDetector
    from emotion.face import load_face_model

    model = load_face_model()
    model.warm_up()
    rows, key = [], {}
    one, three = frames(1, n_frames), frames(3, n_frames)
    det = get_detector()
    found1 = np.mean([len(det.detect(f)) for f in one])
    found3 = np.mean([len(det.detect(f)) for f in three])
    for n, fs, found in ((1, one, found1), (3, three, found3)):
        ms = median_ms(lambda f: model.read(f, mode="detect"), fs)
        key[f"ours {n}"] = ms
        rows.append(row(f"ours: detect ({DEFAULT_DETECTOR}) + classify, {n} face(s)", ms,
                        f"{found:.1f} faces found/frame"))
        rows.append(row(f"ours: detect only ({DEFAULT_DETECTOR}), {n} face(s)", median_ms(det.detect, fs)))
    if DEFAULT_DETECTOR == "mtcnn":
        from mtcnn import MTCNN

        eager = MTCNNDetector()
        eager.mtcnn = MTCNN()  # as the package ships it: networks called layer by layer
        rows.append(row("  variant: mtcnn as shipped (eager), detect only, 1 face", median_ms(eager.detect, one[:20]),
                        "why TFLite"))
    crops1 = [np.stack([crop_face(f, (330, 110, 220, 220))]) for f in one]
    crops3 = [np.stack([crop_face(f, b) for b in ((20, 300, 150, 150), (245, 60, 150, 150), (470, 300, 150, 150))])
              for f in three]
    mirrored = np.mean([model.predict(c).max(1) < model.mirror_below for c in crops3])  # calibration: identity
    key["clf 1"] = median_ms(model.predict, crops1)
    rows.append(row("ours: classifier (int8 TFLite), 1 face (mirrored when unsure)", key["clf 1"],
                    f"per face; {mirrored:.0%} of these faces mirrored"))
    ms3 = median_ms(model.predict, crops3)
    rows.append(row("ours: classifier, 3 faces in one batch", ms3, f"{ms3 / 3:.1f} ms per face"))
    ms3s = median_ms(lambda c: [model.predict(c[i:i + 1]) for i in range(3)], crops3)
    rows.append(row("  variant: 3 faces one call each (no batching)", ms3s, f"{ms3s / 3:.1f} ms per face"))
    for label, below in (("every face mirrored (flip-averaged: batch of 2)", ALWAYS_MIRROR), ("never mirrored", 0.0)):
        model.mirror_below = below
        rows.append(row(f"  variant: classifier, {label}, 1 face", median_ms(model.predict, crops1), "per face"))
        rows.append(row(f"  variant: classifier, {label}, 3 faces in one batch", median_ms(model.predict, crops3),
                        "3 faces"))
    model.mirror_below = MIRROR_BELOW
    tf = import_tensorflow()
    graph = tf.function(lambda x: model.model(x, training=False))

    def keras_graph(c):
        return graph(np.concatenate([c, c[:, :, ::-1]]).astype(np.float32)[..., None]).numpy()

    rows.append(row("  variant: the float Keras model as a tf.function graph, 1 face (flip-averaged)",
                    median_ms(keras_graph, crops1), "why int8 TFLite"))
    rows.append(row("  variant: keras model.predict(), 1 face",
                    median_ms(lambda c: model.model.predict(c[..., None].astype(np.float32), verbose=0), crops1[:20]),
                    "why direct calls"))
    if tflite:
        rows += tflite_rows(model, crops1)
    fast = HaarDetector(max_side=320, profiles=False)
    for n, fs in ((1, one), (3, three)):
        ms = median_ms(lambda f: model.read(f, boxes=fast.detect(f)), fs)
        key[f"fast {n}"] = ms
        rows.append(row(f"  variant: haar frontal-only 320 + our classifier, {n} face(s)", ms,
                        "cheaper detector, lower recall"))
    return rows, key


def tflite_rows(model, crops1) -> list[str]:
    """Our model as float TFLite (float32, float16 weights): latency and drift from the Keras model."""
    tf = import_tensorflow()
    rows = []
    from emotion.face import soften

    x = soften(np.concatenate(crops1)).astype(np.float32)[..., None]
    ref = (model.model(x, training=False).numpy() + model.model(x[:, :, ::-1], training=False).numpy()) / 2
    model.mirror_below, calibration = ALWAYS_MIRROR, model.calibration
    model.calibration = type(calibration)()  # the Keras model's own probabilities, as ref
    ours_probs = np.concatenate([model.predict(c) for c in crops1])
    model.mirror_below, model.calibration = MIRROR_BELOW, calibration
    rows.append(f"|   ours (int8 TFLite) against the float Keras model | - | - | - | max prob drift "
                f"{np.abs(ours_probs - ref).max():.4f}, "
                f"same top label {np.mean(ours_probs.argmax(1) == ref.argmax(1)):.0%} |")
    for name, f16 in (("float32", False), ("float16 weights", True)):
        conv = tf.lite.TFLiteConverter.from_keras_model(model.model)
        if f16:
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.target_spec.supported_types = [tf.float16]
        with contextlib.redirect_stdout(io.StringIO()):  # the converter prints its whole signature
            blob = conv.convert()
        interp = tf.lite.Interpreter(model_content=blob, num_threads=os.cpu_count())
        inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
        interp.resize_tensor_input(inp["index"], [2, FACE_SIZE, FACE_SIZE, 1])
        interp.allocate_tensors()

        def run(c, interp=interp, inp=inp, out=out):
            interp.set_tensor(inp["index"], np.concatenate([c, c[:, :, ::-1]]).astype(np.float32)[..., None])
            interp.invoke()
            res = interp.get_tensor(out["index"])
            return (res[:1] + res[1:]) / 2

        rows.append(row(f"  variant: ours as TFLite {name}, 1 face (flip-averaged)", median_ms(run, crops1),
                        f"{len(blob) / 1e6:.2f} MB"))
    return rows


def fer_rows(path: str, n_frames: int) -> tuple[list[str], dict]:
    sys.path.insert(0, path)
    import logging

    from fer.fer import FER  # noqa: E402
    logging.getLogger("fer").setLevel(logging.WARNING)
    rows, key = [], {}
    one, three = frames(1, n_frames), frames(3, n_frames)
    for label, kw in (("TFLite int8 (fer's default)", {}), ("Keras hdf5", {"use_tflite": False})):
        det = FER(**kw)
        found1 = np.mean([len(det.detect_emotions(f)) for f in one[:5]])
        for n, fs in ((1, one), (3, three)):
            ms = median_ms(det.detect_emotions, fs)
            key[f"fer {label} {n}"] = ms
            rows.append(row(f"fer {label}: detect + classify, {n} face(s)", ms,
                            f"{found1:.1f} faces found/frame" if n == 1 else ""))
        gray = np.zeros((1, 64, 64), np.float32)
        rows.append(row(f"fer {label}: classifier, 1 face",
                        median_ms(lambda _: det._classify_emotions(gray), list(range(n_frames))), "per face"))
    return rows, key


def interleaved(path: str, n_frames: int, rounds: int) -> list[str]:
    """Ours and fer's default pipeline taking turns on each frame (who goes first alternates), `rounds` passes
    over the frames: both meet the same moments of the machine's other load, unlike two runs one after the
    other. Ratio lines: frames/s from the median wall ms, and the median CPU ms a frame."""
    sys.path.insert(0, path)
    from fer.fer import FER  # noqa: E402

    from emotion.face import load_face_model

    model, det = load_face_model(), FER()
    pipelines = {"ours": lambda f: model.read(f, mode="detect"), "fer": det.detect_emotions}
    lines = []
    for n in (1, 3):
        fs = frames(n, n_frames)
        for f in fs[:3]:
            for fn in pipelines.values():
                fn(f)
        wall = {k: [] for k in pipelines}
        cpu = {k: [] for k in pipelines}
        for turn, f in enumerate(fs * rounds):
            for name in (("ours", "fer") if turn % 2 == 0 else ("fer", "ours")):
                t, c = time.perf_counter(), time.process_time()
                pipelines[name](f)
                wall[name].append((time.perf_counter() - t) * 1000)
                cpu[name].append((time.process_time() - c) * 1000)
        w = {k: statistics.median(v) for k, v in wall.items()}
        c = {k: statistics.median(v) for k, v in cpu.items()}
        lines.append(f"{n} face(s), interleaved ({rounds} x {n_frames} frames each): ours {1000 / w['ours']:.0f} "
                     f"frames/s ({c['ours']:.1f} ms CPU a frame) vs fer {1000 / w['fer']:.0f} frames/s "
                     f"({c['fer']:.1f} ms CPU): ours / fer = {w['fer'] / w['ours']:.2f}x wall, "
                     f"{c['fer'] / c['ours']:.2f}x CPU")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fer", metavar="DIR", help="a `pip install --no-deps --target DIR fer` to compare with")
    ap.add_argument("--frames", type=int, default=60, help="frames per measurement (default 60)")
    ap.add_argument("--no-tflite", action="store_true", help="skip the TFLite conversions")
    ap.add_argument("--rounds", type=int, default=3, help="passes over the frames of the interleaved comparison")
    args = ap.parse_args()
    import_tensorflow()
    rows, key = ours(args.frames, not args.no_tflite)
    if args.fer:
        more, fkey = fer_rows(args.fer, args.frames)
        rows += more
        key.update(fkey)
    print(f"Face speed at 640x480, median of {args.frames} frames. Machine: {load_note()}.\n")
    print("| what | wall ms | per second | CPU ms (all threads) | note |\n|---|---|---|---|---|")
    print("\n".join(rows))
    for n in (1, 3):
        fk = f"fer TFLite int8 (fer's default) {n}"
        if fk in key:
            ours_ms, fer_ms = key[f"ours {n}"], key[fk]
            print(f"\n{n} face(s): ours {1000 / ours_ms:.0f} frames/s vs fer {1000 / fer_ms:.0f} frames/s "
                  f"(ours / fer = {fer_ms / ours_ms:.2f}x; in CPU time a frame, {ours_ms.cpu:.1f} against "
                  f"{fer_ms.cpu:.1f} ms: {fer_ms.cpu / ours_ms.cpu:.2f}x)")
            print(f"{n} face(s), Haar variant: {1000 / key[f'fast {n}']:.0f} frames/s "
                  f"(/ fer = {key[fk] / key[f'fast {n}']:.2f}x)")
    if args.fer:
        print()
        print("\n".join(interleaved(args.fer, args.frames, args.rounds)))


if __name__ == "__main__":
    main()
