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
import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

MAX_NUMBERS = 100_000  # numbers accepted from a text box or a CSV column
MAX_BYTES = 5 * 2**20  # size of an uploaded file: 5 MB as Streamlit's uploader counts them (2**20 bytes)
MAX_TABLE_ROWS = 100_000  # rows of a CSV to train on (the row cap): the last ones of a longer file are used
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


def _size_text(n: int, up: bool = False) -> str:
    """A byte count as people read it: MB of 2**20 bytes (as Streamlit's uploader says), one decimal, rounded
    up when ``up`` (so a file just over the cap never reads "5.0"); a small count in bytes."""
    if n < 2**20 // 10:
        return f"{n:,} bytes"
    tenths = n / 2**20 * 10
    return f"{(math.ceil(tenths) if up else round(tenths)) / 10:g} MB"


def _text_of(data, max_bytes: int) -> str:
    """An upload's bytes as normalised text; ValueError past ``max_bytes`` or for a file that is not text."""
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise ValueError(
            f"the file is {_size_text(len(data), up=True)}: at most {_size_text(max_bytes)} is allowed"
        )
    return _normalise(_decode(bytes(data)))


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
    text = _text_of(data, max_bytes)
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


def column_choice(text: str) -> list[str | int]:
    """What a person types to pick columns, in order: names or numbers counted from 1, separated by commas
    ("temp, rain", "2, 3") -> names and 0-based indexes; [] for blank. ValueError for a number 0."""
    chosen: list[str | int] = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        # isdecimal, not isdigit: int() refuses "²", a digit but not a decimal
        if part.isdecimal():
            if int(part) == 0:
                raise ValueError("columns are numbered from 1")
            chosen.append(int(part) - 1)
        else:
            chosen.append(part)
    return chosen


def parse_csv_columns(
    data: bytes, choice: str = "", max_rows: int = MAX_NUMBERS, max_bytes: int = MAX_BYTES
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Columns of an uploaded CSV, in the order ``choice`` names them -> ((N, C) float64, their names).

    ``choice`` as :func:`column_choice` reads it; blank = the rightmost column of numbers; a name that holds a
    comma is taken whole when the file has a column of that name. Each column is read and checked by
    :func:`parse_csv_column` (so the same messages name a bad row); ValueError for a column named twice.
    """
    whole = (choice or "").strip()
    if not whole:
        x, name = parse_csv_column(data, max_rows=max_rows, max_bytes=max_bytes)
        return x[:, None], (name,)
    chosen: list[str | int] = [whole]
    if "," in whole:
        try:
            parse_csv_column(data, max_rows=max_rows, column=whole, max_bytes=max_bytes)
        except ValueError:  # no such column: a list of columns
            chosen = column_choice(whole)
    elif whole.isdecimal():
        chosen = column_choice(whole)
    columns, names = [], []
    for column in chosen:
        x, name = parse_csv_column(data, max_rows=max_rows, column=column, max_bytes=max_bytes)
        if name in names:
            raise ValueError(f"column {name!r} is chosen twice: name each column once")
        columns.append(x)
        names.append(name)
    return np.stack(columns, axis=1), tuple(names)


# ------------------------------------------------------------------------------------------------
# a whole table: the columns a model trains on, and the time axis

# a date or a time stamp, year first: 1958-03, 2024/01/31, 2024-01-31 12:00, 2024-01-31T12:00:00Z
_ISO_DATE = re.compile(
    r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
# a date written day or month first: 31/01/2024, 1.31.2024 (the order of its rows is taken as it is)
_OTHER_DATE = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
# a header that names a time axis: its column is one even when it holds plain years (1871, 1872, ...)
_TIME_NAMES = re.compile(r"(?i)^(date|time|year|month|day|week|period|timestamp|datetime|quarter)s?\b")
_SHOWN_BAD = 5  # bad cells a message names


def _date_key(cell: str) -> tuple | None:
    """A year-first date as a sortable tuple; None for anything else."""
    m = _ISO_DATE.fullmatch(cell)
    if m is None or not (m.group(2) or m.group(4)):  # a bare year is a number, not a date by its look
        return None
    return tuple(int(g) if g else 0 for g in m.groups())


def _is_date(cell: str) -> bool:
    return _date_key(cell) is not None or bool(_OTHER_DATE.fullmatch(cell))


@dataclass(frozen=True, eq=False)
class CSVTable:
    """An uploaded CSV as columns: its numeric columns, its time axis, and where its cells are bad.

    Rows are in time order (a file with its newest row first is turned around, said in ``notes``). A numeric
    column is one whose non-empty cells are mostly numbers; its other cells (blank, NaN, inf, text) are NaN
    in ``values`` and listed in ``bad``, so :meth:`columns` can name them when the column is chosen.
    """

    names: tuple[str, ...]  # the numeric columns, in file order
    values: np.ndarray  # (N, C) float64; NaN where a cell is not a finite number
    bad: dict = field(repr=False)  # name -> (row indices (K,) int64, up to _SHOWN_BAD (line, cell) pairs)
    lines: np.ndarray = field(repr=False)  # (N,) int64: each row's line in the file, as a spreadsheet counts
    time_name: str | None = None  # the date column: the time axis, not a number
    time: tuple[str, ...] | None = None  # its cells (N,)
    skipped: tuple[str, ...] = ()  # columns of text, neither numbers nor dates
    notes: tuple[str, ...] = ()  # what was done to the file on the way: turned around, rows capped
    digest: str = ""  # sha256 of the file's bytes: names this data in a model file

    @property
    def rows(self) -> int:
        return self.values.shape[0]

    def columns(self, names) -> np.ndarray:
        """The columns ``names`` (in that order) -> (N, len(names)) float64, every cell a finite number;
        ValueError naming an unknown column, or the rows of a chosen column that are blank or not numbers."""
        index = []
        for name in names:
            if name not in self.names:
                listed = ", ".join(map(repr, self.names)) or "none"
                raise ValueError(f"no numeric column {name!r}; the numeric columns are: {listed}")
            index.append(self.names.index(name))
        for name in names:
            rows, shown = self.bad.get(name, ((), ()))
            if len(rows):
                cells = ", ".join(f"row {line} ({repr(cell) if cell else 'blank'})" for line, cell in shown)
                more = f" and {len(rows) - len(shown):,} more" if len(rows) > len(shown) else ""
                raise ValueError(
                    f"column {name!r} has {len(rows):,} row(s) that are blank or not finite numbers: "
                    f"{cells}{more}; fill or remove them, or pick other columns"
                )
        return self.values[:, index]

    def when(self, k: int) -> str:
        """Row ``k`` as people find it: its date when the file has a time axis, else its line."""
        return self.time[k] if self.time is not None else f"row {int(self.lines[k])}"


def parse_csv_table(data: bytes, max_rows: int = MAX_TABLE_ROWS, max_bytes: int = MAX_BYTES) -> CSVTable:
    """An uploaded CSV with a header row (or none) -> a :class:`CSVTable` of its numeric columns.

    The same separators, encodings and limits as :func:`parse_csv_column`. A column of dates (year first,
    ``1958-03``, ``2024-01-31 12:00``; or day/month first), or one named like a time axis (``year``,
    ``date``, ...), is the time axis, not a number. A file of more than ``max_rows`` data rows keeps its
    last ``max_rows`` (said in ``notes``). ValueError with a one-line message: an empty file, a header
    and no rows, no numeric column, a date column out of time order, too many bytes or columns.
    """
    expected = "expected a CSV with a header row and columns of numbers"
    text = _text_of(data, max_bytes)
    lines = text.splitlines()
    rows, delimiter = _rows(text, len(lines))
    if not rows:
        raise ValueError(f"the file is empty: {expected}")
    decimal_comma = delimiter != ","  # as parse_csv_column reads a cell

    def is_number(cell: str) -> bool:
        token = _token(cell, decimal_comma)
        return bool(_NUMBER.fullmatch(token)) or _is_non_finite(token)

    width = max(len(row) for row in rows)
    if width > MAX_COLUMNS:
        raise ValueError(f"the file has {width:,} columns: at most {MAX_COLUMNS:,} are allowed")
    has_header = not all(is_number(cell) or _is_date(cell) for cell in rows[0] if cell)
    names = [f"column {j + 1}" for j in range(width)]
    if has_header:
        names[: len(rows[0])] = [cell or names[j] for j, cell in enumerate(rows[0])]
        rows = rows[1:]
    seen: dict[str, int] = {}
    for j, name in enumerate(names):  # "a, a" -> "a", "a (2)": a column is chosen by its name
        seen[name] = seen.get(name, 0) + 1
        names[j] = name if seen[name] == 1 else f"{name} ({seen[name]})"
    if not rows:
        raise ValueError(f"the file has a header but no data rows: {expected}")
    first_line = 2 if has_header else 1
    notes = []
    if len(rows) > max_rows:
        notes.append(
            f"The file has {len(rows):,} data rows; the last {max_rows:,} are used (at most {max_rows:,})."
        )
        first_line += len(rows) - max_rows
        rows = rows[-max_rows:]
    n = len(rows)
    line_of = np.arange(first_line, first_line + n, dtype=np.int64)  # blank lines are skipped by _rows

    def cells(j: int) -> list[str]:
        return [row[j] if j < len(row) else "" for row in rows]

    time_name, time, numeric, skipped = None, None, [], []
    for j, name in enumerate(names):
        column = cells(j)
        filled = [cell for cell in column if cell]
        if not filled:
            skipped.append(name)
        elif time_name is None and (
            all(_is_date(cell) for cell in filled)
            or (_TIME_NAMES.match(name) and all(is_number(cell) for cell in filled))
        ):
            if len(filled) < n:
                k = column.index("")
                raise ValueError(
                    f"row {line_of[k]}, column {name!r}: the date is empty; fill or remove the row"
                )
            time_name, time = name, column
        elif 2 * sum(map(is_number, filled)) >= len(filled):
            numeric.append(j)
        else:
            skipped.append(name)
    if not numeric:
        listed = ", ".join(names[:20]) + (f", ... ({width:,} in all)" if width > 20 else "")
        raise ValueError(f"no column holds numbers (columns: {listed}): {expected}")

    values = np.full((n, len(numeric)), np.nan)
    bad = {}
    for c, j in enumerate(numeric):
        bad_rows, shown = [], []
        for k, cell in enumerate(cells(j)):
            token = _token(cell, decimal_comma)
            value = float(token) if _NUMBER.fullmatch(token) else math.nan
            if math.isfinite(value):
                values[k, c] = value
            else:
                bad_rows.append(k)
                if len(shown) < _SHOWN_BAD:
                    shown.append((int(line_of[k]), token[:20]))
        if bad_rows:
            bad[names[j]] = (np.array(bad_rows, dtype=np.int64), tuple(shown))

    order = None
    keys = None  # the time axis as sortable values, where its cells say which comes first
    if time is not None and all(_date_key(cell) is not None for cell in time):
        keys = [_date_key(cell) for cell in time]
    elif time is not None and all(is_number(cell) for cell in time):  # years: 1871, 1872, ...
        keys = [float(_token(cell, decimal_comma)) for cell in time]
    if keys is not None:
        if n > 1 and all(a > b for a, b in zip(keys, keys[1:])):  # newest first: turn it around
            order = np.arange(n)[::-1]
            notes.append("The rows run from the newest date to the oldest; they are read oldest first.")
        else:
            back = next((k for k in range(1, n) if keys[k] < keys[k - 1]), None)
            if back is not None:
                raise ValueError(
                    f"row {line_of[back]}, column {time_name!r}: {time[back]!r} comes before the row above "
                    f"it ({time[back - 1]!r}); sort the file by {time_name!r} so the rows run in time order"
                )
    if order is not None:
        values, line_of, time = values[order], line_of[order], [time[k] for k in order]
        bad = {name: (np.sort(n - 1 - rows_), shown) for name, (rows_, shown) in bad.items()}
    values.setflags(write=False)
    return CSVTable(
        names=tuple(names[j] for j in numeric),
        values=values,
        bad=bad,
        lines=line_of,
        time_name=time_name,
        time=None if time is None else tuple(time),
        skipped=tuple(skipped),
        notes=tuple(notes),
        digest=hashlib.sha256(bytes(data)).hexdigest(),
    )
