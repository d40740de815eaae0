"""lstm_vault.memory_view and lstm_vault.figures.memory: the held-out text, the payload's values equal the
trace's, the byte cap, the units found and the sentences that say so, and the figures' numbers."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest

from lstm_vault import GRU, LSTM, modelfile
from lstm_vault.figures.memory import saturation_figure, series_figure
from lstm_vault.generate import one_hot
from lstm_vault.memory import UnitMatch, series_features, text_features
from lstm_vault.memory_view import (
    MIN_CHARS,
    QUANTITIES,
    feature_rows,
    found_sentence,
    held_out_text,
    series_input,
    series_view,
    text_payload,
    text_view,
    top_units,
    value_range,
)
from lstm_vault.saturation import saturation
from lstm_vault.stepping import decode_f32
from lstm_vault.tasks.data import encoded_text, load_text, read_series, split_index

MODELS = Path(__file__).resolve().parents[1] / "assets" / "models"


def plotly_array(value) -> np.ndarray:
    """An array as plotly's JSON holds it: a list, or a typed array {"dtype", "bdata"}."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).astype(float)
    return np.array(value, dtype=float)


def figure_data(fig) -> list[dict]:
    """The traces as the page sends them (the figure's JSON)."""
    return json.loads(fig.to_json())["data"]


@pytest.fixture(scope="module")
def sonnets():
    return modelfile.load(MODELS / "text_lstm.npz")


@pytest.fixture(scope="module")
def sonnets_view(sonnets):
    return text_view(sonnets, held_out_text("sonnets", MIN_CHARS), "sonnets")


def test_the_text_is_held_out_and_starts_a_line():
    for source in ("sonnets", "python"):
        full, split = load_text(source), encoded_text(source)[2]
        text = held_out_text(source, 2500)
        start = full.index(text, split - 1)
        assert len(text) == 2500 and start > split and full[start - 1] == "\n"
    with pytest.raises(ValueError, match="from 2000 to 5000"):
        held_out_text("sonnets", 100)


def test_the_view_ranks_every_unit_against_the_features_of_its_text(sonnets, sonnets_view):
    view = sonnets_view
    H = sonnets.rnn.hidden_size
    assert view.quantity == "c" and len(view.text) == MIN_CHARS
    # prose: apostrophes are not quotes
    assert list(view.features) == list(text_features(view.text, quote_chars='"'))
    assert len(view.matches) == H * len(view.features)
    _, _, trace = sonnets.rnn.forward(one_hot(view.text, sonnets.meta["encoding"]["vocab"]))
    np.testing.assert_array_equal(view.layer_trace.c, trace.layers[0][0].c)


def test_the_payload_carries_every_quantity_of_every_unit_as_the_trace_has_them(sonnets_view):
    lt, text = sonnets_view.layer_trace, sonnets_view.text
    top = top_units(sonnets_view.matches)
    p = text_payload(lt, text, unit=5, suggested=top)
    T, H = len(text), lt.h.shape[-1]
    assert p["text"] == text and p["T"] == T and p["units"] == list(range(H)) and p["note"] is None
    assert p["quantities"] == list(QUANTITIES["lstm"]) and p["unit"] == 5 and p["quantity"] == "c"
    values = decode_f32(p["values"], (6, T, H))
    for k, q in enumerate(p["quantities"]):
        np.testing.assert_array_equal(values[k], getattr(lt, q)[:, 0, :].astype(np.float32))
    c_max = np.abs(lt.c[:, 0, :]).max(axis=0)
    np.testing.assert_allclose([hi for _, hi in p["ranges"][0]], c_max, rtol=1e-6)
    assert p["ranges"][2][0] == [0.0, 1.0] and p["ranges"][1][0] == [-1.0, 1.0]  # i in (0, 1), h in (-1, 1)
    assert [s["unit"] for s in p["suggested"]] == [m.unit for m in top]
    assert p["suggested"][0]["label"].startswith(f"unit {top[0].unit}: {top[0].feature}, r = ")


def test_above_the_byte_cap_only_the_units_that_fit_are_sent_the_chosen_and_suggested_first(sonnets_view):
    lt, text = sonnets_view.layer_trace, sonnets_view.text
    T, H = len(text), lt.h.shape[-1]
    per_unit = 4 * ((4 * 6 * T + 2) // 3)
    suggested = [UnitMatch(40, "vowel", 0.5), UnitMatch(2, "indent", -0.4)]
    p = text_payload(lt, text, unit=33, suggested=suggested, max_bytes=4 * per_unit)
    assert p["units"] == [0, 2, 33, 40] and p["unit"] == 33
    assert p["note"].startswith(f"Only 4 of the {H} units are sent")
    values = decode_f32(p["values"], (6, T, 4))
    np.testing.assert_array_equal(values[1], lt.h[:, 0, [0, 2, 33, 40]].astype(np.float32))  # h


def test_the_payload_names_what_does_not_fit(sonnets_view):
    lt = sonnets_view.layer_trace
    with pytest.raises(ValueError, match="the text has 3 characters, the trace 2000 steps"):
        text_payload(lt, "abc")
    with pytest.raises(ValueError, match="not 'r'"):
        text_payload(lt, sonnets_view.text, quantity="r")


def test_value_ranges():
    v = np.array([[0.5, -3.0, 0.0], [-2.0, 1.0, 0.0]])
    lo, hi = value_range("c", v)
    np.testing.assert_array_equal(hi, [2.0, 3.0, 1.0])  # a unit at 0 throughout gets (-1, 1)
    np.testing.assert_array_equal(lo, -hi)
    assert value_range("f", v)[1].tolist() == [1.0] * 3 and value_range("g", v)[0].tolist() == [-1.0] * 3


def test_units_found_and_the_features_with_none():
    matches = [
        UnitMatch(3, "line_position", -0.74),
        UnitMatch(3, "indent", 0.6),
        UnitMatch(8, "indent", 0.55),
        UnitMatch(1, "vowel", 0.31),
        UnitMatch(4, "in_quotes", 0.29),
        UnitMatch(4, "vowel", 0.1),
    ]
    # each feature's best unit first (unit 3 once), then the next strongest; unit 4 is below 0.3
    assert top_units(matches) == [matches[0], matches[3], matches[2]]
    rows = feature_rows(matches)
    assert [r["feature"] for r in rows] == ["line_position", "indent", "vowel", "in_quotes"]
    assert rows[0]["finding"] == "unit 3 follows it (r = −0.74)"
    assert rows[3]["finding"] == "none found: the best, unit 4, has |r| = 0.29, below 0.3"
    assert found_sentence(rows) == (
        "3 of the 4 features have a unit that follows them with |r| ≥ 0.3; for in_quotes none was found."
    )
    weak = feature_rows([UnitMatch(0, "a", 0.1), UnitMatch(0, "b", -0.2)])
    assert found_sentence(weak) == "No unit follows any of the 2 features with |r| ≥ 0.3: none was found."


def test_the_saturation_figure_holds_one_point_a_unit_right_across_left_up(sonnets_view):
    sat = saturation(sonnets_view.layer_trace)
    data = figure_data(saturation_figure(sat))
    assert [tr["name"] for tr in data] == ["input gate i", "forget gate f", "output gate o"]
    for trace, gate in zip(data, sat):
        left, right = sat[gate]
        np.testing.assert_array_equal(plotly_array(trace["x"]), right)
        np.testing.assert_array_equal(plotly_array(trace["y"]), left)
    with pytest.raises(ValueError, match="no gates"):
        saturation_figure({})


def tiny_series_model(task: str) -> modelfile.SavedModel:
    rnn = LSTM(1, 4, seed=1)
    meta = {"task": task, "task_options": {}, "encoding": {"type": "real"}}
    return modelfile.SavedModel(rnn, np.ones((1, 4)), np.zeros(1), meta)


def test_a_series_model_reads_the_held_out_series_and_is_ranked_on_its_features():
    saved = tiny_series_model("nile")
    x, values, labels, title = series_input(saved)
    dates, raw = read_series("nile")
    split = split_index(len(raw))
    np.testing.assert_allclose(values, raw[split:], rtol=1e-12)
    assert labels == dates[split:] and x.shape == (len(raw) - split, 1, 1) and "held-out" in title
    view = series_view(saved)
    assert list(view.features) == list(series_features(values)) and len(view.matches) == 4 * 3
    sine = series_view(tiny_series_model("sine"))  # no shipped series: one held-out example of the task
    assert sine.labels == tuple(range(len(sine.values)))
    fig = series_figure(view.labels, view.values, view.layer_trace.c[:, 0, 2], 2, "c", -1.5, 1.5)
    marker = figure_data(fig)[1]["marker"]
    np.testing.assert_array_equal(plotly_array(marker["color"]), view.layer_trace.c[:, 0, 2])
    assert (marker["cmin"], marker["cmax"]) == (-1.5, 1.5)
    with pytest.raises(ValueError, match="one value per step"):
        series_input(modelfile.SavedModel(LSTM(3, 2), np.ones((1, 2)), np.zeros(1), {}))


def test_a_gru_text_model_sends_h_and_its_gates():
    vocab = "ab\n"
    rnn = GRU(len(vocab), 3, seed=0)
    text = "ab\nba\n" * 400
    saved = modelfile.SavedModel(
        rnn, np.ones((3, 3)), np.zeros(3), {"encoding": {"type": "chars", "vocab": vocab}}
    )
    view = text_view(saved, text)
    assert view.quantity == "h"
    p = text_payload(view.layer_trace, text, unit=2)
    assert p["quantities"] == ["h", "r", "z", "n"] and p["quantity"] == "h"
    values = decode_f32(p["values"], (4, len(text), 3))
    np.testing.assert_array_equal(values[2], view.layer_trace.z[:, 0, :].astype(np.float32))
    assert p["ranges"][1][0] == [0.0, 1.0] and p["ranges"][3][0] == [-1.0, 1.0]
