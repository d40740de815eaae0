"""Step through in AppTest: the predictions the stepper is sent (a text model's top-5 next characters, the
adding model's answer, the next-number windows, the hand-set cell's fitted read-out) equal
SavedModel.predict's, computed here; the hand-kept link is in the address before the first widget is drawn."""

import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from app_support import page_app

from lstm_vault import explain, modelfile
from lstm_vault.handset import HandSetLSTM
from lstm_vault.sequences import make_sequence

ROOT = Path(__file__).resolve().parents[1]
STEP = str(ROOT / "pages" / "1_Step_through.py")
MODELS = ROOT / "assets" / "models"
TIMEOUT = 60
VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥"}


def sent(at) -> dict:
    assert not at.exception, at.exception
    (element,) = at.get("bidi_component")
    return json.loads(element.proto.json)


def with_model(path: Path):
    at = page_app(STEP, default_timeout=TIMEOUT)
    model = modelfile.load(path)
    at.session_state["lv_current_model"] = model
    at.session_state["lv_current_model_version"] = 1
    return at.run(), model


def test_a_text_model_is_sent_its_top_5_next_characters_and_the_one_that_came():
    at, model = with_model(MODELS / "text_lstm.npz")
    data = sent(at)
    batch = model.task().validation(1, seed=0)
    y = model.predict(np.asarray(batch.x[:, :1], dtype=np.float64))[0][:, 0]  # (T, O) logits
    probs = np.exp(y - y.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    vocab = model.meta["encoding"]["vocab"]
    shown = [f"'{VISIBLE.get(c, c)}'" for c in vocab]
    assert len(data["prediction"]) == y.shape[0]
    for t in (0, 7, y.shape[0] - 1):
        panel = data["prediction"][t]
        best = np.argsort(-probs[t], kind="stable")[:5]
        assert panel["rows"] == [[shown[c], f"{100 * probs[t, c]:.1f} %"] for c in best]
        came = int(batch.y[t, 0])
        assert panel["lines"][-1].startswith(f"came: {shown[came]} (given {100 * probs[t, came]:.1f} %")
        assert not panel["muted"]  # a text model is scored at every step
        y_slot = data["cell"]["texts"][t][data["cell"]["text_keys"].index("y")]
        assert y_slot == f"ŷ\u209c: {shown[best[0]]} {100 * probs[t, best[0]]:.0f} %"
    timeline = json.loads(at.get("plotly_chart")[-1].proto.spec)["layout"]["meta"]["prediction"]
    np.testing.assert_allclose(timeline["y"], probs[np.arange(y.shape[0]), batch.y[:, 0]], rtol=1e-12)


def test_the_adding_model_is_sent_its_answer_at_the_last_step_and_earlier_outputs_marked_untrained():
    at, model = with_model(MODELS / "adding_lstm.npz")
    data = sent(at)
    batch = model.task().validation(1, seed=0)
    x = np.asarray(batch.x[:, :1], dtype=np.float64)
    y = model.predict(x)[0][:, 0, 0]
    first, second = np.flatnonzero(batch.x[:, 0, 1])
    target = float(batch.x[first, 0, 0]) + float(batch.x[second, 0, 0])
    T = x.shape[0]
    last = data["prediction"][T - 1]
    assert not last["muted"] and last["lines"] == []
    assert last["rows"] == [
        ["predicted", explain.fmt(y[-1])],
        ["target", explain.fmt(target)],
        ["error", explain.fmt(y[-1] - target)],
    ]
    for t in (0, T // 2):
        panel = data["prediction"][t]
        assert panel["muted"] and panel["rows"] == [["predicted", explain.fmt(y[t])]]
        assert panel["lines"] == ["untrained output (the model is scored on the last step only)"]
        assert data["cell"]["texts"][t][data["cell"]["text_keys"].index("note")] == "untrained output"
    assert data["cell"]["texts"][T - 1][data["cell"]["text_keys"].index("note")] == ""
    timeline = json.loads(at.get("plotly_chart")[-1].proto.spec)["layout"]["meta"]["prediction"]
    np.testing.assert_allclose(timeline["y"], y, rtol=1e-12)
    assert timeline["scored"] == [False] * (T - 1) + [True]


def test_the_next_number_lstm_reads_each_window_of_1_to_10_from_a_zero_state():
    at = page_app(STEP, default_timeout=TIMEOUT).run()
    at.radio(key="st_model_source").set_value("next-number LSTM").run()
    model = modelfile.load(MODELS / "next_number_lstm.npz")
    numbers = make_sequence("counting")
    np.testing.assert_array_equal(numbers, np.arange(1, 11))  # the classic example, set by the switch
    (table,) = at.table
    columns = table.value
    scale = model.meta["encoding"]["scale"]
    for k in range(len(numbers) - 2):
        window = numbers[k : k + 3]
        predicted = scale * model.predict((window / scale).reshape(3, 1, 1))[0][-1, 0, 0]
        assert columns["window"].iloc[k] == ", ".join(f"{v:g}" for v in window)
        assert columns["predicted next"].iloc[k] == f"{predicted:.2f}"
        assert columns["true next"].iloc[k] == (f"{numbers[k + 3]:g}" if k + 3 < 10 else "—")
    data = sent(at)
    assert data["T"] == 3 and data["headers"][0].endswith(f"x\u209c = {explain.fmt(0.1, 3)}")
    first = scale * model.predict((numbers[:3] / scale).reshape(3, 1, 1))[0][:, 0, 0]
    assert data["prediction"][2]["rows"][:2] == [["predicted", explain.fmt(first[2])], ["target", "4.00"]]
    assert data["prediction"][0]["muted"] and not data["prediction"][2]["muted"]
    at.selectbox(key="st_window").set_value(4).run()  # numbers 5, 6, 7
    data = sent(at)
    assert data["prediction"][2]["rows"][1] == ["target", explain.fmt(8.0)]
    at.selectbox(key="st_x_preset").set_value("sine").run()  # 100 numbers: 98 windows, the first 20 listed
    (table,) = at.table
    assert len(table.value) == 20 and "The first 20 of 98 windows." in [c.value for c in at.caption]


def test_the_hand_set_cell_s_read_out_is_fitted_by_least_squares_and_says_so():
    at = page_app(STEP, default_timeout=TIMEOUT).run()
    assert sent(at)["prediction"] is None  # off until switched on
    at.toggle(key="st_readout").set_value(True).run()
    data = sent(at)
    x = make_sequence("sine")
    h = HandSetLSTM().build().forward(x.reshape(-1, 1, 1))[0][:, 0]
    A = np.hstack([h[:-1], np.ones((len(x) - 1, 1))])
    coef, *_ = np.linalg.lstsq(A, x[1:], rcond=None)
    fitted = np.hstack([h, np.ones((len(x), 1))]) @ coef
    rmse = np.sqrt(np.mean((A @ coef - x[1:]) ** 2))
    for t in (0, 50):
        panel = data["prediction"][t]
        assert panel["rows"][:2] == [["predicted", explain.fmt(fitted[t])], ["target", explain.fmt(x[t + 1])]]
        assert "Read-out fitted by least squares, not trained." in panel["lines"]
    assert "least squares," in data["cell"]["svg"] and "not trained" in data["cell"]["svg"]
    captions = " ".join(c.value for c in at.caption)
    assert f"root-mean-square error **{explain.fmt(rmse)}**" in captions and "not trained" in captions


def test_the_hand_kept_link_is_in_the_address_before_the_first_widget(monkeypatch):
    """After a visit to another page (its address bare), H, the seed and the input are written before the
    bound widgets are drawn: Streamlit's browser side drops an address written after them."""
    at = page_app(STEP, default_timeout=TIMEOUT).run()
    at.number_input(key="st_H").set_value(5).run()
    at.number_input(key="st_seed").set_value(3).run()
    at.radio(key="st_x_source").set_value("typed").run()
    assert at.query_params["H"] == "5" and at.query_params["x"] == "1,2,3,4,5,6,7,8,9,10"
    seen = {}
    number_input = st.number_input

    def spy(*args, **kwargs):
        if kwargs.get("key") == "bf" and not seen:
            seen.update(st.query_params.to_dict())
        return number_input(*args, **kwargs)

    monkeypatch.setattr(st, "number_input", spy)
    at.query_params.clear()  # back from another page through the sidebar: a bare address
    at.run()
    assert {k: seen.get(k) for k in ("H", "seed", "x")} == {
        "H": "5",
        "seed": "3",
        "x": "1,2,3,4,5,6,7,8,9,10",
    }
    assert sent(at)["H"] == 5


@pytest.mark.parametrize("name", ["copy_lstm", "next_number_lstm"])
def test_every_shipped_model_with_a_read_out_shows_a_prediction_at_every_step(name):
    at, model = with_model(MODELS / f"{name}.npz")
    data = sent(at)
    assert len(data["prediction"]) == data["T"] and all(p["rows"] for p in data["prediction"])
