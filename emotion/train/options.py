"""Command-line options the trainers share, as argparse parent parsers (each trainer gives its own defaults)."""
from __future__ import annotations

import argparse
from pathlib import Path


def run_options(data: Path, data_help: str, run: Path, out: Path, epochs: int, batch_size: int, lr: float,
                warmup_epochs: int) -> argparse.ArgumentParser:
    """--data, --run, --epochs, --batch-size, --lr, --warmup-epochs and --out, with these defaults."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--data", type=Path, default=data, help=data_help)
    parser.add_argument("--run", type=Path, default=run, help="checkpoint folder (resumable)")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--lr", type=float, default=lr)
    parser.add_argument("--warmup-epochs", type=int, default=warmup_epochs)
    parser.add_argument("--out", type=Path, default=out)
    return parser
