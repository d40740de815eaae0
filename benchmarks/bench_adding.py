"""Does the CLI's default LSTM solve the adding problem, and does the plain RNN fail it, within the budget?

Runs ``python -m lstm_vault train --task adding ...`` (the CLI, with its defaults for hidden size, batch size
and learning rate) once per arch and seed, reads the validation history from the model file it writes, and
prints a table: final validation MSE, the first step (and second) at which validation MSE fell below the
target, total seconds. Pass: every LSTM seed gets below the target within the steps and the time budget,
and every RNN seed stays above 0.1.

    python -m benchmarks.bench_adding                    # length 100, lstm seeds 0 1 2, rnn seed 0
    python -m benchmarks.bench_adding --length 200       # the stretch goal
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from lstm_vault import modelfile  # numpy only

ROOT = Path(__file__).resolve().parent.parent


def run_cli(arch: str, seed: int, args, out: Path) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "lstm_vault",
        "train",
        "--task",
        "adding",
        "--length",
        str(args.length),
        "--arch",
        arch,
        "--seed",
        str(seed),
        "--steps",
        str(args.steps),
        "--out",
        str(out),
        "--quiet",
    ]
    if args.threads is not None:
        cmd += ["--threads", str(args.threads)]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"CLI failed ({proc.returncode}): {proc.stderr.strip()}")
    line = json.loads(proc.stdout.strip().splitlines()[-1])
    history = modelfile.load(out).meta["training"]["history"]  # rows: step, train, val, grad norm, seconds
    hit = next((row for row in history if row[2] is not None and row[2] < args.target), None)
    return {
        "arch": arch,
        "seed": seed,
        "val_loss": line["val_loss"],
        "hit_step": hit and hit[0],
        "hit_seconds": hit and hit[4],
        "seconds": line["seconds"],
        "threads": line["threads"],
        "status": line["status"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=100, help="sequence length T")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="LSTM seeds")
    parser.add_argument("--rnn-seeds", type=int, nargs="*", default=[0], help="plain RNN seeds")
    parser.add_argument("--steps", type=int, default=3000, help="Adam steps per run")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds allowed to reach the target")
    parser.add_argument("--target", type=float, default=0.01, help="validation MSE to reach")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: the CLI's)")
    args = parser.parse_args()

    runs = [("lstm", s) for s in args.seeds] + [("rnn", s) for s in args.rnn_seeds]
    rows = []
    print(
        f"adding, length {args.length}, {args.steps} steps, "
        f"target val MSE < {args.target}, budget {args.budget:g} s"
    )
    print(
        f"{'arch':5} {'seed':>4} {'val MSE':>10} {'step<tgt':>9} {'s<tgt':>7} {'total s':>8} {'threads':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for arch, seed in runs:
            r = run_cli(arch, seed, args, Path(tmp) / f"{arch}_{seed}.npz")
            rows.append(r)
            hit_step = "-" if r["hit_step"] is None else str(r["hit_step"])
            hit_s = "-" if r["hit_seconds"] is None else f"{r['hit_seconds']:.1f}"
            print(
                f"{arch:5} {seed:>4} {r['val_loss']:>10.5f} {hit_step:>9} {hit_s:>7} {r['seconds']:>8.1f} "
                f"{r['threads']:>7}",
                flush=True,
            )
    lstm_ok = all(
        r["hit_step"] is not None and r["hit_seconds"] <= args.budget for r in rows if r["arch"] == "lstm"
    )
    rnn_ok = all(r["val_loss"] > 0.1 for r in rows if r["arch"] == "rnn")
    print(
        f"lstm reaches < {args.target} within {args.steps} steps and {args.budget:g} s: "
        f"{'yes' if lstm_ok else 'NO'}"
    )
    if args.rnn_seeds:
        print(f"rnn stays above 0.1: {'yes' if rnn_ok else 'NO'}")
    print("PASS" if lstm_ok and rnn_ok else "FAIL")
    return 0 if lstm_ok and rnn_ok else 1


if __name__ == "__main__":
    sys.exit(main())
