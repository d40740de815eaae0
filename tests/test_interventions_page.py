"""Step through with an experiment set in its panel (pages/common/interventions_ui.py), in AppTest: the trace
the stepper is sent is the library's clamped trace, the note says an experiment is on, and for a trained
model the held-out losses shown are the library's; the figure holds the runs without and with."""

import json
from pathlib import Path

import numpy as np
from app_support import page_app

from lstm_vault import GateClamp, UnitAblation, experiment, modelfile, step_through
from lstm_vault.evaluation import distinct
from lstm_vault.handset import HandSetLSTM
from lstm_vault.sequences import make_sequence, preset_label
from lstm_vault.stepping import step_payload

ROOT = Path(__file__).resolve().parents[1]
STEP = "pages/1_Step_through.py"
TIMEOUT = 60


def sent(at) -> dict:
    assert not at.exception, at.exception
    (element,) = at.get("bidi_component")
    return json.loads(element.proto.json)


def assert_sends(at, lt, unit: int, label: str, encoding=None) -> None:
    data = sent(at)
    expected = step_payload(
        lt, unit, encoding=encoding, caption=step_through.readings_caption(lt, unit, label)
    )
    assert {k: data[k] for k in expected} == expected


def figure_traces(at) -> dict:
    """{(panel title, "without" | "with"): y} from the experiment's figure."""
    (chart,) = [c for c in at.get("plotly_chart") if "without" in c.proto.spec]
    spec = json.loads(chart.proto.spec)
    return {(d["meta"], d["name"]): np.array(d["y"]) for d in spec["data"]}


def test_a_clamp_on_the_hand_set_cell_is_what_the_stepper_steps_through():
    at = page_app(STEP, default_timeout=TIMEOUT).run()
    assert not at.exception and not [i for i in at.info if "Experiment on" in i.value]
    at.selectbox(key="st_exp_hkind").set_value("hide").run()
    at.multiselect(key="st_exp_hunits").set_value([1, 3])
    at.slider(key="st_exp_hsteps_hide").set_value((10, 39)).run()
    records = [GateClamp("o", 0.0, start=10, stop=40, units=(1, 3))]
    x = make_sequence("sine")
    lt = HandSetLSTM().trace(x, records)
    assert np.all(lt.h[10:40, 0, 1] == 0.0) and np.all(lt.o[10:40, 0, 3] == 0.0)
    assert_sends(at, lt, 0, preset_label("sine", x))
    (note,) = [i.value for i in at.info if "Experiment on" in i.value]
    said = experiment.describe(records, 100, 8)
    assert said == "o held at 0 for units 1, 3, steps 10 to 39"
    assert note == f"Experiment on: {said}. What you step through below is the run with it."
    # the figure follows the page's unit (0 here, not silenced): its runs without and with are the library's
    plain = HandSetLSTM().trace(x)
    shown = figure_traces(at)
    np.testing.assert_allclose(shown[("cell state c, unit 0", "without")], plain.c[:, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(shown[("cell state c, unit 0", "with")], lt.c[:, 0, 0], rtol=1e-12)
    assert not at.metric  # a hand-set cell has no task, so no held-out loss
    # the experiment off again: the plain trace
    at.selectbox(key="st_exp_hkind").set_value("none").run()
    assert_sends(at, plain, 0, preset_label("sine", x))
    assert not [i for i in at.info if "Experiment on" in i.value]


def test_silencing_a_unit_of_a_trained_model_shows_the_library_s_trace_and_held_out_losses():
    saved = modelfile.load(ROOT / "assets" / "models" / "adding_lstm.npz")
    at = page_app(STEP, default_timeout=TIMEOUT)
    at.session_state["lv_current_model"] = saved
    at.session_state["lv_current_model_version"] = 1
    at.run()
    at.selectbox(key="st_exp_tkind").set_value("silence").run()
    at.multiselect(key="st_exp_tunits").set_value([4])
    at.radio(key="st_exp_twhat").set_value("h").run()
    assert not at.exception, at.exception
    records = [UnitAblation(4, start=0, stop=100, what=("h",))]
    x, label = saved.example(0)
    lt = step_through.layer_trace(saved.rnn, x, 0, 0, records)
    assert np.all(lt.h[:, 0, 4] == 0.0)
    assert_sends(at, lt, 0, label, step_through.input_encoding(saved, 0, True))
    cmp = experiment.compare(saved, x, records)
    before, after = distinct(cmp.loss, cmp.loss_clamped)
    shown = {m.label: m.value for m in at.metric}
    assert shown == {
        "Held-out loss without (mean squared error)": before,
        "Held-out loss with the experiment (mean squared error)": after,
    }
    assert cmp.loss != cmp.loss_clamped
    assert any(f"the losses average over {cmp.examples} held-out examples" in c.value for c in at.caption)
    prose = " ".join(m.value for m in at.markdown)
    assert experiment.reading(cmp, experiment.effect(cmp, 0)) in prose
    traces = figure_traces(at)
    what, y, y_c = experiment.effect(cmp, 0).prediction
    np.testing.assert_allclose(traces[(what, "with")], y_c, rtol=1e-12)
    np.testing.assert_allclose(traces[(what, "without")], saved.predict(x)[0][:, 0, 0], rtol=1e-12)
