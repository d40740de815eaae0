"""Your own data: a CSV parsed into a table and trained on as a task, split by time, standardised on its
training rows, against persistence; a model file that names it reopens without it and says what it expects.

Also the issue's number: a model trained on a CSV of the shipped CO2 series beats persistence within 30 s.
"""

import gc
import time

import numpy as np
import pytest

from lstm_vault import modelfile, models
from lstm_vault.tasks import CO2, HELD_OUT, MissingData, OptionError, UserCSV, add_table, csv_task, get_task
from lstm_vault.tasks.data import ASSETS, split_index
from lstm_vault.tasks.user_csv import in_units, longest_window, min_rows
from lstm_vault.userdata import MAX_BYTES, parse_csv_table

CO2_BYTES = (ASSETS / "co2_monthly.csv").read_bytes()


def table_of(rows: int = 100, extra: str = ""):
    """Columns ``row`` (the row's index), ``wave`` and ``level``; a date column as the time axis."""
    lines = ["date,row,wave,level" + extra]
    for k in range(rows):
        lines.append(f"{2000 + k // 12}-{k % 12 + 1:02d},{k},{np.sin(k / 3):.6f},{(k % 5) * 10}")
    return parse_csv_table("\n".join(lines).encode())


def rows_of(task, x_row: np.ndarray) -> np.ndarray:
    """The column ``row`` (standardised) back to row indices."""
    enc = task.encoding()
    j = enc["columns"].index("row")
    return np.rint(x_row * enc["input_scale"][j] + enc["input_offset"][j]).astype(int)


# ------------------------------------------------------------------------------------------------ the table


def test_a_date_column_is_the_time_axis_and_not_a_number():
    table = table_of(30)
    assert table.time_name == "date" and "date" not in table.names
    assert table.names == ("row", "wave", "level")
    assert table.time[:2] == ("2000-01", "2000-02") and table.when(29) == "2002-06"
    np.testing.assert_array_equal(table.values[:, 0], np.arange(30))


def test_a_column_named_year_is_the_time_axis_even_with_plain_numbers():
    table = parse_csv_table(b"year,volume\n1871,1120\n1872,1160\n1873,963\n")
    assert table.time_name == "year" and table.names == ("volume",)


def test_newest_first_is_turned_around_and_out_of_order_is_named():
    table = parse_csv_table(b"date,v\n2001-03,3\n2001-02,2\n2001-01,1\n")
    np.testing.assert_array_equal(table.values[:, 0], [1, 2, 3])
    assert table.time == ("2001-01", "2001-02", "2001-03") and "oldest first" in table.notes[0]
    with pytest.raises(ValueError, match=r"row 4, column 'date': '2001-02' comes before the row above it"):
        parse_csv_table(b"date,v\n2001-01,1\n2001-03,3\n2001-02,2\n")


def test_the_row_cap_keeps_the_last_rows_and_says_so():
    data = b"v\n" + b"".join(f"{k}\n".encode() for k in range(50))
    table = parse_csv_table(data, max_rows=20)
    np.testing.assert_array_equal(table.values[:, 0], np.arange(30, 50))
    assert table.notes == ("The file has 50 data rows; the last 20 are used (at most 20).",)
    assert table.lines[0] == 32  # line 1 is the header, row k on line k + 2


def test_blank_and_nan_rows_are_named_when_their_column_is_used():
    table = parse_csv_table(b"a,b,c\n1,2,x\n2,,y\n3,nan,z\n4,5,w\n")
    assert table.names == ("a", "b") and table.skipped == ("c",)  # c: text, not numbers
    np.testing.assert_array_equal(table.columns(["a"])[:, 0], [1, 2, 3, 4])  # b's gaps do not matter
    with pytest.raises(ValueError, match=r"column 'b' has 2 row\(s\) .*: row 3 \(blank\), row 4 \('nan'\)"):
        table.columns(["a", "b"])
    with pytest.raises(ValueError, match="no numeric column 'c'"):
        table.columns(["c"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"a,b\n", "the file has a header but no data rows"),
        (b"name,city\nada,london\nalan,wilmslow\n", "no column holds numbers"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "the file is not text"),
        (b"v\n" + b"1\n" * (MAX_BYTES // 2), "the file is 5.1 MB: at most 5 MB is allowed"),
    ],
)
def test_a_bad_csv_is_refused_in_one_line(data, message):
    with pytest.raises(ValueError, match=message):
        parse_csv_table(data)


def test_odd_unicode_names_are_kept_and_duplicates_told_apart():
    data = "température (°C),温度,température (°C),\u2212x\n1,2,3,\u22124\n2,3,4,5\n".encode()
    table = parse_csv_table(data)
    assert table.names == ("température (°C)", "温度", "température (°C) (2)", "-x")
    np.testing.assert_array_equal(table.values[0], [1, 2, 3, -4])


# ------------------------------------------------------------------------------------------------ the task


def test_training_and_validation_windows_never_cross_the_split_in_time():
    table = table_of(200)
    task = csv_task(table, ["row", "wave"], "level", length=10, ahead=3)
    split = split_index(200)
    assert split == 200 - int(np.ceil(HELD_OUT * 200))
    train = task.batch(500, np.random.default_rng(1))
    rows = rows_of(task, train.x[..., 0])  # (T, B)
    assert rows.min() >= 0 and rows.max() + 3 <= split - 1  # the target row too lies before the split
    val = task.validation(task.n_validation)
    rows = rows_of(task, val.x[..., 0])
    assert rows.min() == split and rows.max() + 3 == 199  # every held-out window, the last one at the end
    assert task.n_validation == 200 - split - 10 - 3 + 1
    np.testing.assert_array_equal(rows[0], np.arange(split, split + task.n_validation))  # in time order


def test_columns_in_the_chosen_order_and_the_target_rows_ahead():
    table = table_of(120)
    task = csv_task(table, ["wave", "row"], "level", length=6, ahead=2)
    assert task.input_size == 2 and task.options()["inputs"] == ("wave", "row")
    batch = task.validation(5)
    assert batch.x.shape == (6, 5, 2) and batch.y.shape == (5, 1)
    enc = task.encoding()
    assert enc["columns"] == ["wave", "row"] and enc["target"] == "level" and enc["window"] == 6
    start = rows_of(task, batch.x[0, :, 1])
    level = table.columns(["level"])[:, 0]
    np.testing.assert_allclose(
        batch.y[:, 0] * enc["scale"] + enc["offset"], level[start + 6 - 1 + 2], atol=1e-4
    )
    wave = table.columns(["wave"])[:, 0]
    np.testing.assert_allclose(
        batch.x[:, :, 0] * enc["input_scale"][0] + enc["input_offset"][0],
        wave[start[None, :] + np.arange(6)[:, None]],
        atol=1e-5,
    )


def test_standardisation_comes_from_the_training_rows_only():
    table = table_of(100)
    task = csv_task(table, ["row", "level"], "row", length=4)
    split = split_index(100)
    values = table.columns(["row", "level"])
    enc = task.encoding()
    np.testing.assert_allclose(enc["input_offset"], values[:split].mean(axis=0))
    np.testing.assert_allclose(enc["input_scale"], values[:split].std(axis=0))
    assert enc["input_offset"][0] != pytest.approx(values[:, 0].mean())  # not the whole file's
    assert (enc["offset"], enc["scale"]) == (enc["input_offset"][0], enc["input_scale"][0])


def test_the_persistence_baseline_is_the_last_value_in_the_window_on_the_held_out_rows():
    table = table_of(150)
    task = csv_task(table, ["wave"], "level", length=8, ahead=2)
    level = table.columns(["level"])[:, 0]
    split = split_index(150)
    mean, std = level[:split].mean(), level[:split].std()
    errors = [
        ((level[s + 8 - 1 + 2] - level[s + 8 - 1]) / std) ** 2 for s in range(split, 150 - 8 - 2 + 1)
    ]  # every held-out window from its start s
    assert task.baseline_loss() == pytest.approx(np.mean(errors))
    assert mean != 0


def test_the_co2_file_as_a_csv_is_the_shipped_co2_task():
    task = csv_task(parse_csv_table(CO2_BYTES), ["co2_ppmv"], "co2_ppmv", length=24, file="co2_monthly.csv")
    shipped = CO2(length=24)
    assert task.baseline_loss() == pytest.approx(shipped.baseline_loss())
    np.testing.assert_allclose(task.validation(40).x, shipped.validation(40).x)
    assert "(1958-03 to 2001-12)" in task.description() and "month" in task.description()


def test_the_window_and_rows_ahead_are_bounded_by_the_data_and_a_tiny_file_is_named():
    table = table_of(40)
    longest = longest_window(40)
    assert csv_task(table, ["row"], "row", length=longest).length == longest
    with pytest.raises(OptionError) as caught:
        csv_task(table, ["row"], "row", length=longest + 1)
    assert caught.value.sentence == f"Window length must be an integer in [1, {longest}], got {longest + 1}"
    one = parse_csv_table(b"a,b\n1,2\n")
    with pytest.raises(
        ValueError, match=f"the file has 1 data row\\(s\\): at least {min_rows(1)} are needed"
    ):
        csv_task(one, ["a"], "b", length=1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"inputs": (), "target_column": "row"}, "pick from 1 to 64 different input columns"),
        ({"inputs": ("row", "row"), "target_column": "row"}, "different input columns"),
        ({"inputs": ("row",), "target_column": ""}, "pick the column to predict"),
        ({"inputs": ("nope",), "target_column": "row"}, "no numeric column 'nope'"),
        ({"inputs": "row", "target_column": "row"}, "inputs must be a list of column names"),
    ],
)
def test_bad_columns_are_named(options, message):
    table = table_of(60)
    add_table(table)
    with pytest.raises(ValueError, match=message):
        UserCSV(length=4, data=table.digest, **options)


def test_a_constant_training_column_is_named():
    table = parse_csv_table(b"a,b\n" + b"".join(f"{k},3\n".encode() for k in range(30)))
    with pytest.raises(ValueError, match=r"column 'b' is constant in the training rows \(every value 3\)"):
        csv_task(table, ["a", "b"], "a", length=2)


def test_the_task_is_rebuilt_by_name_while_its_table_is_held_and_says_what_it_expects_after():
    table = table_of(80)
    task = csv_task(table, ["row", "wave"], "level", length=5, file="mine.csv")
    options = task.options()
    assert get_task("csv", **options) == task
    assert (
        task.options_text()
        == "window length 5, rows ahead 1, inputs 'row', 'wave', target 'level', file mine.csv"
    )
    del table, task
    gc.collect()
    with pytest.raises(MissingData) as caught:
        get_task("csv", **options)
    assert str(caught.value) == (
        "The model reads 2 column(s) of mine.csv per row, in this order: 'row', 'wave'; windows of 5 rows; "
        "it predicts 'level' 1 row(s) after each window. That CSV is not loaded here: upload it on the Train "
        "page"
    )
    with pytest.raises(MissingData, match="no CSV yet"):
        get_task("csv")


# ------------------------------------------------------------------------------------------------ model file


def test_a_model_file_keeps_the_columns_and_standardisation_and_reopens_without_the_csv():
    table = table_of(90)
    task = csv_task(table, ["wave", "level"], "row", length=7, file="data.csv")
    rnn = models.LSTM(2, 3, seed=0)
    rng = np.random.default_rng(0)
    meta = {"task": task.name, "task_options": task.options(), "encoding": task.encoding()}
    data = modelfile.to_bytes(rnn, rng.normal(size=(1, 3)), rng.normal(size=1), meta)
    saved = modelfile.load(data)
    assert (
        saved.meta["encoding"]["columns"] == ["wave", "level"] and saved.meta["encoding"]["target"] == "row"
    )
    np.testing.assert_allclose(saved.meta["encoding"]["input_scale"], task.encoding()["input_scale"])
    assert saved.task() == task
    x, title = saved.example(0)
    shown = in_units(saved.meta["encoding"], x[:, 0])  # the held-out window in the file's own numbers
    first = int(np.flatnonzero(np.isclose(table.columns(["wave"])[:, 0], shown[0, 0], atol=1e-5))[0])
    np.testing.assert_allclose(shown, table.columns(["wave", "level"])[first : first + 7], atol=1e-4)
    assert first >= split_index(90)  # from the held-out rows
    assert x.shape == (7, 1, 2) and title.startswith("Your own data (CSV): held-out example")
    np.testing.assert_allclose(x[:, 0], task.validation(1, seed=0).x[:, 0])
    del table, task
    gc.collect()
    reopened = modelfile.load(data)  # no CSV in this process any more
    with pytest.raises(
        ValueError, match=r"reads 2 column\(s\) of data.csv per row, in this order: 'wave', 'level'"
    ):
        reopened.example(0)


# ------------------------------------------------------------------------------------------------ the number


@pytest.mark.slow
def test_a_model_trained_on_the_co2_csv_beats_persistence_within_30_seconds():
    from lstm_vault.evaluation import beats_baseline
    from lstm_vault.train_config import TrainConfig
    from lstm_vault.training import train

    task = csv_task(parse_csv_table(CO2_BYTES), ["co2_ppmv"], "co2_ppmv", length=12)
    config = TrainConfig(
        task="csv", task_options=task.options(), hidden_size=16, batch_size=128, lr=0.02, steps=500,
        eval_every=50, device="cpu", seed=0, max_seconds=30,
    )  # fmt: skip
    started = time.monotonic()
    result = train(config)
    assert time.monotonic() - started < 30 + 5  # the run's budget, plus building the task and the model
    assert result.status == "done", result.message  # all 500 steps within the 30 s budget
    assert result.baseline_loss == pytest.approx(task.baseline_loss())
    assert beats_baseline(result.val_loss, task.baseline_loss()), (result.val_loss, task.baseline_loss())


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ({"columns": "a"}, "encoding.columns must be a list of column names"),
        ({"columns": ["a", 1]}, "encoding.columns must be a list of column names"),
        ({"input_scale": [1, "x"]}, "encoding.input_scale must be a list of numbers"),
        ({"input_offset": 3}, "encoding.input_offset must be a list of numbers"),
    ],
)
def test_a_model_file_with_bad_column_meta_is_refused_by_name(encoding, message):
    rnn = models.LSTM(1, 2, seed=0)
    data = modelfile.to_bytes(rnn, np.zeros((1, 2)), np.zeros(1), {"task": "csv", "encoding": encoding})
    with pytest.raises(modelfile.ModelFileError, match=message):
        modelfile.load(data)


def test_names_from_the_file_cannot_make_markdown_links_images_or_html():
    data = b"date,![x](http://example.com/a.png),<b>bold</b>,[link](http://example.com)\n"
    data += b"".join(f"{2000 + k // 12}-{k % 12 + 1:02d},{k},{k % 3},{k % 5}\n".encode() for k in range(60))
    table = parse_csv_table(data)
    names = list(table.names)
    task = csv_task(table, names[:2], names[2], length=3, file="[f](http://example.com).csv")
    for text in (task.description(), task.options_text(), task.reading_guide()):
        assert "](" not in text.replace("\\](", "") and "<b>" not in text, text
    assert "'\\<b\\>bold\\</b\\>'" in task.options_text()
