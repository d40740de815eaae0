"""pages/4_Reading_the_memory.py under AppTest: at its defaults, with each shipped model and with the
session's text and series models, the coloured text is sent the library's payload (its values the trace's);
the units found and the saturation sentences are the library's; writing shows the written text coloured
and names unknown prompt characters; a model it cannot read is named."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from app_support import page_app

from lstm_vault import LSTM, generate, memory_view, modelfile
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
