"""CLI: `train` prints one JSON line and saves a loadable model; `--help`, `info` work; bad args: one line."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_vault import modelfile, models

ROOT = Path(__file__).resolve().parent.parent
TINY = [
    "train",
    "--steps",
    "5",
    "--length",
    "10",
    "--hidden-size",
    "4",
    "--batch-size",
    "8",
    "--val-size",
    "16",
    "--eval-every",
    "2",
    "--device",
    "cpu",
]
KEYS = {"task", "arch", "steps", "train_loss", "val_loss", "baseline_loss", "seconds", "device"}


def cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "lstm_vault", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=120,
    )


def test_tiny_train_prints_one_json_line_and_saves(tmp_path):
    out = tmp_path / "model.npz"
    proc = cli(*TINY, "--arch", "gru", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert set(result) >= KEYS
    assert result["task"] == "adding" and result["arch"] == "gru" and result["steps"] == 5
    assert result["device"] == "cpu" and result["status"] == "done"
    assert result["baseline_loss"] > 0 and result["val_loss"] > 0
    assert "step 5/5" in proc.stderr  # progress went to stderr
    saved = modelfile.load(out)
    assert saved.arch == "gru" and saved.meta["training"]["steps"] == 5
    assert saved.meta["task_options"] == {"length": 10}

    info = cli("info", str(out))
    assert info.returncode == 0
    meta = json.loads(info.stdout)
    assert meta["arch"] == "gru" and "history" not in meta["training"] and meta["parameters"] > 0


def test_help_documents_units():
    proc = cli("train", "--help")
    assert proc.returncode == 0
    for text in ("--hidden-size", "--lr", "--max-seconds", "seconds", "--threads", "default: 3000"):
        assert text in proc.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["train", "--task", "nope"], "unknown task 'nope'"),
        (["train", "--length", "0"], "--length: must be at least 1"),
        (["train", "--length", "1"], "option 'length' must be an integer in [2,"),
        (["train", "--lr", "-0.1"], "lr must be a number in (0, 10]"),
        (["train", "--lr", "fast"], "--lr: expected a number"),
        (["train", "--arch", "transformer"], "invalid choice: 'transformer'"),
        (["train", "--out", "/no/such/folder/m.npz"], "does not exist"),
        (["info", "/no/such/file.npz"], "cannot read"),
        (["info", "pyproject.toml"], "not a model file"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_arguments_give_one_line(args, message):
    proc = cli(*args)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
    assert proc.stdout == ""


def test_unwritable_out(tmp_path):
    proc = cli(*TINY, "--out", "/proc/lstm_vault_model.npz")  # not writable even for root
    assert proc.returncode == 2 and "is not writable" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli(*TINY, "--out", str(tmp_path))
    assert proc.returncode == 2 and "is a directory" in proc.stderr


def test_cli_defaults_are_the_training_module_s():
    """The help's "(default: X)" for each setting is TrainConfig's own default."""
    from lstm_vault.__main__ import build_parser
    from lstm_vault.training import TrainConfig

    args, config = build_parser().parse_args(["train"]), TrainConfig()
    for name in ("task", "arch", "hidden_size", "num_layers", "batch_size", "lr", "steps", "clip", "seed",
                 "eval_every", "val_size", "device", "forget_bias"):  # fmt: skip
        assert getattr(args, name) == getattr(config, name), name
    assert "(default: 0)" in cli("train", "--help").stdout  # the seed's default is shown too


def test_first_ctrl_c_stops_prints_and_saves(tmp_path):
    """What the help says a first Ctrl-C does."""
    out = tmp_path / "stopped.npz"
    args = [*TINY, "--steps", "1000000", "--eval-every", "1", "--out", str(out)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "lstm_vault", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        first = proc.stderr.readline()  # the first progress line: training has started
        assert "step 1/1000000" in first, first
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    (line,) = stdout.strip().splitlines()
    result = json.loads(line)
    assert result["status"] == "stopped" and 0 < result["steps"] < 1_000_000 and result["val_loss"] > 0
    assert "stopped: stopped by request at step" in stderr
    assert modelfile.load(out).meta["training"]["steps"] == result["steps"]


def test_max_seconds_stops_prints_and_saves(tmp_path):
    out = tmp_path / "timed.npz"
    proc = cli(*TINY, "--steps", "1000000", "--max-seconds", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "time-limit" and 0 < result["steps"] < 1_000_000
    assert "time limit of 1 s reached" in proc.stderr
    assert modelfile.load(out).meta["training"]["status"] == "time-limit"


# ------------------------------------------------------------------------------------------------ convert


def torch_file(path, obj) -> str:
    import torch

    torch.save(obj, path)
    return str(path)


def run_main(capsys, *args) -> tuple[int, str, str]:
    """The CLI in this process (a traceback would fail the test); (exit code, stdout, stderr)."""
    from lstm_vault.__main__ import main

    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_convert_a_state_dict_then_info_reads_it(tmp_path, capsys):
    import torch
    from torch import nn

    torch.manual_seed(0)
    net = nn.Module()
    net.lstm, net.head = nn.LSTM(3, 4, 2, batch_first=True), nn.Linear(4, 2)
    net.double()
    out = tmp_path / "model.npz"
    code, stdout, stderr = run_main(
        capsys, "convert", torch_file(tmp_path / "m.pt", net.state_dict()), "--out", out
    )
    assert code == 0 and stderr == ""
    result = json.loads(stdout)
    assert result["out"] == str(out) and result["arch"] == "lstm" and result["num_layers"] == 2
    assert (result["input_size"], result["hidden_size"], result["output_size"]) == (3, 4, 2)
    assert result["source"]["module"] == "lstm" and result["source"]["readout"] == "head"
    saved = modelfile.load(out)
    x = np.random.default_rng(0).normal(size=(5, 2, 3))
    with torch.no_grad():
        want = net.head(net.lstm(torch.from_numpy(x).transpose(0, 1))[0]).transpose(0, 1).numpy()
    np.testing.assert_allclose(saved.predict(x)[0], want, rtol=1e-10, atol=1e-12)
    info = cli("info", str(out))  # a fresh process, as a user runs it
    assert info.returncode == 0 and json.loads(info.stdout)["source"]["format"] == "torch state dict"


def test_convert_flags_answer_what_the_weights_cannot_tell(tmp_path, capsys):
    from torch import nn

    net = nn.Module()
    net.first, net.second = nn.RNN(2, 3), nn.GRU(2, 3)
    path, out = torch_file(tmp_path / "two.pt", net.state_dict()), tmp_path / "out.npz"
    code, _, err = run_main(capsys, "convert", path, "--out", out)
    assert code == 1 and err.startswith(
        f"error: {path}: the file holds several recurrent modules; choose one"
    )
    code, _, err = run_main(capsys, "convert", path, "--out", out, "--module", "first")
    assert code == 1 and "first is an nn.RNN: its nonlinearity (tanh or relu) cannot be told" in err
    code, _, err = run_main(
        capsys, "convert", path, "--out", out, "--module", "first", "--rnn-nonlinearity", "relu"
    )
    assert code == 1 and "nonlinearity='relu' is not supported" in err and not out.exists()
    code, stdout, _ = run_main(
        capsys, "convert", path, "--out", out, "--module", "first", "--rnn-nonlinearity", "tanh"
    )
    assert code == 0 and json.loads(stdout)["arch"] == "rnn" and modelfile.load(out).arch == "rnn"

    keras = tmp_path / "keras.npz"
    rng = np.random.default_rng(1)
    np.savez(
        keras, kernel=rng.normal(size=(2, 8)), recurrent_kernel=rng.normal(size=(2, 8)), bias=np.zeros(8)
    )
    code, _, err = run_main(capsys, "convert", keras, "--out", out)
    assert code == 1 and "does not record the LSTM's recurrent_activation" in err
    code, _, err = run_main(capsys, "convert", keras, "--out", out, "--keras-activation", "hard_sigmoid")
    assert code == 1 and "recurrent_activation='hard_sigmoid' (a piecewise-linear gate" in err
    code, stdout, _ = run_main(capsys, "convert", keras, "--out", out, "--keras-activation", "sigmoid")
    assert code == 0 and json.loads(stdout)["source"]["format"] == "keras npz"


class WouldRunCode:
    """Unpickling this calls open(path, "w"): the marker file appears if, and only if, the pickle ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_convert_refusals_are_one_line_without_a_traceback(tmp_path, capsys):
    import torch
    from torch import nn

    good = torch_file(tmp_path / "good.pt", nn.LSTM(2, 3).state_dict())
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(Path(good).read_bytes()[:400])
    marker = tmp_path / "marker"
    out = tmp_path / "out.npz"
    in_a_process = {  # the three a user meets most, as a user runs them
        str(corrupt): "the file is corrupt or truncated (bad zip archive",
        torch_file(tmp_path / "module.pt", nn.LSTM(2, 3)): "a pickled module (torch.nn.modules.rnn.LSTM)",
        str(tmp_path / "missing.pt"): "cannot read",
    }
    for path, message in in_a_process.items():
        proc = cli("convert", path, "--out", str(out))
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
        assert proc.stdout == "" and not out.exists()
    in_this_one = {
        torch_file(tmp_path / "evil.pt", {"w": torch.zeros(1), "x": WouldRunCode(marker)}): "(io.open)",
        "pyproject.toml": "not a model file, torch state dict or Keras export",
    }
    for path, message in in_this_one.items():
        code, stdout, stderr = run_main(capsys, "convert", path, "--out", out)
        assert code == 1 and stdout == "" and len(stderr.splitlines()) == 1 and message in stderr, stderr
    assert not marker.exists() and not out.exists()  # nothing in the pickle ran
    code, _, stderr = run_main(capsys, "convert", good)
    assert code == 2 and "the following arguments are required: --out" in stderr


def test_help_says_which_commands_import_torch_and_info_does_not(tmp_path):
    top = cli("--help").stdout
    assert "train and convert import torch; info does not." in " ".join(top.split())
    assert "--rnn-nonlinearity" in cli("convert", "--help").stdout
    rnn = models.LSTM(1, 2)
    path = tmp_path / "m.npz"
    modelfile.save(path, rnn, np.zeros((1, 2)), np.zeros(1))
    code = (
        "import sys; from lstm_vault.__main__ import main; "
        f"main(['info', {str(path)!r}]); print('torch' in sys.modules)"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 0 and proc.stdout.strip().splitlines()[-1] == "False", proc.stderr
