"""The model upload panel (Train and Step through): a torch state dict or Keras export is shown as its
weights say, confirmed, and becomes the session's model, reproducing torch; every refusal is named on the
page, nothing is unpickled, the session's model stays; a model naming no task opens on the user's input."""

import io
import json

import numpy as np
import pytest
import torch
from app_support import page_app
from streamlit.testing.v1 import AppTest
from torch import nn
from torch_ref import max_rel

from lstm_vault import importers, modelfile, models, step_through
from lstm_vault.sequences import make_sequence, preset_label
from lstm_vault.stepping import step_payload
from pages.common import model_upload

STEP, TRAIN = "pages/1_Step_through.py", "pages/3_Train.py"
TRAIN_KEY, STEP_KEY = "lv_train_upload", "st_upload"
TOL = 1e-10


def torch_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


class WithHead(nn.Module):
    """A recurrent module plus a Linear read-out."""

    def __init__(self, kind="LSTM", I=1, H=4, O=1, layers=1, bidirectional=False):
        super().__init__()
        self.rnn = getattr(nn, kind)(I, H, layers, bidirectional=bidirectional)
        self.head = nn.Linear(H * (2 if bidirectional else 1), O)

    def forward(self, x):
        return self.head(self.rnn(x)[0])


def net(kind="LSTM", seed=0, **sizes) -> WithHead:
    torch.manual_seed(seed)
    return WithHead(kind, **sizes).double()


def keras_bytes(I=2, H=3, seed=0, **extra) -> bytes:
    rng = np.random.default_rng(seed)
    arrays = dict(kernel=rng.normal(size=(I, 4 * H)), recurrent_kernel=rng.normal(size=(H, 4 * H)),
                  bias=rng.normal(size=4 * H)) | extra  # fmt: skip
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def current(at: AppTest):
    return at.session_state["lv_current_model"] if "lv_current_model" in at.session_state else None  # noqa: SIM401


def upload(at: AppTest, key: str, name: str, data: bytes) -> AppTest:
    at.file_uploader(key=key).set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    return at


def submit(at: AppTest) -> AppTest:
    (button,) = at.get("form_submit_button")
    button.click().run()
    assert not at.exception, at.exception
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def tables(at: AppTest) -> list[dict]:
    """Each st.table of the form as {what: value}, as the page shows them."""
    return [dict(table.value.values.tolist()) for table in at.get("table")]


# ------------------------------------------------------------------------------------------------
# the panel's functions: bytes and answers in, a model or a message out


def test_read_upload_tells_the_kinds_apart_and_names_a_refusal():
    found, error = model_upload.read_upload("net.pt", torch_bytes(net().state_dict()))
    assert error is None and found.kind == "torch" and found.convertible[0].name == "rnn"
    saved = found.build()
    own = modelfile.to_bytes(saved.rnn, saved.readout_weight, saved.readout_bias, saved.meta)
    assert model_upload.read_upload("own.npz", own)[0].kind == "model"
    assert model_upload.read_upload("k.npz", keras_bytes())[0].kind == "keras"
    found, error = model_upload.read_upload("module.pt", torch_bytes(nn.LSTM(2, 3)))
    assert found is None and error.startswith("module.pt: the file holds a pickled module")
    found, error = model_upload.read_upload("notes.pt", b"hello")
    assert found is None and error.startswith("notes.pt: not a model file, torch state dict or Keras export")


def test_confirm_names_what_it_refuses_and_builds_what_it_can():
    found = importers.inspect_file(torch_bytes(net("RNN").state_dict()))
    asked = (
        "rnn.pt: rnn is an nn.RNN: its nonlinearity (tanh or relu) cannot be told from its weights; say which"
    )
    assert model_upload.confirm("rnn.pt", found) == (None, asked)
    saved, error = model_upload.confirm("rnn.pt", found, nonlinearity="relu")
    assert saved is None and error.startswith("rnn.pt: an nn.RNN with nonlinearity='relu' is not supported")
    saved, error = model_upload.confirm("rnn.pt", found, nonlinearity="tanh")
    assert error is None and saved.arch == "rnn"
    keras = importers.inspect_file(keras_bytes())
    saved, error = model_upload.confirm("k.npz", keras)
    assert saved is None and "does not record the LSTM's recurrent_activation" in error
    saved, error = model_upload.confirm("k.npz", keras, recurrent_activation="hard_sigmoid")
    assert saved is None and "'hard_sigmoid' (a piecewise-linear gate" in error
    assert model_upload.confirm("k.npz", keras, recurrent_activation="sigmoid")[0].arch == "lstm"


def test_source_and_model_lines():
    found = importers.inspect_file(torch_bytes(net(I=3, H=5, layers=2, bidirectional=True).state_dict()))
    saved = found.build()
    assert model_upload.source_text("x.pt", found, saved) == "uploaded x.pt (torch state dict, module rnn)"
    assert model_upload.model_line(saved) == (
        "LSTM, input size 3, hidden size 5, 2 layers, bidirectional, read-out to 1 output"
    )
    assert model_upload.md("my_model $5 *x*.pt") == r"my\_model \$5 \*x\*.pt"


# ------------------------------------------------------------------------------------------------
# step_through: a model that names no task reads the user's input


def test_an_imported_model_reads_the_user_s_numbers_and_a_mismatch_says_what_to_pick():
    saved = importers.inspect_file(torch_bytes(net(I=3).state_dict())).build()
    assert step_through.feeds(saved) == ["sequence"] and not step_through.names_task(saved)
    with pytest.raises(step_through.InputMismatch) as caught:
        step_through.model_input(saved.rnn, np.zeros(7))
    assert str(caught.value) == (
        "This model reads 3 numbers per step; the input has 1 column. Pick 3 columns of a CSV file under "
        "**Input**, in the order the model was trained on."
    )
    with pytest.raises(step_through.InputMismatch, match=r"the input has 2 columns \('a', 'b'\)\. Pick 3"):
        step_through.model_input(saved.rnn, np.zeros((7, 2)), ("a", "b"))
    x = np.arange(21.0).reshape(7, 3)
    np.testing.assert_array_equal(step_through.model_input(saved.rnn, x), x.reshape(7, 1, 3))
    assert step_through.input_mismatch(1, 2).startswith("This model reads 1 number per step; the input has 2")
    assert step_through.trained_caption(saved) == (
        "LSTM, H = 4, I = 3, imported from a torch state dict (module 'rnn'); it names no task, so it reads "
        "your input."
    )
    assert step_through.trained_label(saved.rnn, saved) == "imported LSTM (H = 4)"
    text = modelfile.load("assets/models/text_lstm.npz")  # one-hot characters: only its own example
    assert step_through.feeds(text) == ["example"]
    shipped = modelfile.load("assets/models/copy_lstm.npz")  # its symbols' columns could come from a CSV
    assert step_through.feeds(shipped) == ["example", "sequence"]
    assert step_through.trained_caption(shipped) == (
        f"LSTM, H = {shipped.rnn.hidden_size}, I = {shipped.rnn.input_size}, trained on copy."
    )
    assert step_through.trained_label(shipped.rnn, shipped) == f"trained LSTM (H = {shipped.rnn.hidden_size})"
    rnn = models.GRU(1, 2)
    sine = modelfile.load(modelfile.to_bytes(rnn, np.zeros((1, 2)), np.zeros(1), {"task": "sine"}))
    assert step_through.feeds(sine) == ["example", "sequence"]  # real numbers: its example or the user's


# ------------------------------------------------------------------------------------------------
# the Train page


def train_page() -> AppTest:
    at = page_app(TRAIN, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def test_a_torch_state_dict_is_shown_confirmed_and_becomes_the_session_model():
    module = net(I=2, H=5, O=3, layers=2, bidirectional=True, seed=1)
    at = upload(train_page(), TRAIN_KEY, "mine.pt", torch_bytes({"model_state_dict": module.state_dict()}))
    assert current(at) is None and not errors(at)  # nothing changes before the user confirms
    (table,) = tables(at)
    state = importers.read_torch_state_dict(torch_bytes(module.state_dict()))
    (candidate,) = importers.find_recurrent_modules(state)
    assert table == {
        what: model_upload.md(value) for what, value in importers.Inspection("torch").facts(candidate)
    }
    assert table["Architecture"] == r"nn.LSTM: weight\_hh\_l0 has 20 = 4 × 5 rows, 4 blocks (i, f, g, o)"
    assert table["Read-out"] == "head: a Linear from 10 to 3" and table["Layers"] == "2"
    notes = " ".join(c.value for c in at.caption)
    assert "The weights were found under 'model\\_state\\_dict'." in notes, notes
    assert "batch_first changes no weight" in notes
    submit(at)
    saved = current(at)
    assert saved is not None and saved.meta["source"]["found_under"] == "model_state_dict"
    x = np.random.default_rng(0).normal(size=(6, 2, 2))
    with torch.no_grad():
        assert max_rel(saved.predict(x)[0], module(torch.from_numpy(x)).numpy()) < TOL
    (success,) = [s.value for s in at.success]
    assert success.startswith("Loaded uploaded mine.pt (torch state dict, module rnn): LSTM, hidden size 5")
    assert not at.get("form")  # the form is done
    (link,) = [p for p in at.get("page_link") if p.proto.label == "Step through it"]
    assert link.proto.page.endswith("Step_through")


def test_an_rnn_asks_tanh_or_relu_and_relu_is_refused_by_name():
    module = net("RNN", seed=2)
    at = upload(train_page(), TRAIN_KEY, "rnn.pth", torch_bytes(module.state_dict()))
    question = at.radio(key=TRAIN_KEY + model_upload.NONLINEARITY)
    assert question.options == ["tanh", "relu"] and question.value is None
    submit(at)
    assert errors(at) == [model_upload.md("rnn.pth: rnn is an nn.RNN: its nonlinearity (tanh or relu) cannot "
                                          "be told from its weights; say which")]  # fmt: skip
    assert current(at) is None
    at.radio(key=TRAIN_KEY + model_upload.NONLINEARITY).set_value("relu")
    submit(at)
    assert "nonlinearity='relu' is not supported" in errors(at)[0] and current(at) is None
    at.radio(key=TRAIN_KEY + model_upload.NONLINEARITY).set_value("tanh")
    submit(at)
    assert not errors(at) and current(at).arch == "rnn"
    assert current(at).meta["source"]["nonlinearity"] == "tanh"


def test_several_modules_the_user_picks_one():
    owner = nn.Module()
    owner.encoder, owner.decoder = nn.GRU(1, 3), nn.LSTM(3, 2)
    at = upload(train_page(), TRAIN_KEY, "two.pt", torch_bytes(owner.double().state_dict()))
    assert len(at.get("table")) == 2
    at.radio(key=TRAIN_KEY + model_upload.MODULE).set_value("decoder")
    submit(at)
    assert current(at).arch == "lstm" and current(at).meta["source"]["module"] == "decoder"


class WouldRunCode:
    """Unpickling this calls open(path, "w"): the marker file appears if, and only if, the pickle ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_refusals_are_named_nothing_runs_and_the_session_model_stays(tmp_path):
    at = upload(train_page(), TRAIN_KEY, "good.pt", torch_bytes(net(H=6).state_dict()))
    submit(at)
    before = current(at)
    assert before.rnn.hidden_size == 6
    marker = tmp_path / "marker"
    bad = {
        "evil.pt": torch_bytes({"w": torch.zeros(1), "x": WouldRunCode(marker)}),
        "module.pt": torch_bytes(nn.LSTM(2, 3)),
        "proj.pt": torch_bytes(nn.LSTM(2, 4, proj_size=2).state_dict()),
        "transformer.pt": torch_bytes(nn.TransformerEncoderLayer(8, 2, 16).state_dict()),
        "hard.npz": keras_bytes(recurrent_activation=np.array("hard_sigmoid")),
        "truncated.pt": torch_bytes(net().state_dict())[:300],
    }
    said = {
        "evil.pt": "a pickled Python object (io.open)",
        "module.pt": "a pickled module (torch.nn.modules.rnn.LSTM)",
        "proj.pt": "proj\\_size=2",
        "transformer.pt": "looks like a transformer",
        "hard.npz": "recurrent\\_activation='hard\\_sigmoid' (a piecewise-linear gate",
        "truncated.pt": "corrupt or truncated",
    }
    for name, data in bad.items():
        upload(at, TRAIN_KEY, name, data)
        (error,) = errors(at)
        assert error.startswith(f"{name}: ") and said[name] in error, error
        assert current(at) is before and not at.get("form")
    assert not marker.exists()
    at.file_uploader(key=TRAIN_KEY).clear().run()  # an emptied box clears the message; the model stays
    assert not errors(at) and current(at) is before


def test_a_keras_export_asks_its_recurrent_activation_when_unrecorded():
    at = upload(train_page(), TRAIN_KEY, "keras.npz", keras_bytes(I=1, H=3))
    question = at.radio(key=TRAIN_KEY + model_upload.ACTIVATION)
    assert question.options == ["sigmoid", "hard_sigmoid"] and question.value is None
    question.set_value("hard_sigmoid")
    submit(at)
    assert "'hard\\_sigmoid' (a piecewise-linear gate" in errors(at)[0] and current(at) is None
    at.radio(key=TRAIN_KEY + model_upload.ACTIVATION).set_value("sigmoid")
    submit(at)
    assert not errors(at) and current(at).meta["source"]["format"] == "keras npz"
    at = upload(train_page(), TRAIN_KEY, "snippet.npz", keras_bytes(recurrent_activation=np.array("sigmoid")))
    assert TRAIN_KEY + model_upload.ACTIVATION not in [r.key for r in at.radio]  # recorded: nothing to ask
    assert tables(at)[0]["recurrent_activation"] == "sigmoid (recorded in the file)"
    submit(at)
    assert not errors(at) and current(at).rnn.input_size == 2


# ------------------------------------------------------------------------------------------------
# the Step through page


def sent(at: AppTest) -> dict:
    (element,) = at.get("bidi_component")
    return json.loads(element.proto.json)


def test_an_upload_on_step_through_opens_on_the_user_s_input():
    module = net(H=3, seed=5)
    at = page_app(STEP, default_timeout=60).run()
    before = at.session_state["st_x_last_good"].values
    upload(at, STEP_KEY, "net.pt", torch_bytes(module.state_dict()))
    submit(at)
    assert not errors(at) and not at.warning, [w.value for w in at.warning]
    assert at.radio(key="st_model_source").value == "trained model"
    assert not at.toast  # no "from the Train page": the user uploaded it here
    saved = current(at)
    x = make_sequence("sine")
    np.testing.assert_array_equal(at.session_state["st_x_last_good"].values, before)
    lt = saved.rnn.forward(x.reshape(-1, 1, 1))[2].layers[0][0]
    with torch.no_grad():  # the trace is torch's: its top layer's output is nn.LSTM's
        want = module.rnn(torch.from_numpy(x.reshape(-1, 1, 1)))[0].numpy()
    assert max_rel(lt.h, want) < TOL
    prediction = step_through.model_prediction(saved, x.reshape(-1, 1, 1))  # its read-out, on the page too
    with torch.no_grad():
        assert max_rel(prediction.y, module(torch.from_numpy(x.reshape(-1, 1, 1)))[:, 0].numpy()) < TOL
    shares = step_through.readout_shares(saved, prediction, lt, 0, 0, 0)
    caption = step_through.readings_caption(lt, 0, preset_label("sine", x))
    expected = step_payload(lt, 0, caption=caption, prediction=prediction, shares=shares)
    data = sent(at)
    assert {k: data[k] for k in expected} == expected
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "imported from a torch state dict (module 'rnn'); it names no task" in sidebar
    (success,) = [s.value for s in at.success]
    assert success.startswith("Loaded uploaded net.pt (torch state dict, module rnn): LSTM")


def test_a_model_with_three_inputs_says_what_it_expects_and_a_bad_file_keeps_the_session():
    at = page_app(STEP, default_timeout=60).run()
    upload(at, STEP_KEY, "three.pt", torch_bytes(net(I=3).state_dict()))
    submit(at)
    assert not errors(at)
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("This model reads 3 numbers per step; the input has 1 column. Pick 3 columns")
    assert warning.endswith("Showing the hand-set LSTM until then.")
    assert sent(at)["H"] == 8  # the hand-set LSTM meanwhile
    model = current(at)
    upload(at, STEP_KEY, "broken.pt", b"PK\x03\x04broken")
    assert [e.value for e in at.error][0].startswith("broken.pt: the file is corrupt or truncated")
    assert current(at) is model and at.session_state["st_x_last_good"].length == 100


def test_a_model_file_that_names_no_task_opens_on_the_sequence():
    rnn = models.GRU(1, 2, seed=3)
    data = modelfile.to_bytes(rnn, np.zeros((1, 2)), np.zeros(1), {})
    at = page_app(STEP, default_timeout=60).run()
    upload(at, STEP_KEY, "bare.npz", data)  # this app's own file: no form, it is used at once
    assert not errors(at) and not at.get("form")
    assert sent(at)["arch"] == "gru" and sent(at)["T"] == 100


def test_step_through_with_the_upload_panel_imports_no_torch():
    """torch is imported when a torch file is read, not when the page (and its panel) is drawn."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys; sys.path.insert(0, 'tests'); from app_support import page_app;"
        f"at = page_app({STEP!r}, default_timeout=60).run();"
        "assert not at.exception, at.exception; assert at.file_uploader(key='st_upload');"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=180)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stdout + out.stderr
