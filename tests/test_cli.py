"""CLI: `train` prints one JSON line and saves a loadable model; `--help`, `info` work; bad args: one line."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lstm_vault import modelfile

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
