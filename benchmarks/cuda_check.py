"""Prove the torch backend's CUDA path: parity with the NumPy reference, a training run, and speed.

1. Parity. For lstm, gru and rnn in three configurations (1 layer; 2 layers bidirectional; batch_first) the
   NumPy reference (``models.make_model``) is moved to torch on the device (``Recurrent.to_torch``) and
   both run the same input and initial state: outputs, final states and every gradient (NumPy ``backward``
   against torch autograd, for a random projection of output and final state) are compared. float64 must
   agree to 1e-10 (forward) and 1e-8 (gradients). float32 on the device must agree to 1e-5 (forward) with
   TF32 off; the same comparison under torch's default TF32 flags and with TF32 on is measured and
   reported, not judged. The backend's own model (``torch_backend.from_reference`` -> ``SequenceModel``
   with its read-out) gets the same forward checks, and ``to_reference`` must copy it back exactly.
2. Training. ``training.train`` on the adding problem (length 100, the CLI's defaults) on the device until
   validation MSE < 0.01 or a step cap; then the trained weights go to the NumPy reference, which must
   predict the validation batch as the torch model does (float32 precision, TF32 off).
3. Speed, measured in this process: ``train()`` against a bare hand-written loop (``nn.LSTM`` + ``Linear``
   + Adam, same batches, clipping and validation) on the device (overhead ratio, goal <= 1.15); and
   ``train()`` on the CPU against the device (speedup). Timings are reported, not judged.

Exit status 1 when any PASS/FAIL check fails (or CUDA was asked for and is missing). The last line of
stdout is a JSON summary. Imports neither streamlit nor plotly.

    python -m benchmarks.cuda_check                      # --device cuda
    python -m benchmarks.cuda_check --device cpu --quick # a fast dry run on any machine

Measured results: benchmarks/results/cuda_h200.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

import numpy as np

FWD64, GRAD64, FWD32, TRAIN32 = 1e-10, 1e-8, 1e-5, 1e-4
CONFIGS = {  # name -> (num_layers, bidirectional, batch_first)
    "1 layer": (1, False, False),
    "2 layers bidirectional": (2, True, False),
    "batch_first": (1, False, True),
}

checks: list[dict] = []  # every PASS/FAIL row, for the exit status and the JSON line
info: dict = {}  # measured values that are reported, not judged


def check(name: str, value: float, tol: float, cmp: str = "<=") -> bool:
    ok = bool(value <= tol) if cmp == "<=" else bool(value < tol)
    checks.append({"name": name, "value": float(value), "tol": tol, "ok": ok})
    print(f"  {'PASS' if ok else 'FAIL'}  {name}: {value:.3g} (tol {cmp} {tol:g})")
    return ok


def maxabs(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


# ------------------------------------------------------------------------------------------------
# TF32 flags (torch's legacy switches; the new fp32_precision API is left alone so the two never mix)


def tf32_flags(torch) -> dict:
    return {
        "cudnn.allow_tf32": bool(torch.backends.cudnn.allow_tf32),
        "cuda.matmul.allow_tf32": bool(torch.backends.cuda.matmul.allow_tf32),
    }


def set_tf32(torch, cudnn: bool, matmul: bool) -> None:
    torch.backends.cudnn.allow_tf32 = cudnn
    torch.backends.cuda.matmul.allow_tf32 = matmul


def tf32_modes(torch, device, defaults: dict) -> dict:
    """name -> (cudnn, matmul). On the CPU the flags do nothing, so only the defaults are run."""
    default = (defaults["cudnn.allow_tf32"], defaults["cuda.matmul.allow_tf32"])
    if device.type != "cuda":
        return {"default": default}
    return {"default": default, "tf32 off": (False, False), "tf32 on": (True, True)}


# ------------------------------------------------------------------------------------------------
# 1. parity


def reference_case(arch, layers, bi, bf, T, B, I, H, seed):
    """A float64 reference holding float32-exact weights, input and state, plus its forward and backward."""
    from lstm_vault.models import make_model

    rng = np.random.default_rng(seed)
    ref = make_model(arch, I, H, num_layers=layers, bidirectional=bi, batch_first=bf, seed=seed)
    ref.load_params({k: v.astype(np.float32) for k, v in ref.params.items()})
    LD = layers * (2 if bi else 1)
    x = rng.normal(size=(B, T, I) if bf else (T, B, I)).astype(np.float32).astype(np.float64)
    h0, c0 = (0.5 * rng.normal(size=(2, LD, B, H))).astype(np.float32).astype(np.float64)
    state = (h0, c0) if arch == "lstm" else h0
    out, state_n, trace = ref.forward(x, state)
    d_out = rng.normal(size=out.shape)
    d_state = tuple(rng.normal(size=s.shape) for s in as_tuple(state_n))
    grads = ref.backward(trace, d_out, d_state if arch == "lstm" else d_state[0])
    return ref, x, state, out, state_n, d_out, d_state, grads


def torch_case(torch, ref, x, state, d_out, d_state, device, dtype):
    """The reference's torch twin on ``device`` in ``dtype``: outputs, final state and autograd gradients."""
    module = ref.to_torch(torch.float64).to(device=device, dtype=dtype)
    tx = torch.tensor(x, dtype=dtype, device=device, requires_grad=True)
    ts = tuple(torch.tensor(s, dtype=dtype, device=device, requires_grad=True) for s in as_tuple(state))
    y, s = module(tx, ts if len(ts) == 2 else ts[0])
    s = as_tuple(s)
    loss = (y * torch.tensor(d_out, dtype=dtype, device=device)).sum()
    for si, di in zip(s, d_state):
        loss = loss + (si * torch.tensor(di, dtype=dtype, device=device)).sum()
    loss.backward()
    cpu = lambda t: t.detach().cpu().double().numpy()  # noqa: E731
    params = {name: cpu(p.grad) for name, p in module.named_parameters()}
    return cpu(y), [cpu(si) for si in s], params, cpu(tx.grad), [cpu(t.grad) for t in ts]


def diffs(ref_case, torch_out) -> dict:
    _, _, _, out, state_n, _, _, grads = ref_case
    y, s, params, dx, ds = torch_out
    return {
        "output": maxabs(y, out),
        "state": max(maxabs(a, b) for a, b in zip(s, as_tuple(state_n))),
        "grad_params": max(maxabs(params[k], grads.params[k]) for k in grads.params),
        "grad_input": maxabs(dx, grads.input),
        "grad_state": max(maxabs(a, b) for a, b in zip(ds, as_tuple(grads.state))),
    }


def parity(torch, device, modes, sizes) -> None:
    from lstm_vault.torch_backend import from_reference, to_reference

    T, B, I, H = sizes
    print(f"\n== 1. parity: NumPy reference vs torch on {device} (T={T} B={B} I={I} H={H}) ==")
    f32 = {mode: [] for mode in modes}
    for arch in ("lstm", "gru", "rnn"):
        for cname, (layers, bi, bf) in CONFIGS.items():
            case = reference_case(arch, layers, bi, bf, T, B, I, H, seed=7)
            print(f" {arch}, {cname}")
            set_tf32(torch, *modes["default"])
            d = diffs(case, torch_case(torch, *case[:3], case[5], case[6], device, torch.float64))
            check(f"{arch} {cname} float64 output+state", max(d["output"], d["state"]), FWD64)
            check(
                f"{arch} {cname} float64 gradients (params, input, state)",
                max(d["grad_params"], d["grad_input"], d["grad_state"]),
                GRAD64,
            )
            for mode, flags in modes.items():
                set_tf32(torch, *flags)
                d = diffs(case, torch_case(torch, *case[:3], case[5], case[6], device, torch.float32))
                fwd = max(d["output"], d["state"])
                grad = max(d["grad_params"], d["grad_input"], d["grad_state"])
                f32[mode].append(fwd)
                if mode == "tf32 off" or len(modes) == 1:
                    check(f"{arch} {cname} float32 output+state ({mode})", fwd, FWD32)
                print(f"  float32 [{mode}] forward {fwd:.3g}, gradients {grad:.3g}")
            set_tf32(torch, *modes["default"])
            if bf:
                continue  # the backend's SequenceModel is time-major only
            ref, x = case[0], case[1]
            # a read-out at torch's Linear init scale, U(-k, k) with k = 1/sqrt(D*H), as SequenceModel has it;
            # N(0, 1) weights would multiply the float32 error of h by about sqrt(D*H)
            rng, k = np.random.default_rng(1), 1.0 / np.sqrt(ref.num_directions * H)
            W = rng.uniform(-k, k, size=(3, ref.num_directions * H)).astype(np.float32).astype(np.float64)
            b = rng.uniform(-k, k, size=3).astype(np.float32).astype(np.float64)
            y_ref = ref.forward(x)[0] @ W.T + b
            model = from_reference(ref, W, b).to(device)
            with torch.no_grad():
                y64 = model(torch.from_numpy(x).to(device)).cpu().numpy()
            check(f"{arch} {cname} backend SequenceModel float64 forward", maxabs(y64, y_ref), FWD64)
            back, W2, b2 = to_reference(model)
            exact = all(np.array_equal(back.params[k], ref.params[k]) for k in ref.params)
            check(
                f"{arch} {cname} to_reference from {device} is exact (0 = yes)",
                0.0 if exact and np.array_equal(W2, W) and np.array_equal(b2, b) else 1.0,
                0.0,
            )
            model = model.float()
            for mode, flags in modes.items():
                set_tf32(torch, *flags)
                with torch.no_grad():
                    y32 = model(torch.from_numpy(x).float().to(device)).double().cpu().numpy()
                diff = maxabs(y32, y_ref)
                f32[mode].append(diff)
                if mode == "tf32 off" or len(modes) == 1:
                    check(f"{arch} {cname} backend SequenceModel float32 forward ({mode})", diff, FWD32)
                print(f"  backend float32 [{mode}] forward {diff:.3g}")
            set_tf32(torch, *modes["default"])
    info["float32_forward_max_diff"] = {mode: max(v) for mode, v in f32.items()}
    print(" float32 forward, worst case over all the above:")
    for mode, v in f32.items():
        over = " -> EXCEEDS float32 tolerance 1e-5" if max(v) > FWD32 else ""
        print(f"  [{mode}] {modes[mode]} (cudnn, matmul): {max(v):.3g}{over}")


# ------------------------------------------------------------------------------------------------
# 2. training


def training(torch, device, modes, quick: bool) -> None:
    from lstm_vault.torch_backend import to_reference, to_tensors
    from lstm_vault.training import VALIDATION_SEED, TrainConfig, train

    cap = 200 if quick else 3000
    print(f"\n== 2. training: adding, length 100, LSTM, CLI defaults, on {device}, cap {cap} steps ==")
    config = TrainConfig(task_options={"length": 100}, steps=cap, device=str(device), max_seconds=180.0)
    stop = threading.Event()

    def callback(p):
        if p.row.val_loss < 0.01:
            stop.set()

    set_tf32(torch, *modes["default"])
    start = time.perf_counter()
    result = train(config, callback=callback, should_stop=stop.is_set)
    wall = time.perf_counter() - start
    s = result.summary()
    print(
        f" status {result.status}: {result.steps_done} steps, {result.seconds:.2f} s in the loop "
        f"({wall:.2f} s with setup), val MSE {result.val_loss:.4g} (baseline {result.baseline_loss:.4g})"
    )
    first = next((r.step for r in result.history if r.val_loss < 0.01), None)
    info["training"] = {**s, "wall_seconds": round(wall, 3), "first_step_val_below_0.01": first}
    if quick:
        print(f"  (quick: {cap} steps are too few to require val MSE < 0.01; not judged)")
    else:
        check("training reaches val MSE < 0.01 within the cap", result.val_loss, 0.01, "<")

    rnn, W, b = to_reference(result.model)
    val = result.task.validation(config.val_size, VALIDATION_SEED)
    y_np = rnn.forward(val.x)[0][-1] @ W.T + b  # (B, 1)
    mse_np = float(np.mean((y_np - val.y) ** 2))
    for mode, flags in modes.items():
        set_tf32(torch, *flags)
        with torch.no_grad():
            y_t = result.model(to_tensors(val, device).x)[-1].double().cpu().numpy()
        diff = maxabs(y_np, y_t)
        info.setdefault("trained_numpy_vs_torch", {})[mode] = diff
        if mode == "tf32 off" or len(modes) == 1:
            check(f"trained model: NumPy vs torch prediction on the validation batch ({mode})", diff, TRAIN32)
        else:
            print(f"  [{mode}] NumPy vs torch prediction: {diff:.3g}")
    set_tf32(torch, *modes["default"])
    print(f"  NumPy reference val MSE {mse_np:.6g} vs train()'s {result.val_loss:.6g}")
    info["training"]["numpy_val_mse"] = mse_np


# ------------------------------------------------------------------------------------------------
# 3. speed


def sync(torch, device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bare_loop(torch, device, config, task, batches) -> float:
    """A plain torch loop: nn.LSTM + Linear on the last step + Adam, clipping and validation as train()."""
    from torch import nn

    sync(torch, device)
    start = time.perf_counter()
    torch.manual_seed(config.seed)
    lstm = nn.LSTM(task.input_size, config.hidden_size).to(device)
    head = nn.Linear(config.hidden_size, task.output_size).to(device)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=config.lr)
    val = task.validation(config.val_size, 0)
    vx, vy = torch.as_tensor(val.x).to(device), torch.as_tensor(val.y).to(device)
    for step, batch in enumerate(batches, 1):
        x, y = torch.as_tensor(batch.x).to(device), torch.as_tensor(batch.y).to(device)
        out, _ = lstm(x)
        loss = torch.nn.functional.mse_loss(head(out[-1]), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, config.clip)
        opt.step()
        if step % config.eval_every == 0 or step == len(batches):
            with torch.no_grad():
                float(torch.nn.functional.mse_loss(head(lstm(vx)[0][-1]), vy))
    sync(torch, device)
    return time.perf_counter() - start


def train_loop(torch, device, config, task, batches) -> float:
    from lstm_vault.training import train

    sync(torch, device)
    start = time.perf_counter()
    from benchmarks.bench_training import Replay

    result = train(config, callback=lambda p: None, task=Replay(task, batches))
    sync(torch, device)
    assert result.status == "done", result.message
    return time.perf_counter() - start


def speed(torch, device, modes, quick: bool) -> None:
    from lstm_vault.tasks import get_task
    from lstm_vault.torch_backend import set_threads
    from lstm_vault.training import TrainConfig

    T, B, H, steps, cpu_steps, repeats = (20, 32, 32, 20, 10, 2) if quick else (100, 256, 128, 300, 30, 3)
    threads = set_threads()
    print(f"\n== 3. speed: LSTM H={H} B={B} T={T}, {steps} steps, eval every 50, CPU threads {threads} ==")
    set_tf32(torch, False, False)  # what train() runs with: pick_device turns TF32 off on CUDA
    task = get_task("adding", length=T)
    rng = np.random.default_rng(0)
    batches = [task.batch(B, rng) for _ in range(steps)]
    config = TrainConfig(
        task_options={"length": T}, hidden_size=H, batch_size=B, steps=steps, val_size=512, device=str(device)
    )
    warm = TrainConfig(**{**config.to_dict(), "steps": 10})
    bare_loop(torch, device, warm, task, batches[:10])  # cuDNN plans, allocator, Adam's kernels
    train_loop(torch, device, warm, task, batches[:10])
    bare, framework = [], []
    for _ in range(repeats):  # alternate; the fastest of each counts
        bare.append(bare_loop(torch, device, config, task, batches))
        framework.append(train_loop(torch, device, config, task, batches))
    ratio = min(framework) / min(bare)
    if device.type == "cuda":  # what turning TF32 off costs: the bare loop with torch's default flags
        set_tf32(torch, *modes["default"])
        tf32 = [bare_loop(torch, device, config, task, batches) for _ in range(repeats)]
        set_tf32(torch, False, False)
        cost = min(bare) / min(tf32)
        print(
            f" bare loop with torch's default TF32 flags: {steps / min(tf32):.1f} steps/s;"
            f" TF32 off takes {cost:.3f}x as long"
        )
        info.setdefault("speed_tf32", {})["off_over_default"] = cost
    for label, times in (("bare torch loop", bare), ("train()        ", framework)):
        each = ", ".join(f"{s:.3f}" for s in times)
        print(f" {label} on {device}: {steps / min(times):.1f} steps/s (runs: {each} s)")
    goal = "met" if ratio <= 1.15 else "NOT met"
    print(f" overhead ratio train()/bare = {ratio:.3f} (goal <= 1.15: {goal}; reported, not judged)")
    info["speed"] = {
        "sizes": {"H": H, "B": B, "T": T, "steps": steps},
        "threads": threads,
        "bare_steps_per_s": steps / min(bare),
        "train_steps_per_s": steps / min(framework),
        "overhead_ratio": ratio,
    }
    if device.type == "cpu":
        print(" CPU vs device: the device is the CPU; nothing to compare")
        return
    cpu_config = TrainConfig(**{**config.to_dict(), "steps": cpu_steps, "device": "cpu"})
    cpu = torch.device("cpu")
    train_loop(torch, cpu, TrainConfig(**{**cpu_config.to_dict(), "steps": 2}), task, batches[:2])
    cpu_seconds = train_loop(torch, cpu, cpu_config, task, batches[:cpu_steps])
    cpu_rate = cpu_steps / cpu_seconds
    speedup = (steps / min(framework)) / cpu_rate
    print(
        f" train() on cpu, {threads} threads: {cpu_rate:.2f} steps/s ({cpu_steps} steps, {cpu_seconds:.2f} s)"
    )
    print(f" speedup {device} over cpu: {speedup:.1f}x")
    info["speed"].update(cpu_steps_per_s=cpu_rate, cpu_steps=cpu_steps, speedup_vs_cpu=speedup)


# ------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu (default: cuda)")
    parser.add_argument("--quick", action="store_true", help="small sizes and few steps: a dry run")
    parser.add_argument(
        "--skip", default="", help="parts to leave out, comma-separated: parity,training,speed"
    )
    args = parser.parse_args()
    import torch

    if args.device != "cpu" and not (args.device == "cuda" or args.device.startswith("cuda:")):
        print(f"cuda_check: unknown device {args.device!r}; use cuda, cuda:N or cpu", file=sys.stderr)
        return 2
    if args.device != "cpu" and not torch.cuda.is_available():
        print(
            f"cuda_check: --device {args.device}, but torch {torch.__version__} sees no CUDA GPU",
            file=sys.stderr,
        )
        return 1
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({os.cpu_count()} cores)"
    defaults = tf32_flags(torch)
    modes = tf32_modes(torch, device, defaults)
    print(f"torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    cudnn = torch.backends.cudnn.version() if device.type == "cuda" else "n/a"
    print(f"device {device}: {name}; cuDNN {cudnn}")
    print(f"TF32 defaults: {defaults}")
    info.update(
        torch=torch.__version__,
        numpy=np.__version__,
        device=str(device),
        device_name=name,
        tf32_defaults=defaults,
        quick=args.quick,
    )
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    start = time.perf_counter()
    if "parity" not in skip:
        parity(torch, device, modes, (12, 4, 3, 16) if args.quick else (40, 8, 5, 64))
    if "training" not in skip:
        training(torch, device, modes, args.quick)
    if "speed" not in skip:
        speed(torch, device, modes, args.quick)
    failed = [c["name"] for c in checks if not c["ok"]]
    seconds = time.perf_counter() - start
    print(
        f"\n{len(checks) - len(failed)} of {len(checks)} checks passed in {seconds:.1f} s"
        + (f"; FAILED: {failed}" if failed else "")
    )
    leaked = sorted(m for m in ("streamlit", "plotly") if m in sys.modules)
    print(
        json.dumps(
            {
                "ok": not failed,
                "checks": len(checks),
                "failed": failed,
                "seconds": round(seconds, 1),
                "imported_ui": leaked,
                **info,
            },
            default=float,
        )
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
