"""pages/4_Reading_the_memory.py under AppTest: at its defaults, with each shipped model and with the
session's text and series models, the coloured text is sent the library's payload (its values the trace's);
the units found and the saturation sentences are the library's; writing shows the written text coloured
and names unknown prompt characters; a model it cannot read is named. With an experiment set in its panel
(clamps and ablations) the text or series is coloured by the library's clamped run, the note says so, and the
held-out losses without and with are the library's."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from app_support import page_app
from test_memory_view import plotly_array

from lstm_vault import LSTM, GateClamp, UnitAblation, experiment, generate, memory_view, modelfile
from lstm_vault.evaluation import distinct
from lstm_vault.saturation import saturation, saturation_sentences
from lstm_vault.stepping import decode_f32
from pages.common.session import CURRENT_MODEL_KEY, VERSION_KEY

PAGE = "pages/4_Reading_the_memory.py"
ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "assets" / "models"


def components(at) -> list[dict]:
    out = []
    for element in at.get("bidi_component"):
        assert element.proto.component_name == "lstm_vault_memory_text"
        out.append(json.loads(element.proto.json))
    return out


def opened(query: dict | None = None, session_model=None):
    at = page_app(PAGE)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    if session_model is not None:
        at.session_state[CURRENT_MODEL_KEY] = session_model
        at.session_state[VERSION_KEY] = 1
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def expected_view(saved, source: str, n_chars: int = memory_view.MIN_CHARS):
    return memory_view.text_view(saved, memory_view.held_out_text(source, n_chars), source)


def check_text_page(at, saved, source: str, n_chars: int = memory_view.MIN_CHARS) -> dict:
    """The page's coloured text is the library's payload over the held-out text, values as the trace's."""
    view = expected_view(saved, source, n_chars)
    (data,) = [d for d in components(at) if d["key"] == "mem_held_out"]
    top = memory_view.top_units(view.matches)
    want = memory_view.text_payload(
        view.layer_trace, view.text, unit=top[0].unit if top else 0, suggested=top, caption=data["caption"]
    )
    assert data == {**want, "key": "mem_held_out", "group": "memory", "lead": True}
    T, H = len(view.text), saved.rnn.hidden_size
    values = decode_f32(data["values"], (6, T, H))
    np.testing.assert_array_equal(values[0], view.layer_trace.c[:, 0, :].astype(np.float32))
    # the units found, and the saturation sentences, as the library computes them
    rows = memory_view.feature_rows(view.matches)
    assert memory_view.found_sentence(rows) in [m.value for m in at.markdown]
    assert any(f"over the {n_chars:,} steps shown" in c.value for c in at.caption)
    table = at.dataframe[0].value
    assert list(table["feature"]) == [r["feature"] for r in rows]
    np.testing.assert_allclose(table["r"], [r["r"] for r in rows])
    sentences = [f"- {s}" for s in saturation_sentences(saturation(view.layer_trace))]
    assert [m.value for m in at.markdown if m.value.startswith("- ")] == sentences
    return data


def test_at_defaults_the_sonnets_model_colours_its_held_out_text():
    at = opened()
    assert at.radio(key="model").value == "Sonnets"
    check_text_page(at, modelfile.load(MODELS / "text_lstm.npz"), "sonnets")


def experiment_note(at) -> list[str]:
    return [i.value for i in at.info if i.value.startswith("Experiment on")]


def test_silencing_a_unit_of_the_sonnets_model_colours_the_text_by_the_clamped_run():
    saved = modelfile.load(MODELS / "text_lstm.npz")
    view = expected_view(saved, "sonnets")
    top = memory_view.top_units(view.matches)
    at = page_app(PAGE, default_timeout=120).run()
    # at its defaults no experiment is on: the panel starts on the unit the text opens on, and nothing is run
    assert at.selectbox(key="mem_exp_textkind").value == "none"
    assert not experiment_note(at) and not at.metric
    at.selectbox(key="mem_exp_textkind").set_value("silence").run()
    assert at.multiselect(key="mem_exp_textunits").value == [top[0].unit]
    unit = next(u for u in range(saved.rnn.hidden_size) if u != top[0].unit)
    at.multiselect(key="mem_exp_textunits").set_value([unit])
    at.slider(key="mem_exp_textsteps_silence").set_value((20, 1999)).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    records = [UnitAblation(unit, start=20, stop=2000, what=("h", "c"))]
    x = generate.one_hot(view.text, generate.vocabulary(saved))
    lt = saved.rnn.forward(x, clamps=records)[2].layers[0][0]
    assert np.all(lt.c[20:, 0, unit] == 0.0) and np.any(
        lt.c[20:, 0, top[0].unit] != view.layer_trace.c[20:, 0, top[0].unit]
    )
    (data,) = [d for d in components(at) if d["key"] == "mem_held_out"]
    want = memory_view.text_payload(lt, view.text, unit=unit, suggested=top, caption=data["caption"])
    assert data == {**want, "key": "mem_held_out", "group": "memory", "lead": True}
    assert "the run with the experiment" in data["caption"]
    said = experiment.describe(records, len(view.text), saved.rnn.hidden_size)
    assert experiment_note(at) == [f"Experiment on: {said}. What you step through below is the run with it."]
    cmp = experiment.compare(saved, x, records)
    before, after = distinct(cmp.loss, cmp.loss_clamped)
    assert {m.label: m.value for m in at.metric} == {
        "Held-out loss without (cross-entropy)": before,
        "Held-out loss with the experiment (cross-entropy)": after,
    }
    assert cmp.loss != cmp.loss_clamped and not at.warning
    prose = " ".join(m.value for m in at.markdown)
    assert experiment.reading(cmp, experiment.effect(cmp, unit)) in prose
    # started after the held-out examples end (the task's length), it leaves their loss as it is: said so
    length = saved.task().length
    at.slider(key="mem_exp_textsteps_silence").set_value((length, 1999)).run()
    assert [m.value for m in at.metric] == [before, before]  # the loss without, both times
    assert [w.value for w in at.warning] == [
        f"The held-out loss averages over examples of the model's task, each {length:,} steps long: an "
        f"experiment that starts at step {length:,} does not reach them, so the loss with it is the loss "
        "without. Start it earlier to see the loss move."
    ]
    # the experiment off again: the text is the plain run's, and the losses go
    at.selectbox(key="mem_exp_textkind").set_value("none").run()
    check_text_page(at, saved, "sonnets")
    assert not experiment_note(at) and not at.metric


def test_the_python_model_and_more_characters_through_the_link():
    if not (MODELS / "python_lstm.npz").exists():
        pytest.fail("assets/models/python_lstm.npz is missing")
    at = opened({"model": "Python", "chars": "2500"})
    data = check_text_page(at, modelfile.load(MODELS / "python_lstm.npz"), "python", 2500)
    assert data["T"] == 2500


def test_the_session_text_model_and_writing_with_unknown_prompt_characters():
    saved = modelfile.load(MODELS / "text_lstm.npz")
    at = opened(session_model=saved)  # a model new to the page is shown at once
    assert at.radio(key="model").value == "Train page"
    check_text_page(at, saved, "sonnets")
    at.text_area[0].input("Shall I <b>é")
    at.slider[0].set_value(0.5)
    at.button[0].click().run()
    assert not at.exception
    result = generate.generate(saved, "Shall I <b>é", 400, 0.5, 0)
    unknown = set("Shall I <b>é") - set(generate.vocabulary(saved))
    assert unknown and set(result.unknown) == unknown
    (warning,) = at.warning
    assert "left out" in warning.value and all(f"U\\+{ord(ch):04X}" in warning.value for ch in unknown)
    held, written = components(at)
    assert written["text"] == result.full and written["key"] == "mem_written_text" and not written["lead"]
    share = round(100 * result.argmax_share)
    assert written["caption"] == (
        f"{len(result.used_prompt)} prompt characters, then 400 written at temperature 0.5 with seed 0; "
        f"{share}% of the written characters were the model's most likely one at their step."
    )
    _, _, trace = saved.rnn.forward(generate.one_hot(result.full, generate.vocabulary(saved)))
    values = decode_f32(written["values"], (6, len(result.full), saved.rnn.hidden_size))
    np.testing.assert_array_equal(values[3], trace.layers[0][0].f[:, 0, :].astype(np.float32))
    assert held["fingerprint"] == check_text_page(at, saved, "sonnets")["fingerprint"]


def test_a_session_series_model_colours_its_series():
    rnn = LSTM(1, 5, seed=2)
    meta = {"task": "nile", "task_options": {}, "encoding": {"type": "real"}}
    saved = modelfile.SavedModel(rnn, np.ones((1, 5)), np.zeros(1), meta)
    at = opened(session_model=saved)
    view = memory_view.series_view(saved)
    unit = memory_view.top_units(view.matches)[0].unit if memory_view.top_units(view.matches) else 0
    (unit_input,) = [w for w in at.number_input if w.key.startswith("mem_series_unit_")]
    assert unit_input.value == unit
    (chart, _) = at.get("plotly_chart")
    spec = json.loads(chart.proto.spec)
    assert spec["data"][1]["marker"]["cmax"] == pytest.approx(
        float(np.abs(view.layer_trace.c[:, 0, unit]).max())
    )
    unit_input.set_value((unit + 1) % 5).run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["data"][1]["name"] == f"unit {(unit + 1) % 5}"
    rows = memory_view.feature_rows(view.matches)
    assert list(at.dataframe[0].value["feature"]) == [r["feature"] for r in rows]
    # a smaller model arrives: the unit kept for the old one does not break the page
    at.session_state[CURRENT_MODEL_KEY] = modelfile.SavedModel(
        LSTM(1, 2, seed=3), np.ones((1, 2)), np.zeros(1), meta
    )
    at.session_state[VERSION_KEY] = 2
    at.run()
    assert not at.exception and not at.error
    (unit_input,) = [w for w in at.number_input if w.key.startswith("mem_series_unit_")]
    assert unit_input.max == 1


def test_a_clamp_on_a_session_series_model_colours_the_series_by_the_clamped_run():
    rnn = LSTM(1, 5, seed=2)
    meta = {"task": "nile", "task_options": {}, "encoding": {"type": "real"}}
    saved = modelfile.SavedModel(rnn, np.ones((1, 5)), np.zeros(1), meta)
    at = opened(session_model=saved)
    (unit_input,) = [w for w in at.number_input if w.key.startswith("mem_series_unit_")]
    unit = int(unit_input.value)
    at.selectbox(key="mem_exp_serieskind").set_value("gate").run()
    assert at.multiselect(key="mem_exp_seriesunits").value == [unit]
    at.selectbox(key="mem_exp_seriesgate").set_value("f")
    at.slider(key="mem_exp_seriesvalue").set_value(0.0).run()
    assert not at.exception, at.exception
    x, *_ = memory_view.series_input(saved)
    T = x.shape[0]
    records = [GateClamp("f", 0.0, start=0, stop=T, units=(unit,))]
    lt = rnn.forward(x, clamps=records)[2].layers[0][0]
    assert np.all(lt.f[:, 0, unit] == 0.0)
    assert np.any(lt.c[:, 0, unit] != rnn.forward(x)[2].layers[0][0].c[:, 0, unit])
    series = json.loads(at.get("plotly_chart")[0].proto.spec)
    np.testing.assert_allclose(
        plotly_array(series["data"][1]["marker"]["color"]), lt.c[:, 0, unit], rtol=1e-12
    )
    said = experiment.describe(records, T, 5)
    assert experiment_note(at) == [f"Experiment on: {said}. What you step through below is the run with it."]
    cmp = experiment.compare(saved, x, records)
    before, after = distinct(cmp.loss, cmp.loss_clamped)
    assert {m.label: m.value for m in at.metric} == {
        "Held-out loss without (mean squared error)": before,
        "Held-out loss with the experiment (mean squared error)": after,
    }


def test_a_model_that_reads_neither_text_nor_a_series_is_named():
    saved = modelfile.SavedModel(LSTM(3, 4), np.ones((1, 4)), np.zeros(1), {"task": "adding"})
    at = page_app(PAGE)
    at.session_state[CURRENT_MODEL_KEY] = saved
    at.session_state[VERSION_KEY] = 1
    at.run()
    assert not at.exception
    assert "reads 3 values per step (adding)" in at.info[0].value
    assert not components(at)


def test_the_page_imports_no_torch():
    code = (
        "import sys; sys.path.insert(0, 'tests'); from app_support import page_app;"
        f"at = page_app({PAGE!r}).run();"
        "assert not at.exception, at.exception; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stdout + out.stderr


def test_the_component_writes_data_as_text_only():
    """The data (characters, labels) reaches the page through textContent; no HTML parser is ever called."""
    js = (ROOT / "pages" / "common" / "memory_text.js").read_text(encoding="utf-8")
    for parser in ("innerHTML", "outerHTML", "insertAdjacentHTML", "DOMParser", "document.write", "eval("):
        assert parser not in js
    assert "textContent = ch" in js
