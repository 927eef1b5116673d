"""An upload is held once: Streamlit's per-run deep copy of a widget's value shares the file's bytes."""
from __future__ import annotations

import copy
import tracemalloc
import zipfile

from streamlit.proto.Common_pb2 import FileURLs
from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec

from tests import app_media as media
from tests.app.helpers import open_page
from ui.uploads import share_upload_buffers

MB = 2 ** 20


def _upload(data: bytes) -> UploadedFile:
    rec = UploadedFileRec(file_id="f1", name="big.zip", type="application/zip", data=data)
    return UploadedFile(rec, FileURLs(file_id="f1", upload_url="/up/f1", delete_url="/del/f1"))


def test_a_deep_copy_of_an_upload_shares_its_bytes_and_stays_independent():
    share_upload_buffers()
    data = bytes(range(256)) * (MB // 8)  # 32 MB
    original = _upload(data)
    original.seek(10)
    tracemalloc.start()
    try:
        twin, again = copy.deepcopy([original, original])
        copied = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert copied < MB, f"the deep copy allocated {copied / MB:.0f} MB"
    assert twin is again  # the memo: one object copied once
    assert type(twin) is UploadedFile and twin is not original
    assert twin.getvalue() is data  # the same bytes, not a copy of them
    assert (twin.name, twin.type, twin.size, twin.file_id) == ("big.zip", "application/zip", len(data), "f1")
    assert twin._file_urls == original._file_urls and twin._file_urls is not original._file_urls
    assert twin.tell() == 10
    assert twin.read(2) == data[10:12] and original.tell() == 10  # its own position
    twin.seek(0)
    twin.write(b"changed")  # a write copies the buffer first: the widget's value stays as uploaded
    assert original.getvalue() is data and twin.getvalue()[:7] == b"changed"


def test_a_rerun_of_the_results_page_does_not_copy_the_upload():
    """Streamlit deep-copies each widget's value on every run; for a file uploader that copied the whole file
    (a 470 MB upload was held twice, benchmarks/RESULTS-upload-memory.md)."""
    blob = bytes(range(256)) * (48 * MB // 256)  # stored, not compressed: the upload is about 48 MB
    archive = media.make_zip({**media.face_dataset(), "notes/blob.bin": blob}, zipfile.ZIP_STORED)
    at = open_page("app_pages/results.py")
    at.file_uploader(key="dataset").set_value(("big.zip", archive, "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]
    opened = at.session_state["dataset_opened"]
    assert opened[2] is None and opened[1] is not None
    tracemalloc.start()
    try:
        at.run()  # a rerun (a changed setting, a click): the same upload, the same opened archive
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["dataset_opened"] is opened
    assert peak < len(archive) / 2, f"a rerun allocated {peak / MB:.0f} MB for a {len(archive) / MB:.0f} MB upload"
