"""The Train page's own-data controls: upload a CSV, pick the input columns (in order) and the one to predict.

Thin on purpose: parsing and every check are the library's (``lstm_vault.userdata.parse_csv_table``, the task
``lstm_vault.tasks.UserCSV``); :func:`read_upload` is the one step between the two and is tested with the
file's bytes. The parsed table stays in this session's state, which keeps it findable by the task (and by a
trained model's ``task()``) for as long as the session lives.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from lstm_vault.tasks import UserCSV, add_table
from lstm_vault.tasks.user_csv import MAX_INPUTS, longest_window, plain, quoted
from lstm_vault.userdata import MAX_BYTES, MAX_TABLE_ROWS, CSVTable, parse_csv_table

NAME = UserCSV.name  # the task's registry name
P = "lv_train_csv_"
UPLOAD, LOADED, ERROR, INPUTS, TARGET = P + "file", P + "loaded", P + "error", P + "inputs", P + "target"
UPLOAD_MB = max(1, MAX_BYTES // 2**20)  # Streamlit's MB are 2**20 bytes


@dataclass(frozen=True)
class Upload:
    """A parsed CSV and its file's name."""

    file: str
    table: CSVTable


def read_upload(file: str, data: bytes) -> Upload:
    """The uploaded file parsed and made findable by the task; ValueError (one line) when it is unusable."""
    table = parse_csv_table(data)
    add_table(table)
    return Upload(file, table)


def default_columns(table: CSVTable) -> tuple[list[str], str]:
    """(inputs, target) a new file starts with: every numeric column, predicting the rightmost one."""
    return list(table.names[:MAX_INPUTS]), table.names[-1]


def on_upload() -> None:
    """The uploader's callback: parse once; a bad file is named and the last good one stays."""
    state, upload = st.session_state, st.session_state.get(UPLOAD)
    state[ERROR] = None
    if upload is None:
        return
    try:
        loaded = read_upload(upload.name, upload.getvalue())
    except ValueError as error:
        state[ERROR] = f"{upload.name}: {error}"
        return
    state[LOADED] = loaded
    state[INPUTS], state[TARGET] = default_columns(loaded.table)
    # a short file: the window shrinks to the longest it allows ("length" is the option's widget key)
    longest = longest_window(loaded.table.rows, int(state.get("ahead", 1)))
    if int(state.get("length", UserCSV.option_specs()[0].default)) > longest:
        state["length"] = longest


def data_options() -> dict:
    """The task's data fields from this session's state (empty before a file: the task then says so)."""
    state = st.session_state
    loaded: Upload | None = state.get(LOADED)
    if loaded is None:
        return {}
    return {
        "data": loaded.table.digest,
        "inputs": tuple(state.get(INPUTS, ())),
        "target_column": state.get(TARGET, ""),
        "file": loaded.file,
    }


def widgets(running: bool) -> None:
    """The uploader, what the file holds, and the column pickers."""
    st.file_uploader(
        "Your CSV file", type=["csv", "txt", "tsv"], key=UPLOAD, on_change=on_upload, disabled=running,
        max_upload_size=UPLOAD_MB,
        help=f"A header row and columns of numbers, one row per time step, in a file of at most {UPLOAD_MB} "
        f"MB; a column of dates is the time axis. Up to {MAX_TABLE_ROWS:,} rows are used.",
    )  # fmt: skip
    state = st.session_state
    if state.get(ERROR):
        st.error(state[ERROR])
    loaded: Upload | None = state.get(LOADED)
    if loaded is None:
        return
    table = loaded.table
    for note in table.notes:
        st.warning(note)
    parts = [f"{plain(loaded.file)}: {table.rows:,} rows, {len(table.names)} numeric column(s)"]
    if table.time_name:
        span = f"{plain(table.when(0))} to {plain(table.when(table.rows - 1))}"
        parts.append(f"time axis {quoted(table.time_name)} ({span})")
    if table.skipped:
        parts.append("not used (not numbers): " + ", ".join(map(quoted, table.skipped)))
    st.caption("; ".join(parts) + ".")
    inputs, target = default_columns(table)
    state.setdefault(INPUTS, inputs)  # after a visit to another page, whose run dropped the widgets' state
    state.setdefault(TARGET, target)
    left, right = st.columns([3, 2])
    left.multiselect(
        "Input columns, in the order the model reads them", list(table.names), key=INPUTS,
        max_selections=MAX_INPUTS, disabled=running, persist_state="session",
    )  # fmt: skip
    right.selectbox(
        "Column to predict", list(table.names), key=TARGET, disabled=running, persist_state="session",
        help="The model predicts this column's value the set number of rows after each window.",
    )  # fmt: skip
