"""User input as numbers: what a person types in a box, one column of a CSV they upload.

Both parsers are strict and say what is wrong in one line (``ValueError``), naming the row and
column, so the app can show it and the CLI can print it: an empty file, a NUL byte, a cell that
is not a finite number, too many bytes, rows or columns. They accept what spreadsheets and
people write: comma, semicolon, tab, bar or space separators, decimal commas with semicolons,
a header row or none, a UTF-8 BOM, UTF-16, latin-1, the Unicode minus and full-width digits.
Imports only numpy and the standard library.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata

import numpy as np

MAX_NUMBERS = 100_000  # numbers accepted from a text box or a CSV column
MAX_BYTES = 5_000_000  # size of an uploaded file
MAX_COLUMNS = 10_000  # columns of an uploaded CSV (a 5 MB row of numbers has ~2 million)
_DELIMITERS = ",;\t|"

_SEPARATORS = re.compile(r"[,;\s]+")
_DECIMAL_COMMA = re.compile(r"\d+,\d+")  # "1,5": with no space after the comma
_SPACE_BETWEEN = re.compile(r"\d[ \t]+[+-]?\d")  # "5 2": numbers separated by spaces on one line
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_EXPECTED = "enter numbers separated by commas, semicolons, spaces or new lines, e.g. 1, 2, 3"
# characters that look like ASCII signs or spaces but are not (NFKC keeps these)
_LOOKALIKES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-", "\u00a0": " "})


def _normalise(text: str) -> str:
    """Full-width digits, Unicode minus and no-break spaces to ASCII; drop zero-widths."""
    text = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
    return text.replace("\u200b", "").replace("\ufeff", "")


def _token(cell: str, decimal_comma: bool) -> str:
    token = cell.strip()
    if decimal_comma and re.fullmatch(r"[+-]?\d+,\d+", token):
        token = token.replace(",", ".")
    return token


def _is_non_finite(token: str) -> bool:
    return token.lower().lstrip("+-") in {"nan", "inf", "infinity"}


def _number(cell: str, where: str, decimal_comma: bool = False) -> float:
    """One cell as a finite float, or a ValueError saying which cell and why."""
    token = _token(cell, decimal_comma)
    shown = token if len(token) <= 20 else token[:20] + "..."
    if not _NUMBER.fullmatch(token):
        if _is_non_finite(token):
            raise ValueError(f"{where}{shown!r} is not a finite number")
        raise ValueError(f"{where}{shown!r} is not a number")
    value = float(token)
    if not math.isfinite(value):
        raise ValueError(f"{where}{shown!r} is too large")
    return value


def parse_numbers(text: str, max_count: int = MAX_NUMBERS) -> np.ndarray:
    """Numbers typed by a user, separated by commas, semicolons or whitespace -> (N,) float64.

    Raises ValueError with a one-line message for empty input, anything that is not a
    finite number, or more than ``max_count`` numbers.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    if len(text) > 40 * max_count:  # refuse before splitting a huge paste
        raise ValueError(f"the text is too long: at most {max_count:,} numbers are allowed")
    text = _normalise(text)
    comma = _DECIMAL_COMMA.search(text)
    if comma and _SPACE_BETWEEN.search(text):  # "1,5 2,5": four numbers, or two with decimal commas?
        example = comma.group(0)
        raise ValueError(
            f"{example!r} could be one number with a decimal comma or two numbers: write decimals with a "
            "point (1.5 2.5), or put a space after each comma between numbers (1, 5, 2, 5)"
        )
    tokens = [t for t in _SEPARATORS.split(text) if t]
    if not tokens:
        raise ValueError(f"no numbers found: {_EXPECTED}")
    if len(tokens) > max_count:
        raise ValueError(f"too many numbers ({len(tokens):,}): at most {max_count:,} are allowed")
    values = []
    for k, token in enumerate(tokens, 1):
        try:
            values.append(_number(token, f"item {k}: "))
        except ValueError as err:
            raise ValueError(f"{err}; {_EXPECTED}") from None
    return np.array(values, dtype=np.float64)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise ValueError("the file is not text (it contains NUL bytes): upload a CSV file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # spreadsheet exports in a legacy code page


def _ragged_delimiter(lines: list[str]) -> str:
    """The delimiter of rows of unequal length (which the sniffer gives up on), or "" for none.

    It must be in the first line (the header) and in at least half of the lines, so a header
    without one (``temp`` above ``1,5``: decimal commas) stays a single column.
    """
    if not lines:
        return ""
    counts = {d: sum(d in line for line in lines) for d in _DELIMITERS if d in lines[0]}
    best = max(counts, key=counts.get, default="")
    return best if best and 2 * counts[best] >= len(lines) else ""


def _rows(text: str, max_rows: int) -> tuple[list[list[str]], str]:
    """Non-empty rows (at most max_rows + 1, to detect too many) and the delimiter."""
    lines = text.splitlines()
    head = "\n".join(lines[:50])
    if len(head) > 65_536:  # the sniffer takes ~1 s per MB: whole lines of the first 64 KB are enough
        head = head[:65_536].rpartition("\n")[0]
    try:
        delimiter = csv.Sniffer().sniff(head, delimiters=_DELIMITERS).delimiter
    except csv.Error:  # one column, columns separated by runs of spaces, or rows of unequal length
        delimiter = _ragged_delimiter([line for line in lines[:50] if line.strip()])
    rows = []
    if delimiter:
        for row in csv.reader(lines, delimiter=delimiter):
            if any(cell.strip() for cell in row):
                rows.append([cell.strip() for cell in row])
                if len(rows) > max_rows + 1:
                    break
    else:
        for line in lines:
            if line.strip():
                rows.append(line.split())
                if len(rows) > max_rows + 1:
                    break
    return rows, delimiter


def parse_csv_column(
    data: bytes,
    max_rows: int = MAX_NUMBERS,
    column: str | int | None = None,
    max_bytes: int = MAX_BYTES,
    max_columns: int = MAX_COLUMNS,
) -> tuple[np.ndarray, str]:
    """One numeric column of an uploaded CSV -> ((N,) float64 values, column name).

    Comma, semicolon, tab, bar or whitespace separated; a header row is optional. With
    ``column`` (a header name or 0-based index) that column is read; otherwise the rightmost
    column whose every cell is a number, since dates and indexes usually come first. A file of
    one line of numbers and no header ("1,2,3,4,5") is read along that row.
    Raises ValueError with a one-line message saying what is wrong and what is expected: an
    empty file, a NUL byte, over ``max_bytes`` bytes, ``max_rows`` rows or ``max_columns``
    columns, a cell that is not a finite number.
    """
    expected = "expected a CSV with a header row and a column of numbers"
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        size = math.ceil(len(data) / 1e5) / 10  # rounded up, so a file just over the cap never reads "5.0"
        raise ValueError(f"the file is {size:g} MB: at most {max_bytes / 1e6:g} MB is allowed")
    text = _normalise(_decode(bytes(data)))
    rows, delimiter = _rows(text, max_rows)
    if not rows:
        raise ValueError(f"the file is empty: {expected}")

    def is_number(cell: str) -> bool:
        """A number, finite or not: a header is never "nan", and a column of NaNs is reported, not skipped."""
        token = _token(cell, decimal_comma=delimiter != ",")
        return bool(_NUMBER.fullmatch(token)) or _is_non_finite(token)

    width = max(len(row) for row in rows)
    if width > max_columns:
        raise ValueError(
            f"the file has {width:,} columns: at most {max_columns:,} are allowed; "
            "put the sequence in one column, one number per row"
        )
    has_header = not all(is_number(cell) for cell in rows[0])
    if has_header and not delimiter and len(rows[0]) > 1 and all(len(row) == 1 for row in rows[1:]):
        rows[0] = [" ".join(rows[0])]  # one column whose name has spaces, e.g. "Temperature (C)"
        width = 1
    names = [f"column {j + 1}" for j in range(width)]
    if has_header:
        names[: len(rows[0])] = [cell or names[j] for j, cell in enumerate(rows[0])]
        rows = rows[1:]
    if not rows:
        raise ValueError(f"the file has a header but no data rows: {expected}")
    if len(rows) > max_rows:
        raise ValueError(f"the file has more than {max_rows:,} data rows: at most {max_rows:,} are allowed")
    first_row = 2 if has_header else 1  # line numbers as a spreadsheet shows them

    if column is None and not has_header and len(rows) == 1 and width > 1:
        # a single line of numbers, "1,2,3,4,5": the sequence runs along the row
        where = "row 1: "
        values = [_number(cell, where, decimal_comma=delimiter != ",") for cell in rows[0] if cell]
        return np.array(values, dtype=np.float64), "row 1"

    listed = ", ".join(names[:20]) + (f", ... ({width:,} in all)" if width > 20 else "")

    def cells(j: int) -> list[str]:
        return [row[j] if j < len(row) else "" for row in rows]

    if column is None:
        # the rightmost column of mostly numbers: a stray bad cell is reported below rather than
        # skipping the column; scanned from the right, so a wide file's other columns are not read
        def numeric(j: int) -> bool:
            column_cells = cells(j)
            return 2 * sum(map(is_number, column_cells)) >= max(1, sum(map(bool, column_cells)))

        j = next((j for j in reversed(range(width)) if numeric(j)), None)
        if j is None:
            raise ValueError(f"no column holds numbers (columns: {listed}): {expected}")
    elif isinstance(column, str):
        if column not in names:
            raise ValueError(f"no column {column!r}; columns: {listed}")
        j = names.index(column)
    elif isinstance(column, (int, np.integer)) and 0 <= column < width:
        j = int(column)
    else:
        raise ValueError(f"column {column!r} is out of range: the file has {width} columns")

    values = []
    for k, cell in enumerate(cells(j)):
        where = f"row {first_row + k}, column {names[j]!r}: "
        if not cell:
            raise ValueError(f"{where}the cell is empty; fill or remove missing values")
        try:
            values.append(_number(cell, where, decimal_comma=delimiter != ","))
        except ValueError as err:
            raise ValueError(f"{err}; expected a number in every row") from None
    return np.array(values, dtype=np.float64), names[j]
