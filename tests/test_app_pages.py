"""Home and Step through in AppTest: no exception; the slider moves numbers; bad input errors; links work."""

import base64
import html
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from app_support import page_app
from streamlit.testing.v1 import AppTest

from lstm_vault import GRU, LSTM, RNN, explain
from lstm_vault.cells import LSTM_GATES
from lstm_vault.sequences import make_sequence

ROOT = Path(__file__).resolve().parents[1]
HOME = str(ROOT / "app.py")
STEP = str(ROOT / "pages" / "1_Step_through.py")
TIMEOUT = 30


def step_page(**params) -> AppTest:
    at = page_app(STEP, default_timeout=TIMEOUT)
    at.query_params.update({k: str(v) for k, v in params.items()})
    return at.run()


def readings(at) -> str:
    """The html element with the header and the readings at step t."""
    texts = [
        h.proto.body
        for h in at.get("html")
        if "Forget gate" in h.proto.body or "No gates" in h.proto.body or "Reset gate" in h.proto.body
    ]
    assert len(texts) == 1, texts
    return texts[0]


def drawn_cell(html_body: str) -> str:
    """The SVG markup of the drawn cell inside the step's html element (an <img> with a data URI)."""
    (data,) = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html_body)
    return base64.b64decode(data).decode()


def task_example_trace(saved_model, example_seed: int = 0):
    """The layer trace the page shows for a trained model fed its task's held-out example."""
    from lstm_vault.tasks import get_task

    task = get_task(saved_model.meta["task"], **saved_model.meta.get("task_options", {}))
    x = np.asarray(task.validation(1, example_seed).x, dtype=np.float64)[:, :1]
    return saved_model.rnn.forward(x)[2].layers[0][0]


def expected_lstm_trace(x, H=8, seed=0, bf=1.0, bi=0.0, bo=0.0, scale=1.0, bg=0.0, hh=1.0):
    """The page's contract for the knobs: bias_ih slice = knob, bias_hh slice = 0, weights times scale."""
    model = LSTM(1, H, seed=seed)
    p = {k: v.copy() for k, v in model.params.items()}
    p["weight_ih_l0"] *= scale
    p["weight_hh_l0"] *= scale * hh
    for gate, b in (("f", bf), ("i", bi), ("o", bo), ("g", bg)):
        k = LSTM_GATES.index(gate)
        p["bias_ih_l0"][k * H : (k + 1) * H], p["bias_hh_l0"][k * H : (k + 1) * H] = b, 0.0
    return model.load_params(p).forward(np.asarray(x).reshape(-1, 1, 1))[2].layers[0][0]


# ------------------------------------------------------------------------------------------ home


def test_home_runs_and_shows_the_equations_from_explain():
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    assert not at.exception
    shown = [latex.value for latex in at.latex]
    for arch in ("lstm", "gru", "rnn"):
        assert any(explain.latex_block(arch) in value for value in shown), arch
    prose = " ".join(" ".join(m.value.split()) for m in at.markdown)
    assert "conveyor belt" in prose
    for name in ("learn gate", "forget gate", "remember gate", "use gate", "long-term memory"):
        assert f"**{name}**" in prose, name


def home_prose(at) -> str:
    return " ".join(" ".join(m.value.split()) for m in at.markdown)


def test_home_says_memory_lasts_only_while_f_is_near_1_with_computed_numbers():
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    prose = home_prose(at)
    f3 = 1 / (1 + math.exp(-3.0))  # the forget gate at b_f = 3 when the rest of its sum is 0
    assert f"at f = {f3:.2f} (a forget bias of 3" in prose
    assert f"they halve {explain.fmt_half_life(explain.half_life(f3))};" in prose
    f100 = 0.5 ** (1 / 100)
    assert explain.half_life(f100) == pytest.approx(100)
    assert f"f must stay above {explain.fmt_gate(f100)}" in prose and "hundreds of steps" not in prose
    # g is the candidate, not a gate: three gates, and the caption does not count four
    assert "Three **gates**" in prose and "candidate** *g*" in prose and "not a gate" in prose
    captions = " ".join(c.value for c in at.caption)
    assert "feeds the three gates and the candidate" in captions and "four gates" not in captions + prose


def test_home_history_credits_what_each_paper_showed():
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    prose = home_prose(at)
    history = prose[prose.index("Networks with memory came before") :]
    tdnn, rest = history.split("Elman's", 1)
    assert "fixed window" in tdnn and "cannot use anything older than the window" in tdnn
    assert "gradient" not in tdnn and "signal" not in tdnn  # a TDNN's limit is its window, not BPTT
    assert "Hochreiter analysed this vanishing gradient in his 1991 diploma thesis" in rest
    assert "Bengio, Simard and Frasconi (1994)" in rest
    assert "no forget gate" in rest and "The forget gate came in 2000 (Gers, Schmidhuber and Cummins)" in rest
    assert "without the peephole connections" in rest


def test_home_gru_text_states_the_codes_z_convention():
    from lstm_vault.cells import GATES

    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    prose = home_prose(at)
    assert "h = (1 \u2212 z) \u2299 n + z \u2299 h\u209c\u208b\u2081" in prose and "swap the roles" in prose
    assert explain.EQUATIONS["gru"][-1].latex == r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}"
    # and the code does it: z near 1 keeps the old state (biases of +30 on z, weights 0)
    gru = GRU(1, 2, seed=0)
    params = {k: np.zeros_like(v) for k, v in gru.params.items()}
    k = GATES["gru"].index("z")
    params["bias_ih_l0"][2 * k : 2 * k + 2] = 30.0
    h0 = np.array([[[0.3, -0.7]]])  # (layers x directions, B, H)
    out = gru.load_params(params).forward(np.ones((3, 1, 1)), h0)[2].layers[0][0].h
    np.testing.assert_allclose(out[-1], h0[0], atol=1e-12)


def test_home_draws_the_symbolic_cell():
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    (drawn,) = [h.proto.body for h in at.get("html") if "data:image/svg+xml" in h.proto.body]
    (data,) = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', drawn)
    svg = base64.b64decode(data).decode()
    assert "<title>The LSTM cell</title>" in svg and ">cell state: the conveyor belt</text>" in svg
    assert 'alt="The LSTM cell: ' in drawn


def test_home_imports_no_torch():
    code = (
        "import sys; from streamlit.testing.v1 import AppTest;"
        f"at = AppTest.from_file({HOME!r}, default_timeout=60).run();"
        "assert not at.exception, at.exception; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stdout + out.stderr


# ------------------------------------------------------------------------------ step through


def test_step_page_defaults_show_step_zero():
    at = step_page()
    assert not at.exception
    assert at.slider(key="st_t").value == 0 and at.slider(key="st_t").label == "timestep t"
    assert "t = 0 · unit 0" in readings(at)
    assert at.query_params["preset"] == "sine" and at.query_params["t"] == "0"


def test_moving_the_slider_changes_the_numbers_shown():
    at = step_page(preset="sine", T=200, H=32)
    lt = expected_lstm_trace(make_sequence("sine", 200), H=32)
    before = readings(at)
    at.slider(key="st_t").set_value(57).run()
    assert not at.exception
    after = readings(at)
    assert after != before and "t = 57 · unit 0" in after
    v = explain.step_values(lt, 57, 0)
    assert f"<b>Forget gate</b> {v['f']:.2f}" in after and f"h = <b>{explain.fmt(v['h'])}</b>" in after
    assert at.query_params["t"] == "57"
    svg = drawn_cell(after)  # the drawn cell (an SVG image in the same html element): step 57's numbers
    assert "<title>The LSTM cell at step t = 57, unit 0</title>" in svg
    for key in ("f", "i", "g", "o"):
        assert f">{key} = {explain.fmt(v[key])}</text>" in svg
    assert f">c\u209c = {explain.fmt(v['c'])}</text>" in svg


def test_next_previous_and_unit_buttons():
    at = step_page(T=30)
    at.button(key="st_next").click().run()
    at.button(key="st_next").click().run()
    assert at.slider(key="st_t").value == 2 and "t = 2" in readings(at)
    at.button(key="st_prev").click().run()
    assert at.slider(key="st_t").value == 1
    at.number_input(key="st_unit").set_value(3).run()
    assert "unit 3" in readings(at) and at.query_params["unit"] == "3"


def test_play_advances_and_pause_stops():
    at = step_page(T=30)
    at.button(key="st_play").click().run()
    assert at.session_state["st_playing"] and at.button(key="st_play").label.endswith("Pause")
    at.run()  # a timer tick: the fragment reruns with no click and moves on
    assert at.slider(key="st_t").value > 0
    at.button(key="st_play").click().run()
    t = at.slider(key="st_t").value
    at.run()
    assert not at.session_state["st_playing"] and at.slider(key="st_t").value == t


def test_forget_bias_knob_opens_the_forget_gate():
    at = step_page(preset="impulse", H=4)
    at.number_input(key="st_bf").set_value(6.0).run()
    at.slider(key="st_t").set_value(20).run()
    lt = expected_lstm_trace(make_sequence("impulse", 60), H=4, bf=6.0)
    assert lt.f[20, 0, 0] > 0.99
    assert f"<b>Forget gate</b> {lt.f[20, 0, 0]:.4f}: kept &gt;99%" in readings(at)  # html-escaped


def test_link_parameters_set_the_widgets():
    at = step_page(preset="square", T=50, H=16, seed=3, bf=2.5, bi=-1, bo=0.5, scale=2, t=20, unit=5)
    assert not at.exception and not at.warning
    assert at.selectbox(key="st_x_preset").value == "square" and at.number_input(key="st_x_T").value == 50
    assert at.number_input(key="st_H").value == 16 and at.number_input(key="st_seed").value == 3
    assert (
        at.number_input(key="st_bf").value,
        at.number_input(key="st_bi").value,
        at.number_input(key="st_bo").value,
    ) == (
        2.5,
        -1,
        0.5,
    )
    assert at.number_input(key="st_scale").value == 2 and at.slider(key="st_t").value == 20
    lt = expected_lstm_trace(make_sequence("square", 50), H=16, seed=3, bf=2.5, bi=-1, bo=0.5, scale=2)
    assert "t = 20 · unit 5" in readings(at) and f"{lt.f[20, 0, 5]:.2f}" in readings(at)


@pytest.mark.parametrize(
    ("params", "warning"),
    [
        ({"preset": "bogus"}, "preset='bogus' is not one of"),
        ({"T": "abc"}, "T ignored: 'abc' is not a whole number"),
        ({"T": "99999"}, "T ignored: the length must be from 1 to 2000"),
        ({"H": "999"}, "H='999' ignored"),
        ({"H": "2.5"}, "H='2.5' ignored"),
        ({"bf": "nan"}, "bf='nan' ignored"),
        ({"scale": "-1"}, "scale='-1' ignored"),
        ({"t": "9999"}, "t=9999 ignored"),
        ({"unit": "x"}, "unit='x' ignored"),
        ({"x": "1,2,zebra"}, "x ignored"),
    ],
)
def test_bad_link_parameters_fall_back_with_a_warning(params, warning):
    at = step_page(**params)
    assert not at.exception
    assert any(warning in w.value for w in at.warning), [w.value for w in at.warning]
    assert "Forget gate" in readings(at)


def test_typed_numbers_are_used():
    at = step_page()
    at.radio(key="st_x_source").set_value("typed").run()
    at.text_area(key="st_x_text").set_value("0.5, -1; 2\n3 \u22124").run()  # a Unicode minus too
    assert not at.exception and not at.error
    assert at.slider(key="st_t").max == 4 and at.query_params["x"] == "0.5,-1,2,3,-4"
    at.slider(key="st_t").set_value(4).run()
    assert "x\u209c = \u22124.000" in readings(at)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no numbers found"),
        ("1, 2, nan", "'nan' is not a finite number"),
        ("1, two, 3", "'two' is not a number"),
        ("1e999", "too large"),
        ("1, 2, \U0001f600", "is not a number"),
        (", ".join(["1"] * 2001), "at most 2,000"),
    ],
)
def test_bad_typed_input_shows_the_error_and_keeps_the_last_sequence(text, message):
    at = step_page()
    at.radio(key="st_x_source").set_value("typed").run()
    at.text_area(key="st_x_text").set_value("1, 2, 3").run()
    at.text_area(key="st_x_text").set_value(text).run()
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert at.slider(key="st_t").max == 2 and "Forget gate" in readings(at)  # still the 3 numbers before


def saved(rnn, task="sine", **options):
    return SimpleNamespace(rnn=rnn, meta={"task": task, "task_options": options})


@pytest.mark.parametrize("arch", [LSTM, GRU, RNN])
def test_a_trained_model_in_the_session_can_be_stepped_through(arch):
    at = page_app(STEP, default_timeout=TIMEOUT)
    at.session_state["lv_current_model"] = saved(arch(1, 3, seed=1), "sine")
    at.run()
    at.radio(key="st_model_source").set_value("trained model").run()
    assert not at.exception and not at.error
    at.slider(key="st_t").set_value(5).run()
    text = readings(at)
    assert "t = 5" in text
    assert {"lstm": "Forget gate", "gru": "Update gate", "rnn": "No gates"}[arch.arch] in text
    svg = drawn_cell(text)  # the architecture's own cell, drawn with unit 0's numbers at step 5
    title = {"lstm": "The LSTM cell", "gru": "The GRU cell", "rnn": "The vanilla RNN cell"}[arch.arch]
    assert f"<title>{title} at step t = 5, unit 0</title>" in svg
    v = explain.step_values(task_example_trace(at.session_state["lv_current_model"]), 5, 0)
    assert f">h\u209c = {explain.fmt(v['h'])}</text>" in svg
    for key in {"lstm": "figo", "gru": "rzn", "rnn": ""}[arch.arch]:
        assert f">{key} = {explain.fmt(v[key])}</text>" in svg
    at.radio(key="st_feed").set_value("the input sequence above").run()
    assert not at.exception and "Sine wave" in " ".join(c.value for c in at.caption)


def test_a_broken_trained_model_does_not_break_the_page():
    at = page_app(STEP, default_timeout=TIMEOUT)
    at.session_state["lv_current_model"] = saved(LSTM(2, 3), "no-such-task")
    at.run()
    at.radio(key="st_model_source").set_value("trained model").run()
    assert not at.exception
    assert any("Cannot run the trained model" in e.value for e in at.error)
    assert "Forget gate" in readings(at)


@pytest.mark.parametrize("name", ["adding_lstm", "copy_lstm", "text_lstm"])
def test_a_shipped_model_file_steps_through_on_its_task(name):
    from lstm_vault import modelfile

    path = ROOT / "assets" / "models" / f"{name}.npz"
    assert path.exists(), f"{path} is not shipped"
    at = page_app(STEP, default_timeout=TIMEOUT)
    at.session_state["lv_current_model"] = modelfile.load(path)
    at.run()
    at.radio(key="st_model_source").set_value("trained model").run()
    at.slider(key="st_t").set_value(10).run()
    assert not at.exception and not at.error
    assert "t = 10" in readings(at) and "Forget gate" in readings(at)
    assert any("held-out example" in c.value for c in at.caption)
    saved_model = at.session_state["lv_current_model"]
    x_10 = task_example_trace(saved_model).x[10, 0]
    shown = explain.describe_input(x_10, saved_model.meta["encoding"], 3)
    assert f"x\u209c = {shown}</h4>" in readings(at)
    if name == "copy_lstm":  # one-hot symbols are named, not shown as a vector
        assert shown in saved_model.meta["encoding"]["channels"]
    if name == "text_lstm":  # and characters are shown as characters
        assert shown.startswith("'") and shown.endswith("'") and len(shown) == 3


def test_a_text_model_reads_out_the_character_at_each_step():
    from lstm_vault import modelfile
    from lstm_vault.tasks import get_task

    task = get_task("text", length=30)
    rnn = LSTM(task.input_size, 4, seed=0)
    meta = {"task": "text", "task_options": task.options(), "encoding": task.encoding()}
    data = modelfile.to_bytes(rnn, np.zeros((task.output_size, 4)), np.zeros(task.output_size), meta)
    at = page_app(STEP, default_timeout=TIMEOUT)
    at.session_state["lv_current_model"] = modelfile.load(data)
    at.run()
    at.radio(key="st_model_source").set_value("trained model").run()
    example = task.validation(1, 0).x[:, 0]  # (T, vocab) one-hot
    for t in (3, 17):
        at.slider(key="st_t").set_value(t).run()
        char = task.vocab[int(example[t].argmax())]
        shown = {" ": "\u2423", "\n": "\u21b5"}.get(char, char)
        assert f"x\u209c = '{html.escape(shown, quote=False)}'</h4>" in readings(at)
        assert f"x\u209c = '{shown}'" in drawn_cell(readings(at)).replace("&amp;", "&").replace("&lt;", "<")
    timeline_spec = json.loads(at.get("plotly_chart")[-1].proto.spec)  # the input row is the text itself
    chars = [{" ": "\u2423", "\n": "\u21b5"}.get(c, c) for c in (task.vocab[i] for i in example.argmax(-1))]
    assert timeline_spec["data"][0]["text"] == chars


def test_a_new_link_in_the_same_session_is_applied():
    at = step_page(preset="sine", H=8)
    at.number_input(key="st_H").set_value(5).run()
    assert at.query_params["H"] == "5"
    at.query_params.clear()
    at.query_params.update({"preset": "impulse", "H": "4", "bf": "3"})  # e.g. the home page's link
    at.run()
    assert at.selectbox(key="st_x_preset").value == "impulse" and at.number_input(key="st_H").value == 4
    assert at.number_input(key="st_bf").value == 3 and not at.exception


def test_a_trained_model_too_big_to_trace_gets_a_message_not_a_hang():
    at = page_app(STEP, default_timeout=TIMEOUT)
    at.session_state["lv_current_model"] = saved(LSTM(1, 1100, seed=0), "sine", length=2000)  # T x H = 2.2M
    at.run()
    at.radio(key="st_model_source").set_value("trained model").run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert "too big to trace here" in error and "2,200,000" in error and "Showing the hand-set LSTM" in error
    assert "Forget gate" in readings(at)  # the hand-set LSTM instead


def test_candidate_bias_knob_writes_into_the_memory_without_input():
    x = make_sequence("impulse", 60)
    spike = int(np.argmax(np.abs(x)))
    assert spike > 2 and not x[:spike].any()
    at = step_page(preset="impulse", H=4)  # b_g = 0 by default: before the spike nothing is written
    at.slider(key="st_t").set_value(spike - 1).run()
    assert f"c\u209c = {explain.fmt(0.0)}</text>" in drawn_cell(readings(at))
    assert expected_lstm_trace(x, H=4).c[:spike].max() == 0.0
    at = step_page(preset="impulse", H=4, bg=1)  # the link sets the knob; now every step writes
    assert at.number_input(key="st_bg").value == 1.0
    at.slider(key="st_t").set_value(spike - 1).run()
    lt = expected_lstm_trace(x, H=4, bg=1.0)
    assert abs(lt.c[spike - 1, 0, 0]) > 0.1
    assert f"c\u209c = {explain.fmt(lt.c[spike - 1, 0, 0])}</text>" in drawn_cell(readings(at))


def test_large_typed_numbers_suggest_standardising_and_the_box_does_it():
    at = step_page()
    at.radio(key="st_x_source").set_value("typed").run()
    at.text_area(key="st_x_text").set_value("1120, 1160, 963, 1210, 1160").run()  # the Nile's first years
    (warning,) = [w.value for w in at.warning]
    assert "reach 1,210" in warning and "Standardise" in warning
    at.checkbox(key="st_x_z").check().run()
    assert not at.warning and not at.exception
    raw = np.array([1120, 1160, 963, 1210, 1160.0])
    np.testing.assert_allclose(at.session_state["st_x_last_good"].values, (raw - raw.mean()) / raw.std())
    assert "standardised" in " ".join(c.value for c in at.caption)
    assert at.query_params["x"] == "1120,1160,963,1210,1160" and at.query_params["z"] == "1"
    again = step_page(x="1120,1160,963,1210,1160", z=1)  # the link reproduces it
    assert again.checkbox(key="st_x_z").value
    np.testing.assert_allclose(again.session_state["st_x_last_good"].values, (raw - raw.mean()) / raw.std())


def test_ambiguous_decimal_commas_are_refused_with_a_hint():
    at = step_page()
    at.radio(key="st_x_source").set_value("typed").run()
    at.text_area(key="st_x_text").set_value("1,5 2,5 3,5").run()
    (error,) = [e.value for e in at.error]
    assert "decimal comma" in error and "1,5" in error


def test_a_model_that_arrives_is_shown_at_once_and_the_user_can_switch_back():
    at = page_app(STEP, default_timeout=TIMEOUT).run()
    assert at.session_state["st_model_source"] == "hand-set LSTM"  # no trained model yet: no choice shown
    assert not any(r.key == "st_model_source" for r in at.radio)
    at.session_state["lv_current_model"] = saved(LSTM(1, 3, seed=1), "sine")  # e.g. trained on Train
    at.run()
    assert at.radio(key="st_model_source").value == "trained model" and not at.exception
    assert any("Showing the model from the Train page" in t.value for t in at.toast)
    assert any("address cannot carry" in c.value and "trained model" in c.value for c in at.caption)
    at.radio(key="st_model_source").set_value("hand-set LSTM").run()
    at.run()  # the same model: the user's choice stands
    assert at.radio(key="st_model_source").value == "hand-set LSTM"
    assert not any("address cannot carry" in c.value for c in at.caption)
    at.session_state["lv_current_model"] = saved(GRU(1, 2, seed=4), "sine")  # a newer model: shown again
    at.run()
    assert at.radio(key="st_model_source").value == "trained model" and "Update gate" in readings(at)


def test_every_page_runs_through_the_apps_navigation_and_step_through_keeps_t_and_unit():
    at = AppTest.from_file(HOME, default_timeout=60).run()
    at.switch_page("pages/1_Step_through.py").run()
    at.slider(key="st_t").set_value(7).run()
    at.number_input(key="st_unit").set_value(3).run()
    for page in ("pages/2_Vanishing_gradients.py", "pages/3_Train.py"):
        at.switch_page(page).run()
        assert not at.exception and at.title[0].value.startswith(("Vanishing", "Train")), page
    at.switch_page("pages/1_Step_through.py").run()
    assert not at.exception
    assert at.slider(key="st_t").value == 7 and at.number_input(key="st_unit").value == 3
    assert "t = 7 · unit 3" in readings(at)


def test_the_home_pages_impulse_example_shows_a_memory_held_by_the_forget_gate_alone():
    home = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    (link,) = [p for p in home.get("page_link") if "Step_through" in p.proto.page and p.proto.query_string]
    params = dict(kv.split("=") for kv in link.proto.query_string.split("&"))
    assert params["hh"] == "0" and params["preset"] == "impulse"
    at = step_page(**params)
    assert not at.exception and not at.warning
    x = make_sequence("impulse", 60)
    spike = int(np.argmax(x))
    knobs = {k: float(params[k]) for k in ("bf", "bi", "scale", "hh")}
    lt = expected_lstm_trace(x, H=int(params["H"]), **knobs)
    c = lt.c[:, 0, :]
    assert not c[:spike].any() and np.abs(c[spike]).min() > 0.05  # nothing before, written at the spike
    unit = int(params["unit"])
    assert c[spike, unit] > 0.5  # the link follows a unit that stores a clear, positive memory
    f = 1 / (1 + np.exp(-float(params["bf"])))  # then only f acts: c shrinks by exactly f per step
    np.testing.assert_allclose(c[spike + 1 :] / c[spike:-1], f, rtol=1e-9)
    assert at.slider(key="st_t").value == int(params["t"]) == spike  # it opens at the spike
    at.slider(key="st_t").set_value(spike + 10).run()
    assert f"c\u209c = {explain.fmt(c[spike + 10, unit])}</text>" in drawn_cell(readings(at))


def test_knob_help_says_what_a_bias_does_with_numbers_from_the_cell():
    at = step_page()
    sig = lambda b: 1 / (1 + math.exp(-b))  # noqa: E731
    bf = at.number_input(key="st_bf").help
    assert (
        f"b_f = 3 gives f = {sig(3):.2f}: a memory halves {explain.fmt_half_life(explain.half_life(sig(3)))}"
        in bf
    )
    assert f"b_f = \u22121 gives {sig(-1):.2f}" in bf and f"still keeps {explain.pct(sig(-1))} of it" in bf
    assert "wiped at every step" not in bf
    # b_g: the memory settles at i·g / (1 - f); with the weights at 0 the page's cell gets exactly there
    lt = expected_lstm_trace(np.zeros(400), H=2, bf=1.0, bi=0.0, bg=1.0, scale=0.0)
    c = lt.c[:, 0, 0]
    assert abs(c[-1] - c[-2]) < 1e-12  # settled, not drifting
    assert "c = i\u00b7g / (1 \u2212 f)" in at.number_input(key="st_bg").help
    assert f"b_g = 1: c = {c[-1]:.2f})" in at.number_input(key="st_bg").help
    assert "drifts" not in at.number_input(key="st_bg").help


def test_the_forget_reading_and_the_summary_on_the_page_are_the_librarys():
    at = step_page(preset="impulse", H=4, bf=2)
    at.slider(key="st_t").set_value(12).run()
    lt = expected_lstm_trace(make_sequence("impulse", 60), H=4, bf=2.0)
    text = readings(at)
    v = explain.step_values(lt, 12, 0)
    assert (
        f"f \u00d7 c\u209c\u208b\u2081 = {explain.fmt_gate(v['f'])} \u00d7 " in text and "c went" not in text
    )
    assert html.escape(explain.summary(lt, 0)) in text
    assert (
        f"geometric mean of f, {explain.fmt_gate(explain.keep_gate_stats(lt.f[:, 0, 0]).geometric_mean)}"
        in text
    )


def test_a_preset_that_reaches_2000_is_labelled_so_and_can_be_standardised():
    at = step_page(preset="counting", T=2000)
    assert not at.exception
    x = make_sequence("counting", 2000)
    label = f"Counting {int(x[0]):,} to {int(x[-1]):,}, T = 2000"
    assert any(label in c.value for c in at.caption) and "1 to 10" not in " ".join(
        c.value for c in at.caption
    )
    (warning,) = [w.value for w in at.warning]
    assert f"reach {x.max():,.4g}" in warning and "Tick **Standardise** above" in warning
    at.checkbox(key="st_x_z").check().run()  # the box the warning names is there for a preset
    assert not at.warning and not at.exception
    np.testing.assert_allclose(at.session_state["st_x_last_good"].values, (x - x.mean()) / x.std())
    assert any(f"{label}, standardised" in c.value for c in at.caption)
    assert at.query_params["z"] == "1" and at.query_params["preset"] == "counting"
    again = step_page(preset="counting", T=2000, z=1)  # the link carries it
    assert again.checkbox(key="st_x_z").value and not again.warning
    plain = step_page(preset="counting", T=2000)  # and a link without z=1 is not standardised
    assert not plain.checkbox(key="st_x_z").value


def test_the_csv_uploader_states_the_limit_the_parser_accepts():
    from lstm_vault.userdata import MAX_BYTES

    at = step_page()
    at.radio(key="st_x_source").set_value("csv").run()
    (uploader,) = at.get("file_uploader")
    mb = uploader.proto.max_upload_size_mb
    assert mb == MAX_BYTES // 2**20 and mb * 2**20 <= MAX_BYTES  # Streamlit's MB is 2**20 bytes
    assert f"at most {mb} MB" in uploader.proto.help


@pytest.mark.parametrize("H", [4, 32])
def test_the_timeline_caption_says_what_the_figure_draws(H):
    from lstm_vault.figures.cell import MAX_LINE_UNITS

    at = step_page(H=H)
    caption = " ".join(c.value for c in at.caption)
    spec = json.loads(at.get("plotly_chart")[-1].proto.spec)
    kinds = {trace["type"] for trace in spec["data"][1:]}  # after the input row
    if H <= MAX_LINE_UNITS:
        assert "One line per unit." in caption and "heatmap" not in kinds
    else:
        assert "Each heatmap row is one unit: gates go from dark (0) to yellow (1)" in caption
        gates = [tr for tr in spec["data"] if tr["type"] == "heatmap" and tr.get("zmin") == 0.0]
        assert gates and all(tr["zmax"] == 1.0 for tr in gates)
        assert all(tr["colorscale"][0][1].lower() == "#440154" for tr in gates)  # Viridis: dark purple at 0
        signed = [tr for tr in spec["data"] if tr["type"] == "heatmap" and tr.get("zmin", 0) < 0]
        assert signed and all(
            tr["colorscale"][-1][1].startswith("rgb(103") for tr in signed
        )  # RdBu_r: red high
