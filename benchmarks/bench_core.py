"""Speed of the NumPy reference against torch.nn.LSTM, measured in the same process.

    python -m benchmarks.bench_core            # B=1 and B=32, T=500, I=8, H=64, float64, one thread

Prints, for each batch size, the median time of
  - forward with the full trace   vs  torch.nn.LSTM forward (no grad),
  - hand-written backward         vs  torch autograd backward of the same LSTM,
and their ratios (targets: forward <= 1.5, backward <= 5.0), then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np
import torch

from lstm_vault import LSTM


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench(B: int, T: int, I: int, H: int, repeats: int) -> dict:
    torch.set_num_threads(1)
    model = LSTM(I, H, seed=0)
    module = model.to_torch()
    x = np.random.default_rng(0).standard_normal((T, B, I))
    tx = torch.from_numpy(x)
    dy = np.random.default_rng(1).standard_normal((T, B, H))
    tdy = torch.from_numpy(dy)

    def torch_forward():
        with torch.no_grad():
            module(tx)

    def numpy_forward():
        model.forward(x)

    _, _, trace = model.forward(x)

    def numpy_backward():
        model.backward(trace, dy)

    def torch_backward():
        # autograd's backward only; the forward that records the graph is not timed
        module.zero_grad(set_to_none=True)
        y, _ = module(tx)
        t0 = time.perf_counter()
        y.backward(tdy)
        return time.perf_counter() - t0

    fwd_np, fwd_t = median_seconds(numpy_forward, repeats), median_seconds(torch_forward, repeats)
    bwd_np = median_seconds(numpy_backward, repeats)
    torch_backward()
    bwd_t = statistics.median(torch_backward() for _ in range(repeats))
    return {
        "B": B,
        "forward_numpy_ms": fwd_np * 1e3,
        "forward_torch_ms": fwd_t * 1e3,
        "forward_ratio": fwd_np / fwd_t,
        "backward_numpy_ms": bwd_np * 1e3,
        "backward_torch_ms": bwd_t * 1e3,
        "backward_ratio": bwd_np / bwd_t,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--T", type=int, default=500, help="sequence length (default 500)")
    parser.add_argument("--I", type=int, default=8, help="input size (default 8)")
    parser.add_argument("--H", type=int, default=64, help="hidden size (default 64)")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 32], help="batch sizes (default 1 32)")
    parser.add_argument(
        "--repeats", type=int, default=15, help="timed repetitions per measurement (default 15)"
    )
    args = parser.parse_args()
    rows = [bench(B, args.T, args.I, args.H, args.repeats) for B in args.batch]
    print(f"T={args.T} I={args.I} H={args.H} float64, 1 thread, median of {args.repeats}")
    print(
        f"{'B':>4} {'fwd numpy ms':>13} {'fwd torch ms':>13} {'ratio':>6}"
        f" {'bwd numpy ms':>13} {'bwd torch ms':>13} {'ratio':>6}"
    )
    for r in rows:
        print(
            f"{r['B']:>4} {r['forward_numpy_ms']:>13.2f} {r['forward_torch_ms']:>13.2f}"
            f" {r['forward_ratio']:>6.2f}"
            f" {r['backward_numpy_ms']:>13.2f} {r['backward_torch_ms']:>13.2f} {r['backward_ratio']:>6.2f}"
        )
    b1 = rows[0]
    print(
        f"targets (B={b1['B']}): forward ratio <= 1.5: {'PASS' if b1['forward_ratio'] <= 1.5 else 'FAIL'};"
        f" backward ratio <= 5.0: {'PASS' if b1['backward_ratio'] <= 5.0 else 'FAIL'}"
    )
    print(json.dumps({"benchmark": "core", "rows": rows}))


if __name__ == "__main__":
    main()
