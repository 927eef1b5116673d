"""Labelled datasets from a folder or a .zip: images, audio clips, or image+audio pairs.

Labels come from file-name conventions (RAVDESS, TESS, CREMA-D, SAVEE, EmoDB) or folder names
(matched case-insensitively with common synonyms). Items may also belong to a group (a person, an
age band, a room): from a groups.csv (file,group) or from folders laid out as GROUP/EMOTION/file.
Zip archives are read in memory, entry by entry, with limits on size, count and compression ratio;
entries with absolute paths, `..`, or links are refused, so nothing is ever written outside the app.
"""
from __future__ import annotations

import csv
import io
import itertools
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Literal

from .audio import AUDIO_EXTENSIONS
from .images import IMAGE_EXTENSIONS
from .labels import EMOTIONS, label_from_filename, normalise, other_emotion_from_filename, speaker_from_filename

Kind = Literal["image", "audio"]
MAX_FILES = 20_000
MAX_ENTRIES = 2 * MAX_FILES  # files and folders in a zip's index, checked before the index is read
MAX_INDEX_BYTES = 32 * 1024 * 1024  # a zip's central directory (its index of entries)
MAX_PAIRS = 20_000  # rows of pairs.csv read; later rows are left out (and the report says so)
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed; real media compresses far less than this
IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
SKIP = "skip"  # a label override that leaves a folder out
UNGROUPED = "(no group)"  # the group of an item that groups.csv does not list
CSV_NAMES = {"pairs.csv", "groups.csv"}  # dataset files that describe the others


class DatasetError(ValueError):
    """A dataset that cannot be read at all (missing, not a zip, empty, over the limits)."""


class SkipCode(StrEnum):
    """Why a file of a dataset was left out, for programs (the reason's words are for people)."""

    NOT_MEDIA = "not media"  # neither an image nor an audio file
    OTHER_KIND = "other kind"  # an image when audio was asked for, or the other way round: not an error
    FOLDER_LEFT_OUT = "folder left out"  # its folder was given no emotion, on purpose
    NO_LABEL = "no label"  # no emotion in its folder or file name
    TOO_MANY_ROWS = "too many rows"  # pairs.csv rows after MAX_PAIRS
    MISSING = "missing"  # a pair naming a file that is not in the dataset
    UNKNOWN_LABEL = "unknown label"  # a pair whose label is no emotion
    OTHER_EMOTION = "other emotion"  # its file name names an emotion outside the seven (EmoDB's boredom)


class Skip(dict):
    """A file left out: {"file": its name, "reason": why, in words}, as reports and tables show it, and `code`
    (a SkipCode) for a page to test without parsing the words."""

    def __init__(self, file: str, reason: str, code: SkipCode):
        super().__init__(file=file, reason=reason)
        self.code = code


@dataclass(frozen=True)
class Item:
    """One file of a dataset: where it is, its kind, and the label it was given (or None)."""

    name: str  # path inside the dataset, with forward slashes
    kind: Kind
    label: str | None
    source: str  # "file name" or "folder <name>"
    read: Callable[[], bytes] = field(repr=False, compare=False)
    group: str | None = None  # None when the dataset is not grouped


@dataclass(frozen=True)
class Pair:
    """An image and an audio clip that share one label (from pairs.csv)."""

    image: str
    audio: str
    label: str | None
    read_image: Callable[[], bytes] = field(repr=False, compare=False)
    read_audio: Callable[[], bytes] = field(repr=False, compare=False)
    group: str | None = None  # None when the dataset is not grouped

    @property
    def name(self) -> str:
        return f"{self.image} + {self.audio}"


@dataclass(frozen=True)
class Groups:
    """Which group each file of a dataset belongs to: listed in a groups.csv, or its GROUP/EMOTION/ folder.

    `by_file` maps dataset file names to groups (from a csv); `unmatched` lists the csv's files that are not
    in the dataset. With `from_folder`, a file's group is the folder just above the folder naming its label
    (or, for labels from file names, the file's own folder). With `from_speaker`, it is the speaker named in
    the file name by a public speech set's convention (RAVDESS, CREMA-D, EmoDB, SAVEE, TESS).
    """

    by_file: dict[str, str] = field(default_factory=dict)
    from_folder: bool = False
    from_speaker: bool = False
    source: str = ""  # "groups.csv", the csv's name, or "folders"
    unmatched: tuple[str, ...] = ()

    def of(self, name: str, label_folder: str | None = None) -> str:
        """The group of file `name` (UNGROUPED when it has none); `label_folder` is the folder that named its label."""
        if self.from_speaker:
            return speaker_from_filename(PurePosixPath(name).stem) or UNGROUPED
        if not self.from_folder:
            return self.by_file.get(name, UNGROUPED)
        parents = PurePosixPath(name).parts[:-1]
        if label_folder is not None and label_folder in parents:
            parents = parents[:len(parents) - 1 - parents[::-1].index(label_folder)]
        return parents[-1] if parents else UNGROUPED


@dataclass
class Dataset:
    """The files of a dataset, what each folder was mapped to, and what was left out and why."""

    root: str
    files: dict[str, Callable[[], bytes]]
    skipped: list[dict] = field(default_factory=list)
    _pairs: tuple[str, list[dict[str, str]], bool] | None = field(default=None, repr=False, compare=False)

    def kind_of(self, name: str) -> Kind | None:
        suffix = PurePosixPath(name).suffix.lower()
        return "image" if suffix in IMAGE_EXTENSIONS else "audio" if suffix in AUDIO_EXTENSIONS else None

    def folder_mapping(self, kind: Kind | None = None) -> dict[str, str | None]:
        """Each folder holding media files (of one kind, if given) whose names carry no label -> the
        emotion its name maps to (None when unknown)."""
        mapping: dict[str, str | None] = {}
        for name in self.files:
            file_kind = self.kind_of(name)
            stem = PurePosixPath(name).stem
            if (file_kind and kind in (None, file_kind) and not label_from_filename(stem)
                    and not other_emotion_from_filename(stem)):
                folder = _label_folder(name)
                mapping.setdefault(folder, _folder_label(folder))
        return dict(sorted(mapping.items()))

    def items(self, kind: Kind | None = None, overrides: dict[str, str] | None = None,
              groups: Groups | None = None) -> tuple[list[Item], list[dict]]:
        """Labelled media files (of one kind, if given) and the files left out, with reasons.

        `overrides` maps folder names (as in folder_mapping) to an emotion or to SKIP; with `groups`, every
        item gets a group (UNGROUPED when it has none).
        """
        overrides = overrides or {}
        items, left_out = [], list(self.skipped)
        for name, read in self.files.items():
            file_kind = self.kind_of(name)
            if file_kind is None:
                if PurePosixPath(name).name.lower() not in CSV_NAMES:
                    left_out.append(Skip(name, "not an image or audio file", SkipCode.NOT_MEDIA))
                continue
            if kind and file_kind != kind:
                left_out.append(Skip(name, f"not an {kind} file", SkipCode.OTHER_KIND))
                continue
            label = label_from_filename(PurePosixPath(name).stem)
            source, folder = "file name", None
            if label is None and (other := other_emotion_from_filename(PurePosixPath(name).stem)):
                left_out.append(Skip(name, f"its file name says {other}, not one of the seven emotions",
                                     SkipCode.OTHER_EMOTION))
                continue
            if label is None:
                folder = _label_folder(name)
                label = overrides.get(folder, _folder_label(folder))
                source = f"folder {folder}"
                if label == SKIP:
                    left_out.append(Skip(name, f"folder {folder!r} left out", SkipCode.FOLDER_LEFT_OUT))
                    continue
            if label is None:
                left_out.append(Skip(name, "no emotion in its folder or file name", SkipCode.NO_LABEL))
                continue
            if label not in EMOTIONS:
                raise DatasetError(f"{label!r} is not one of {', '.join(EMOTIONS)}")
            items.append(Item(name, file_kind, label, source, read, groups.of(name, folder) if groups else None))
        return items, left_out

    def pairs(self, groups: Groups | None = None) -> tuple[list[Pair], list[dict]]:
        """Rows of pairs.csv (image,audio,label; paths relative to the csv) and rows left out.

        At most MAX_PAIRS rows are read (a note in the left-out rows says when there were more); the csv is
        parsed once per dataset. With `groups`, a pair's group is its image's, else its audio clip's
        (UNGROUPED when neither has one).
        """
        if self._pairs is None:
            self._pairs = self._read_pairs()
        csv_name, rows, truncated = self._pairs
        base = PurePosixPath(csv_name).parent
        pairs, left_out = [], list(self.skipped)
        if truncated:
            left_out.append(Skip(csv_name, f"rows after the first {MAX_PAIRS:,} are not read (the limit for one "
                                           f"evaluation)", SkipCode.TOO_MANY_ROWS))
        for row in rows:
            image, audio, raw_label = row["image"], row["audio"], row["label"]
            label = normalise(raw_label)
            image_name, audio_name = _join(base, image), _join(base, audio)
            missing = [n for n in (image_name, audio_name) if n not in self.files]
            if missing:
                left_out.append(Skip(f"{image} + {audio}", f"not in the dataset: {', '.join(missing)}",
                                     SkipCode.MISSING))
            elif label is None:
                left_out.append(Skip(f"{image} + {audio}", f"unknown label {raw_label!r}", SkipCode.UNKNOWN_LABEL))
            else:
                group = None
                if groups:
                    group = groups.of(image_name)
                    group = groups.of(audio_name) if group == UNGROUPED else group
                pairs.append(Pair(image_name, audio_name, label, self.files[image_name], self.files[audio_name],
                                  group))
        return pairs, left_out

    def _read_pairs(self) -> tuple[str, list[dict[str, str]], bool]:
        """(pairs.csv's name, its first MAX_PAIRS rows, whether there were more)."""
        csv_name = self._find("pairs.csv")
        if csv_name is None:
            refused = [s for s in self.skipped if PurePosixPath(s["file"]).name.lower() == "pairs.csv"]
            if refused:
                raise DatasetError(f"{refused[0]['file']} was not read: {refused[0]['reason']}")
            raise DatasetError("no pairs.csv found: a pairs dataset needs a pairs.csv with columns image,audio,label")
        rows = _csv_rows("pairs.csv", self.files[csv_name](), ("image", "audio", "label"), limit=MAX_PAIRS + 1)
        return csv_name, rows[:MAX_PAIRS], len(rows) > MAX_PAIRS

    def has(self, csv_name: str) -> bool:
        """Whether the dataset holds a file of this name (e.g. "groups.csv"), in any folder."""
        return self._find(csv_name) is not None

    def groups(self, csv: bytes | None = None, name: str = "groups.csv", from_folder: bool = False,
               from_speaker: bool = False) -> Groups | None:
        """The dataset's groups: from folders, from the speakers in file names, from `csv` (paths relative to the
        dataset root), or from the dataset's own groups.csv (paths relative to it); no groups at all (None) when
        none of these exists.

        A groups.csv has the columns file,group; files it lists twice keep their first group.
        """
        if from_folder:
            return Groups(from_folder=True, source="folders")
        if from_speaker:
            return Groups(from_speaker=True, source="speakers in file names")
        base = PurePosixPath(".")
        if csv is None:
            found = self._find("groups.csv")
            if found is None:
                return None
            csv, name, base = self.files[found](), found, PurePosixPath(found).parent
        top = self._top_folder()
        by_file: dict[str, str] = {}
        unmatched = []
        for row in _csv_rows(PurePosixPath(name).name, csv, ("file", "group")):
            candidates = [_join(base, row["file"])] + ([_join(PurePosixPath(top), row["file"])] if top else [])
            file = next((c for c in candidates if c in self.files), None)
            if file is None:
                unmatched.append(row["file"])
            elif row["group"]:
                by_file.setdefault(file, row["group"])
        return Groups(by_file, source=name, unmatched=tuple(unmatched))

    def _find(self, csv_name: str) -> str | None:
        """The shallowest file called `csv_name` (any case), or None."""
        names = [n for n in self.files if PurePosixPath(n).name.lower() == csv_name]
        return min(names, key=lambda n: n.count("/")) if names else None

    def _top_folder(self) -> str | None:
        """The one folder every file is in (a zipped folder), or None."""
        tops = {PurePosixPath(n).parts[0] for n in self.files if "/" in n}
        return tops.pop() if len(tops) == 1 and all("/" in n for n in self.files) else None


def _csv_rows(name: str, data: bytes, columns: tuple[str, ...], limit: int | None = None) -> list[dict[str, str]]:
    """The rows of a CSV file (the first `limit` of them) as {column: stripped text}, columns matched
    case-insensitively."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="replace",
                            newline="")  # newline="": old Mac \r line ends too
    reader = csv.DictReader(text)
    try:
        fields = {f.strip().lower(): f for f in (reader.fieldnames or []) if f is not None}
        rows = list(itertools.islice(reader, limit))
    except csv.Error as exc:
        raise DatasetError(f"{name} is not a readable CSV file ({exc})") from exc
    if not set(columns) <= set(fields):
        raise DatasetError(f"{name} needs the columns {','.join(columns)}")
    return [{c: (row.get(fields[c]) or "").strip() for c in columns} for row in rows]


def _join(base: PurePosixPath, rel: str) -> str:
    """A path from pairs.csv, relative to the csv's folder, as a dataset file name."""
    return str(PurePosixPath(base, rel.replace("\\", "/")))


def _label_folder(name: str) -> str:
    """The folder that names a file's label: its nearest parent whose name is an emotion, else its parent."""
    parents = PurePosixPath(name).parts[:-1]
    for part in reversed(parents):
        if normalise(part):
            return part
    return parents[-1] if parents else "(top level)"


def _folder_label(folder: str) -> str | None:
    return normalise(folder) if folder != "(top level)" else None


def _ignored(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts) or parts[-1].lower() in IGNORED_NAMES


def _from_folder(root: Path) -> Dataset:
    files: dict[str, Callable[[], bytes]] = {}
    skipped: list[dict] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            skipped.append({"file": rel, "reason": "symbolic link (not followed)"})
            continue
        if not path.is_file() or _ignored(rel):
            continue
        if len(files) >= MAX_FILES:
            raise DatasetError(f"more than {MAX_FILES} files: split the dataset into smaller parts")
        files[rel] = path.read_bytes
    return Dataset(str(root), files, skipped)


def _safe_member_name(info: zipfile.ZipInfo) -> str | None:
    """The entry's name if it is a plain relative path inside the archive, else None."""
    name = info.filename.replace("\\", "/")
    path = PurePosixPath(name)
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in path.parts or not path.parts:
        return None
    return str(path)


def _index_size(fp) -> tuple[int, int] | None:
    """(entries, bytes) of a zip's central directory, from its end record; None when there is none.

    Read before zipfile reads (and builds objects for) every entry of the index.
    """
    fp.seek(0, io.SEEK_END)
    end = fp.tell()
    fp.seek(max(0, end - 65_557))  # the end record (22 bytes) plus the longest comment
    tail = fp.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    entries, size = struct.unpack("<HI", tail[at + 10:at + 16])
    locator = tail[at - 20:at] if at >= 20 else b""
    if locator[:4] == b"PK\x06\x07":  # zip64: the real figures are in the zip64 end record
        fp.seek(struct.unpack("<Q", locator[8:16])[0])
        record = fp.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            entries, size = struct.unpack("<QQ", record[32:48])
    return entries, size


def _from_zip(data: bytes | Path, label: str) -> Dataset:
    try:
        if isinstance(data, bytes):
            index = _index_size(io.BytesIO(data))
        else:
            with open(data, "rb") as fp:
                index = _index_size(fp)
        if index and index[0] > MAX_ENTRIES:
            raise DatasetError(f"the archive holds {index[0]:,} entries (files and folders); the limit is "
                               f"{MAX_ENTRIES:,}")
        if index and index[1] > MAX_INDEX_BYTES:
            raise DatasetError(f"the archive's index is {index[1] / 2**20:.0f} MB; the limit is "
                               f"{MAX_INDEX_BYTES // 2**20} MB")
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except DatasetError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
            struct.error) as exc:  # non-UTF-8 names, zip64 versions zipfile lacks
        raise DatasetError(f"{label} is not a readable .zip file") from exc
    if len(archive.filelist) > MAX_ENTRIES:  # an end record that lied about the count
        raise DatasetError(f"the archive holds {len(archive.filelist):,} entries (files and folders); "
                           f"the limit is {MAX_ENTRIES:,}")
    infos = [i for i in archive.infolist() if not i.filename.endswith("/")]  # is_dir() fails on an empty name
    if len(infos) > MAX_FILES:
        raise DatasetError(f"the archive holds {len(infos)} files; the limit is {MAX_FILES}")
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL_BYTES:
        raise DatasetError(f"the archive expands to {total / 2**30:.1f} GB; the limit is "
                           f"{MAX_TOTAL_BYTES / 2**30:.0f} GB")
    files: dict[str, Callable[[], bytes]] = {}
    skipped: list[dict] = []
    for info in infos:
        name = _safe_member_name(info)
        if name is None:
            skipped.append({"file": info.filename, "reason": "unsafe path (absolute or outside the archive)"})
            continue
        if _ignored(name):
            continue
        if info.flag_bits & 0x1:
            skipped.append({"file": name, "reason": "encrypted (password-protected): cannot be read"})
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            skipped.append({"file": name, "reason": "symbolic link (not followed)"})
            continue
        if info.file_size > MAX_FILE_BYTES:
            skipped.append({"file": name, "reason": f"larger than {MAX_FILE_BYTES // 2**20} MB"})
            continue
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 2**20:
            skipped.append({"file": name, "reason": "suspicious compression ratio (zip bomb?)"})
            continue
        if name in files:
            skipped.append({"file": name, "reason": "duplicate name in the archive"})
            continue
        files[name] = _zip_reader(archive, info)
    return Dataset(label, files, skipped)


def _zip_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            with archive.open(info) as f:
                data = f.read(info.file_size + 1)  # never trust the header: stop just past the size it claims
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:  # corrupt or lying
            raise DatasetError(f"{info.filename}: damaged in the archive ({exc})") from exc
        except NotImplementedError as exc:  # a compression method zipfile lacks
            raise DatasetError(f"{info.filename}: cannot be unpacked (an unsupported compression method)") from exc
        except RuntimeError as exc:  # encrypted (zipfile's message holds a raw ZipInfo)
            raise DatasetError(f"{info.filename}: encrypted (password-protected): cannot be read") from exc
        if len(data) > info.file_size:
            raise DatasetError(f"{info.filename}: larger than its archive header says")
        return data
    return read


def open_dataset(source: str | Path | bytes, name: str | None = None) -> Dataset:
    """Open a dataset from a folder, a .zip path, or .zip bytes (an upload)."""
    if isinstance(source, (bytes, bytearray)):
        return _from_zip(bytes(source), name or "the upload")
    path = Path(source)
    if path.is_dir():
        return _from_folder(path)
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise DatasetError(f"{path} is neither a folder nor a .zip file")
        return _from_zip(path, path.name)
    raise DatasetError(f"{path} does not exist")


def count_by_label(items: Iterable[Item | Pair]) -> dict[str, int]:
    """How many items carry each label, in EMOTIONS order."""
    counts = {e: 0 for e in EMOTIONS}
    for item in items:
        if item.label:
            counts[item.label] += 1
    return {e: n for e, n in counts.items() if n}
