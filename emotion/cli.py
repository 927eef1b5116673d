"""Argument parsing and dispatch for `python -m emotion`."""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emotion", description="Moodlens emotion recognition")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train a model (resumable)")
    kinds = train.add_subparsers(dest="kind", required=True)
    from .train import face as train_face, voice as train_voice
    train_face.add_arguments(kinds.add_parser("face", help="train the face model on FER2013"))
    train_voice.add_arguments(kinds.add_parser("voice", help="train the voice model on RAVDESS, TESS, Urdu"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "train" and args.kind == "face":
        from .train import face as train_face
        return train_face.main(args)
    if args.command == "train" and args.kind == "voice":
        from .train import voice as train_voice
        return train_voice.main(args)
    return 2
