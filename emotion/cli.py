"""Argument parsing and dispatch for `python -m emotion`."""
from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path


def _progress(desc: str):
    """A progress-bar callback (done, total) for long runs; silent when stderr is not a terminal."""
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=desc, unit="item", file=sys.stderr, disable=not sys.stderr.isatty())
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def _add_group_arguments(parser: argparse.ArgumentParser, folders: bool = True) -> None:
    parser.add_argument("--groups", type=Path, metavar="CSV",
                        help="a groups.csv (columns file,group; paths relative to the dataset root) for per-group "
                             "figures; a groups.csv in the dataset itself is used without this")
    if folders:
        parser.add_argument("--group-from", choices=["csv", "folder", "speaker"], default="csv",
                            help="folder: each item's group is the folder above its emotion folder "
                                 "(GROUP/EMOTION/file); speaker: the speaker in RAVDESS, CREMA-D, EmoDB, SAVEE or "
                                 "TESS file names; csv (default): from groups.csv")


def build_parser() -> argparse.ArgumentParser:
    from .face import FaceMode
    from .train import face as train_face, fusion as train_fusion, voice as train_voice

    FACE_MODES = [m.value for m in FaceMode]
    parser = argparse.ArgumentParser(prog="python -m emotion", description="Moodlens: emotion from faces and voices")
    sub = parser.add_subparsers(dest="command", required=True)

    predict = sub.add_parser("predict", help="read the emotion in image and audio files (JSON lines)")
    predict.add_argument("files", nargs="+", type=Path)
    predict.add_argument("--faces", choices=FACE_MODES, default=FaceMode.AUTO.value)
    predict.add_argument("--mask", action="store_true", help="draw a simulated mask on each face first")

    explain = sub.add_parser("explain", help="draw what the models looked at / listened to (one PNG per face "
                                             "and per recording)")
    explain.add_argument("files", nargs="+", type=Path)
    explain.add_argument("--out", type=Path, required=True, help="folder for the PNG files (made if missing)")
    explain.add_argument("--faces", choices=["auto", "detect", "whole"], default="auto")

    evaluate = sub.add_parser("evaluate", help="measure accuracy on a labelled folder or .zip")
    kinds = evaluate.add_subparsers(dest="kind", required=True)
    face = kinds.add_parser("face", help="images, one folder per emotion")
    face.add_argument("path", type=Path, nargs="+", help="folder(s) or .zip(s); several are pooled")
    face.add_argument("--faces", choices=FACE_MODES, default=FaceMode.AUTO.value,
                      help="whole: each image is one face (pre-cropped sets like FER2013); detect: use the "
                           "detector; auto: detect, else the whole image")
    face.add_argument("--mask", action="store_true", help="draw a simulated mask on each face first")
    face.add_argument("--json", type=Path, help="write the full report here")
    _add_group_arguments(face)
    voice = kinds.add_parser("voice", help="audio clips, one folder per emotion or RAVDESS/TESS/... names")
    voice.add_argument("path", type=Path, nargs="+", help="folder(s) or .zip(s); several are pooled")
    voice.add_argument("--json", type=Path, help="write the full report here")
    voice.add_argument("--voice-model", type=Path, default=None, help="a voice model file other than the committed one")
    voice.add_argument("--adapt", action="store_true",
                       help="take each group to be one speaker: hear all of its clips first, then read each against "
                            "that speaker's voice, as the Live page does (needs groups, e.g. --group-from speaker)")
    _add_group_arguments(voice)
    pairs = kinds.add_parser("pairs", help="image+audio pairs listed in pairs.csv (image,audio,label)")
    pairs.add_argument("path", type=Path)
    pairs.add_argument("--faces", choices=FACE_MODES, default=FaceMode.AUTO.value)
    pairs.add_argument("--mask", action="store_true", help="draw a simulated mask on each face first")
    pairs.add_argument("--json", type=Path, help="write the full report here")
    pairs.add_argument("--voice-model", type=Path, default=None, help="a voice model file other than the committed one")
    _add_group_arguments(pairs, folders=False)

    make = sub.add_parser("make-pairs", help="pair faces with same-emotion voice clips (label-matched pairs)")
    make.add_argument("--faces", type=Path, nargs="+", required=True, help="labelled image folder(s) or zip(s)")
    make.add_argument("--voices", type=Path, nargs="+", required=True, help="labelled audio folder(s) or zip(s)")
    make.add_argument("--out", type=Path, required=True)
    make.add_argument("--per-class", type=int, default=None, help="at most N pairs per emotion (default: all faces)")
    make.add_argument("--seed", type=int, default=0)

    train = sub.add_parser("train", help="train a model (resumable)")
    models = train.add_subparsers(dest="kind", required=True)
    train_face.add_arguments(models.add_parser("face", parents=[train_face.options()],
                                               help="train the face model on FER2013"))
    train_voice.add_arguments(models.add_parser("voice", parents=[train_voice.options()],
                                                help="train the voice model on RAVDESS, TESS, Urdu"))
    train_fusion.add_arguments(models.add_parser("fusion", help="fit the learned fusion rule on validation pairs"))
    return parser


def run_predict(args: argparse.Namespace) -> int:
    from .audio import AUDIO_EXTENSIONS, AudioError, load_audio
    from .face import load_face_model
    from .images import IMAGE_EXTENSIONS, ImageError, load_image
    from .voice import load_voice_model

    def read(path: Path, out: dict) -> None:
        suffix = path.suffix.lower()
        if suffix in IMAGE_EXTENSIONS:
            faces = load_face_model().read(load_image(path), mode=args.faces, mask=args.mask)
            out.update(type="image", faces=[f.to_dict() for f in faces])
        elif suffix in AUDIO_EXTENSIONS:
            out.update(type="audio", **load_voice_model().read(load_audio(path)).to_dict())
        else:
            raise ValueError(f"{path.name}: not an image or audio file (by its extension)")

    return _each_file(args.files, read, (ImageError, AudioError, FileNotFoundError, ValueError))


def _each_file(files: list[Path], read, errors: tuple[type[Exception], ...], **start) -> int:
    """A JSON line per file: `{"file": ..., **start}` filled in by `read(path, out)`, or with "error" when the
    file is missing or `read` raised one of `errors`; exit status 1 when any file failed. `start`'s values are
    copied for each file."""
    failed = 0
    for path in files:
        out: dict = {"file": str(path), **copy.deepcopy(start)}
        try:
            if not path.is_file():
                raise FileNotFoundError(f"{path}: no such file")
            read(path, out)
        except errors as exc:
            out["error"] = str(exc)
            failed += 1
        print(json.dumps(out), flush=True)
    return 1 if failed else 0


def run_explain(args: argparse.Namespace) -> int:
    """One PNG per face (`<name>-face<N>.png`) and per recording (`<name>-voice.png`) in --out, a JSON line per
    file; exit status 1 when a file could not be read or held nothing to explain (no face, no speech)."""
    import cv2

    from .audio import AUDIO_EXTENSIONS, AudioError, load_audio
    from .explain import (
        explain_face,
        explain_voice,
        face_caption,
        face_picture,
        voice_caption,
        voice_picture,
        with_caption,
    )
    from .face import crop_face, load_face_model, locate_faces
    from .images import IMAGE_EXTENSIONS, ImageError, load_image
    from .voice import load_voice_model

    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"error: cannot make the folder {args.out} ({exc.strerror or exc})", file=sys.stderr)
        return 2
    taken: set[str] = set()

    def write(stem: str, picture) -> str:
        name, n = f"{stem}.png", 1
        while name in taken:  # two inputs with the same name from different folders
            n += 1
            name = f"{stem}-{n}.png"
        taken.add(name)
        target = args.out / name
        if not cv2.imwrite(str(target), picture):
            raise OSError(f"{target}: could not be written")
        return str(target)

    def read(path: Path, out: dict) -> None:
        suffix = path.suffix.lower()
        if suffix in IMAGE_EXTENSIONS:
            model = load_face_model()
            image, boxes, _ = locate_faces(load_image(path), mode=args.faces)
            if not boxes:
                raise ValueError(f"{path.name}: no face found")
            for i, box in enumerate(boxes, start=1):
                e = explain_face(model, crop_face(image, box))
                out["written"].append(write(f"{path.stem}-face{i}", with_caption(face_picture(e), face_caption(e))))
        elif suffix in AUDIO_EXTENSIONS:
            model = load_voice_model()
            audio = load_audio(path)
            reading = model.read(audio)
            e = explain_voice(model, audio, label=reading.label if reading.has_speech else None)
            if e is None:
                raise ValueError(f"{path.name}: no speech ({reading.reason or 'nothing to read'})")
            out["written"].append(write(f"{path.stem}-voice", with_caption(voice_picture(e), voice_caption(e))))
        else:
            raise ValueError(f"{path.name}: not an image or audio file (by its extension)")

    return _each_file(args.files, read, (ImageError, AudioError, OSError, ValueError), written=[])


def run_evaluate(args: argparse.Namespace) -> int:
    from .datasets import DatasetError, open_dataset
    from .evaluate import evaluate_faces, evaluate_voices

    if args.kind == "pairs":
        return run_evaluate_pairs(args)
    items, left_out, datasets, groups = [], [], [], []
    try:
        groups_csv = _groups_csv(args)
        for path in args.path:
            datasets.append(open_dataset(path))  # kept open while its items are read
            groups.append(datasets[-1].groups(groups_csv, str(args.groups or "groups.csv"),
                                              from_folder=args.group_from == "folder",
                                              from_speaker=args.group_from == "speaker"))
            found, skipped = datasets[-1].items("image" if args.kind == "face" else "audio", groups=groups[-1])
            items += found
            left_out += skipped
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _group_warnings(groups, [item.group for item in items])
    if getattr(args, "adapt", False) and not any(g is not None for g in groups):
        print("error: --adapt reads each group as one speaker, and this dataset has no groups: give a groups.csv, "
              "--group-from folder or --group-from speaker", file=sys.stderr)
        return 2
    if not items:
        where = ", ".join(str(p) for p in args.path)
        print(f"error: no labelled {'images' if args.kind == 'face' else 'audio clips'} found in {where} "
              f"(labels come from folder names such as happy/ or sad/, or RAVDESS/TESS/CREMA-D/SAVEE/EmoDB "
              f"file names)", file=sys.stderr)
        return 2
    if args.kind == "face":
        from .face import load_face_model
        report = evaluate_faces(items, load_face_model(), args.faces, args.mask, skipped=left_out,
                                progress=_progress("faces"))
    else:
        from .voice import VOICE_WEIGHTS, load_voice_model
        report = evaluate_voices(items, load_voice_model(args.voice_model or VOICE_WEIGHTS), skipped=left_out,
                                 progress=_progress("clips"), adapt=args.adapt)
    print(report.summary())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(report.to_json())
        print(f"report written to {args.json}")
    return 0


def _groups_csv(args: argparse.Namespace) -> bytes | None:
    """The bytes of --groups (None without it); a DatasetError when it cannot be read or clashes with --group-from."""
    from .datasets import DatasetError

    if args.groups is None:
        return None
    if getattr(args, "group_from", "csv") != "csv":
        raise DatasetError(f"--groups and --group-from {args.group_from} each give the groups: use one of them")
    try:
        return args.groups.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{args.groups}: cannot be read ({exc.strerror or exc})") from exc


def _group_warnings(groups: list, item_groups: list[str | None]) -> None:
    """Warn (stderr) about groups.csv rows naming no file of the dataset(s), and items in no group."""
    from .datasets import UNGROUPED

    found = [g for g in groups if g is not None]
    if not found:
        return
    unmatched = set.intersection(*(set(g.unmatched) for g in found))  # pooled datasets: in none of them
    if unmatched:
        names = sorted(unmatched)
        print(f"warning: {found[0].source} lists {len(names)} file(s) not in the dataset: {', '.join(names[:5])}"
              + (" ..." if len(names) > 5 else ""), file=sys.stderr)
    lost = sum(g in (None, UNGROUPED) for g in item_groups)
    if lost:
        print(f"warning: {lost} item(s) belong to no group (shown as {UNGROUPED!r})", file=sys.stderr)


def run_evaluate_pairs(args: argparse.Namespace) -> int:
    from .datasets import DatasetError, open_dataset
    from .face import load_face_model
    from .pairs import evaluate_pairs
    from .voice import VOICE_WEIGHTS, load_voice_model

    try:
        dataset = open_dataset(args.path)
        groups = dataset.groups(_groups_csv(args), str(args.groups or "groups.csv"))
        _group_warnings([groups], [p.group for p in dataset.pairs(groups)[0]])
        report = evaluate_pairs(dataset, load_face_model(), load_voice_model(args.voice_model or VOICE_WEIGHTS),
                                args.faces, args.mask, progress=_progress("pairs"), groups=groups)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))
        print(f"report written to {args.json}")
    return 0


def run_make_pairs(args: argparse.Namespace) -> int:
    from .datasets import DatasetError
    from .pairs import PAIRS_NOTE, make_pairs

    try:
        counts = make_pairs(args.faces, args.voices, args.out, args.per_class, args.seed)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not counts:
        print("error: no emotion has both faces and voice clips", file=sys.stderr)
        return 2
    print(f"{sum(counts.values())} pairs written to {args.out}: {counts}")
    print(PAIRS_NOTE)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "predict":
        return run_predict(args)
    if args.command == "explain":
        return run_explain(args)
    if args.command == "evaluate":
        return run_evaluate(args)
    if args.command == "make-pairs":
        return run_make_pairs(args)
    if args.command == "train":
        from .train import face as train_face, fusion as train_fusion, voice as train_voice
        return {"face": train_face, "voice": train_voice, "fusion": train_fusion}[args.kind].main(args)
    return 2
