"""Reading a file the user gave (a path or its bytes) before decoding it: shared by images.py and audio.py."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")


def load_source(source: str | Path | bytes, name: str | None, default: str, decode: Callable[[bytes, str], T],
                error: type[Exception]) -> T:
    """`decode(data, name)` of a path's or bytes' content; the name is `name`, else the file's name, else `default`
    for bytes. A path that cannot be read raises `error` naming the file."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return decode(bytes(source), name or default)
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc
    return decode(data, name or path.name)
