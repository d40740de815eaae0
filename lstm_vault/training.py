"""Training loop: Adam, gradient clipping, held-out validation, divergence detection, and a background worker.

``train(config)`` runs one ``TrainConfig`` to the end; ``TrainingWorker`` runs one or several configs in a
daemon thread, interleaving them so that the app's live plot shows every curve progressing together.

The loop stays lean: per step it only does the forward/backward/clip/Adam step and appends two scalar
tensors (loss, gradient norm) to a list. It reads them back (one host sync) once per ``eval_every`` steps,
where it also validates, checks for NaN/inf, writes a history row and calls the callback.
"""

from __future__ import annotations

import io
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from lstm_vault.tasks import get_task
from lstm_vault.torch_backend import SequenceModel, pick_device, set_threads, task_loss, to_tensors
from lstm_vault.train_config import TrainConfig

VALIDATION_SEED = 0  # every run validates on the same held-out batch, so runs compare on equal terms


class HistoryRow(NamedTuple):
    """One row per validation: losses at ``step``; ``seconds`` of compute since the run started."""

    step: int
    train_loss: float  # mean training loss over the steps since the previous row
    val_loss: float  # loss on the held-out batch after ``step`` steps
    grad_norm: float  # mean global gradient norm (before clipping) since the previous row
    seconds: float


@dataclass(frozen=True)
class Progress:
    """What the callback gets after every history row."""

    step: int  # steps done
    steps: int  # steps asked
    row: HistoryRow  # the newest row
    steps_per_second: float
    eta_seconds: float  # estimated seconds left


@dataclass(frozen=True)
class TrainResult:
    model: SequenceModel  # on ``device``; after divergence, the weights of the last finite check
    config: TrainConfig
    history: tuple[HistoryRow, ...]
    status: str  # "done", "stopped", "diverged" or "time-limit"
    message: str
    device: str
    seconds: float
    baseline_loss: float  # the trivial predictor's loss, for scale
    task: object  # the lstm_vault.tasks.Task trained on

    @property
    def steps_done(self) -> int:
        return self.history[-1].step if self.history else 0

    @property
    def train_loss(self) -> float:
        return self.history[-1].train_loss if self.history else float("nan")

    @property
    def val_loss(self) -> float:
        return self.history[-1].val_loss if self.history else float("nan")

    def summary(self) -> dict:
        """JSON-ready: the CLI's output line and the model file's training summary."""
        return {
            "task": self.config.task,
            "task_options": dict(self.config.task_options),
            "arch": self.config.arch,
            "num_layers": self.config.num_layers,
            "bidirectional": self.config.bidirectional,
            "steps": self.steps_done,
            "train_loss": self.train_loss,
            "val_loss": self.val_loss,
            "baseline_loss": self.baseline_loss,
            "seconds": round(self.seconds, 3),
            "device": self.device,
            "seed": self.config.seed,
            "status": self.status,
        }

    def file_bytes(self) -> bytes:
        """The model file (:meth:`save`) as bytes: what the app offers to download and loads back."""
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()

    def save(self, file) -> None:
        """Write the model file (lstm_vault.modelfile): weights, task, encoding, config and history."""
        from lstm_vault import modelfile
        from lstm_vault.torch_backend import to_reference

        rnn, weight, bias = to_reference(self.model)
        training = dict(
            self.summary(),
            message=self.message,
            config=self.config.to_dict(),
            history=[list(row) for row in self.history],
        )
        meta = {
            "task": self.config.task,
            "task_options": dict(self.task.options()),
            "encoding": self.task.encoding(),
            "training": training,
        }
        modelfile.save(file, rnn, weight, bias, meta)


class Trainer:
    """One run that advances in chunks; ``train`` and ``TrainingWorker`` drive it."""

    def __init__(self, config: TrainConfig, task=None, callback: Callable[[Progress], None] | None = None):
        config.check()
        set_threads()  # no-op when the entry point already chose; else half the cores, never torch's "all"
        self.config = config
        self.task = task if task is not None else get_task(config.task, **config.task_options)
        self.callback = callback
        self.device = pick_device(None if config.device == "auto" else config.device)
        self.model = SequenceModel(
            config.arch,
            self.task.input_size,
            config.hidden_size,
            self.task.output_size,
            num_layers=config.num_layers,
            bidirectional=config.bidirectional,
            forget_bias=config.forget_bias,
            seed=config.seed,
        ).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        self.rng = np.random.default_rng(config.seed)
        self.val = to_tensors(self.task.validation(config.val_size, VALIDATION_SEED), self.device)
        self.step = 0
        self.seconds = 0.0
        self.history: list[HistoryRow] = []
        self.status = "running"
        self.message = ""
        # (loss, gradient norm) of each step since the last row, still on the device: no sync per step
        self._window: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._good_state = self._copy_state()
        self._good_step = 0

    def _copy_state(self) -> dict:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    @property
    def finished(self) -> bool:
        return self.status != "running"

    def advance(self, n: int | None = None, should_stop: Callable[[], bool] | None = None) -> bool:
        """Run up to ``n`` more steps (all that are left when None); True once the run has finished."""
        if self.finished:
            return True
        cfg, model, opt, task = self.config, self.model, self.optimizer, self.task
        params = list(model.parameters())
        clip = cfg.clip if cfg.clip is not None else math.inf
        start = time.perf_counter()
        end = cfg.steps if n is None else min(cfg.steps, self.step + n)
        while self.step < end:
            if should_stop is not None and should_stop():
                self._finish(start, "stopped", f"stopped by request at step {self.step} of {cfg.steps}")
                return True
            if cfg.max_seconds is not None and self.seconds + time.perf_counter() - start > cfg.max_seconds:
                self._finish(
                    start,
                    "time-limit",
                    f"time limit of {cfg.max_seconds:g} s reached at step {self.step} of {cfg.steps}",
                )
                return True
            batch = to_tensors(task.batch(cfg.batch_size, self.rng), self.device)
            loss = task_loss(task, model(batch.x), batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(params, clip)  # returns the norm before clipping
            opt.step()
            self.step += 1
            self._window.append((loss.detach(), norm))
            at_row = self.step % cfg.eval_every == 0 or self.step == cfg.steps
            if at_row and not self._record(start):
                return True
        if self.step >= cfg.steps:
            self._finish(start, "done", f"trained {self.step} steps")
            return True
        self.seconds += time.perf_counter() - start
        return False

    def _record(self, start: float) -> bool:
        """Validate and append a history row; False (and status "diverged") on a NaN/inf loss or gradient."""
        if not self._window:
            return True
        first = self.step - len(self._window) + 1
        values = torch.stack([torch.stack(pair) for pair in self._window]).to(torch.float64).cpu().numpy()
        self._window.clear()
        finite = np.isfinite(values).all(axis=1)
        if not finite.all():
            k = int(np.argmin(finite))
            loss, norm = values[k]
            what = f"loss became {loss}" if not np.isfinite(loss) else f"gradient norm became {norm}"
            clip = "off" if self.config.clip is None else f"now {self.config.clip:g}"
            self.model.load_state_dict(self._good_state)
            self.status = "diverged"
            self.message = (
                f"{what} at step {first + k}; lower the learning rate (now {self.config.lr:g}) or "
                f"the clip norm ({clip}); the model keeps the weights of step {self._good_step}"
            )
            self.seconds += time.perf_counter() - start
            return False
        val_loss = self._validate()
        if not math.isfinite(val_loss):
            self.model.load_state_dict(self._good_state)
            self.status = "diverged"
            self.message = (
                f"validation loss became {val_loss} at step {self.step}; lower the learning rate "
                f"(now {self.config.lr:g}); the model keeps the weights of step {self._good_step}"
            )
            self.seconds += time.perf_counter() - start
            return False
        seconds = self.seconds + time.perf_counter() - start
        row = HistoryRow(self.step, float(values[:, 0].mean()), val_loss, float(values[:, 1].mean()), seconds)
        self.history.append(row)
        self._good_state, self._good_step = self._copy_state(), self.step
        if self.callback is not None:
            rate = self.step / seconds if seconds > 0 else 0.0
            eta = (self.config.steps - self.step) / rate if rate > 0 else math.inf
            if self.config.max_seconds is not None:
                eta = min(eta, max(0.0, self.config.max_seconds - seconds))
            self.callback(Progress(self.step, self.config.steps, row, rate, eta))
        return True

    def _validate(self) -> float:
        with torch.no_grad():
            return float(task_loss(self.task, self.model(self.val.x), self.val))

    def _finish(self, start: float, status: str, message: str) -> None:
        if self._window and not self._record(start):  # validate the steps since the last row
            return
        self.status, self.message = status, message
        self.seconds += time.perf_counter() - start

    def result(self) -> TrainResult:
        return TrainResult(
            self.model,
            self.config,
            tuple(self.history),
            self.status,
            self.message,
            str(self.device),
            self.seconds,
            float(self.task.baseline_loss()),
            self.task,
        )


def train(
    config: TrainConfig,
    callback: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    task=None,
) -> TrainResult:
    """Train ``config`` to the end (or until stopped, diverged, or out of time).

    ``callback(progress)`` runs after every history row; ``should_stop()`` is polled every step.
    ``task`` overrides the registry lookup (a task object with the ``lstm_vault.tasks.Task`` interface).
    Reproducible from ``config.seed`` on the CPU (cuDNN kernels may differ in the last bits).
    """
    trainer = Trainer(config, task=task, callback=callback)
    trainer.advance(None, should_stop)
    return trainer.result()


# ------------------------------------------------------------------------------------------------
# background worker for the app

# What a run can raise that is the user's business, not a bug: torch errors (RuntimeError, which includes
# CUDA out-of-memory), bad task options (ValueError), missing task assets (OSError), host memory.
RUN_ERRORS = (RuntimeError, ValueError, OSError, MemoryError)


@dataclass(frozen=True)
class RunSnapshot:
    """A copy of one run's progress, safe to read while the worker goes on."""

    label: str
    config: TrainConfig
    history: tuple[HistoryRow, ...]
    step: int
    steps: int
    steps_per_second: float
    eta_seconds: float
    status: str  # "pending", "running", "done", "stopped", "diverged", "time-limit" or "error"
    message: str


class TrainingWorker:
    """Train one or several configs in a daemon thread, interleaved, so that curves grow side by side.

    Each round advances every unfinished run by its ``eval_every`` steps (one history row each), so an LSTM
    and an RNN on the same task appear on the live plot together. ``snapshot()`` is safe from any thread.
    """

    def __init__(self, configs: TrainConfig | list[TrainConfig], labels: list[str] | None = None):
        self.configs = [configs] if isinstance(configs, TrainConfig) else list(configs)
        if not self.configs:
            raise ValueError("TrainingWorker needs at least one TrainConfig")
        self.labels = list(labels) if labels is not None else [c.arch for c in self.configs]
        if len(self.labels) != len(self.configs):
            raise ValueError(f"{len(self.labels)} labels for {len(self.configs)} configs")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lstm_vault-training", daemon=True)
        self._trainers: list[Trainer | None] = [None] * len(self.configs)
        self._progress: list[Progress | None] = [None] * len(self.configs)
        self._status = ["pending"] * len(self.configs)
        self._message = [""] * len(self.configs)
        self._history: list[list[HistoryRow]] = [[] for _ in self.configs]

    def start(self) -> TrainingWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Ask every run to stop (each keeps its weights; steps since its last check are validated); wait."""
        self._stop.set()
        if self._thread.is_alive() and timeout != 0:
            self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True when it has finished."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def done(self) -> bool:
        with self._lock:
            return all(s not in ("pending", "running") for s in self._status)

    @property
    def results(self) -> tuple[TrainResult | None, ...]:
        """One TrainResult per config once finished (None for a run that failed with "error")."""
        with self._lock:
            return tuple(
                t.result() if t is not None and s != "error" and s != "running" else None
                for t, s in zip(self._trainers, self._status)
            )

    def snapshot(self) -> tuple[RunSnapshot, ...]:
        with self._lock:
            out = []
            for i, cfg in enumerate(self.configs):
                trainer, progress = self._trainers[i], self._progress[i]
                step = trainer.step if trainer is not None else 0
                rate = progress.steps_per_second if progress is not None else 0.0
                eta = (cfg.steps - step) / rate if rate > 0 else math.inf
                if self._status[i] not in ("pending", "running"):
                    eta = 0.0
                out.append(
                    RunSnapshot(
                        self.labels[i],
                        cfg,
                        tuple(self._history[i]),
                        step,
                        cfg.steps,
                        rate,
                        eta,
                        self._status[i],
                        self._message[i],
                    )
                )
            return tuple(out)

    def _on_progress(self, i: int, progress: Progress) -> None:
        with self._lock:
            self._progress[i] = progress
            self._history[i].append(progress.row)

    def _fail(self, i: int, error: BaseException) -> None:
        with self._lock:
            self._status[i] = "error"
            self._message[i] = f"{type(error).__name__}: {error}"

    def _run(self) -> None:
        try:
            for i, cfg in enumerate(self.configs):
                try:
                    trainer = Trainer(cfg, callback=lambda p, i=i: self._on_progress(i, p))
                except RUN_ERRORS as error:
                    self._fail(i, error)
                    continue
                with self._lock:
                    self._trainers[i], self._status[i] = trainer, "running"
            while not self.done:
                for i, trainer in enumerate(self._trainers):
                    if trainer is None or self._status[i] != "running":
                        continue
                    try:
                        finished = trainer.advance(trainer.config.eval_every, self._stop.is_set)
                    except RUN_ERRORS as error:
                        self._fail(i, error)
                        continue
                    if finished:
                        with self._lock:
                            self._status[i], self._message[i] = trainer.status, trainer.message
        except BaseException as error:
            # Anything else is a bug. Mark the unfinished runs as failed with its text so the app stops
            # waiting and shows it, then re-raise so threading's excepthook prints the traceback.
            with self._lock:
                for i, status in enumerate(self._status):
                    if status in ("pending", "running"):
                        self._status[i] = "error"
                        self._message[i] = f"internal error: {type(error).__name__}: {error}"
            raise
