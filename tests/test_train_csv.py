"""Train page (AppTest) on the user's CSV: upload, pick columns, train, and the model opens on Step through
on the held-out rows of that CSV; a bad file is named and the last good one stays.

The parsing and the task are tested with the file's bytes in tests/test_user_csv.py; here the page's wiring.
"""

import time

import numpy as np
from app_support import page_app

from lstm_vault.tasks.data import split_index
from pages.common import train_csv

WAIT_S = 90


def two_column_csv(rows: int = 120) -> bytes:
    lines = ["date,level,flow"]
    for k in range(rows):
        lines.append(f"{2000 + k // 12}-{k % 12 + 1:02d},{np.sin(k / 4):.5f},{np.cos(k / 7):.5f}")
    return ("\n".join(lines) + "\n").encode()


def csv_page(data: bytes = None):
    at = page_app("pages/3_Train.py", default_timeout=60).run()
    at.selectbox(key="lv_train_task").set_value("csv").run()
    assert [e.value for e in at.error] == ["no CSV yet: upload a CSV file to train on"]
    at.file_uploader(key=train_csv.UPLOAD).set_value(("mine.csv", data or two_column_csv(), "text/csv")).run()
    assert not at.exception
    return at


def test_an_uploaded_csv_offers_its_columns_and_time_axis():
    at = csv_page()
    assert not at.error, [e.value for e in at.error]
    assert at.multiselect(key=train_csv.INPUTS).value == ["level", "flow"]
    assert at.multiselect(key=train_csv.INPUTS).options == ["level", "flow"]
    assert at.selectbox(key=train_csv.TARGET).value == "flow"  # the rightmost numeric column
    assert any("mine.csv: 120 rows, 2 numeric column(s); time axis 'date' (2000-01 to 2009-12)" in c.value
               for c in at.caption)  # fmt: skip
    text = " ".join(m.value for m in at.markdown)
    split = split_index(120)
    assert f"It trains on the first {split:,} rows and is validated on the last {120 - split:,}" in text


def test_a_bad_csv_is_named_and_the_last_good_one_stays():
    at = csv_page()
    at.file_uploader(key=train_csv.UPLOAD).set_value(("bad.csv", b"a,b\n", "text/csv")).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["bad.csv: the file has a header but no data rows: expected a CSV "
                                           "with a header row and columns of numbers"]  # fmt: skip
    assert at.session_state[train_csv.LOADED].file == "mine.csv"


def test_blank_rows_in_a_chosen_column_are_named_by_row():
    lines = two_column_csv().decode().splitlines()
    lines[15] = lines[15].rsplit(",", 1)[0] + ",nan"  # row 16 of the file, the flow column
    at = csv_page("\n".join(lines).encode())
    assert [e.value for e in at.error] == [
        "column 'flow' has 1 row(s) that are blank or not finite numbers: row 16 ('nan'); fill or remove "
        "them, or pick other columns"
    ]
    assert at.button(key="lv_train_submit").disabled


def test_training_on_the_csv_opens_the_model_on_step_through_with_the_held_out_rows():
    at = csv_page()
    at.number_input(key="length").set_value(6)
    at.number_input(key="lv_train_hidden_size").set_value(4)
    at.number_input(key="steps").set_value(20)
    at.number_input(key="batch").set_value(8)
    at.multiselect(key="lv_train_archs").set_value(["lstm"])
    at.run()
    at.button(key="lv_train_submit").click().run()
    deadline = time.monotonic() + WAIT_S
    while "lv_train_runs" not in at.session_state:
        assert time.monotonic() < deadline, "training did not finish"
        time.sleep(0.25)
        at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (run,) = at.session_state["lv_train_runs"].trained
    meta = run.saved.meta
    assert meta["encoding"]["columns"] == ["level", "flow"] and meta["encoding"]["target"] == "flow"
    assert meta["task_options"]["file"] == "mine.csv" and meta["encoding"]["window"] == 6
    task = run.saved.task()
    x, title = run.saved.example(0)
    assert title == "Your own data (CSV): held-out example, seed 0"
    np.testing.assert_allclose(x[:, 0], task.validation(1, seed=0).x[:, 0])
    at.switch_page("pages/1_Step_through.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.radio(key="st_model_source").value == "trained model"
    assert any("Your own data (CSV): held-out example, seed 0" in c.value for c in at.caption)
