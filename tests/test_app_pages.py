"""Home and Step through in AppTest: no exception; what the browser's stepper is sent equals the library's
payload for the shown model (hand-set, trained LSTM / GRU / RNN, text models); links, reset, bad input."""

import base64
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from app_support import page_app
from streamlit.testing.v1 import AppTest

from lstm_vault import GRU, LSTM, RNN, explain, step_through
from lstm_vault.handset import KNOBS, HandSetLSTM
from lstm_vault.modelfile import SavedModel
from lstm_vault.modelfile import load as load_model
from lstm_vault.sequences import make_sequence, preset_label
from lstm_vault.stepping import decode_f32, step_payload

ROOT = Path(__file__).resolve().parents[1]
HOME = str(ROOT / "app.py")
STEP = str(ROOT / "pages" / "1_Step_through.py")
TIMEOUT = 30
BOUND = ("bf", "bi", "bo", "bg", "scale", "hh")  # the knobs whose widgets carry their own link parameter


def step_page(**params) -> AppTest:
    at = page_app(STEP, default_timeout=TIMEOUT)
    at.query_params.update({k: str(v) for k, v in params.items()})
    return at.run()


def sent(at) -> dict:
    """What the page sends the browser's stepper (pages.common.stepper): the payload and where to open."""
    assert not at.exception, at.exception
    (element,) = at.get("bidi_component")
    assert element.proto.component_name == "lstm_vault_stepper"
    return json.loads(element.proto.json)


def assert_sends(at, lt, unit: int, label: str, encoding: dict | None = None, readout=(None, None)) -> dict:
    """The page sends exactly the library's payload of ``lt`` for ``unit``, with the readings' caption and
    the model's ``readout`` (prediction, shares: :func:`readout_of`)."""
    data = sent(at)
    caption = step_through.readings_caption(lt, unit, label)
    prediction, shares = readout
    expected = step_payload(
        lt, unit, encoding=encoding, caption=caption, prediction=prediction, shares=shares
    )
    assert {k: data[k] for k in expected} == expected
    assert data["marks"] == ["st_timeline"]  # the timeline chart's marker moves with the step
    return data


def readout_of(model, lt, x, seed: int | None = 0, layer: int = 0, direction: int = 0, unit: int = 0):
    """What a trained model's read-out shows beside the cell (lstm_vault.step_through, on SavedModel.predict;
    tests/test_page_predictions.py checks its numbers against predict)."""
    prediction = step_through.model_prediction(model, x, seed)
    return prediction, step_through.readout_shares(model, prediction, lt, layer, direction, unit)


def hand_trace(x, **knobs):
    return HandSetLSTM(**knobs).trace(x)


def cell_text(data: dict, t: int, key: str) -> str:
    """The label of the drawn cell's slot ``key`` (e.g. "c" for cₜ) at step t, as the browser writes it."""
    return data["cell"]["texts"][t][data["cell"]["text_keys"].index(key)]


def saved(rnn, task="sine", **options) -> SavedModel:
    H = rnn.hidden_size * (2 if rnn.bidirectional else 1)
    return SavedModel(rnn, np.zeros((1, H)), np.zeros(1), {"task": task, "task_options": options})


def put_model(at, model) -> None:
    """Make ``model`` the session's, as pages.common.session.set_current_model does (version counts up)."""
    at.session_state["lv_current_model"] = model
    key = "lv_current_model_version"
    at.session_state[key] = (at.session_state[key] if key in at.session_state else 0) + 1  # noqa: SIM401


def warnings(at) -> list[str]:
    return [w.value for w in at.warning]


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


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


def test_the_default_page_sends_the_hand_set_cell_on_the_sine_at_step_zero():
    at = step_page()
    x = make_sequence("sine")
    data = assert_sends(at, hand_trace(x), 0, preset_label("sine", x))
    assert data["initial_t"] == 0 and data["headers"][0].startswith("t = 0 · unit 0")
    assert not at.warning and at.query_params["preset"] == "sine"
    for name in BOUND:  # the widget is bound to the address under its own name, and starts at the default
        widget = at.number_input(key=name)
        assert widget.proto.query_param_key == name and widget.value == KNOBS[name].default
        assert widget.help == KNOBS[name].help and widget.label == KNOBS[name].label
    for name in ("H", "seed"):  # on the Vanishing gradients page too, with other ranges: not bound
        assert not at.number_input(key=f"st_{name}").proto.query_param_key
        assert at.number_input(key=f"st_{name}").help == KNOBS[name].help
    assert at.number_input(key="unit").proto.query_param_key == "unit"


def test_the_home_pages_impulse_link_opens_a_memory_held_by_the_forget_gate_alone():
    home = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    (link,) = [p for p in home.get("page_link") if "Step_through" in p.proto.page and p.proto.query_string]
    params = dict(kv.split("=") for kv in link.proto.query_string.split("&"))
    assert params == {
        "preset": "impulse",
        "H": "4",
        "bf": "4",
        "bi": "4",
        "scale": "3",
        "hh": "0",
        "unit": "1",
        "t": "6",
    }
    at = step_page(**params)
    assert not at.warning
    x = make_sequence("impulse", 60)
    spike = int(np.argmax(x))
    knobs = {k: float(params[k]) for k in ("bf", "bi", "scale", "hh")}
    lt = hand_trace(x, H=4, **knobs)
    unit = int(params["unit"])
    data = assert_sends(at, lt, unit, preset_label("impulse", x))
    assert data["initial_t"] == int(params["t"]) == spike  # it opens at the spike
    c = lt.c[:, 0, :]
    assert not c[:spike].any() and np.abs(c[spike]).min() > 0.05  # nothing before, written at the spike
    assert c[spike, unit] > 0.5  # the link follows a unit that stores a clear, positive memory
    f = 1 / (1 + np.exp(-knobs["bf"]))  # then only f acts: c shrinks by exactly f per step
    np.testing.assert_allclose(c[spike + 1 :] / c[spike:-1], f, rtol=1e-9)
    assert cell_text(data, spike + 10, "c") == f"c\u209c = {explain.fmt(c[spike + 10, unit])}"
    np.testing.assert_array_equal(decode_f32(data["series"]["c"], (60, 4)), c.astype(np.float32))


def test_link_parameters_set_the_widgets_and_the_cell():
    at = step_page(preset="square", T=50, H=16, seed=3, bf=2.5, bi=-1, bo=0.5, scale=2, t=20, unit=5)
    assert not at.warning
    assert at.selectbox(key="st_x_preset").value == "square" and at.number_input(key="st_x_T").value == 50
    assert at.number_input(key="st_H").value == 16 and at.number_input(key="st_seed").value == 3
    values = {name: at.number_input(key=name).value for name in ("bf", "bi", "bo", "scale")}
    assert values == {"bf": 2.5, "bi": -1, "bo": 0.5, "scale": 2} and at.number_input(key="unit").value == 5
    x = make_sequence("square", 50)
    lt = hand_trace(x, H=16, seed=3, bf=2.5, bi=-1, bo=0.5, scale=2)
    assert assert_sends(at, lt, 5, preset_label("square", x))["initial_t"] == 20
    assert "b_f = 2.5, b_i = -1, b_o = 0.5" in captions(at)
    assert at.query_params["H"] == "16" and at.query_params["seed"] == "3"  # written back by the page


@pytest.mark.parametrize(
    ("params", "warning"),
    [
        ({"preset": "bogus"}, "preset='bogus' is not one of"),
        ({"T": "abc"}, "T ignored: 'abc' is not a whole number"),
        ({"T": "99999"}, "T ignored: the length must be from 1 to 2000"),
        ({"H": "999"}, "H='999' ignored: Hidden size H (units) must be a whole number from 1 to 64; using 8"),
        ({"H": "2.5"}, "H='2.5' ignored"),
        ({"bf": "nan"}, "bf='nan' ignored: Forget-gate bias b_f must be from \u22128 to 8; using 1"),
        ({"scale": "-1"}, "scale='-1' ignored"),
        (
            {"t": "9999"},
            "t='9999' is not a step of this sequence (a whole number from 0 to 99); opening at t = 99",
        ),
        ({"unit": "x"}, "unit='x' is not a unit of this model (a whole number from 0 to 7); showing unit 0"),
        ({"unit": "8"}, "unit='8' is not a unit of this model"),
        ({"x": "1,2,zebra"}, "x ignored"),
    ],
)
def test_bad_link_parameters_fall_back_with_a_warning(params, warning):
    at = step_page(**params)
    assert any(warning in w for w in warnings(at)), warnings(at)
    data = sent(at)  # the page still works, on the defaults where the link was bad
    assert data["T"] == 100 and data["unit"] == 0
    if "t" in params:
        assert data["initial_t"] == 99


def test_a_knob_or_the_unit_changes_what_is_sent_and_keeps_the_step():
    at = step_page(preset="impulse", H=4)
    key = sent(at)["key"]
    at.number_input(key="bf").set_value(6.0).run()
    x = make_sequence("impulse", 60)
    lt = hand_trace(x, H=4, bf=6.0)
    assert lt.f[20, 0, 0] > 0.99
    data = assert_sends(at, lt, 0, preset_label("impulse", x))
    assert "**Forget gate** " + explain.fmt_gate(lt.f[20, 0, 0]) in "".join(
        f"**{r}**" if i % 2 else r for i, r in enumerate(data["readings"][20][0])
    )
    assert data["key"] == key  # the same stepper: the browser keeps its step
    at.number_input(key="unit").set_value(3).run()
    data = assert_sends(at, lt, 3, preset_label("impulse", x))
    assert data["key"] == key and data["headers"][7].startswith("t = 7 · unit 3 ·")


def test_a_new_input_opens_at_step_zero():
    at = step_page(preset="impulse", H=4, bf=4, t=6)
    first = sent(at)
    assert first["initial_t"] == 6
    at.selectbox(key="st_x_preset").set_value("step").run()
    data = sent(at)
    assert data["key"] != first["key"] and data["initial_t"] == 0  # a new stepper, at t = 0
    assert at.number_input(key="bf").value == 4  # the knobs stay
    at.number_input(key="bi").set_value(1.0).run()
    assert sent(at)["key"] == data["key"]  # a knob is not a new input


def test_reset_to_defaults_puts_back_the_knobs_and_the_unit_and_opens_at_step_zero():
    at = step_page(
        preset="impulse", H=4, seed=2, bf=4, bi=4, scale=3, hh=0, unit=1, t=6
    )  # the home page's link
    before = sent(at)
    at.button(key="st_reset").click().run()
    assert not at.exception
    for name, knob in KNOBS.items():
        key = name if name in BOUND else f"st_{name}"
        assert at.number_input(key=key).value == knob.default, name
    assert at.number_input(key="unit").value == 0 and at.selectbox(key="st_x_preset").value == "impulse"
    x = make_sequence("impulse", 60)
    data = assert_sends(at, hand_trace(x), 0, preset_label("impulse", x))  # the input stays
    assert data["key"] != before["key"] and data["initial_t"] == 0
    assert "H" not in at.query_params and "seed" not in at.query_params  # defaults leave the address clean


def test_typed_numbers_are_used_and_linked():
    at = step_page()
    at.radio(key="st_x_source").set_value("typed").run()
    at.text_area(key="st_x_text").set_value("0.5, -1; 2\n3 \u22124").run()  # a Unicode minus too
    assert not at.error
    x = np.array([0.5, -1, 2, 3, -4.0])
    data = assert_sends(at, hand_trace(x), 0, "typed numbers, T = 5")
    assert data["T"] == 5 and data["headers"][4] == "t = 4 · unit 0 · x\u209c = \u22124.000"
    assert at.query_params["x"] == "0.5,-1,2,3,-4"


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
def test_bad_typed_input_shows_the_error_and_keeps_the_last_sequence_and_step(text, message):
    at = step_page()
    at.radio(key="st_x_source").set_value("typed").run()
    at.text_area(key="st_x_text").set_value("1, 2, 3").run()
    key = sent(at)["key"]
    at.text_area(key="st_x_text").set_value(text).run()
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert any("The new input was not used" in w for w in warnings(at))
    data = assert_sends(
        at, hand_trace(np.array([1, 2, 3.0])), 0, "typed numbers, T = 3"
    )  # still the 3 numbers
    assert data["key"] == key  # and the stepper keeps its step


def task_example_trace(model, seed: int = 0, layer: int = 0):
    x, label = model.example(seed)
    return model.rnn.forward(x)[2].layers[layer][0], label


@pytest.mark.parametrize("arch", [LSTM, GRU, RNN])
def test_a_trained_model_in_the_session_is_sent_on_its_task_example(arch):
    at = page_app(STEP, default_timeout=TIMEOUT)
    put_model(at, saved(arch(1, 3, seed=1), "sine"))
    at.run()
    assert at.radio(key="st_model_source").value == "trained model" and not at.error
    model = at.session_state["lv_current_model"]
    lt, label = task_example_trace(model)
    data = assert_sends(at, lt, 0, label, readout=readout_of(model, lt, model.example(0)[0]))
    assert data["arch"] == arch.arch and "held-out example" in label
    assert ("GRU has two gates" in " ".join(i.value for i in at.info)) == (arch is GRU)
    assert "the session's trained model" in captions(at)  # a copied link cannot carry it
    at.radio(key="st_feed").set_value("the input sequence above").run()
    x = make_sequence("sine").reshape(-1, 1, 1)
    lt = model.rnn.forward(x)[2].layers[0][0]
    assert_sends(at, lt, 0, preset_label("sine", x[:, 0, 0]), readout=readout_of(model, lt, x, None))


def test_a_series_model_reads_your_raw_numbers_scaled_as_its_task_fed_it():
    """The shipped CO2 forecaster fed typed numbers in ppm: the page scales them with the model's training
    mean and std (and says so), the read-out is in ppm again; with Standardise ticked it warns instead."""
    model = load_model(ROOT / "assets" / "models" / "co2_forecaster.npz")
    at = page_app(STEP, default_timeout=TIMEOUT)
    put_model(at, model)
    at.run()
    at.radio(key="st_feed").set_value("the input sequence above").run()
    at.radio(key="st_x_source").set_value("typed").run()
    raw = np.array([330.0, 331.0, 333.5, 335.0, 334.0])
    at.text_area(key="st_x_text").set_value(", ".join(map(str, raw))).run()
    assert not at.exception and not warnings(at)  # no advice to standardise numbers the model scales itself
    enc = model.meta["encoding"]
    x = ((raw - enc["offset"]) / enc["scale"]).reshape(-1, 1, 1)
    lt = model.rnn.forward(x)[2].layers[0][0]
    prediction = step_through.model_prediction(model, x, None, scaled=True)
    shares = step_through.readout_shares(model, prediction, lt, 0, 0, 0)
    assert_sends(at, lt, 0, "typed numbers, T = 5", readout=(prediction, shares))
    assert np.allclose(prediction.target[:-1], raw[1:]) and prediction.units == "ppmv"  # back in ppm
    assert np.allclose(prediction.value, enc["offset"] + enc["scale"] * model.predict(x)[0][:, 0, 0])
    assert step_through.scaling_note(model) in captions(at)
    at.checkbox(key="st_x_z").check().run()  # the file's own standardising instead of the model's
    assert step_through.own_standardising_warning(model) in warnings(at)
    z = ((raw - raw.mean()) / raw.std()).reshape(-1, 1, 1)
    lt = model.rnn.forward(z)[2].layers[0][0]
    assert_sends(at, lt, 0, "typed numbers, T = 5, standardised", readout=readout_of(model, lt, z, None))
    assert step_through.scaling_note(model) not in captions(at)


def test_a_stacked_bidirectional_model_sends_the_chosen_layer_and_direction():
    at = page_app(STEP, default_timeout=TIMEOUT)
    put_model(at, saved(LSTM(1, 3, num_layers=2, bidirectional=True, seed=2), "sine"))
    at.run()
    at.number_input(key="st_layer").set_value(1).run()
    at.radio(key="st_direction").set_value(1).run()
    model = at.session_state["lv_current_model"]
    x, label = model.example(0)
    lt = model.rnn.forward(x)[2].layers[1][1]
    assert_sends(at, lt, 0, label, readout=readout_of(model, lt, x, 0, layer=1, direction=1))


def test_a_broken_trained_model_does_not_break_the_page():
    at = page_app(STEP, default_timeout=TIMEOUT)
    put_model(at, saved(LSTM(2, 3), "no-such-task"))
    at.run()
    (error,) = [e.value for e in at.error]
    assert error.startswith("Cannot run the trained model: unknown task 'no-such-task'")
    x = make_sequence("sine")
    assert_sends(at, hand_trace(x), 0, preset_label("sine", x))  # the hand-set LSTM instead


def test_a_trained_model_too_big_to_trace_gets_a_message_not_a_hang():
    at = page_app(STEP, default_timeout=TIMEOUT)
    put_model(at, saved(LSTM(1, 1100, seed=0), "sine", length=2000))  # T x H = 2.2M
    at.run()
    (error,) = [e.value for e in at.error]
    assert "too big to trace here" in error and "2,200,000" in error and "Showing the hand-set LSTM" in error
    assert sent(at)["arch"] == "lstm" and sent(at)["H"] == 8  # the hand-set LSTM instead


@pytest.mark.parametrize("name", ["adding_lstm", "copy_lstm", "text_lstm"])
def test_a_shipped_model_file_is_sent_on_its_task_with_its_inputs_named(name):
    from lstm_vault import modelfile

    path = ROOT / "assets" / "models" / f"{name}.npz"
    assert path.exists(), f"{path} is not shipped"
    at = page_app(STEP, default_timeout=TIMEOUT)
    put_model(at, modelfile.load(path))
    at.run()
    assert not at.error
    model = at.session_state["lv_current_model"]
    lt, label = task_example_trace(model)
    data = assert_sends(at, lt, 0, label, model.meta["encoding"], readout_of(model, lt, model.example(0)[0]))
    shown = explain.describe_input(lt.x[10, 0], model.meta["encoding"], 3)
    assert data["headers"][10] == f"t = 10 · unit 0 · x\u209c = {shown}"
    if name == "copy_lstm":  # one-hot symbols are named, not shown as a vector
        assert shown in model.meta["encoding"]["channels"]
    if name == "text_lstm":  # and characters are shown as characters
        assert shown.startswith("'") and shown.endswith("'") and len(shown) == 3


def test_a_text_model_reads_out_the_character_at_each_step_in_the_stepper_and_the_timeline():
    from lstm_vault import modelfile
    from lstm_vault.tasks import get_task

    task = get_task("text", length=30)
    rnn = LSTM(task.input_size, 4, seed=0)
    meta = {"task": "text", "task_options": task.options(), "encoding": task.encoding()}
    at = page_app(STEP, default_timeout=TIMEOUT)
    put_model(
        at,
        modelfile.load(
            modelfile.to_bytes(rnn, np.zeros((task.output_size, 4)), np.zeros(task.output_size), meta)
        ),
    )
    at.run()
    data = sent(at)
    example = task.validation(1, 0).x[:, 0]  # (T, vocab) one-hot
    chars = [{" ": "\u2423", "\n": "\u21b5"}.get(c, c) for c in (task.vocab[i] for i in example.argmax(-1))]
    for t in (3, 17):
        assert data["headers"][t].endswith(f"x\u209c = '{chars[t]}'")  # as data: the browser writes text
        assert cell_text(data, t, "x") == f"x\u209c = '{chars[t]}'"
    timeline_spec = json.loads(at.get("plotly_chart")[-1].proto.spec)  # the input row is the text itself
    assert timeline_spec["data"][0]["text"] == chars


def test_candidate_bias_knob_writes_into_the_memory_without_input():
    x = make_sequence("impulse", 60)
    spike = int(np.argmax(np.abs(x)))
    assert spike > 2 and not x[:spike].any()
    data = sent(step_page(preset="impulse", H=4))  # b_g = 0 by default: before the spike nothing is written
    assert cell_text(data, spike - 1, "c") == f"c\u209c = {explain.fmt(0.0)}"
    assert hand_trace(x, H=4).c[:spike].max() == 0.0
    at = step_page(preset="impulse", H=4, bg=1)  # the link sets the knob; now every step writes
    assert at.number_input(key="bg").value == 1.0
    lt = hand_trace(x, H=4, bg=1.0)
    assert abs(lt.c[spike - 1, 0, 0]) > 0.1
    assert cell_text(sent(at), spike - 1, "c") == f"c\u209c = {explain.fmt(lt.c[spike - 1, 0, 0])}"


def test_large_typed_numbers_suggest_standardising_and_the_box_does_it():
    at = step_page()
    at.radio(key="st_x_source").set_value("typed").run()
    at.text_area(key="st_x_text").set_value("1120, 1160, 963, 1210, 1160").run()  # the Nile's first years
    (warning,) = warnings(at)
    assert "reach 1,210" in warning and "Standardise" in warning
    at.checkbox(key="st_x_z").check().run()
    assert not at.warning and not at.exception
    raw = np.array([1120, 1160, 963, 1210, 1160.0])
    z = (raw - raw.mean()) / raw.std()
    np.testing.assert_allclose(at.session_state["st_x_last_good"].values, z)
    assert "standardised" in captions(at)
    assert_sends(
        at, hand_trace(at.session_state["st_x_last_good"].values), 0, "typed numbers, T = 5, standardised"
    )
    assert at.query_params["x"] == "1120,1160,963,1210,1160" and at.query_params["z"] == "1"
    again = step_page(x="1120,1160,963,1210,1160", z=1)  # the link reproduces it
    assert again.checkbox(key="st_x_z").value
    np.testing.assert_allclose(again.session_state["st_x_last_good"].values, z)


def test_ambiguous_decimal_commas_are_refused_with_a_hint():
    at = step_page()
    at.radio(key="st_x_source").set_value("typed").run()
    at.text_area(key="st_x_text").set_value("1,5 2,5 3,5").run()
    (error,) = [e.value for e in at.error]
    assert "decimal comma" in error and "1,5" in error


def test_a_model_that_arrives_is_shown_at_once_and_the_user_can_switch_back():
    at = page_app(STEP, default_timeout=TIMEOUT).run()
    assert at.session_state["st_model_source"] == "hand-set LSTM"  # no trained model yet: none to choose
    assert "trained model" not in at.radio(key="st_model_source").options
    put_model(at, saved(LSTM(1, 3, seed=1), "sine"))  # e.g. trained on Train
    at.run()
    assert at.radio(key="st_model_source").value == "trained model" and not at.exception
    assert any("Showing the model from the Train page" in t.value for t in at.toast)
    assert "address cannot carry" in captions(at) and "trained model" in captions(at)
    at.radio(key="st_model_source").set_value("hand-set LSTM").run()
    at.run()  # the same model: the user's choice stands
    assert at.radio(key="st_model_source").value == "hand-set LSTM"
    assert "address cannot carry" not in captions(at)
    put_model(at, saved(GRU(1, 2, seed=4), "sine"))  # a newer model: shown again
    at.run()
    assert at.radio(key="st_model_source").value == "trained model" and sent(at)["arch"] == "gru"


def test_every_page_runs_through_the_apps_navigation_and_step_through_keeps_its_knobs_unit_and_step():
    at = AppTest.from_file(HOME, default_timeout=60).run()
    at.switch_page("pages/1_Step_through.py").run()
    at.number_input(key="bf").set_value(2.0).run()
    at.number_input(key="st_H").set_value(5).run()
    at.number_input(key="unit").set_value(3).run()
    key = sent(at)["key"]
    for page in ("pages/2_Vanishing_gradients.py", "pages/3_Train.py"):
        at.switch_page(page).run()
        assert not at.exception and at.title[0].value.startswith(("Vanishing", "Train")), page
    at.query_params.clear()  # the sidebar's link carries no parameters (AppTest would keep the last page's)
    at.switch_page("pages/1_Step_through.py").run()
    assert at.number_input(key="bf").value == 2.0 and at.number_input(key="st_H").value == 5
    data = sent(at)
    assert data["unit"] == 3 and data["H"] == 5 and data["key"] == key  # the browser keeps its step


def test_a_link_from_another_page_in_the_same_session_is_applied():
    at = AppTest.from_file(HOME, default_timeout=60).run()
    at.switch_page("pages/1_Step_through.py").run()
    at.number_input(key="st_H").set_value(5).run()
    at.number_input(key="bf").set_value(-2.0).run()
    key = sent(at)["key"]
    at.switch_page("app.py").run()
    at.query_params.update({"preset": "impulse", "H": "4", "bf": "3", "t": "6"})  # e.g. the home page's link
    at.switch_page("pages/1_Step_through.py").run()
    assert at.selectbox(key="st_x_preset").value == "impulse" and at.number_input(key="st_H").value == 4
    assert at.number_input(key="bf").value == 3
    data = sent(at)
    assert data["key"] != key and data["initial_t"] == 6  # opens at the link's step


def test_a_preset_that_reaches_2000_is_labelled_so_and_can_be_standardised():
    at = step_page(preset="counting", T=2000)
    x = make_sequence("counting", 2000)
    label = f"Counting {int(x[0]):,} to {int(x[-1]):,}, T = 2000"
    assert label in captions(at) and "1 to 10" not in captions(at)
    (warning,) = warnings(at)
    assert f"reach {x.max():,.4g}" in warning and "Tick **Standardise** above" in warning
    data = sent(at)  # long: only the shown unit's numbers, with a note that says so
    assert data["T"] == 2000 and data["units"] == [0] and "Only unit 0's numbers are sent" in data["note"]
    at.checkbox(key="st_x_z").check().run()  # the box the warning names is there for a preset
    assert not at.warning and not at.exception
    np.testing.assert_allclose(at.session_state["st_x_last_good"].values, (x - x.mean()) / x.std())
    assert f"{label}, standardised" in captions(at)
    assert at.query_params["z"] == "1" and at.query_params["preset"] == "counting"
    again = step_page(preset="counting", T=2000, z=1)  # the link carries it
    assert again.checkbox(key="st_x_z").value and not again.warning
    plain = step_page(preset="counting", T=2000)  # and a link without z=1 is not standardised
    assert not plain.checkbox(key="st_x_z").value


def test_the_csv_uploader_states_the_limit_the_parser_accepts():
    from lstm_vault.userdata import MAX_BYTES

    at = step_page()
    at.radio(key="st_x_source").set_value("csv").run()
    uploader = at.file_uploader(key="st_x_csv")  # the sidebar also has the model uploader
    mb = uploader.proto.max_upload_size_mb
    assert mb == MAX_BYTES // 2**20 and mb * 2**20 <= MAX_BYTES  # Streamlit's MB is 2**20 bytes
    assert f"at most {mb} MB" in uploader.proto.help


@pytest.mark.parametrize("H", [4, 32])
def test_the_timeline_is_the_library_s_figure_with_its_caption_and_marker(H):
    from lstm_vault.figures.cell import MAX_LINE_UNITS

    at = step_page(H=H)
    assert step_through.timeline_caption(H) in captions(at)
    spec = json.loads(at.get("plotly_chart")[-1].proto.spec)
    kinds = {trace["type"] for trace in spec["data"][1:]}  # after the input row
    assert ("heatmap" in kinds) == (H > MAX_LINE_UNITS)
    if H > MAX_LINE_UNITS:  # the caption's colours: gates dark (0) to yellow (1), signed rows red positive
        gates = [tr for tr in spec["data"] if tr["type"] == "heatmap" and tr.get("zmin") == 0.0]
        assert gates and all(tr["zmax"] == 1.0 for tr in gates)
        assert all(tr["colorscale"][0][1].lower() == "#440154" for tr in gates)  # Viridis: dark purple at 0
        signed = [tr for tr in spec["data"] if tr["type"] == "heatmap" and tr.get("zmin", 0) < 0]
        assert signed and all(tr["colorscale"][-1][1].startswith("rgb(103") for tr in signed)  # RdBu_r: red
    marker = [h.proto.body for h in at.get("html") if ".st-key-st_timeline::after" in h.proto.body]
    assert len(marker) == 1 and "var(--lv-step)" in marker[0]  # drawn where the stepper puts --lv-step
