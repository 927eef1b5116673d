"""CSV text that is safe to open in a spreadsheet: every CSV Moodlens writes goes through `csv_text`.

File and folder names come from users; a cell such as `=HYPERLINK(...)` would run as a formula in Excel,
LibreOffice or Google Sheets. Following OWASP's advice on CSV injection, a text cell that starts with
`=`, `+`, `-`, `@`, a tab or a carriage return gets a leading single quote. Numbers are never changed.
"""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` with a leading ' when it is text a spreadsheet would read as a formula; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(table: pd.DataFrame | Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """CSV text ("\\n" line ends, a header row) of a DataFrame (no index) or of rows given as dicts.

    For rows, `columns` picks the columns and their order (default: every key, in the order keys first
    appear); a missing key is an empty cell. Text cells are passed through `safe_cell`.
    """
    if isinstance(table, pd.DataFrame):
        return table.map(safe_cell).to_csv(index=False, lineterminator="\n")
    rows = [dict(r) for r in table]
    if columns is None:
        seen: dict[str, None] = {}
        for row in rows:
            seen.update(dict.fromkeys(row))
        columns = list(seen)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()
