"""A multi-column CSV on Step through: the columns listed, in order, feed a model with that many inputs, the
names are in the input's caption, and a count that does not match the model is named.

The parsing is the library's (``userdata.parse_csv_columns``) and the sequence input's ``csv_choice``, tested
here with the file's bytes; the page test drives the real uploader through AppTest.
"""

import json
import re

import numpy as np
import pytest
from app_support import page_app
from test_figures_gradients import plotly_array

from lstm_vault import modelfile, models, step_through
from lstm_vault.userdata import column_choice, parse_csv_columns
from pages.common.sequence_input import csv_choice

WEATHER = b"date,temp,rain,wind\n2024-01-01,1.5,0,7\n2024-01-02,2.5,1,8\n2024-01-03,-3,0.25,9\n"
TEMP, RAIN, WIND = [1.5, 2.5, -3], [0, 1, 0.25], [7, 8, 9]


def test_columns_are_read_in_the_order_listed_by_name_or_number():
    x, names = parse_csv_columns(WEATHER, "wind, temp")
    assert names == ("wind", "temp")
    np.testing.assert_array_equal(x, np.column_stack([WIND, TEMP]))
    x, names = parse_csv_columns(WEATHER, "3, 2")  # counted from 1, as people count
    assert names == ("rain", "temp")
    x, names = parse_csv_columns(WEATHER, "")
    assert names == ("wind",) and x.shape == (3, 1)  # blank: the rightmost column of numbers, as before
    assert column_choice(" temp ,, 4 ") == ["temp", 3]


def test_a_column_name_with_a_comma_is_taken_whole():
    x, names = parse_csv_columns(b'"speed, km/h",v\n1,2\n3,4\n', "speed, km/h")
    assert names == ("speed, km/h",)
    np.testing.assert_array_equal(x[:, 0], [1, 3])


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ("temp, temp", "column 'temp' is chosen twice"),
        ("temp, 0", "columns are numbered from 1"),
        ("temp, date", "row 2, column 'date': '2024-01-01' is not a number"),
        ("temp, pressure", "no column 'pressure'; columns: date, temp, rain, wind"),
    ],
)
def test_a_bad_list_of_columns_is_named(choice, message):
    with pytest.raises(ValueError, match=message):
        parse_csv_columns(WEATHER, choice)


def test_the_sequence_input_gives_a_model_its_columns_and_names_a_count_that_does_not_fit():
    choice = csv_choice("weather.csv", WEATHER, "temp, wind")
    assert choice.columns == ("temp", "wind") and "columns 'temp', 'wind', T = 3" in choice.label
    np.testing.assert_array_equal(choice.values, TEMP)  # the hand-set LSTM reads the first column
    two, three = models.LSTM(2, 3), models.LSTM(3, 3)
    x = step_through.model_input(two, choice.matrix, choice.columns)
    np.testing.assert_array_equal(x[:, 0], np.column_stack([TEMP, WIND]))
    message = "This model reads 3 numbers per step; the input has 2 columns ('temp', 'wind')"
    with pytest.raises(step_through.InputMismatch, match=re.escape(message)):
        step_through.model_input(three, choice.matrix, choice.columns)


def two_input_model() -> bytes:
    rnn = models.LSTM(2, 3, seed=1)
    rng = np.random.default_rng(1)
    meta = {"encoding": {"type": "real", "offset": 0.0, "scale": 1.0}}
    return modelfile.to_bytes(rnn, rng.normal(size=(1, 3)), rng.normal(size=1), meta)


def test_a_two_column_csv_feeds_a_two_input_model_on_step_through():
    from pages.common.session import CURRENT_MODEL_KEY, VERSION_KEY

    at = page_app("pages/1_Step_through.py", default_timeout=30)
    at.session_state[CURRENT_MODEL_KEY] = modelfile.load(two_input_model())
    at.session_state[VERSION_KEY] = 1
    at.run()
    assert at.radio(key="st_model_source").value == "trained model"  # it names no task: it reads the input
    at.radio(key="st_x_source").set_value("csv").run()
    at.file_uploader(key="st_x_csv").set_value(("weather.csv", WEATHER, "text/csv")).run()
    # one column for a model of two inputs: named, and the page carries on
    assert any("This model reads 2 numbers per step; the input has 1 column ('wind')" in w.value
               for w in at.warning)  # fmt: skip
    at.text_input(key="st_x_column").set_value("rain, temp").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("2 columns: a trained model with 2 inputs reads them all" in c.value for c in at.caption)
    (element,) = at.get("bidi_component")
    sent = json.loads(element.proto.json)
    assert sent["T"] == 3
    assert sent["headers"][2].endswith("x\u209c = [0.250, \u22123.000]")  # (rain, temp) at t = 2
    assert any("columns 'rain', 'temp'" in c.value for c in at.caption)
    last = at.session_state["st_x_last_good"]
    np.testing.assert_array_equal(last.matrix, np.column_stack([RAIN, TEMP]))
    # the timeline's input row: one row per chosen column, named, holding that column's numbers
    timeline_spec = json.loads(at.get("plotly_chart")[-1].proto.spec)
    (row,) = [tr for tr in timeline_spec["data"] if tr.get("name") == "input"]
    assert row["y"] == ["rain", "temp"]
    np.testing.assert_allclose(plotly_array(row["z"]), np.column_stack([RAIN, TEMP]).T)
