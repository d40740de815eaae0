"""Overhead of ``training.train`` (history, callback, stop polling, NaN checks) over a bare torch loop.

Both loops build the same model (same seed), train it on the same pre-generated batches with the same
thread count, and validate on the same held-out batch every ``eval_every`` steps; both timings include that
setup. So the ratio measures only the bookkeeping of ``train``. The two alternate a few times in one
process and the fastest of each counts, since other processes on the machine make single timings noisy.
Target: ratio <= 1.15.

    python -m benchmarks.bench_training [--steps 300] [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

import torch

from lstm_vault.tasks import get_task
from lstm_vault.torch_backend import SequenceModel, set_threads, task_loss, to_tensors
from lstm_vault.training import TrainConfig, train


class Replay:
    """A task that hands out pre-generated training batches in order (validation is the task's own)."""

    def __init__(self, task, batches):
        self.task, self.batches, self.i = task, batches, 0

    def __getattr__(self, name):
        return getattr(self.task, name)

    def batch(self, batch_size, rng):
        self.i += 1
        return self.batches[self.i - 1]


def bare_loop(config: TrainConfig, task, batches) -> float:
    """The same steps as train(), written plainly, setup included (as in train): returns seconds."""
    start = time.perf_counter()
    model = SequenceModel(
        config.arch,
        task.input_size,
        config.hidden_size,
        task.output_size,
        forget_bias=config.forget_bias,
        seed=config.seed,
    )
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    val = to_tensors(task.validation(config.val_size, 0))
    for step, batch in enumerate(batches, 1):
        b = to_tensors(batch)
        loss = task_loss(task, model(b.x), b)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        opt.step()
        if step % config.eval_every == 0:
            with torch.no_grad():
                float(task_loss(task, model(val.x), val))
    return time.perf_counter() - start


def framework_loop(config: TrainConfig, task, batches) -> float:
    """train() with a callback and a stop flag, as the CLI and the app use it: returns seconds."""
    lines, stop = [], threading.Event()

    def callback(p):  # what the CLI's progress line does
        lines.append(
            f"step {p.step}/{p.steps} train {p.row.train_loss:.4g} val {p.row.val_loss:.4g} "
            f"{p.steps_per_second:.1f} steps/s ETA {p.eta_seconds:.0f} s"
        )

    start = time.perf_counter()
    result = train(config, callback=callback, should_stop=stop.is_set, task=Replay(task, batches))
    seconds = time.perf_counter() - start
    assert result.status == "done" and len(lines) == len(result.history), result.message
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="Adam steps per loop")
    parser.add_argument(
        "--repeats", type=int, default=5, help="alternations of the two loops; the fastest counts"
    )
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: set_threads())")
    parser.add_argument("--length", type=int, default=100, help="adding problem length")
    args = parser.parse_args()

    threads = set_threads(args.threads)
    config = TrainConfig(task_options={"length": args.length}, steps=args.steps, device="cpu")
    task = get_task("adding", length=args.length)
    rng = __import__("numpy").random.default_rng(0)
    batches = [task.batch(config.batch_size, rng) for _ in range(config.steps)]

    bare_loop(config, task, batches[:20])  # warm up torch's kernels and allocator
    bare, framework = [], []
    for _ in range(args.repeats):
        bare.append(bare_loop(config, task, batches))
        framework.append(framework_loop(config, task, batches))
    ratio = min(framework) / min(bare)
    print(
        f"adding length {args.length}, {config.arch} H={config.hidden_size} B={config.batch_size}, "
        f"{config.steps} steps, eval every {config.eval_every}, threads {threads}"
    )
    print(f"bare torch loop: {min(bare):.3f} s (all: {', '.join(f'{s:.3f}' for s in bare)})")
    print(f"train():         {min(framework):.3f} s (all: {', '.join(f'{s:.3f}' for s in framework)})")
    print(
        f"overhead ratio train()/bare = {ratio:.3f} (target <= 1.15): {'PASS' if ratio <= 1.15 else 'FAIL'}"
    )
    return 0 if ratio <= 1.15 else 1


if __name__ == "__main__":
    sys.exit(main())
