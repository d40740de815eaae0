"""importers: torch state dicts and Keras LSTM weights become models that reproduce torch's and Keras's
outputs; every file that cannot be one (a pickled object, a transformer, proj_size, relu, corrupt bytes) is
refused by name, and a pickle that would run code is refused without running it."""

import io
import zipfile

import numpy as np
import pytest
import torch
from torch import nn
from torch_ref import max_rel

from lstm_vault import importers, modelfile
from lstm_vault.importers import ModelImportError

TOL = 1e-10


def saved_bytes(obj, **kwargs) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer, **kwargs)
    return buffer.getvalue()


def import_module(module: nn.Module, **kwargs):
    """module -> (state, candidates) through the bytes torch.save writes."""
    state = importers.read_torch_state_dict(saved_bytes(module.state_dict()))
    return state, importers.find_recurrent_modules(state)


def torch_output(module, x, batch_first=False):
    """(output (T, B, D*H), state) of a torch recurrent module for time-major float64 x (T, B, I)."""
    with torch.no_grad():
        tx = torch.from_numpy(x)
        out, state = module(tx.transpose(0, 1) if batch_first else tx)
    out = out.transpose(0, 1) if batch_first else out
    return out.numpy(), tuple(s.numpy() for s in (state if isinstance(state, tuple) else (state,)))


def assert_same_as_torch(saved, module, x, batch_first=False):
    output, state, _ = saved.rnn.forward(x)
    want, want_state = torch_output(module, x, batch_first)
    assert max_rel(output, want) < TOL
    for mine, theirs in zip(state if isinstance(state, tuple) else (state,), want_state):
        assert max_rel(mine, theirs) < TOL


def inputs(T=7, B=3, I=2, seed=0):
    return np.random.default_rng(seed).normal(size=(T, B, I))


# ------------------------------------------------------------------------------------------------
# torch modules: every architecture, shape and layout reproduces torch


@pytest.mark.parametrize(
    "kind, layers, bidirectional, batch_first",
    [
        ("LSTM", 1, False, False),
        ("LSTM", 2, False, True),
        ("LSTM", 2, True, True),
        ("LSTM", 1, True, False),
        ("GRU", 2, True, False),
        ("GRU", 1, False, True),
        ("RNN", 2, False, False),
        ("RNN", 1, True, True),
    ],
)
def test_recurrent_module_reproduces_torch(kind, layers, bidirectional, batch_first):
    torch.manual_seed(1)
    module = getattr(nn, kind)(3, 5, layers, bidirectional=bidirectional, batch_first=batch_first).double()
    state, candidates = import_module(module)
    (candidate,) = candidates
    assert (candidate.arch, candidate.input_size, candidate.hidden_size) == (kind.lower(), 3, 5)
    assert (candidate.num_layers, candidate.bidirectional, candidate.bias) == (layers, bidirectional, True)
    assert candidate.prefix == "" and candidate.problem is None and candidate.readout is None
    assert candidate.ask_nonlinearity is (kind == "RNN")
    saved = importers.to_saved_model(state, candidate)
    assert not saved.has_readout and saved.meta["output_size"] == 0
    assert_same_as_torch(saved, module, inputs(I=3), batch_first)
    y, _ = saved.predict(inputs(I=3))
    assert y.shape == (7, 3, 0)


class WithHead(nn.Module):
    """A recurrent module plus a Linear read-out, the shape of most trained sequence models."""

    def __init__(self, kind, I=2, H=4, O=3, layers=1, bidirectional=False, bias=True):
        super().__init__()
        self.rnn = getattr(nn, kind)(I, H, layers, bias=bias, bidirectional=bidirectional)
        self.head = nn.Linear(H * (2 if bidirectional else 1), O)

    def forward(self, x):
        return self.head(self.rnn(x)[0])


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_module_with_linear_predicts_as_torch(kind, bidirectional):
    torch.manual_seed(2)
    net = WithHead(kind, layers=2, bidirectional=bidirectional).double()
    state, (candidate,) = import_module(net)
    assert candidate.prefix == "rnn." and candidate.readout == "head." and candidate.output_size == 3
    assert "Read-out: head" in candidate.note
    saved = importers.to_saved_model(state, candidate)
    x = inputs()
    y, trace = saved.predict(x)
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    assert y.shape == want.shape == (7, 3, 3)
    assert max_rel(y, want) < TOL
    assert trace.arch == kind.lower()
    assert saved.meta["source"]["readout"] == "head" and saved.meta["source"]["module"] == "rnn"


def test_float32_weights_are_read_exactly():
    """A float32 module (torch's default) turns float64 unrounded: it equals the module in float64."""
    torch.manual_seed(3)
    net = WithHead("LSTM")
    state, (candidate,) = import_module(net)
    saved = importers.to_saved_model(state, candidate)
    x = inputs()
    with torch.no_grad():
        want = net.double()(torch.from_numpy(x)).numpy()
    assert max_rel(saved.predict(x)[0], want) < TOL


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_bias_false_is_found_and_reproduced(kind):
    torch.manual_seed(4)
    net = WithHead(kind, layers=2, bias=False).double()
    state, (candidate,) = import_module(net)
    assert candidate.bias is False and "bias=False" in candidate.label
    assert not any(key.startswith("rnn.bias") for key in state)
    saved = importers.to_saved_model(state, candidate)
    assert all(not np.any(v) for k, v in saved.rnn.params.items() if k.startswith("bias_"))
    x = inputs()
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    assert max_rel(saved.predict(x)[0], want) < TOL
    assert saved.meta["source"]["bias"] is False


def test_prefix_and_nested_checkpoint():
    torch.manual_seed(5)
    net = nn.Module()
    net.encoder = nn.Module()
    net.encoder.lstm = nn.LSTM(2, 6, batch_first=True)
    net.double()
    checkpoint = {"epoch": 7, "model_state_dict": net.state_dict(), "optimizer_state_dict": {}}
    state = importers.read_torch_state_dict(saved_bytes(checkpoint))
    assert state.location == "model_state_dict"
    assert "'model_state_dict'" in state.note and "epoch" in state.note
    (candidate,) = importers.find_recurrent_modules(state)
    assert candidate.prefix == "encoder.lstm." and candidate.name == "encoder.lstm"
    assert candidate.label.startswith("encoder.lstm: nn.LSTM, I=2, H=6, 1 layer")
    saved = importers.to_saved_model(state, candidate, meta={"task": None})
    assert saved.meta["source"]["found_under"] == "model_state_dict"
    assert_same_as_torch(saved, net.encoder.lstm, inputs(), batch_first=True)


class TwoModules(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.GRU(2, 4)
        self.decoder = nn.LSTM(4, 4, 2)
        self.out = nn.Linear(4, 1)


def test_two_recurrent_modules_are_each_a_candidate():
    torch.manual_seed(6)
    net = TwoModules().double()
    state, candidates = import_module(net)
    assert [c.name for c in candidates] == ["encoder", "decoder"]
    assert [c.arch for c in candidates] == ["gru", "lstm"]
    # out fits both (H = 4): it is taken to read the decoder, saved just before it, and both notes say so
    assert candidates[0].readout is None and candidates[1].readout == "out."
    assert all("out fits 2 modules" in c.note for c in candidates)
    for candidate, module in zip(candidates, (net.encoder, net.decoder)):
        saved = importers.to_saved_model(state, candidate)
        assert_same_as_torch(saved, module, inputs(I=candidate.input_size))
    with pytest.raises(ModelImportError, match="several recurrent modules; choose one"):
        importers.convert(saved_bytes(net.state_dict()))
    chosen = importers.convert(saved_bytes(net.state_dict()), module="encoder")
    assert chosen.arch == "gru" and chosen.meta["source"]["module"] == "encoder"


def test_deeper_head_means_no_readout():
    torch.manual_seed(7)
    net = nn.Module()
    net.gru = nn.GRU(3, 4)
    net.head = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    state, (candidate,) = import_module(net.double())
    assert candidate.readout is None and candidate.output_size == 0
    assert "deeper head (head.0 (8, 4) then head.2 (1, 8))" in candidate.note
    assert "Not used: 4 tensors: head.0.weight (8, 4)" in candidate.note
    saved = importers.to_saved_model(state, candidate)
    assert not saved.has_readout
    assert_same_as_torch(saved, net.gru, inputs(I=3))


def test_model_without_readout_round_trips_the_model_file():
    torch.manual_seed(8)
    module = nn.LSTM(2, 3, bidirectional=True).double()
    state, (candidate,) = import_module(module)
    saved = importers.to_saved_model(state, candidate)
    data = modelfile.to_bytes(saved.rnn, saved.readout_weight, saved.readout_bias, saved.meta)
    again = modelfile.load(data)
    assert again.meta == saved.meta and not again.has_readout
    for name, value in saved.rnn.params.items():
        np.testing.assert_array_equal(again.rnn.params[name], value)
    with pytest.raises(ValueError, match="no read-out"):
        modelfile.load_torch(modelfile.to_bytes(saved.rnn, saved.readout_weight, saved.readout_bias))


def test_model_with_readout_round_trips_the_model_file():
    torch.manual_seed(9)
    net = WithHead("GRU", bidirectional=True).double()
    state, (candidate,) = import_module(net)
    saved = importers.to_saved_model(state, candidate, meta={"training": {"steps": 0}})
    data = modelfile.to_bytes(saved.rnn, saved.readout_weight, saved.readout_bias, saved.meta)
    again = modelfile.load(data)
    x = inputs()
    np.testing.assert_array_equal(again.predict(x)[0], saved.predict(x)[0])
    assert again.meta["source"] == saved.meta["source"] and again.meta["training"] == {"steps": 0}
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    assert max_rel(modelfile.load_torch(data)(torch.from_numpy(x)).detach().numpy(), want) < TOL


# ------------------------------------------------------------------------------------------------
# refusals, each by name


def test_proj_size_is_refused():
    state, (candidate,) = import_module(nn.LSTM(2, 5, proj_size=3))
    assert candidate.proj_size == 3 and candidate.hidden_size == 5
    assert "proj_size=3" in candidate.problem and "cannot be converted" in candidate.label
    with pytest.raises(ModelImportError, match=r"proj_size=3 \(weight_hr_l0 has shape \(3, 5\)\)"):
        importers.to_saved_model(state, candidate)


def test_rnn_nonlinearity_is_asked_and_relu_refused():
    module = nn.RNN(2, 3, nonlinearity="relu")
    state, (candidate,) = import_module(module)
    assert candidate.ask_nonlinearity and "nonlinearity (tanh or relu) cannot be told" in candidate.note
    with pytest.raises(ModelImportError, match="nonlinearity='relu' is not supported"):
        importers.to_saved_model(state, candidate, nonlinearity="relu")
    with pytest.raises(ValueError, match="'tanh' or 'relu'"):
        importers.to_saved_model(state, candidate, nonlinearity="sigmoid")
    with pytest.raises(ModelImportError, match="is an nn.RNN: its nonlinearity"):
        importers.convert(saved_bytes(module.state_dict()))
    assert importers.convert(saved_bytes(module.state_dict()), nonlinearity="tanh").arch == "rnn"


def test_transformer_is_refused_by_name():
    module = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1, enable_nested_tensor=False)
    state = importers.read_torch_state_dict(saved_bytes(module.state_dict()))
    with pytest.raises(ModelImportError) as refused:
        importers.find_recurrent_modules(state)
    message = str(refused.value)
    assert "no recurrent module" in message and "looks like a transformer" in message
    assert "'layers.0.self_attn.in_proj_weight'" in message
    assert f"Found {len(state)} tensors: layers.0.self_attn.in_proj_weight (24, 8)" in message


def test_recurrent_cell_is_refused_by_name():
    state = importers.read_torch_state_dict(saved_bytes(nn.LSTMCell(2, 3).state_dict()))
    with pytest.raises(ModelImportError, match=r"a recurrent cell \('weight_ih': nn.LSTMCell"):
        importers.find_recurrent_modules(state)


def test_mismatched_shapes_are_named():
    state = {k: v.clone() for k, v in nn.LSTM(2, 4, 2).state_dict().items()}
    state["weight_ih_l1"] = torch.zeros(16, 3)
    state = importers.read_torch_state_dict(saved_bytes(state))
    (candidate,) = importers.find_recurrent_modules(state)
    assert "weight_ih_l1 has shape (16, 3); a lstm of this size needs (16, 4)" in candidate.problem
    with pytest.raises(ModelImportError, match="weight_ih_l1 has shape"):
        importers.to_saved_model(state, candidate)
    odd = {"weight_ih_l0": np.zeros((10, 2)), "weight_hh_l0": np.zeros((10, 4))}
    (candidate,) = importers.find_recurrent_modules(odd)
    assert "rows are not 4, 3 or 1 times its columns" in candidate.problem


def test_pickled_module_is_refused():
    with pytest.raises(ModelImportError) as refused:
        importers.read_torch_state_dict(saved_bytes(nn.LSTM(2, 3)))
    assert "a pickled module (torch.nn.modules.rnn.LSTM)" in str(refused.value)
    assert "torch.save(model.state_dict(), path)" in str(refused.value)


@pytest.mark.parametrize(
    "obj, found",
    [
        ([torch.zeros(2)], "a list of 1 item(s)"),
        (torch.zeros(2, 3), "a tensor of shape (2, 3)"),
        ({}, "an empty dict"),
        ({"w": torch.zeros(1), "epoch": 3}, "non-tensor entries epoch (an int)"),
        ({5: torch.zeros(1)}, "has keys that are not names: 5 (an int)"),
        (
            {"state_dict": {"w": torch.zeros(1), "name": "x"}},
            "'state_dict' holds non-tensor entries: name (a str)",
        ),
    ],
)
def test_non_tensor_contents_are_refused_by_name(obj, found):
    with pytest.raises(ModelImportError) as refused:
        importers.read_torch_state_dict(saved_bytes(obj))
    assert found in str(refused.value)


class WouldRunCode:
    """Unpickling this calls open(path, "w"): the marker file appears if, and only if, the pickle ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickle_that_would_run_code_is_refused_without_running_it(tmp_path):
    # the same kind of file really does run code when unpickled without weights_only (the test can fail)
    control = tmp_path / "control_marker"
    torch.load(io.BytesIO(saved_bytes({"w": torch.zeros(1), "x": WouldRunCode(control)})), weights_only=False)
    assert control.exists()
    marker = tmp_path / "marker"
    data = saved_bytes({"w": torch.zeros(1), "x": WouldRunCode(marker)})
    assert not marker.exists()
    with pytest.raises(ModelImportError) as refused:
        importers.read_torch_state_dict(data)
    assert not marker.exists()
    assert "a pickled Python object (io.open)" in str(refused.value)  # builtins.open is io.open
    assert "nothing in it was run" in str(refused.value)
    path = tmp_path / "evil.pt"
    path.write_bytes(data)
    with pytest.raises(ModelImportError):
        importers.convert(path)
    assert not marker.exists()


def test_size_limit(tmp_path):
    data = saved_bytes(nn.LSTM(2, 3).state_dict())
    with pytest.raises(ModelImportError, match=f"too large: over {len(data) - 1} bytes"):
        importers.read_torch_state_dict(data, max_bytes=len(data) - 1)
    path = tmp_path / "model.pt"
    path.write_bytes(data)
    with pytest.raises(ModelImportError, match=f"too large: {len(data)} bytes \\(the limit is 100\\)"):
        importers.read_torch_state_dict(path, max_bytes=100)
    assert set(importers.read_torch_state_dict(path)) == set(nn.LSTM(2, 3).state_dict())
    with open(path, "rb") as f:
        assert set(importers.read_torch_state_dict(f)) == set(nn.LSTM(2, 3).state_dict())


def test_zip_bomb_is_refused_unread():
    """A torch file whose storage record would inflate to over 64 MB is refused before torch opens it."""
    data = saved_bytes({"w": torch.zeros(4)})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, content in members.items():
            if name.endswith("data/0"):
                content = bytes(importers.MAX_FILE_BYTES + 1)
            zf.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
    bomb = buffer.getvalue()
    assert len(bomb) < 1_000_000
    with pytest.raises(ModelImportError, match="would unpack to .* bytes, over the limit"):
        importers.read_torch_state_dict(bomb)


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda d: d[: len(d) // 2], "corrupt or truncated"),
        (lambda d: d[:-30], "corrupt or truncated"),
        (lambda d: d[:200] + bytes(64) + d[264:], "corrupt"),
        (lambda d: b"name,value\n1,2\n", "not a torch file: torch.save writes a zip archive"),
        (lambda d: b"", "is empty"),
    ],
)
def test_corrupt_bytes_get_a_readable_error(mangle, message):
    data = mangle(saved_bytes(nn.LSTM(2, 3).state_dict()))
    with pytest.raises(ModelImportError, match=message):
        importers.read_torch_state_dict(data)


def test_npz_is_not_taken_for_a_torch_file():
    buffer = io.BytesIO()
    np.savez(buffer, kernel=np.zeros((2, 4)))
    with pytest.raises(ModelImportError, match="a NumPy .npz archive, not a torch file"):
        importers.read_torch_state_dict(buffer.getvalue())


def test_legacy_torch_format_is_refused_with_the_way_to_resave():
    """Only torch's zip format is read: its records carry sizes and CRCs, so corrupt bytes fail cleanly."""
    data = saved_bytes(nn.GRU(2, 3).state_dict(), _use_new_zipfile_serialization=False)
    with pytest.raises(ModelImportError, match=r"old-style torch file .* torch.save\(torch.load\(path"):
        importers.read_torch_state_dict(data)


# ------------------------------------------------------------------------------------------------
# Keras


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def keras_lstm(x, kernel, recurrent_kernel, bias):
    """Keras's LSTMCell written out (recurrent_activation sigmoid): x (T, B, I) -> h (T, B, H).

    z = x_t kernel + h_{t-1} recurrent_kernel + bias, split into i, f, c, o; c_t = f c_{t-1} + i tanh(z_c);
    h_t = o tanh(c_t).
    """
    T, B, _ = x.shape
    H = recurrent_kernel.shape[0]
    h, c, out = np.zeros((B, H)), np.zeros((B, H)), []
    for t in range(T):
        z = x[t] @ kernel + h @ recurrent_kernel + bias
        z_i, z_f, z_c, z_o = (z[:, k * H : (k + 1) * H] for k in range(4))
        c = sigmoid(z_f) * c + sigmoid(z_i) * np.tanh(z_c)
        h = sigmoid(z_o) * np.tanh(c)
        out.append(h)
    return np.stack(out)


def keras_npz(rng, I, H, **extra) -> bytes:
    """What the export snippet writes (recurrent_activation "sigmoid" unless ``extra`` says; None: absent)."""
    arrays = dict(
        kernel=rng.normal(size=(I, 4 * H)),
        recurrent_kernel=rng.normal(size=(H, 4 * H)) / np.sqrt(H),
        bias=rng.normal(size=4 * H),
        recurrent_activation=np.array("sigmoid"),
    )
    arrays = {k: v for k, v in (arrays | extra).items() if v is not None}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize("seed", range(4))
def test_keras_conversion_matches_keras_equations(seed):
    rng = np.random.default_rng(seed)
    I, H, T, B = (int(v) for v in rng.integers(1, 9, size=4))
    data = keras_npz(rng, I, H)
    with np.load(io.BytesIO(data)) as npz:
        kernel, recurrent_kernel, bias = npz["kernel"], npz["recurrent_kernel"], npz["bias"]
    saved = importers.read_keras_npz(data)
    assert (saved.arch, saved.rnn.input_size, saved.rnn.hidden_size) == ("lstm", I, H)
    np.testing.assert_array_equal(saved.rnn.params["weight_ih_l0"], kernel.T)
    np.testing.assert_array_equal(saved.rnn.params["bias_hh_l0"], np.zeros(4 * H))
    x = rng.normal(size=(T, B, I))
    output, _, _ = saved.rnn.forward(x)
    want = keras_lstm(x, kernel, recurrent_kernel, bias)
    assert np.max(np.abs(output - want)) < 1e-12
    assert saved.meta["source"] == {"format": "keras npz", "recurrent_activation": "sigmoid", "readout": None}
    assert importers.convert(data).meta["source"]["format"] == "keras npz"


def test_keras_dense_readout():
    rng = np.random.default_rng(11)
    I, H, O = 3, 5, 2
    dense_kernel, dense_bias = rng.normal(size=(H, O)), rng.normal(size=O)
    data = keras_npz(rng, I, H, dense_kernel=dense_kernel, dense_bias=dense_bias)
    with np.load(io.BytesIO(data)) as npz:
        kernel, recurrent_kernel, bias = npz["kernel"], npz["recurrent_kernel"], npz["bias"]
    saved = importers.read_keras_npz(data)
    x = rng.normal(size=(6, 2, I))
    want = keras_lstm(x, kernel, recurrent_kernel, bias) @ dense_kernel + dense_bias
    assert np.max(np.abs(saved.predict(x)[0] - want)) < 1e-12


@pytest.mark.parametrize(
    "extra, message",
    [
        (dict(recurrent_activation=np.array("hard_sigmoid")), "'hard_sigmoid' .*piecewise-linear"),
        (dict(activation=np.array("relu")), "activation='relu' is not supported"),
        (dict(kernel_1=np.zeros((2, 4))), "this file holds 5 tensors: kernel"),
        (dict(dense_kernel=np.zeros((4, 2))), r"dense_kernel must be floats of shape \(H, O\) = \(3, O\)"),
        (dict(dense_kernel=np.zeros((3, 2)), dense_bias=np.zeros(3)), r"dense_bias must be .* \(2,\)"),
        (dict(dense_bias=np.zeros(3)), "dense_bias but no dense_kernel"),
        (dict(bias=np.zeros(3)), r"shapes do not fit a Keras LSTM .* bias \(3,\)"),
        (dict(kernel=np.array([object()])), "cannot be read without unpickling"),
    ],
)
def test_keras_refusals(extra, message):
    with pytest.raises(ModelImportError, match=message):
        importers.read_keras_npz(keras_npz(np.random.default_rng(0), 2, 3, **extra))


def test_keras_recurrent_activation_is_asked_when_the_file_does_not_record_it():
    rng = np.random.default_rng(12)
    data = keras_npz(rng, 2, 3, recurrent_activation=None)
    with pytest.raises(
        ModelImportError, match="does not record the LSTM's recurrent_activation .* say which"
    ):
        importers.read_keras_npz(data)
    found = importers.inspect_file(data)
    assert found.kind == "keras" and found.asks_recurrent_activation
    with pytest.raises(ModelImportError, match="'hard_sigmoid' .*piecewise-linear"):
        found.build(recurrent_activation="hard_sigmoid")
    saved = found.build(recurrent_activation="sigmoid")
    with np.load(io.BytesIO(data)) as npz:
        kernel, recurrent_kernel, bias = npz["kernel"], npz["recurrent_kernel"], npz["bias"]
    x = rng.normal(size=(5, 2, 2))
    assert np.max(np.abs(saved.rnn.forward(x)[0] - keras_lstm(x, kernel, recurrent_kernel, bias))) < 1e-12
    recorded = importers.inspect_file(keras_npz(rng, 2, 3))  # the snippet records it: nothing to ask
    assert recorded.recurrent_activation == "sigmoid" and not recorded.asks_recurrent_activation
    assert recorded.build().arch == "lstm"
    with pytest.raises(ModelImportError, match="records recurrent_activation='sigmoid', not 'hard_sigmoid'"):
        recorded.build(recurrent_activation="hard_sigmoid")


def test_keras_snippet_is_three_statements_writing_the_read_members():
    snippet = importers.KERAS_EXPORT_SNIPPET
    assert snippet.count("\n") == 3 and snippet.startswith("import numpy as np")
    for member in ("kernel=", "recurrent_kernel=", "bias=", "recurrent_activation="):
        assert member in snippet


# ------------------------------------------------------------------------------------------------
# any file: told apart by content, with what the user must be asked


def test_inspect_file_tells_the_kinds_apart_by_content():
    torch.manual_seed(13)
    net = WithHead("LSTM", bidirectional=True).double()
    found = importers.inspect_file(saved_bytes(net.state_dict()))
    assert found.kind == "torch" and [c.name for c in found.convertible] == ["rnn"]
    assert not found.asks_nonlinearity and not found.asks_recurrent_activation
    assert found.candidates[0].readout_summary == "head: a Linear from 8 to 3"
    x = inputs()
    with torch.no_grad():
        assert max_rel(found.build().predict(x)[0], net(torch.from_numpy(x)).numpy()) < TOL

    model = found.build()
    data = modelfile.to_bytes(model.rnn, model.readout_weight, model.readout_bias, model.meta)
    own = importers.inspect_file(data)  # an lstm_vault model file: nothing to confirm
    assert own.kind == "model" and own.build() is own.saved and own.saved.meta == model.meta
    assert importers.inspect_file(keras_npz(np.random.default_rng(0), 2, 3)).kind == "keras"


@pytest.mark.parametrize(
    "data, message",
    [
        (
            b"a,b\n1,2\n",
            r"not a model file, torch state dict or Keras export .* bytes starting b'a,b\\n1,2\\n'",
        ),
        (b"\x93NUMPY\x01\x00", "holds a single .npy array"),
        (None, "neither an lstm_vault model file .* nor a Keras LSTM export .*: it holds weights"),
    ],
)
def test_inspect_file_names_what_else_it_found(data, message):
    if data is None:
        buffer = io.BytesIO()
        np.savez(buffer, weights=np.zeros(3))
        data = buffer.getvalue()
    with pytest.raises(ModelImportError, match=message):
        importers.inspect_file(data)


def test_an_rnn_asks_its_nonlinearity_and_several_modules_ask_which():
    torch.manual_seed(14)
    net = nn.Module()
    net.first = nn.RNN(2, 3)
    net.second = nn.LSTM(3, 4)
    found = importers.inspect_file(saved_bytes(net.double().state_dict()))
    assert [c.name for c in found.convertible] == ["first", "second"] and found.asks_nonlinearity
    with pytest.raises(ModelImportError, match="several recurrent modules; choose one: first: nn.RNN"):
        found.build()
    with pytest.raises(ModelImportError, match="first is an nn.RNN: its nonlinearity"):
        found.build(module="first")
    with pytest.raises(ModelImportError, match="nonlinearity='relu' is not supported"):
        found.build(module="first", nonlinearity="relu")
    assert_same_as_torch(found.build(module="first", nonlinearity="tanh"), net.first, inputs())
    assert_same_as_torch(found.build(module="second"), net.second, inputs(I=3))
    with pytest.raises(ModelImportError, match="no recurrent module 'third'; found first, second"):
        found.build(module="third")


def test_a_file_whose_only_module_cannot_be_converted_is_refused_at_once():
    with pytest.raises(ModelImportError, match="proj_size=2"):
        importers.inspect_file(saved_bytes(nn.LSTM(2, 4, proj_size=2).state_dict()))
    net = nn.Module()
    net.bad = nn.LSTM(2, 4, proj_size=2)
    net.good = nn.GRU(2, 3)
    found = importers.inspect_file(saved_bytes(net.state_dict()))
    assert [c.name for c in found.convertible] == ["good"] and "proj_size=2" in found.problems[0]
    assert found.build().arch == "gru"  # the only convertible one needs no choice
    with pytest.raises(ModelImportError, match="proj_size=2"):
        found.build(module="bad")


def test_readout_summaries_name_why_there_is_none():
    net = nn.Module()
    net.gru = nn.GRU(3, 4)
    net.head = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    (deeper,) = import_module(net)[1]
    assert deeper.readout_summary == "none: a deeper head (head.0 (8, 4) then head.2 (1, 8))"
    (bare,) = import_module(nn.GRU(3, 4))[1]
    assert bare.readout_summary == "none: no Linear reads its output"
    head = WithHead("RNN")
    head.head = nn.Linear(4, 3, bias=False)
    (linear,) = import_module(head)[1]
    assert linear.readout_summary == "head: a Linear from 4 to 3 (no bias: zero)"


def test_the_readme_holds_the_keras_snippet_and_the_torch_save_line():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Your own model", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```python\n")[1:]
    assert [block.split("\n```", 1)[0] for block in blocks] == [
        'torch.save(model.state_dict(), "model.pt")',
        importers.KERAS_EXPORT_SNIPPET,
    ]
    assert "python -m lstm_vault convert model.pt --out model.npz" in section


def test_facts_are_read_from_the_weights():
    found = importers.inspect_file(saved_bytes(nn.RNN(1, 2, 2, bias=False, bidirectional=True).state_dict()))
    facts = dict(found.facts(found.candidates[0]))
    assert facts["Architecture"] == "nn.RNN: weight_hh_l0 has 2 = 1 × 2 rows, 1 block (no gates)"
    assert facts["Input size"] == "1 number per step (columns of weight_ih_l0)"
    assert facts["Layers"] == "2" and facts["Bidirectional"] == "yes: _reverse weights, D·H = 4 outputs"
    assert facts["Bias"] == "no (bias=False): converted with zero biases, the same outputs"
    found = importers.inspect_file(saved_bytes(nn.GRU(3, 5).state_dict()))
    assert dict(found.facts(found.candidates[0]))["Architecture"] == (
        "nn.GRU: weight_hh_l0 has 15 = 3 × 5 rows, 3 blocks (r, z, n)"
    )
    rng = np.random.default_rng(0)
    keras = importers.inspect_file(keras_npz(rng, 2, 3, recurrent_activation=None, bias=None))
    assert dict(keras.facts()) == {
        "Architecture": "Keras LSTM: kernel (2, 12) = (I, 4H), 4 blocks (i, f, c, o)",
        "Input size": "2 numbers per step (rows of kernel)",
        "Hidden size": "3",
        "Layers": "1",
        "Bidirectional": "no",
        "Bias": "no (use_bias=False): converted with zero biases",
        "Read-out": "none (no dense_kernel)",
        "recurrent_activation": "not recorded: the weights cannot tell",
    }
