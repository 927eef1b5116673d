"""Labelled datasets from folders and zips: labels from folders and file names, overrides, pairs.csv."""
from __future__ import annotations

import numpy as np
import pytest

from emotion.audio import decode_audio
from emotion.datasets import SKIP, UNGROUPED, DatasetError, count_by_label, open_dataset
from emotion.images import decode_image
from media import make_zip, png_bytes, wav_bytes, write_tree

PNG = png_bytes(np.full((8, 8, 3), 90, np.uint8))
JPG = png_bytes(np.full((8, 8, 3), 90, np.uint8), ".jpg")
WAV = wav_bytes(0.2)


def labels_of(items) -> dict[str, str]:
    return {item.name: item.label for item in items}


def reasons_of(left_out) -> dict[str, str]:
    return {entry["file"]: entry["reason"] for entry in left_out}


@pytest.fixture(params=["folder", "zip bytes", "zip file"])
def opener(request, tmp_path):
    """Open the same entries as a folder, as zip bytes (an upload) or as a .zip path."""
    def open_entries(entries: dict[str, bytes]):
        if request.param == "folder":
            return open_dataset(write_tree(tmp_path / "data", entries))
        data = make_zip(entries)
        if request.param == "zip bytes":
            return open_dataset(data, "upload.zip")
        path = tmp_path / "data.zip"
        path.write_bytes(data)
        return open_dataset(path)
    return open_entries


def test_folders_named_after_emotions_and_their_synonyms(opener):
    ds = opener({"happy/a.png": PNG, "Happiness/b.jpg": JPG, "anger/c.png": PNG, "Sad/d.png": PNG,
                 "pleasant_surprise/e.png": PNG, "fearful/f.png": PNG, "calm/g.png": PNG})
    items, left_out = ds.items("image")
    assert labels_of(items) == {"happy/a.png": "happy", "Happiness/b.jpg": "happy", "anger/c.png": "angry",
                                "Sad/d.png": "sad", "pleasant_surprise/e.png": "surprise", "fearful/f.png": "fear",
                                "calm/g.png": "neutral"}
    assert left_out == []
    assert all(item.kind == "image" and item.source.startswith("folder ") for item in items)
    assert ds.folder_mapping() == {"Happiness": "happy", "Sad": "sad", "anger": "angry", "calm": "neutral",
                                   "fearful": "fear", "happy": "happy", "pleasant_surprise": "surprise"}


def test_items_read_their_own_bytes(opener):
    other = png_bytes(np.full((4, 6, 3), 200, np.uint8))
    ds = opener({"happy/a.png": PNG, "sad/b.png": other, "sad/c.wav": WAV})
    items, _ = ds.items()
    by_name = {item.name: item for item in items}
    assert by_name["happy/a.png"].read() == PNG
    assert decode_image(by_name["sad/b.png"].read()).shape == (4, 6, 3)
    assert len(decode_audio(by_name["sad/c.wav"].read())) == 3200


def test_nested_folders_use_the_nearest_emotion_folder(opener):
    ds = opener({"set/train/happy/a.png": PNG, "set/val/sad/b.png": PNG, "set/val/sad/more/c.png": PNG,
                 "happy/sad/d.png": PNG})
    items, left_out = ds.items("image")
    assert labels_of(items) == {"set/train/happy/a.png": "happy", "set/val/sad/b.png": "sad",
                                "set/val/sad/more/c.png": "sad", "happy/sad/d.png": "sad"}
    assert left_out == []


def test_unknown_folders_are_shown_unmapped_and_left_out(opener):
    ds = opener({"happy/a.png": PNG, "misc/b.png": PNG, "misc/c.png": PNG, "top.png": PNG})
    assert ds.folder_mapping() == {"(top level)": None, "happy": "happy", "misc": None}
    items, left_out = ds.items("image")
    assert labels_of(items) == {"happy/a.png": "happy"}
    assert reasons_of(left_out) == {"misc/b.png": "no emotion in its folder or file name",
                                    "misc/c.png": "no emotion in its folder or file name",
                                    "top.png": "no emotion in its folder or file name"}


def test_overrides_map_and_skip_folders(opener):
    ds = opener({"happy/a.png": PNG, "joy-ish/b.png": PNG, "misc/c.png": PNG, "sad/d.png": PNG})
    items, left_out = ds.items("image", overrides={"joy-ish": "happy", "misc": SKIP, "sad": "neutral"})
    assert labels_of(items) == {"happy/a.png": "happy", "joy-ish/b.png": "happy", "sad/d.png": "neutral"}
    assert reasons_of(left_out) == {"misc/c.png": "folder 'misc' left out"}
    with pytest.raises(DatasetError, match="'joyful' is not one of angry, disgust"):
        ds.items("image", overrides={"misc": "joyful"})


def test_file_name_conventions_label_audio_in_any_folder(opener):
    ds = opener({"Actor_01/03-01-05-01-01-01-01.wav": WAV, "Actor_01/03-01-02-01-01-01-01.wav": WAV,
                 "tess/OAF_back_ps.wav": WAV, "crema/1001_DFA_ANG_XX.wav": WAV, "savee/DC_sa01.wav": WAV,
                 "emodb/03a01Fa.wav": WAV, "emodb/03a01La.wav": WAV, "happy/03-01-04-01-01-01-02.wav": WAV})
    items, left_out = ds.items("audio")
    assert labels_of(items) == {"Actor_01/03-01-05-01-01-01-01.wav": "angry",
                                "Actor_01/03-01-02-01-01-01-01.wav": "neutral",
                                "tess/OAF_back_ps.wav": "surprise", "crema/1001_DFA_ANG_XX.wav": "angry",
                                "savee/DC_sa01.wav": "sad", "emodb/03a01Fa.wav": "happy",
                                "happy/03-01-04-01-01-01-02.wav": "sad"}  # the file name wins
    assert all(item.source == "file name" for item in items)
    assert reasons_of(left_out) == {"emodb/03a01La.wav": "its file name says boredom, not one of the seven emotions"}
    assert ds.folder_mapping() == {}  # only folders with files that need them: boredom is named, not asked about


def test_mixed_images_and_audio(opener):
    ds = opener({"happy/a.png": PNG, "happy/a.wav": WAV, "sad/b.jpg": JPG, "sad/b.flac": WAV})
    images, skipped_for_images = ds.items("image")
    audio, skipped_for_audio = ds.items("audio")
    both, nothing = ds.items()
    assert labels_of(images) == {"happy/a.png": "happy", "sad/b.jpg": "sad"}
    assert labels_of(audio) == {"happy/a.wav": "happy", "sad/b.flac": "sad"}
    assert reasons_of(skipped_for_images) == {"happy/a.wav": "not an image file", "sad/b.flac": "not an image file"}
    assert reasons_of(skipped_for_audio) == {"happy/a.png": "not an audio file", "sad/b.jpg": "not an audio file"}
    assert len(both) == 4 and nothing == []
    assert count_by_label(both) == {"happy": 2, "sad": 2}


def test_same_file_name_in_different_folders(opener):
    ds = opener({"happy/1.png": PNG, "sad/1.png": PNG, "happy/x/1.png": PNG})
    items, _ = ds.items()
    assert labels_of(items) == {"happy/1.png": "happy", "sad/1.png": "sad", "happy/x/1.png": "happy"}


def test_non_media_files_are_listed_as_skipped_and_system_files_ignored(opener):
    ds = opener({"happy/a.png": PNG, "happy/notes.txt": b"hello", "README.md": b"# data", "labels.json": b"{}",
                 "happy/.DS_Store": b"x", "__MACOSX/happy/._a.png": b"x", ".hidden/sad/b.png": PNG,
                 "happy/Thumbs.db": b"x", "pairs.csv": b"image,audio,label\n"})
    items, left_out = ds.items()
    assert labels_of(items) == {"happy/a.png": "happy"}
    assert reasons_of(left_out) == {"happy/notes.txt": "not an image or audio file",
                                    "README.md": "not an image or audio file",
                                    "labels.json": "not an image or audio file"}


def test_extensions_are_matched_case_insensitively(opener):
    ds = opener({"happy/A.PNG": PNG, "sad/B.JpEg": JPG, "angry/C.WAV": WAV})
    items, left_out = ds.items()
    assert labels_of(items) == {"happy/A.PNG": "happy", "sad/B.JpEg": "sad", "angry/C.WAV": "angry"}
    assert left_out == []


def test_empty_dataset_has_no_items(opener):
    ds = opener({"notes.txt": b"nothing here"})
    items, left_out = ds.items()
    assert items == [] and reasons_of(left_out) == {"notes.txt": "not an image or audio file"}


def test_duplicate_names_in_a_zip_keep_the_first():
    import io
    import warnings
    import zipfile

    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w") as zf:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate
        zf.writestr("happy/a.png", PNG)
        zf.writestr("happy/a.png", b"second")
    ds = open_dataset(buf.getvalue())
    items, left_out = ds.items()
    assert [item.read() for item in items] == [PNG]
    assert reasons_of(left_out) == {"happy/a.png": "duplicate name in the archive"}


def test_a_zip_with_one_top_folder(tmp_path):
    """Zipping a folder (the usual way) puts everything under its name."""
    ds = open_dataset(make_zip({"mydata/": b"", "mydata/happy/a.png": PNG, "mydata/sad/b.png": PNG}))
    items, _ = ds.items()
    assert labels_of(items) == {"mydata/happy/a.png": "happy", "mydata/sad/b.png": "sad"}


# --- pairs.csv ----------------------------------------------------------------------------------

def test_pairs_csv(opener):
    csv = (b"\xef\xbb\xbfImage, Audio ,LABEL\n"  # a BOM and sloppy headers, as spreadsheets write them
           b"faces/1.png,voices/1.wav,Happiness\n"
           b"faces/2.png,voices/2.wav,sad\n"
           b"faces/3.png,voices/missing.wav,angry\n"
           b"faces/1.png,voices/1.wav,bored\n"
           b"faces\\2.png,voices\\2.wav,calm\n")
    ds = opener({"pairs.csv": csv, "faces/1.png": PNG, "faces/2.png": PNG, "faces/3.png": PNG,
                 "voices/1.wav": WAV, "voices/2.wav": WAV})
    pairs, left_out = ds.pairs()
    assert [(p.image, p.audio, p.label) for p in pairs] == [
        ("faces/1.png", "voices/1.wav", "happy"), ("faces/2.png", "voices/2.wav", "sad"),
        ("faces/2.png", "voices/2.wav", "neutral")]
    assert pairs[0].read_image() == PNG and pairs[0].read_audio() == WAV
    assert pairs[0].name == "faces/1.png + voices/1.wav"
    assert reasons_of(left_out) == {"faces/3.png + voices/missing.wav": "not in the dataset: voices/missing.wav",
                                    "faces/1.png + voices/1.wav": "unknown label 'bored'"}


def test_pairs_csv_in_a_zipped_folder_is_relative_to_itself():
    ds = open_dataset(make_zip({"set/pairs.csv": b"image,audio,label\na.png,a.wav,fear\n",
                                "set/a.png": PNG, "set/a.wav": WAV}))
    pairs, left_out = ds.pairs()
    assert [(p.image, p.audio, p.label) for p in pairs] == [("set/a.png", "set/a.wav", "fear")]
    assert left_out == []


def test_pairs_without_csv_or_columns(opener):
    with pytest.raises(DatasetError, match="no pairs.csv"):
        opener({"happy/a.png": PNG}).pairs()
    with pytest.raises(DatasetError, match="columns image,audio,label"):
        opener({"pairs.csv": b"face,voice,emotion\na.png,a.wav,happy\n"}).pairs()


# --- groups: groups.csv, or GROUP/EMOTION/file folders ------------------------------------------------

def groups_of(items) -> dict[str, str | None]:
    return {item.name: item.group for item in items}


def test_a_groups_csv_in_the_dataset_gives_each_item_its_group(opener):
    csv = (b"\xef\xbb\xbfFile , Group\n"  # a BOM and sloppy headers, as spreadsheets write them
           b"happy/a.png,Room 1\n"
           b"./sad/b.png, age 8-9 \n"
           b"happy\\c.png,Room 1\n"
           b"happy/a.png,Room 2\n"  # listed twice: the first group stays
           b"happy/gone.png,Room 3\n")
    ds = opener({"groups.csv": csv, "happy/a.png": PNG, "sad/b.png": PNG, "happy/c.png": PNG, "sad/d.png": PNG})
    assert ds.has("groups.csv") and not ds.has("pairs.csv")
    groups = ds.groups()
    assert groups.unmatched == ("happy/gone.png",) and groups.source == "groups.csv"
    items, left_out = ds.items("image", groups=groups)
    assert groups_of(items) == {"happy/a.png": "Room 1", "sad/b.png": "age 8-9", "happy/c.png": "Room 1",
                                "sad/d.png": UNGROUPED}
    assert left_out == []  # groups.csv describes the others: it is not a skipped file


def test_without_groups_items_have_none(opener):
    ds = opener({"happy/a.png": PNG})
    assert ds.groups() is None
    items, _ = ds.items("image", groups=ds.groups())
    assert groups_of(items) == {"happy/a.png": None}


def test_a_groups_csv_given_separately_is_relative_to_the_root_even_in_a_zipped_folder():
    ds = open_dataset(make_zip({"class/happy/a.png": PNG, "class/sad/b.png": PNG, "class/groups.csv": b"file,group\n"}))
    groups = ds.groups(b"file,group\nhappy/a.png,kim\nclass/sad/b.png,lee\nnope.png,x\n", "mine.csv")
    assert groups.source == "mine.csv" and groups.unmatched == ("nope.png",)
    assert groups_of(ds.items(groups=groups)[0]) == {"class/happy/a.png": "kim", "class/sad/b.png": "lee"}


def test_groups_csv_inside_a_zipped_folder_is_relative_to_itself():
    ds = open_dataset(make_zip({"set/groups.csv": b"file,group\nhappy/a.png,kim\n", "set/happy/a.png": PNG}))
    assert groups_of(ds.items(groups=ds.groups())[0]) == {"set/happy/a.png": "kim"}


def test_groups_from_folders_are_the_folder_above_the_emotion(opener):
    ds = opener({"kim/happy/a.png": PNG, "kim/Sad/b.png": PNG, "class/lee/happy/c.png": PNG,
                 "lee/03-01-05-01-01-01-21.wav": WAV, "happy/d.png": PNG, "kim/unnamed/e.png": PNG})
    groups = ds.groups(from_folder=True)
    items, _ = ds.items(groups=groups, overrides={"unnamed": "fear"})
    assert groups_of(items) == {"kim/happy/a.png": "kim", "kim/Sad/b.png": "kim", "class/lee/happy/c.png": "lee",
                                "lee/03-01-05-01-01-01-21.wav": "lee",  # labelled by its name: its own folder
                                "happy/d.png": UNGROUPED, "kim/unnamed/e.png": "kim"}


def test_pairs_take_the_group_of_their_image_else_of_their_audio(opener):
    ds = opener({"pairs.csv": b"image,audio,label\nf/1.png,v/1.wav,happy\nf/2.png,v/2.wav,sad\nf/3.png,v/1.wav,sad\n",
                 "groups.csv": b"file,group\nf/1.png,kim\nv/2.wav,lee\n",
                 "f/1.png": PNG, "f/2.png": PNG, "f/3.png": PNG, "v/1.wav": WAV, "v/2.wav": WAV})
    pairs, _ = ds.pairs(ds.groups())
    assert [p.group for p in pairs] == ["kim", "lee", UNGROUPED]
    assert [p.group for p in ds.pairs()[0]] == [None, None, None]
    assert {x["file"] for x in ds.items()[1]} == {"f/1.png", "f/2.png", "f/3.png", "v/1.wav", "v/2.wav"}  # no csv


def test_a_groups_csv_without_its_columns_is_a_clear_error(opener):
    with pytest.raises(DatasetError, match="groups.csv needs the columns file,group"):
        opener({"groups.csv": b"image,who\na.png,kim\n", "happy/a.png": PNG}).groups()


# --- what cannot be opened ------------------------------------------------------------------------

def test_missing_path(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        open_dataset(tmp_path / "nope")


def test_a_file_that_is_not_a_zip(tmp_path):
    path = tmp_path / "data.zip"
    path.write_bytes(b"this is not a zip")
    with pytest.raises(DatasetError, match="neither a folder nor a .zip"):
        open_dataset(path)
    with pytest.raises(DatasetError, match="the upload is not a readable .zip"):
        open_dataset(b"this is not a zip")
    with pytest.raises(DatasetError, match="mine.zip is not a readable .zip"):
        open_dataset(b"", "mine.zip")


def test_an_empty_zip():
    ds = open_dataset(make_zip({}))
    assert ds.items() == ([], []) and ds.folder_mapping() == {}


def test_folder_symlinks_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(PNG)
    data = write_tree(tmp_path / "data", {"happy/a.png": PNG})
    (data / "happy" / "link.png").symlink_to(outside / "secret.png")
    (data / "sad").symlink_to(outside, target_is_directory=True)
    ds = open_dataset(data)
    items, left_out = ds.items()
    assert labels_of(items) == {"happy/a.png": "happy"}
    assert reasons_of(left_out) == {"happy/link.png": "symbolic link (not followed)",
                                    "sad": "symbolic link (not followed)"}


def test_pairs_csv_with_old_mac_line_ends():
    ds = open_dataset(make_zip({"pairs.csv": b"image,audio,label\ra.png,a.wav,sad\rb.png,a.wav,happy\r",
                                "a.png": PNG, "b.png": PNG, "a.wav": WAV}))
    pairs, left_out = ds.pairs()
    assert [(p.image, p.label) for p in pairs] == [("a.png", "sad"), ("b.png", "happy")] and left_out == []


def test_pairs_csv_that_is_not_csv():
    ds = open_dataset(make_zip({"pairs.csv": b'image,audio,label\n"' + b"a" * 200_000, "a.png": PNG}))  # no end quote
    with pytest.raises(DatasetError, match="pairs.csv"):
        ds.pairs()


# --- pairs.csv limits --------------------------------------------------------------------------------

def test_pairs_csv_rows_are_capped_and_the_report_says_so(monkeypatch):
    from emotion import datasets

    monkeypatch.setattr(datasets, "MAX_PAIRS", 10)
    rows = b"".join(b"a.png,a.wav,happy\n" for _ in range(25))
    pairs, left_out = open_dataset(make_zip({"pairs.csv": b"image,audio,label\n" + rows,
                                             "a.png": PNG, "a.wav": WAV})).pairs()
    assert len(pairs) == 10
    assert left_out == [{"file": "pairs.csv", "reason": "rows after the first 10 are not read "
                                                        "(the limit for one evaluation)"}]


def test_a_million_row_pairs_csv_is_read_quickly_in_bounded_memory():
    """1e6 rows (16 MB zipped) took 19 s to open and, with every file missing, 4.1 GB; only the first
    MAX_PAIRS rows are read now."""
    import tracemalloc

    from emotion import datasets

    rows = b"".join(b"img/%07d.png,wav/%07d.wav,happy\n" % (i, i) for i in range(1_000_000))
    ds = open_dataset(make_zip({"pairs.csv": b"image,audio,label\n" + rows}))
    del rows
    tracemalloc.start()
    pairs, left_out = ds.pairs()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert pairs == [] and len(left_out) == datasets.MAX_PAIRS + 1 and "not read" in left_out[0]["reason"]
    assert peak < 200 * 2**20


def test_pairs_csv_is_parsed_once_per_dataset():
    ds = open_dataset(make_zip({"pairs.csv": b"image,audio,label\na.png,a.wav,sad\n", "a.png": PNG, "a.wav": WAV}))
    reads = []
    real = ds.files["pairs.csv"]
    ds.files["pairs.csv"] = lambda: (reads.append(1), real())[1]
    first, second = ds.pairs(), ds.pairs()
    assert first == second and len(first[0]) == 1 and reads == [1]
    first[1].append({"file": "x", "reason": "a caller's own list"})
    assert ds.pairs()[1] == []


def test_a_pairs_csv_refused_as_a_zip_bomb_says_so():
    """It was left out as a "zip bomb", and then the CLI said "no pairs.csv found"."""
    rows = b"a.png,a.wav,happy\n" * 200_000  # 3.6 MB compressing far over 200:1
    ds = open_dataset(make_zip({"pairs.csv": b"image,audio,label\n" + rows, "a.png": PNG, "a.wav": WAV}))
    with pytest.raises(DatasetError, match=r"^pairs.csv was not read: suspicious compression ratio"):
        ds.pairs()


def test_emodb_boredom_is_left_out_by_name_and_its_folder_is_not_asked_about():
    from emotion.datasets import SkipCode

    ds = open_dataset(make_zip({"emodb/03a01Fa.wav": WAV, "emodb/03a01Lb.wav": WAV, "emodb/08b02Wa.wav": WAV}))
    assert ds.folder_mapping("audio") == {}  # every file's name says what it is: no folder to name
    items, left_out = ds.items("audio")
    assert sorted((i.name, i.label) for i in items) == [("emodb/03a01Fa.wav", "happy"), ("emodb/08b02Wa.wav", "angry")]
    assert [(s["file"], s.code) for s in left_out] == [("emodb/03a01Lb.wav", SkipCode.OTHER_EMOTION)]
    assert "boredom" in left_out[0]["reason"]
