"""The Step through page's library side: the hand-set cell's knobs (bounds, link checks, help sentences whose
numbers are the cell's own) and lstm_vault.step_through (trace budget, encoding, captions, link warnings, the
read-out beside the cell and the next-number windows)."""

import math
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from lstm_vault import GRU, LSTM, explain, predictions, step_through
from lstm_vault.figures.cell import MAX_LINE_UNITS
from lstm_vault.handset import KNOBS, MAX_HAND_SET_UNITS, HandSetLSTM
from lstm_vault.modelfile import SavedModel, load
from lstm_vault.sequences import MAX_SEED, make_sequence
from lstm_vault.tasks import NextNumber


def sig(b: float) -> float:
    return 1 / (1 + math.exp(-b))


def test_every_field_of_the_hand_set_cell_is_a_knob_with_its_default_inside_its_bounds():
    assert list(KNOBS) == [f.name for f in fields(HandSetLSTM)]
    for knob in KNOBS.values():
        assert knob.low <= knob.default <= knob.high and knob.step > 0, knob.name
        assert knob.whole == (knob.name in ("H", "seed")) and knob.label and knob.help
    assert (KNOBS["H"].low, KNOBS["H"].high) == (1, MAX_HAND_SET_UNITS)
    assert KNOBS["seed"].high == MAX_SEED == 2**31 - 1


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("H", "16", 16),
        ("H", "64", 64),
        ("seed", "3", 3),
        ("bf", "2.5", 2.5),
        ("bf", "-8", -8.0),
        ("hh", "0", 0.0),
    ],
)
def test_a_knob_reads_a_valid_link_value_and_writes_it_back_the_same(name, text, value):
    knob = KNOBS[name]
    assert knob.parse(text) == value and type(knob.parse(text)) is type(knob.default)
    assert knob.link_warning(text, knob.default) is None
    assert knob.parse(knob.link_text(value) or str(knob.default)) == value  # a round trip through the link
    assert knob.link_text(knob.default) is None  # the default leaves the address clean
    assert KNOBS["seed"].link_text(MAX_SEED) == "2147483647"  # whole, not 2.14748e+09


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "H",
            "999",
            "link parameter H='999' ignored: Hidden size H (units) must be a whole number from 1 to 64",
        ),
        ("H", "2.5", "H='2.5' ignored: Hidden size H (units) must be a whole number from 1 to 64"),
        ("H", "0", "H='0' ignored"),
        ("seed", "-1", "Weight seed must be a whole number from 0 to 2,147,483,647"),
        ("bf", "nan", "link parameter bf='nan' ignored: Forget-gate bias b_f must be from \u22128 to 8"),
        ("bf", "inf", "bf='inf' ignored"),
        ("scale", "-1", "scale='-1' ignored: Weight scale must be from 0 to 10"),
        ("bi", "abc", "bi='abc' ignored"),
    ],
)
def test_a_bad_link_value_is_named_with_the_knob_s_bounds_and_the_value_used(name, text, message):
    knob = KNOBS[name]
    with pytest.raises(ValueError):
        knob.parse(text)
    warning = knob.link_warning(text, knob.default)
    assert message in warning and warning.endswith(f"; using {knob.default:g}"), warning


def test_the_forget_bias_help_states_the_cell_s_own_gate_values_and_half_lives():
    text = KNOBS["bf"].help
    f3 = sig(3.0)
    assert (
        f"b_f = 3 gives f = {f3:.2f}: a memory halves {explain.fmt_half_life(explain.half_life(f3))}" in text
    )
    assert f"b_f = 0 gives {sig(0):.2f}: it halves at every step" in text
    assert (
        f"b_f = \u22121 gives {sig(-1):.2f}" in text and f"still keeps {explain.pct(sig(-1))} of it" in text
    )
    assert "wiped at every step" not in text
    # and the cell agrees: with the weights at 0 the forget gate is exactly σ(b_f)
    lt = HandSetLSTM(H=2, bf=3.0, scale=0.0).trace(np.zeros(5))
    np.testing.assert_allclose(lt.f[:, 0, :], f3, rtol=1e-12)


def test_the_candidate_bias_help_states_where_the_memory_settles_in_the_cell():
    text = KNOBS["bg"].help
    lt = HandSetLSTM(H=2, bf=1.0, bi=0.0, bg=1.0, scale=0.0).trace(np.zeros(400))
    c = lt.c[:, 0, 0]
    assert abs(c[-1] - c[-2]) < 1e-12  # settled, not drifting
    assert "c = i\u00b7g / (1 \u2212 f)" in text and f"b_g = 1: c = {c[-1]:.2f})" in text
    assert "drifts" not in text


def test_the_hand_set_cell_s_trace_is_its_model_s_and_its_caption_names_every_setting():
    x = make_sequence("impulse", 20)
    cell = HandSetLSTM(H=4, seed=2, bf=4.0, bi=4.0, scale=3.0, hh=0.0)
    np.testing.assert_array_equal(
        cell.trace(x).c, cell.build().forward(x.reshape(-1, 1, 1))[2].layers[0][0].c
    )
    assert cell.describe() == (
        "hand-set LSTM, H = 4, b_f = 4, b_i = 4, b_o = 0, b_g = 0, weights ×3, recurrent weights ×0"
    )
    assert HandSetLSTM().describe() == "hand-set LSTM, H = 8, b_f = 1, b_i = 0, b_o = 0, b_g = 0, weights ×1"


def test_a_trained_trace_past_the_budget_is_refused_with_the_numbers():
    rnn = LSTM(1, 1100, seed=0)
    with pytest.raises(ValueError) as err:
        step_through.layer_trace(rnn, np.zeros((2000, 1, 1)))
    size = 2000 * 1100
    assert size > step_through.MAX_TRACE_CELLS
    assert f"T x H x layers x directions = {size:,}; at most {step_through.MAX_TRACE_CELLS:,}" in str(
        err.value
    )


def test_a_layer_trace_is_the_model_s_own_layer_and_direction():
    rnn = GRU(2, 3, num_layers=2, bidirectional=True, seed=1)
    x = np.random.default_rng(0).standard_normal((7, 1, 2))
    lt = step_through.layer_trace(rnn, x, layer=1, direction=1)
    np.testing.assert_array_equal(lt.h, rnn.forward(x)[2].layers[1][1].h)


def test_only_layer_zero_fed_a_task_example_names_its_inputs():
    saved = SimpleNamespace(rnn=LSTM(3, 2), meta={"encoding": {"type": "chars", "vocab": "abc"}})
    assert step_through.input_encoding(saved, 0, True) == {"type": "chars", "vocab": "abc"}
    assert step_through.input_encoding(saved, 1, True) is None  # reads the hidden states below
    assert step_through.input_encoding(saved, 0, False) is None  # reads the hand-typed sequence
    assert step_through.unsteppable(saved) is None
    assert "no NumPy recurrent part" in step_through.unsteppable(SimpleNamespace(meta={}))


@pytest.mark.parametrize("H", [MAX_LINE_UNITS, MAX_LINE_UNITS + 1])
def test_the_timeline_caption_says_lines_or_heatmaps_as_the_figure_draws(H):
    caption = step_through.timeline_caption(H)
    assert ("One line per unit." in caption) == (H <= MAX_LINE_UNITS)
    assert ("Each heatmap row is one unit" in caption) == (H > MAX_LINE_UNITS)


@pytest.mark.parametrize(
    ("text", "H", "bad"),
    [("3", 4, False), ("3.0", 4, False), ("4", 4, True), ("2.5", 4, True), ("x", 4, True)],
)
def test_a_unit_in_a_link_is_checked_against_the_model(text, H, bad):
    warning = step_through.unit_link_warning(text, H, 0)
    assert (warning is not None) == bad
    if bad:
        assert (
            f"unit={text!r} is not a unit of this model (a whole number from 0 to {H - 1}); showing unit 0"
            in (warning)
        )


@pytest.mark.parametrize(
    ("text", "bad"), [("0", False), ("59", False), ("60", True), ("-1", True), ("six", True)]
)
def test_a_step_in_a_link_is_checked_against_the_sequence(text, bad):
    warning = step_through.step_link_warning(text, 60, 59)
    assert (warning is not None) == bad
    if bad:
        assert warning.endswith("(a whole number from 0 to 59); opening at t = 59")


def test_the_unlinked_note_names_what_an_address_cannot_carry():
    assert step_through.unlinked_note(False, "preset", True) is None
    assert "the session's trained model" in step_through.unlinked_note(True, "preset", True)
    assert "an uploaded file" in step_through.unlinked_note(False, "csv", False)
    assert "a long typed list" in step_through.unlinked_note(False, "typed", False)
    assert "the shipped next-number LSTM" in step_through.unlinked_note(
        True, "preset", True, "the shipped next-number LSTM"
    )


# ------------------------------------------------------------------------------ predictions beside the cell

NEXT_NUMBER = Path(__file__).resolve().parents[1] / "assets" / "models" / "next_number_lstm.npz"


def test_a_window_of_the_input_is_read_in_the_model_s_units_and_scored_at_its_last_step():
    saved = load(NEXT_NUMBER)
    numbers = np.arange(1.0, 11.0)
    assert step_through.window_width(saved) == 3
    assert step_through.window_options(numbers, 3) == [f"{k:g}, {k + 1:g}, {k + 2:g}" for k in range(1, 9)]
    x, p, label = step_through.window_input(saved, numbers, 4, 3)
    np.testing.assert_array_equal(x[:, 0, 0], np.array([5.0, 6.0, 7.0]) / NextNumber.SCALE)
    assert label == "numbers 5, 6, 7"
    np.testing.assert_array_equal(p.value, NextNumber.SCALE * saved.predict(x)[0][:, 0, 0])
    np.testing.assert_allclose(p.target, [6.0, 7.0, 8.0])  # the next number after each step
    np.testing.assert_array_equal(p.scored, [False, False, True])
    _, last, _ = step_through.window_input(saved, numbers, 7, 3)
    assert np.isnan(last.target[-1])  # no number after 8, 9, 10
    rows = [
        predictions.WindowRow((1.0, 2.0, 3.0), 3.996, 4.0),
        predictions.WindowRow((2.0, 3.0, 4.0), 5.0, None),
    ]
    assert step_through.window_table_columns(rows) == {
        "window": ["1, 2, 3", "2, 3, 4"],
        "predicted next": ["4.00", "5.00"],
        "true next": ["4", "—"],
    }
    caption = step_through.window_caption(saved, 3)
    assert "windows of 3 numbers" in caption and f"divided by {NextNumber.SCALE:g} on the way in" in caption
    assert "divided by 10 as in training" in step_through.standardised_windows_warning(saved)
    assert step_through.window_width(load_shipped("adding_lstm")) is None


def load_shipped(name):
    return load(NEXT_NUMBER.with_name(f"{name}.npz"))


def test_a_model_fed_the_user_s_input_is_read_in_its_own_units_and_every_step_counts():
    saved = load_shipped("adding_lstm")
    x = np.random.default_rng(0).random((6, 1, 2))
    p = step_through.model_prediction(saved, x)
    np.testing.assert_array_equal(p.value, saved.predict(x)[0][:, 0, 0])
    assert p.scored.all() and np.isnan(p.target).all()
    nn = load(NEXT_NUMBER)
    typed = np.arange(1.0, 6.0).reshape(-1, 1, 1)
    p = step_through.model_prediction(nn, typed)  # fed as it is: no scale applied either way
    np.testing.assert_array_equal(p.value, nn.predict(typed)[0][:, 0, 0])
    np.testing.assert_array_equal(p.target[:-1], typed[1:, 0, 0])


def test_the_read_out_share_is_drawn_only_for_the_layer_it_reads():
    model = LSTM(1, 3, num_layers=2, seed=0)
    saved = SavedModel(model, np.ones((1, 3)), np.zeros(1), {})
    x = np.linspace(0, 1, 5).reshape(5, 1, 1)
    p = step_through.model_prediction(saved, x)
    layers = model.forward(x)[2].layers
    assert step_through.readout_shares(saved, p, layers[0][0], 0, 0, 1) is None
    np.testing.assert_array_equal(
        step_through.readout_shares(saved, p, layers[1][0], 1, 0, 1), layers[1][0].h[:, 0, 1]
    )
    assert step_through.readout_shares(saved, None, layers[1][0], 1, 0, 1) is None


def test_input_names_are_the_user_s_columns_or_the_csv_model_s_own():
    from types import SimpleNamespace

    csv_model = SimpleNamespace(meta={"encoding": {"columns": ["temp", "rain"]}})
    assert step_through.input_names(csv_model, ("a", "b"), True, 2) == (
        "a",
        "b",
    )  # the user's input: its names
    assert step_through.input_names(csv_model, ("a", "b"), False, 2) == ("temp", "rain")  # its own example
    assert step_through.input_names(None, ("a",), True, 1) is None  # one input: the row is a line, unnamed
    assert step_through.input_names(None, ("a", "b"), True, 3) is None  # names that do not fit the input
    assert step_through.input_names(SimpleNamespace(meta={}), (), False, 2) is None


# ------------------------------------------------------------------------------------------ input scaling


def _model(meta: dict, inputs: int = 1):
    return SavedModel(LSTM(inputs, 3, seed=0), np.zeros((1, 3)), np.zeros(1), meta)


def test_a_series_model_reads_raw_numbers_scaled_as_its_task_fed_it():
    co2 = load(Path(__file__).resolve().parents[1] / "assets" / "models" / "co2_forecaster.npz")
    enc = co2.meta["encoding"]
    offset, scale = step_through.input_scaling(co2)
    assert offset.tolist() == [enc["offset"]] and scale.tolist() == [enc["scale"]]
    raw = np.array([330.0, 331.5, 340.0]).reshape(3, 1, 1)
    assert np.array_equal(step_through.scaled_input(co2, raw), (raw - enc["offset"]) / enc["scale"])
    note = step_through.scaling_note(co2)
    assert f"(x − {enc['offset']:.4g}) ÷ {enc['scale']:.4g}" in note and "back into your units" in note


def test_a_csv_model_scales_each_column_with_its_training_rows_values():
    meta = {"encoding": {"type": "real", "offset": 5.0, "scale": 2.0, "input_offset": [1.0, -3.0],
                         "input_scale": [0.5, 4.0]}}  # fmt: skip
    model = _model(meta, inputs=2)
    x = np.array([[2.0, 1.0], [0.0, -7.0]]).reshape(2, 1, 2)
    assert np.array_equal(step_through.scaled_input(model, x), (x - [1.0, -3.0]) / [0.5, 4.0])
    note = step_through.scaling_note(model, ("wind", "temp"))
    assert "'wind': (x − 1) ÷ 0.5; 'temp': (x + 3) ÷ 4" in note
    assert "'input 1': (x − 1) ÷ 0.5" in step_through.scaling_note(model)  # no column names given


def test_a_divisor_is_said_as_a_division():
    model = _model({"encoding": {"type": "real", "offset": 0.0, "scale": 10.0}})
    assert step_through.scaling_note(model).startswith("The model reads each of your numbers divided by 10,")
    x = np.arange(4.0).reshape(4, 1, 1)
    assert np.array_equal(step_through.scaled_input(model, x), x / 10)


@pytest.mark.parametrize(
    "meta",
    [
        {},
        {"encoding": {"type": "real", "offset": 0.0, "scale": 1.0}},
        {"encoding": {"type": "chars", "vocab": "ab"}},
        {"encoding": {"type": "real", "offset": float("nan"), "scale": 1.0}},
        {"encoding": {"type": "real", "offset": 1.0, "scale": 0.0}},
        {
            "encoding": {"type": "real", "input_offset": [1.0, 2.0], "input_scale": [1.0, 1.0]}
        },  # 2 for 1 input
        {"encoding": {"type": "real", "offset": "a lot", "scale": 1.0}},
    ],
)
def test_numbers_are_read_as_they_are_where_no_usable_scaling_is_recorded(meta):
    model = _model(meta)
    assert step_through.input_scaling(model) is None and step_through.scaling_note(model) == ""
    x = np.ones((2, 1, 1))
    assert step_through.scaled_input(model, x) is x
