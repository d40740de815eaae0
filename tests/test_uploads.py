"""Every upload in the app, driven through AppTest: the step-through page's CSV, the Train page's model file.

A good file is used (the values on the page are the file's values; the session's model is the file's model). A
bad file shows an error that names the problem, raises nothing, and leaves the session as it was: the step
page keeps showing the last valid sequence, the Train page keeps the session's model. Each kind of bad model
file is refused by name in tests/test_modelfile.py; two show the page's side here.
"""

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from app_support import page_app
from streamlit.testing.v1 import AppTest

from lstm_vault import modelfile, models
from lstm_vault.sequences import MAX_LENGTH
from lstm_vault.userdata import MAX_BYTES
from pages.common import model_upload

ROOT = Path(__file__).resolve().parents[1]
STEP = str(ROOT / "pages" / "1_Step_through.py")
TRAIN = str(ROOT / "pages" / "3_Train.py")
TIMEOUT = 30

# ----------------------------------------------------------------------------- step through: a CSV


def csv_page() -> AppTest:
    """The step page with "Upload a CSV" chosen and no file yet."""
    at = page_app(STEP, default_timeout=TIMEOUT).run()
    at.radio(key="st_x_source").set_value("csv").run()
    assert not at.exception
    return at


def upload_csv(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="st_x_csv").set_value((name, data, "text/csv")).run()
    return at


def used(at: AppTest) -> np.ndarray:
    """The sequence the page feeds the LSTM (the last valid one when the input is bad)."""
    return at.session_state["st_x_last_good"].values


def sent(at: AppTest) -> dict:
    """What the page sends the browser's stepper (lstm_vault.stepping.step_payload, plus where to open)."""
    (element,) = at.get("bidi_component")
    return json.loads(element.proto.json)


def x_shown_at(at: AppTest, t: int) -> float:
    """x_t as the stepper's header at step t shows it (three decimals, a real minus sign)."""
    header = re.fullmatch(r"t = (\d+) · unit \d+ · x\u209c = (.+)", sent(at)["headers"][t])
    assert header and int(header.group(1)) == t, sent(at)["headers"][t]
    return float(header.group(2).replace("\u2212", "-"))


def input_caption(at: AppTest) -> str:
    (caption,) = [c.value for c in at.caption if c.value.startswith("**Input:**")]
    return caption


def assert_uses(at: AppTest, values, name: str | None = None) -> None:
    """The page runs on exactly ``values``: the session's sequence, the stepper's range, the last x_t."""
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    np.testing.assert_array_equal(used(at), np.asarray(values, dtype=np.float64))
    T = len(values)
    assert sent(at)["T"] == T
    assert x_shown_at(at, T - 1) == pytest.approx(values[-1], abs=5e-4)
    assert f"T = {T}" in input_caption(at)
    if name is not None:
        assert f"column {name!r}" in input_caption(at), input_caption(at)


GOOD = b"value\n0.5\n-1.25\n2\n3\n"  # the valid file each bad-file test starts from
GOOD_VALUES = [0.5, -1.25, 2.0, 3.0]


def test_a_one_column_csv_is_the_sequence_and_the_stepper_fits_it():
    at = page_app(STEP, default_timeout=TIMEOUT).run()
    key = sent(at)["key"]  # the default sine is 100 long; the file is shorter
    at.radio(key="st_x_source").set_value("csv").run()
    # no file yet: a neutral prompt (no error, no warning), and the sine wave stays
    assert any("Upload a CSV file" in i.value for i in at.info) and not at.error and not at.warning
    assert len(used(at)) == 100
    upload_csv(at, "data.csv", b"1\n2.5\n-3\n4e-1\n")
    assert sent(at)["key"] != key and sent(at)["initial_t"] == 0  # a new input opens at t = 0
    assert_uses(at, [1, 2.5, -3, 0.4], "column 1")
    assert x_shown_at(at, 2) == -3.0
    assert "data.csv" in input_caption(at)


def test_the_sequence_runs_through_the_lstm():
    """The readings come from the hand-set LSTM run on the file's values, not only the header's x_t."""
    from lstm_vault import explain
    from lstm_vault.handset import HandSetLSTM
    from lstm_vault.stepping import runs

    at = upload_csv(csv_page(), "data.csv", GOOD)
    lt = HandSetLSTM().trace(GOOD_VALUES)  # the page's default knobs
    assert sent(at)["readings"][2] == [runs(line) for line in explain.readings(lt, 2, 0)]
    v = explain.step_values(lt, 2, 0)
    assert sent(at)["readings"][2][0][1] == "Forget gate"
    assert sent(at)["readings"][2][0][2].startswith(f" {explain.fmt_gate(v['f'])}: kept ")


def test_a_header_and_several_columns_take_the_rightmost_numbers_or_the_chosen_column():
    data = b"date,temp,rain\n2024-01-01,1.5,0\n2024-01-02,2.5,1\n2024-01-03,-3,0.25\n"
    at = upload_csv(csv_page(), "weather.csv", data)
    assert_uses(at, [0, 1, 0.25], "rain")  # dates come first: the rightmost column of numbers
    at.text_input(key="st_x_column").set_value("temp").run()
    assert_uses(at, [1.5, 2.5, -3], "temp")
    at.text_input(key="st_x_column").set_value("3").run()  # people count columns from 1
    assert_uses(at, [0, 1, 0.25], "rain")
    at.text_input(key="st_x_column").set_value(" 2 ").run()
    assert_uses(at, [1.5, 2.5, -3], "temp")


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("pressure", "no column 'pressure'; columns: date, temp, rain"),
        ("0", "columns are numbered from 1"),
        ("9", "column 8 is out of range: the file has 3 columns"),
        ("date", "row 2, column 'date': '2024-01-01' is not a number"),
        ("\u00b2", "no column '\u00b2'"),  # a digit that int() refuses
    ],
)
def test_a_bad_column_choice_is_named_and_the_last_column_stays(column, message):
    data = b"date,temp,rain\n2024-01-01,1.5,0\n2024-01-02,2.5,1\n2024-01-03,-3,0.25\n"
    at = upload_csv(csv_page(), "weather.csv", data)
    at.text_input(key="st_x_column").set_value("temp").run()
    at.text_input(key="st_x_column").set_value(column).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Input not used:") and message in errors[0], errors
    assert any("still showing the last valid one" in w.value for w in at.warning)
    np.testing.assert_array_equal(used(at), [1.5, 2.5, -3])
    assert sent(at)["T"] == 3 and "column 'temp'" in input_caption(at)


@pytest.mark.parametrize(
    ("name", "data", "values", "column"),
    [
        ("semicolons.csv", b"Jahr;Wert\n1871;1,5\n1872;-2,25\n1873;3\n", [1.5, -2.25, 3], "Wert"),
        ("tabs.tsv", b"t\tv\n1\t0.5\n2\t-0.5\n", [0.5, -0.5], "v"),
        ("bars.txt", b"t|v\n1|7\n2|8\n", [7, 8], "v"),
        ("spaces.txt", b"t   v\n1   7\n2   8\n", [7, 8], "v"),
        ("quoted.csv", b'"t","v"\n"1","1.5"\n"2","2.5"\n', [1.5, 2.5], "v"),
        ("windows.csv", b"t,v\r\n1,10\r\n2,20\r\n", [10, 20], "v"),
        ("old-mac.csv", b"v\r1\r2\r3\r", [1, 2, 3], "v"),
        ("ragged.csv", b"t,x,y\n1,2,3\n2,3,4\n3,4\n", None, None),  # rows of unequal length: see below
    ],
)
def test_separators_other_than_commas(name, data, values, column):
    at = upload_csv(csv_page(), name, data)
    if values is None:  # the sniffer gives up on ragged rows; the error still names the row and column
        assert not at.exception
        assert any("row 4, column 'y': the cell is empty" in e.value for e in at.error), at.error
        return
    assert_uses(at, values, column)


@pytest.mark.parametrize(
    ("name", "data", "values", "column"),
    [
        ("bom.csv", b"\xef\xbb\xbfvalue\n1\n2\n", [1, 2], "value"),  # Excel's UTF-8 byte-order mark
        ("utf16.csv", "t,v\n1,\u22122\n2,3\n".encode("utf-16"), [-2, 3], "v"),  # with its BOM
        ("latin1.csv", "Temp\xb0C\n1\n2\n".encode("latin-1"), [1, 2], "Temp\xb0C"),  # not UTF-8
        ("latin1.csv", "Zeit;Temp\xe9rature\n1;1,5\n2;2,5\n".encode("latin-1"), [1.5, 2.5], "Temp\xe9rature"),
        ("emoji.csv", "time,\U0001f321\ufe0f temp\n1,5\n2,6\n".encode(), [5, 6], "\U0001f321\ufe0f temp"),
        ("emoji1.csv", "\U0001f321\ufe0f temp\n5\n6\n".encode(), [5, 6], "\U0001f321\ufe0f temp"),
        ("header with spaces.csv", b"Temperature (C)\n5\n6\n", [5, 6], "Temperature (C)"),
        ("signs.csv", "v\n\u22121\n\uff12\n+3\n.5\n".encode(), [-1, 2, 3, 0.5], "v"),  # minus, full-width
    ],
)
def test_odd_encodings_and_unicode_are_read(name, data, values, column):
    assert_uses(upload_csv(csv_page(), name, data), values, column)


def test_exactly_the_maximum_length_is_accepted():
    data = b"v\n" + b"\n".join(str(k % 7).encode() for k in range(MAX_LENGTH))
    at = upload_csv(csv_page(), "long.csv", data)
    assert_uses(at, [k % 7 for k in range(MAX_LENGTH)], "v")


def big_file() -> bytes:
    data = b"v\n" + b"1\n" * (MAX_BYTES // 2)
    assert len(data) > MAX_BYTES
    return data


BAD_CSV = [
    ("empty.csv", b"", "the file is empty"),
    ("blank.csv", b"  \n\n \r\n", "the file is empty"),
    ("header.csv", b"value\n", "the file has a header but no data rows"),
    ("headers.csv", b"a,b,c\r\n", "the file has a header but no data rows"),
    ("words.csv", b"name\nada\nalan\n", "no column holds numbers (columns: name)"),
    ("typo.csv", b"v\n1\ntwo\n3\n", "row 3, column 'v': 'two' is not a number"),
    ("nan.csv", b"v\n1\nnan\n3\n", "row 3, column 'v': 'nan' is not a finite number"),
    ("NaN.csv", b"1\nNaN\n", "row 2, column 'column 1': 'NaN' is not a finite number"),
    ("inf.csv", b"v\n1\n-inf\n", "row 3, column 'v': '-inf' is not a finite number"),
    ("infinity.csv", b"v\nInfinity\n", "row 2, column 'v': 'Infinity' is not a finite number"),
    ("nan-first.csv", b"NaN\n1\n2\n", "row 1, column 'column 1': 'NaN' is not a finite number"),  # no header
    ("nan-column.csv", b"t,v\n1,nan\n2,nan\n", "row 2, column 'v': 'nan' is not a finite number"),
    ("overflow-first.csv", b"1e999\n1\n", "row 1, column 'column 1': '1e999' is too large"),
    ("overflow.csv", b"v\n1\n1e999\n", "row 3, column 'v': '1e999' is too large"),
    ("gap.csv", b"a,b\n1,2\n3,\n4,5\n", "row 3, column 'b': the cell is empty"),
    ("emoji.csv", "v\n1\n\U0001f600\n".encode(), "row 3, column 'v': '\U0001f600' is not a number"),
    ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "the file is not text (it contains NUL bytes)"),
    ("utf16-no-bom.csv", "v\n1\n2\n".encode("utf-16-le"), "the file is not text"),
    ("huge.csv", big_file(), "the file is 5.1 MB: at most 5 MB is allowed"),
    ("row.csv", b",".join([b"1"] * 20_000), "the file has 20,000 columns: at most 10,000 are allowed"),
    (
        "too-long.csv",
        b"v\n" + b"1\n" * (MAX_LENGTH + 1),
        f"the file has more than {MAX_LENGTH:,} data rows: at most {MAX_LENGTH:,} are allowed",
    ),
]


@pytest.mark.parametrize(("name", "data", "message"), BAD_CSV, ids=[c[0] for c in BAD_CSV])
def test_a_bad_csv_is_named_and_the_last_valid_sequence_stays(name, data, message):
    at = upload_csv(csv_page(), "good.csv", GOOD)
    key = sent(at)["key"]
    assert not at.error and x_shown_at(at, 1) == -1.25

    upload_csv(at, name, data)
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Input not used:") and message in errors[0], errors
    assert [w.value for w in at.warning] == [
        f"The new input was not used ({errors[0].removeprefix('Input not used: ')}); "
        "still showing the last valid one."
    ]
    # the page still runs on good.csv: same values, same range, same stepper (so the same step), same caption
    np.testing.assert_array_equal(used(at), GOOD_VALUES)
    assert sent(at)["T"] == 4 and sent(at)["key"] == key
    assert sent(at)["headers"][1] == "t = 1 · unit 0 · x\u209c = \u22121.250"
    assert "good.csv, column 'value', T = 4" in input_caption(at)

    upload_csv(at, "better.csv", b"v\n9\n8\n")  # and a good file after a bad one is used again
    assert not at.error and used(at).tolist() == [9, 8] and sent(at)["T"] == 2


def test_removing_the_file_keeps_the_last_sequence():
    at = upload_csv(csv_page(), "good.csv", GOOD)
    at.file_uploader(key="st_x_csv").clear().run()
    assert not at.exception
    assert any("Upload a CSV file" in i.value for i in at.info) and not at.error
    np.testing.assert_array_equal(used(at), GOOD_VALUES)
    assert sent(at)["T"] == 4


# ------------------------------------------------------------------------------ Train: a model file


def model_bytes(arch="lstm", I=2, H=4, O=1, layers=1, bi=False, seed=0, **meta) -> bytes:
    rnn = models.ARCHS[arch](I, H, num_layers=layers, bidirectional=bi, seed=seed)
    rng = np.random.default_rng(seed)
    D = 2 if bi else 1
    meta = {"task": "adding", "task_options": {"length": 8}, **meta}
    return modelfile.to_bytes(rnn, rng.normal(size=(O, D * H)), rng.normal(size=O), meta)


def members(data: bytes) -> dict:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def repack(arrays: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def with_meta(data: bytes, **changes) -> bytes:
    arrays = members(data)
    meta = json.loads(arrays["meta"].tobytes()) | changes
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return repack(arrays)


def with_member(data: bytes, key: str, value) -> bytes:
    return repack(members(data) | {key: value})


SPRUNG: list[str] = []  # what unpickling a Trap leaves behind


def _spring(tag: str) -> None:
    SPRUNG.append(tag)


class Trap:
    """Unpickling it calls _spring: proof that a loader unpickled the file."""

    def __reduce__(self):
        return _spring, ("unpickled",)


def pickled(member: str) -> bytes:
    """A model file with an object array (a pickle) as ``member``, checked to spring when unpickled."""
    data = with_member(model_bytes(), member, np.array([Trap()], dtype=object))
    with np.load(io.BytesIO(data), allow_pickle=True) as npz:
        npz[member]  # the payload is live: numpy with allow_pickle=True runs it
    assert SPRUNG == ["unpickled"]
    SPRUNG.clear()
    return data


def train_page() -> AppTest:
    at = page_app(TRAIN, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def upload_model(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="lv_train_upload").set_value((name, data, "application/octet-stream")).run()
    return at


def current(at: AppTest):
    return at.session_state.get("lv_current_model")


@pytest.mark.parametrize(
    ("arch", "I", "layers", "bi", "task", "predictions"),
    [
        ("lstm", 2, 1, False, "adding", True),
        ("gru", 1, 2, False, "sine", True),
        ("rnn", 1, 1, True, "sine", True),
        ("lstm", 3, 1, False, "sine", False),  # reads 3 inputs, the task gives 1: loaded, no predictions
    ],
)
def test_a_good_model_file_becomes_the_session_model(arch, I, layers, bi, task, predictions):
    at = train_page()
    assert current(at) is None
    options = {"length": 8}
    data = model_bytes(arch, I=I, H=5, layers=layers, bi=bi, seed=3, task=task, task_options=options)
    upload_model(at, "mine.npz", data)
    assert not at.exception and not at.error
    model = current(at)
    expected = modelfile.load(data)
    assert model.arch == arch and model.rnn.hidden_size == 5 and model.rnn.num_layers == layers
    assert model.rnn.bidirectional == bi and model.meta["task"] == task
    assert sorted(model.rnn.params) == sorted(expected.rnn.params)
    for key, value in expected.rnn.params.items():
        np.testing.assert_array_equal(model.rnn.params[key], value)
    np.testing.assert_array_equal(model.readout_weight, expected.readout_weight)
    (success,) = [s.value for s in at.success]
    assert success.startswith("Loaded uploaded mine.npz: ") and "hidden size 5" in success
    assert "(the model of the other pages now)" in success
    assert "hidden size 5" in at.caption[0].value  # the line naming the other pages' model
    charts = len(at.get("plotly_chart"))
    if predictions:
        assert charts == 2 and not at.info  # the empty loss plot and the predictions
    else:
        assert charts == 1
        assert [i.value for i in at.info] == [
            "No predictions: the model reads 3 inputs but task 'sine' gives 1."
        ]


def test_a_model_file_without_a_task_loads_with_a_note():
    at = upload_model(train_page(), "bare.npz", with_meta(model_bytes(), task=None))
    assert not at.exception and not at.error
    assert current(at).meta.get("task") is None and current(at).rnn.hidden_size == 4
    assert any("does not say which task" in i.value for i in at.info)


def test_a_model_file_whose_task_cannot_be_rebuilt_loads_with_a_note():
    at = upload_model(train_page(), "old.npz", model_bytes(task="adding", task_options={"length": 10**9}))
    assert not at.exception and not at.error
    assert current(at).meta["task_options"] == {"length": 10**9}
    assert any("the file's task cannot be rebuilt here" in i.value for i in at.info)


# Every kind of bad model file is refused by name in tests/test_modelfile.py; these two show how the page
# shows a refusal: before any model, and over a good one (which stays), until the box is emptied.


def test_a_bad_first_model_file_is_named_and_leaves_no_model():
    at = upload_model(train_page(), "truncated.npz", model_bytes()[:700])
    assert not at.exception
    assert [e.value for e in at.error] == [refusal("truncated.npz", model_bytes()[:700])]
    assert "corrupt or truncated" in at.error[0].value
    assert current(at) is None and not at.success
    assert "No model yet" in at.caption[0].value


def test_a_bad_model_file_is_named_the_session_model_stays_and_nothing_is_unpickled():
    at = upload_model(train_page(), "good.npz", model_bytes(H=6))
    before = current(at)
    assert before is not None and before.rnn.hidden_size == 6

    bad = pickled("meta")
    upload_model(at, "pickled.npz", bad)
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert errors == [refusal("pickled.npz", bad)] and "holds pickled Python objects" in errors[0]
    assert SPRUNG == []  # nothing was unpickled
    assert current(at) is before
    assert [s.value for s in at.success][0].startswith("Loaded uploaded good.npz: ")
    assert "hidden size 6" in at.caption[0].value

    at.run()  # the message stays while the bad file is in the box, and nothing breaks later
    assert not at.exception and [e.value for e in at.error] == errors and current(at) is before
    at.file_uploader(key="lv_train_upload").clear().run()  # emptying the box clears it, the model stays
    assert not at.exception and not at.error and current(at) is before
    assert [s.value for s in at.success][0].startswith("Loaded uploaded good.npz: ")


def refusal(name: str, data: bytes) -> str:
    """What the panel shows for a bad file: the library's message after the file's name."""
    found, message = model_upload.read_upload(name, data)
    assert found is None and message.startswith(f"{name}: ")
    return model_upload.md(message)


def test_a_model_file_too_big_to_predict_with_loads_with_a_note():
    """A model from elsewhere can be huge: its predictions are refused up front, not traced for minutes."""
    data = model_bytes("lstm", I=1, H=600, task="sine", task_options={"length": 1000})  # 8 x 1000 x 600 > 4M
    at = upload_model(train_page(), "wide.npz", data)
    assert not at.exception and not at.error
    assert current(at).rnn.hidden_size == 600
    (note,) = [i.value for i in at.info]
    assert note.startswith("No predictions: sequences of 1,000 steps through 600 hidden units are too big")
