"""stepping.step_payload: the numbers, readings, headers and cell a browser steps through are the trace's."""

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from lstm_vault import GRU, LSTM, RNN, explain
from lstm_vault.figures import drawing
from lstm_vault.sequences import make_sequence
from lstm_vault.stepping import decode_f32, series_names, step_payload

SVG = "{http://www.w3.org/2000/svg}"
EVIL = ["<script>window.__pwned = 1</script>", '<img src=x onerror="window.__pwned = 1">']


def trace(H=5, T=20, arch=LSTM, I=1, seed=0):
    x = make_sequence("noisy_sine", T * I, seed=seed).reshape(T, 1, I)
    return arch(I, H, seed=seed).forward(x)[2].layers[0][0]


def markdown(runs: list[str]) -> str:
    """Runs (plain and bold in turn) back into the markdown they came from."""
    return "".join(f"**{r}**" if i % 2 else r for i, r in enumerate(runs))


@pytest.mark.parametrize("arch", [LSTM, GRU, RNN])
def test_every_value_of_every_unit_equals_the_trace_to_float32(arch):
    lt = trace(arch=arch)
    p = step_payload(lt, 2)
    T, H = lt.h.shape[0], lt.h.shape[-1]
    assert (p["T"], p["H"], p["arch"], p["units"], p["note"]) == (T, H, arch.arch, list(range(H)), None)
    assert set(p["series"]) == set(series_names(arch.arch))
    for name in series_names(arch.arch):
        expected = getattr(lt, name)[:, 0, :]
        got = decode_f32(p["series"][name], (T, H))
        np.testing.assert_array_equal(got, expected.astype(np.float32))  # float32 of the trace, nothing lost
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    assert json.loads(json.dumps(p)) == p  # JSON as it is


@pytest.mark.parametrize("arch", [LSTM, GRU, RNN])
def test_readings_and_headers_are_the_explain_module_s_at_every_step(arch):
    lt = trace(arch=arch)
    unit = 3
    p = step_payload(lt, unit)
    for t in range(lt.h.shape[0]):
        assert [markdown(r) for r in p["readings"][t]] == explain.readings(lt, t, unit)
        x_t = explain.describe_input(lt.x[t, 0], None, 3)
        assert p["headers"][t] == f"t = {t} · unit {unit} · x\u209c = {x_t}"
    assert p["caption"] is None


def test_headers_name_one_hot_characters_from_the_encoding():
    vocab = "ab "
    x = np.eye(3)[[0, 2, 1]].reshape(3, 1, 3)
    lt = LSTM(3, 2, seed=0).forward(x)[2].layers[0][0]
    p = step_payload(lt, 0, encoding={"type": "chars", "vocab": vocab}, caption="Input: **ab**.")
    assert [h.split("x\u209c = ")[1] for h in p["headers"]] == ["'a'", "'␣'", "'b'"]
    assert p["caption"] == ["Input: ", "ab", "."]


def filled(p: dict, t: int) -> tuple[list[str], list[tuple[float, float]]]:
    """The template with step t's frame put in, as a browser does: (every text, every fill's y and height)."""
    root = ET.fromstring(p["cell"]["svg"])
    cell = p["cell"]
    labels = dict(zip(cell["text_keys"], cell["texts"][t]))
    fills = cell["fills"][t]
    boxes = {k: (fills[2 * i], fills[2 * i + 1]) for i, k in enumerate(cell["fill_keys"])}
    texts = [labels.get(el.get("data-text"), el.text or "") for el in root.iter(SVG + "text")]
    rects = [boxes[el.get("data-fill")] for el in root.iter(SVG + "rect") if el.get("class") == "lv-fill"]
    return texts, rects


@pytest.mark.parametrize("arch,I", [(LSTM, 1), (GRU, 1), (RNN, 1), (LSTM, 3)])
def test_template_plus_a_frame_is_the_cell_svg_of_that_step(arch, I):
    lt = trace(arch=arch, I=I)
    unit = 1
    p = step_payload(lt, unit)
    for t in (0, 7, lt.h.shape[0] - 1):
        x_text = None if I == 1 else explain.describe_input(lt.x[t, 0], None)
        svg = drawing.cell_svg(explain.step_values(lt, t, unit), unit, t, x_text, 420, arch.arch)
        root = ET.fromstring(svg)
        texts = [el.text or "" for el in root.iter(SVG + "text")]
        rects = [el for el in root.iter(SVG + "rect") if el.get("class") == "lv-fill"]
        assert filled(p, t) == (texts, [(float(r.get("y")), float(r.get("height"))) for r in rects])
    # the template is the same drawing with its slots empty: nothing of the data in it
    slots = [el for el in ET.fromstring(p["cell"]["svg"]).iter(SVG + "text") if el.get("data-text")]
    assert [el.get("data-text") for el in slots] == p["cell"]["text_keys"] and not any(
        el.text for el in slots
    )
    assert p["cell"]["svg"] == step_payload(trace(arch=arch, I=I, seed=7), unit)["cell"]["svg"]


def test_a_gate_s_fill_is_as_tall_as_its_value():
    lt = trace()
    p = step_payload(lt, 0)
    t = 11
    fills = dict(zip(p["cell"]["fill_keys"], np.reshape(p["cell"]["fills"][t], (-1, 2))))
    for gate in "fio":
        height = fills[gate][1] / drawing.SVG_SCALE / drawing.GATE_H
        assert height == pytest.approx(getattr(lt, gate)[t, 0, 0], abs=0.01)


def test_above_the_byte_cap_only_the_shown_unit_is_sent_with_a_note():
    lt = trace(H=6)
    full = step_payload(lt, 4)
    small = step_payload(lt, 4, max_bytes=full["bytes"] - 1)
    T = lt.h.shape[0]
    assert small["units"] == [4] and small["timeline"]["row"] == 0
    np.testing.assert_array_equal(
        decode_f32(small["series"]["c"], (T, 1))[:, 0], lt.c[:, 0, 4].astype(np.float32)
    )
    assert small["note"] == (
        f"Only unit 4's numbers are sent to the browser: all 6 units would take "
        f"{full['bytes'] / 1e6:.1f} MB, above the {(full['bytes'] - 1) / 1e6:g} MB a view may take."
    )
    assert small["bytes"] < full["bytes"] and small["fingerprint"] != full["fingerprint"]
    assert (
        small["readings"] == full["readings"] and small["cell"] == full["cell"]
    )  # the shown unit's all the same
    assert "all 6 units" in full["timeline"]["label"] and "unit 4 over time" in small["timeline"]["label"]


def test_size_and_fingerprint_describe_the_content():
    lt = trace()
    p = step_payload(lt, 1)
    body = {k: v for k, v in p.items() if k not in ("bytes", "fingerprint")}
    assert p["bytes"] == len(json.dumps(body))
    assert step_payload(lt, 1)["fingerprint"] == p["fingerprint"]  # the same view: the browser keeps its step
    assert step_payload(lt, 2)["fingerprint"] != p["fingerprint"]
    assert step_payload(trace(seed=1), 1)["fingerprint"] != p["fingerprint"]


def test_markup_in_input_labels_stays_a_string_and_never_reaches_the_template():
    lt = trace(T=4)
    labels = [EVIL[0], EVIL[1], "a & b", "<b>bold</b>"]
    p = step_payload(lt, 0, x_labels=labels)
    assert p["cell"]["svg"] == step_payload(lt, 0, x_labels=["a", "b", "c", "d"])["cell"]["svg"]
    assert not re.search(r"<script|<img|onerror", p["cell"]["svg"])
    x_slot = p["cell"]["text_keys"].index("x")
    for t, label in enumerate(labels):
        assert p["headers"][t].endswith(f"x\u209c = {label}")  # the browser writes it with textContent
        assert p["cell"]["texts"][t][x_slot] == f"x\u209c = {label}"


def test_bad_arguments_are_named():
    lt = trace(H=3, T=5)
    with pytest.raises(ValueError, match=r"unit must be in \[0, 2\], got 3"):
        step_payload(lt, 3)
    with pytest.raises(ValueError, match="2 input labels for 5 steps"):
        step_payload(lt, 0, x_labels=["a", "b"])


def test_the_prediction_beside_the_cell_and_on_it_is_the_read_out_s_at_every_step():
    from lstm_vault import predictions
    from lstm_vault.modelfile import SavedModel

    vocab = "ab <"
    model = LSTM(4, 3, seed=2)
    W = np.random.default_rng(0).standard_normal((4, 3))
    saved = SavedModel(model, W, np.zeros(4), {"encoding": {"type": "chars", "vocab": vocab}})
    ids = np.array([0, 3, 2, 1, 1])
    x = np.eye(4)[ids][:, None, :]
    p = predictions.predict_steps(saved, x, target=np.roll(ids, -1), example=True)
    lt = model.forward(x)[2].layers[0][0]
    shares = predictions.contributions(saved, p, lt.h[:, 0, 1], 1)
    payload = step_payload(lt, 1, prediction=p, shares=shares)
    keys = payload["cell"]["text_keys"]
    for t in range(len(ids)):
        assert payload["prediction"][t] == predictions.panel(p, t)
        shown = dict(zip(keys, payload["cell"]["texts"][t]))
        labels = predictions.readout_labels(p, t, float(shares[t]), 1)
        assert {k: shown[k] for k in labels} == labels
        best = int(np.argmax(p.probs[t]))
        assert shown["share"] == f"unit 1: w·h = {explain.fmt(W[best, 1] * lt.h[t, 0, 1])} of its logit"
    assert step_payload(lt, 1)["prediction"] is None
    with pytest.raises(ValueError, match="predictions for 5 steps, a trace of 4"):
        step_payload(model.forward(x[:4])[2].layers[0][0], 1, prediction=p)
