"""Hostile archives: path traversal, absolute paths, links, zip bombs, lying headers, too many or too
large files, corrupt and encrypted entries. None may write anything, and the harmless rest still works."""
from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from emotion import datasets
from emotion.audio import SAMPLE_RATE
from emotion.datasets import DatasetError, open_dataset
from emotion.evaluate import evaluate_voices
from emotion.speech import detect_speech
from emotion.voice import HeardSpeech, VoiceReading
from media import make_zip, png_bytes, wav_bytes

PNG = png_bytes(np.full((8, 8, 3), 90, np.uint8))
WAV = wav_bytes(0.2)
GOOD = {"happy/ok.png": PNG, "sad/ok.wav": WAV}


def raw_zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    """A zip written entry by entry, names and attributes exactly as given."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def symlink_entry(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def good_entries() -> list[tuple[str, bytes]]:
    return list(GOOD.items())


def snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """Run in an empty working folder with an empty temporary folder; both must stay as they were."""
    work, temp = tmp_path / "work" / "deeper", tmp_path / "temp"
    work.mkdir(parents=True)
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(temp))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    before = snapshot(tmp_path)
    yield tmp_path
    assert snapshot(tmp_path) == before, "something was written"


def use_everything(ds) -> None:
    """Do all a page or the CLI would do with a dataset: map folders, list and read every item."""
    ds.folder_mapping()
    items, _ = ds.items()
    for item in items:
        item.read()


def check_good_part(ds) -> None:
    """The harmless entries are still listed, labelled and readable."""
    items, _ = ds.items()
    good = {i.name: (i.label, i.read()) for i in items if i.name in GOOD}
    assert good == {"happy/ok.png": ("happy", PNG), "sad/ok.wav": ("sad", WAV)}


@pytest.mark.parametrize("name", [
    "../evil.png", "../../evil.png", "happy/../../evil.png", "/evil.png", "/tmp/evil.png",
    "C:/evil.png", "C:\\evil.png", "..\\evil.png", "happy\\..\\..\\evil.png", "//server/share/evil.png",
])
def test_path_traversal_and_absolute_entries_are_refused(sandbox, name):
    ds = open_dataset(raw_zip([(zipfile.ZipInfo(name), PNG), *good_entries()]))
    assert all(".." not in n and not n.startswith("/") and ":" not in n for n in ds.files)
    assert [s["reason"] for s in ds.skipped] == ["unsafe path (absolute or outside the archive)"]
    use_everything(ds)
    check_good_part(ds)
    assert not Path("/tmp/evil.png").exists() and not (sandbox / "evil.png").exists()


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../etc/passwd", "happy/ok.png"])
def test_symlink_entries_are_refused(sandbox, target):
    ds = open_dataset(raw_zip([symlink_entry("happy/link.png", target), *good_entries()]))
    assert "happy/link.png" not in ds.files
    assert ds.skipped == [{"file": "happy/link.png", "reason": "symbolic link (not followed)"}]
    use_everything(ds)
    check_good_part(ds)


def test_zip_bomb_is_refused_and_never_read(sandbox, monkeypatch):
    bomb = bytes(50 * 2**20)  # 50 MB of zeros deflate to about 50 KB
    data = raw_zip([("happy/bomb.png", bomb), *good_entries()])
    del bomb
    assert len(data) < 200_000
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, member, *a, **k: (
        opened.append(getattr(member, "filename", member)), real_open(self, member, *a, **k))[1])
    ds = open_dataset(data)
    assert ds.skipped == [{"file": "happy/bomb.png", "reason": "suspicious compression ratio (zip bomb?)"}]
    use_everything(ds)
    check_good_part(ds)
    assert "happy/bomb.png" not in opened and sorted(opened) == ["happy/ok.png"] * 2 + ["sad/ok.wav"] * 2


def test_small_well_compressed_files_are_not_taken_for_bombs():
    quiet = bytes(500_000)  # half a MB of silence-like zeros: ratio over 200 but small
    ds = open_dataset(raw_zip([("neutral/quiet.png", quiet), *good_entries()]))
    assert ds.skipped == [] and "neutral/quiet.png" in ds.files


def _patch_sizes(data: bytes, name: str, claimed: int) -> bytes:
    """Make the headers of entry `name` claim `claimed` uncompressed bytes (the data is unchanged)."""
    out = bytearray(data)
    encoded = name.encode()
    for signature, size_at, name_len_at in ((b"PK\x03\x04", 22, 26), (b"PK\x01\x02", 24, 28)):
        pos = out.find(signature)
        while pos != -1:
            n = struct.unpack_from("<H", out, pos + name_len_at)[0]
            header = 30 if signature == b"PK\x03\x04" else 46
            if bytes(out[pos + header: pos + header + n]) == encoded:
                struct.pack_into("<I", out, pos + size_at, claimed)
            pos = out.find(signature, pos + 4)
    return bytes(out)


def test_entry_larger_than_its_header_says_is_cut_off(sandbox):
    """A header may lie to slip past the ratio check; reading stops just past the claimed size."""
    data = _patch_sizes(raw_zip([("happy/liar.png", bytes(3 * 2**20)), *good_entries()]), "happy/liar.png", 1000)
    ds = open_dataset(data)
    assert "happy/liar.png" in ds.files  # 1000 bytes claimed: nothing suspicious in the header
    with pytest.raises(DatasetError):
        ds.files["happy/liar.png"]()
    check_good_part(ds)


def test_corrupt_entry_raises_dataset_error_and_the_rest_still_reads(sandbox):
    data = bytearray(raw_zip([("happy/broken.wav", wav_bytes(1.0)), *good_entries()]))
    start = data.find(b"happy/broken.wav") + len("happy/broken.wav")
    data[start + 200:start + 260] = bytes(60)  # damage the compressed stream
    ds = open_dataset(bytes(data))
    with pytest.raises(DatasetError, match="happy/broken.wav"):
        ds.files["happy/broken.wav"]()
    check_good_part(ds)


def _set_flag_and_method(data: bytes, flag: int = 0, method: int | None = None) -> bytes:
    """Set general-purpose flag bits and/or the compression method of every entry."""
    out = bytearray(data)
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        pos = out.find(signature)
        while pos != -1:
            struct.pack_into("<H", out, pos + flag_at, struct.unpack_from("<H", out, pos + flag_at)[0] | flag)
            if method is not None:
                struct.pack_into("<H", out, pos + method_at, method)
            pos = out.find(signature, pos + 4)
    return bytes(out)


def test_unsupported_compression_raises_dataset_error():
    ds = open_dataset(_set_flag_and_method(make_zip({"happy/a.png": PNG}), 0, 9))  # deflate64
    with pytest.raises(DatasetError, match="^happy/a.png: cannot be unpacked .an unsupported compression"):
        ds.files["happy/a.png"]()


def test_encrypted_entries_are_left_out_with_a_plain_reason():
    """The reason once showed zipfile's message, with a raw <ZipInfo ...> object in it."""
    buf = io.BytesIO(_set_flag_and_method(raw_zip([("happy/a.png", PNG)]), 0x1, None))
    with zipfile.ZipFile(buf, "a") as zf:  # a plain entry after the encrypted one
        zf.writestr("sad/ok.wav", WAV)
    data = buf.getvalue()
    ds = open_dataset(data)
    assert "happy/a.png" not in ds.files and "sad/ok.wav" in ds.files
    assert ds.skipped == [{"file": "happy/a.png", "reason": "encrypted (password-protected): cannot be read"}]
    archive = zipfile.ZipFile(io.BytesIO(data))
    with pytest.raises(DatasetError) as info:
        datasets._zip_reader(archive, archive.getinfo("happy/a.png"))()
    assert str(info.value) == "happy/a.png: encrypted (password-protected): cannot be read"


def _claim_entries(data: bytes, entries: int, index_bytes: int | None = None) -> bytes:
    """A zip whose end record claims `entries` entries (and `index_bytes` of index)."""
    out = bytearray(data)
    at = out.rfind(b"PK\x05\x06")
    out[at + 8:at + 12] = struct.pack("<HH", entries, entries)
    if index_bytes is not None:
        out[at + 12:at + 16] = struct.pack("<I", index_bytes)
    return bytes(out)


def test_entry_count_and_index_size_are_checked_before_the_index_is_read(monkeypatch):
    """1M folder entries took 7.3 s and 520 MB to list before the file-count limit applied."""
    data = make_zip(GOOD)
    monkeypatch.setattr(datasets.zipfile, "ZipFile", lambda *a, **k: pytest.fail("read the whole index"))
    with pytest.raises(DatasetError, match="holds 65,535 entries .files and folders.; the limit is 40,000"):
        open_dataset(_claim_entries(data, 65_535))
    with pytest.raises(DatasetError, match="index is 64 MB; the limit is 32 MB"):
        open_dataset(_claim_entries(data, 2, 64 * 2**20))


def test_zip64_entry_count_is_read(sandbox):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", allowZip64=True) as zf:
        zf.writestr("happy/ok.png", PNG)
    data = bytearray(buf.getvalue())
    at = data.rfind(b"PK\x05\x06")
    # make it zip64: a zip64 end record and locator before the plain end record, which points to them
    record = b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, 10**6, 10**6,
                                          *struct.unpack("<IIH", data[at + 12:at + 22])[:2])
    locator = b"PK\x06\x07" + struct.pack("<IQI", 0, at, 1)
    data[at:at] = record + locator
    assert datasets._index_size(io.BytesIO(bytes(data)))[0] == 10**6
    with pytest.raises(DatasetError, match="1,000,000 entries"):
        open_dataset(bytes(data))


def test_folder_entries_count_towards_the_limit(monkeypatch):
    monkeypatch.setattr(datasets, "MAX_ENTRIES", 30)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(31):
            zf.writestr(zipfile.ZipInfo(f"folder{i}/"), b"")
    with pytest.raises(DatasetError, match="31 entries"):
        open_dataset(buf.getvalue())


class GateOnly:
    """Stands in for the voice model in `evaluate_voices`: tones hold no speech, so the gate answers."""

    def listen(self, audio: np.ndarray) -> HeardSpeech:
        activity = detect_speech(audio)
        assert not activity.has_speech
        return HeardSpeech(None, None, 0.0, len(audio) / SAMPLE_RATE, activity.reason)

    def read_heard(self, heard: HeardSpeech, speaker=None, learn: bool = True) -> VoiceReading:
        return VoiceReading(probs=None, duration=heard.duration, reason=heard.reason)


def test_unreadable_entries_are_skipped_by_an_evaluation(sandbox):
    """One corrupt member among good ones: the evaluation lists it and scores the rest."""
    data = bytearray(raw_zip([("happy/broken.wav", wav_bytes(1.0)), ("sad/a.wav", WAV), ("angry/b.wav", WAV)]))
    start = data.find(b"happy/broken.wav") + len("happy/broken.wav")
    data[start + 200:start + 260] = bytes(60)
    items, skipped = open_dataset(bytes(data)).items("audio")
    report = evaluate_voices(items, GateOnly(), skipped=skipped).to_dict()
    assert [s["file"] for s in report["skipped"]] == ["happy/broken.wav"]
    assert sorted(p["file"] for p in report["predictions"]) == ["angry/b.wav", "sad/a.wav"]
    assert report["n"] == 2 and report["labels"] == ["angry", "sad", "no speech"]


def test_too_many_files(sandbox, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_FILES", 50)
    with pytest.raises(DatasetError, match="51 files; the limit is 50"):
        open_dataset(make_zip({f"happy/{i}.png": PNG for i in range(51)}))
    assert len(open_dataset(make_zip({f"happy/{i}.png": PNG for i in range(50)})).files) == 50


def test_too_many_files_in_a_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_FILES", 20)
    root = tmp_path / "data" / "happy"
    root.mkdir(parents=True)
    for i in range(21):
        (root / f"{i}.png").write_bytes(PNG)
    with pytest.raises(DatasetError, match="more than 20 files"):
        open_dataset(tmp_path / "data")


def test_too_many_files_at_the_real_limit(sandbox):
    entries = [(zipfile.ZipInfo(f"f/{i}.png"), b"") for i in range(datasets.MAX_FILES + 1)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    with pytest.raises(DatasetError, match=f"{datasets.MAX_FILES + 1} files"):
        open_dataset(buf.getvalue())


def test_total_size_over_the_limit(sandbox, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_TOTAL_BYTES", 2**20)
    noise = np.random.default_rng(0).integers(0, 256, 600_000, dtype=np.uint8).tobytes()  # incompressible
    with pytest.raises(DatasetError, match="expands to"):
        open_dataset(make_zip({"happy/a.png": noise, "happy/b.png": noise}))
    assert len(open_dataset(make_zip({"happy/a.png": noise})).files) == 1


def test_one_file_over_the_size_limit_is_skipped(sandbox, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_FILE_BYTES", 2**20)
    noise = np.random.default_rng(0).integers(0, 256, 2**20 + 1, dtype=np.uint8).tobytes()
    ds = open_dataset(raw_zip([("happy/big.png", noise), *good_entries()]))
    assert ds.skipped == [{"file": "happy/big.png", "reason": "larger than 1 MB"}]
    check_good_part(ds)


def test_everything_hostile_at_once_leaves_the_good_part_usable(sandbox):
    entries = [(zipfile.ZipInfo("../../escape.png"), PNG), (zipfile.ZipInfo("/abs.wav"), WAV),
               symlink_entry("sad/link.wav", "/etc/passwd"), ("angry/bomb.png", bytes(20 * 2**20)),
               ("__MACOSX/happy/._ok.png", b"junk"), *good_entries()]
    ds = open_dataset(raw_zip(entries))
    assert {s["file"] for s in ds.skipped} == {"../../escape.png", "/abs.wav", "sad/link.wav", "angry/bomb.png"}
    use_everything(ds)
    check_good_part(ds)
    assert not any(Path(p).exists() for p in ("/abs.wav", os.path.join(sandbox, "escape.png")))


# --- malformed archives found by the property-based tests -----------------------------------------

@pytest.mark.parametrize("name", ["", ".", "./"])
def test_entries_without_a_file_name(name):
    ds = open_dataset(raw_zip([(zipfile.ZipInfo(name), b"x"), *good_entries()]))
    assert all(n in GOOD for n in ds.files)
    use_everything(ds)
    check_good_part(ds)


def test_names_marked_utf8_that_are_not(sandbox):
    data = _set_flag_and_method(make_zip({"happy/X.png": PNG}).replace(b"/X.png", b"/\xbc.png"), flag=0x800)
    with pytest.raises(DatasetError, match="not a readable .zip"):
        open_dataset(data)


def test_a_zip_needing_a_newer_zip_version_is_a_clear_error():
    """zipfile raises NotImplementedError for 'version needed to extract' above 6.3 (found by hypothesis)."""
    data = bytearray(make_zip({"happy/a.png": png_bytes(np.zeros((8, 8), np.uint8))}))
    central = data.index(b"PK\x01\x02")
    data[central + 6:central + 8] = (64).to_bytes(2, "little")  # version needed to extract: 6.4
    with pytest.raises(DatasetError, match="not a readable .zip"):
        open_dataset(bytes(data))
