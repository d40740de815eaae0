"""Which trained models the Vanishing gradients page can compare, and one example of their task to run.

A comparison is a :class:`Pair`: a trained model (a :class:`~lstm_vault.modelfile.SavedModel`) or None
(untrained, built by :func:`lstm_vault.vanishing.compare_gradients`) on each side. Sources, as the page
offers them:

- "session": the session's trained LSTM and RNN, from the Train page's last run (which trains them side by
  side), or the current model plus that run's model of the other architecture on the same task;
- "shipped": ``assets/models/adding_lstm.npz`` and ``adding_rnn.npz``, the same command with ``--arch``
  ``lstm`` and ``rnn`` (see ``assets/models/README.md``);
- "current": the session's current model on its side, an untrained model on the other;
- "": two untrained models.

No streamlit: the page passes in what its session holds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import modelfile

SHIPPED_DIR = Path(__file__).resolve().parents[1] / "assets" / "models"
SHIPPED_FILES = {"lstm": "adding_lstm.npz", "rnn": "adding_rnn.npz"}
ARCH_NAMES = {"lstm": "LSTM", "rnn": "RNN"}


def unusable(saved) -> str:
    """Why this page cannot put ``saved`` (anything with ``.rnn``) on a side; "" if it can."""
    model = getattr(saved, "rnn", None)
    arch = getattr(model, "arch", None)
    if arch not in ARCH_NAMES:
        return f"the trained model is a {str(arch).upper()}; this page compares an RNN with an LSTM"
    if model.num_layers != 1 or model.bidirectional:
        two = " and two directions" if model.bidirectional else ""
        return (
            f"the trained {ARCH_NAMES[arch]} has {model.num_layers} layer(s){two}; this page follows the "
            "gradient through one layer in one direction"
        )
    return ""


def _task_key(saved) -> tuple:
    meta = getattr(saved, "meta", None) or {}
    return meta.get("task"), sorted((meta.get("task_options") or {}).items())


def _fits(a, b) -> bool:
    """Two trained models that can be compared: same task and options, same input and hidden size."""
    return (
        _task_key(a)[0] is not None
        and _task_key(a) == _task_key(b)
        and a.rnn.input_size == b.rnn.input_size
        and a.rnn.hidden_size == b.rnn.hidden_size
    )


@dataclass(frozen=True)
class Pair:
    """The models of one comparison: a trained SavedModel per side, or None for an untrained side."""

    source: str  # "session" | "shipped" | "current" | "" (see the module docstring)
    lstm: object | None = None
    rnn: object | None = None

    @property
    def trained(self) -> tuple[str, ...]:
        return tuple(arch for arch in ("rnn", "lstm") if getattr(self, arch) is not None)

    @property
    def any_model(self):
        return self.lstm if self.lstm is not None else self.rnn

    @property
    def task_name(self) -> str:
        model = self.any_model
        return "" if model is None else str((getattr(model, "meta", None) or {}).get("task") or "")

    def fingerprint(self) -> str:
        """A digest of both sides' weights: a new pair (another Train run) has another one."""
        digest = hashlib.sha1()
        for arch in self.trained:
            for name, value in sorted(getattr(self, arch).rnn.params.items()):
                digest.update(name.encode() + np.ascontiguousarray(value, dtype=np.float64).tobytes())
        return digest.hexdigest()

    def losses(self) -> dict:
        """``{"lstm": ..., "rnn": ..., "baseline": ..., "baseline_description": ...}``: validation losses
        from the files' metadata and the task's trivial predictor in words, where given."""
        out = {}
        for arch in self.trained:
            training = (getattr(getattr(self, arch), "meta", None) or {}).get("training") or {}
            out[arch] = training.get("val_loss")
            out.setdefault("baseline", training.get("baseline_loss"))
        task_of = getattr(self.any_model, "task", None)
        task = task_of() if callable(task_of) else None
        out["baseline_description"] = getattr(task, "baseline_description", "")
        return out


def session_pair(current, last_run: dict) -> Pair | None:
    """The session's trained LSTM and RNN, if it has both, else None.

    ``current``: the session's current model (or None); ``last_run``: ``{arch: SavedModel}`` of the Train
    page's last run. The current model wins its side when the run's model of the other architecture
    fits it (same task, options and sizes); otherwise the run's own LSTM and RNN, if it trained both.
    """
    usable = {a: m for a, m in last_run.items() if a in ARCH_NAMES and not unusable(m)}
    if current is not None and not unusable(current):
        arch = current.rnn.arch
        other = "rnn" if arch == "lstm" else "lstm"
        if other in usable and _fits(current, usable[other]):
            return Pair("session", **{arch: current, other: usable[other]})
    if len(usable) == 2 and _fits(usable["lstm"], usable["rnn"]):
        return Pair("session", lstm=usable["lstm"], rnn=usable["rnn"])
    return None


def load_shipped_pair(directory: Path | str = SHIPPED_DIR) -> Pair:
    """The trained LSTM and RNN shipped for the adding problem (raises ModelFileError/OSError if missing)."""
    directory = Path(directory)
    return Pair("shipped", **{arch: modelfile.load(directory / name) for arch, name in SHIPPED_FILES.items()})


@dataclass(frozen=True)
class Example:
    """One validation sequence of a trained model's task.

    x:      (T, I) float64, what both models read
    label:  what it is, for captions
    marked: the adding problem's marked steps (where channel 1 is 1), () for other tasks
    """

    x: np.ndarray
    label: str
    marked: tuple[int, ...] = ()


def task_example(saved, seed: int) -> Example:
    """One validation sequence of the model's own task (validation seed ``seed``); ValueError if none."""
    task_of = getattr(saved, "task", None)
    task = task_of() if callable(task_of) else None
    if task is None:
        raise ValueError("the model file names no task to draw a sequence from")
    x = np.asarray(task.validation(1, seed=seed).x[:, 0, :], dtype=np.float64)
    name = getattr(task, "name", "")
    marked = tuple(int(t) for t in np.nonzero(x[:, 1] > 0.5)[0]) if name == "adding" else ()
    label = f"one held-out example of the {name} task (validation seed {seed}), T = {len(x)}"
    if marked:
        label += f", marked steps t = {' and '.join(str(t) for t in marked)}"
    return Example(x, label, marked)


def choices(own, pair: Pair | None) -> dict[str, str]:
    """The page's options, source -> label: untrained, the current model's side, the session pair, shipped."""
    options = {"": "Untrained RNN and LSTM (you set ρ and the forget-gate bias)"}
    if own is not None:
        arch = own.rnn.arch
        other = ARCH_NAMES["rnn" if arch == "lstm" else "lstm"]
        task = (getattr(own, "meta", None) or {}).get("task")
        options["current"] = (
            f"Your trained {ARCH_NAMES[arch]}{f' ({task})' if task else ''} and an untrained {other}"
        )
    if pair is not None:
        options["session"] = f"Trained LSTM and RNN from your last Train run ({pair.task_name})"
    options["shipped"] = "Trained LSTM and RNN shipped with the app (adding problem, T = 100)"
    return options
