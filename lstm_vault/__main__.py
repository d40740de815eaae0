"""The command line: ``python -m lstm_vault train ...``, ``info m.npz`` and ``convert model.pt --out m.npz``.

``train`` shows progress on stderr and prints exactly one JSON line on stdout at the end; ``convert`` turns a
torch state dict or a Keras LSTM's weights into a model file and prints one JSON line. Bad arguments print one
line on stderr and exit 2, a file that cannot be read or converted one line and exit 1, never a traceback.
torch is imported only by ``train`` and by ``convert`` (when it reads a torch file); ``info`` never does.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time

EXIT_BAD_ARGS = 2  # argparse's own code for usage errors
EXIT_FAILED = 1  # training raised, or the model file could not be read/written
EXIT_DIVERGED = 3  # the loss became NaN/inf; the JSON line is still printed


class UsageError(Exception):
    """A bad argument: reported as one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints usage + message; we want one line
        raise UsageError(f"{message} (see: {self.prog} --help)")


class _Defaults(argparse.HelpFormatter):
    """Append "(default: X)" to options whose default means something."""

    def _get_help_string(self, action):
        text = action.help or ""
        shown = action.default is not None and action.default is not False  # 0 is a default worth showing
        if "%(default)" not in text and shown and action.default not in ([], argparse.SUPPRESS):
            text += " (default: %(default)s)"
        return text


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text}")
    return value


def _task_option(text: str) -> tuple[str, object]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


def build_parser() -> argparse.ArgumentParser:
    from lstm_vault.tasks import TASKS, task_names
    from lstm_vault.train_config import ARCH_NAMES, TrainConfig

    d = TrainConfig()  # the defaults: one source for the CLI, the app and the library
    others = "; ".join(
        f"{name}: {', '.join(o.name for o in options)}"
        for name, cls in TASKS.items()
        if (options := [o for o in cls.option_specs() if o.name != "length"])
    )
    default_threads = max(1, (os.cpu_count() or 1) // 2)  # torch_backend.default_threads(), without torch
    parser = _Parser(
        prog="python -m lstm_vault",
        description="lstm_vault: train, inspect and convert small recurrent models. "
        "train and convert import torch; info does not.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = commands.add_parser(
        "train",
        help="train a model on a task and print one JSON line (imports torch)",
        description="Train an LSTM, RNN or GRU on a task with Adam and gradient clipping. "
        "Progress goes to stderr; the result is one JSON line on stdout. A first Ctrl-C stops after the "
        "current step, prints the JSON line and writes --out if given; a second one aborts.",
        formatter_class=_Defaults,
    )
    t.add_argument("--task", default=d.task, help=f"task name: {', '.join(task_names())}")
    t.add_argument(
        "--length",
        type=_positive_int,
        default=None,
        help="sequence length T in steps (tasks with a length option; default: the task's own)",
    )
    t.add_argument(
        "--task-option",
        type=_task_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"any other task option (VALUE parsed as JSON when it can be); repeatable. Options: {others}",
    )
    t.add_argument("--arch", choices=ARCH_NAMES, default=d.arch, help="recurrent layer")
    t.add_argument(
        "--hidden-size", type=_positive_int, default=d.hidden_size, help="hidden units H per layer"
    )
    t.add_argument(
        "--num-layers", "--layers", type=_positive_int, default=d.num_layers, help="stacked recurrent layers"
    )
    t.add_argument(
        "--bidirectional", action="store_true", help="each layer also reads the sequence backwards"
    )
    t.add_argument("--batch-size", type=_positive_int, default=d.batch_size, help="sequences per Adam step")
    t.add_argument("--lr", type=_number, default=d.lr, help="Adam learning rate")
    t.add_argument("--steps", type=_positive_int, default=d.steps, help="Adam steps")
    t.add_argument("--clip", type=_number, default=d.clip, help="max global gradient norm (0 = no clipping)")
    t.add_argument(
        "--forget-bias",
        type=_number,
        default=d.forget_bias,
        help="LSTM forget-gate bias at init (rnn and gru ignore it)",
    )
    t.add_argument("--seed", type=int, default=d.seed, help="seed for the weights and the training batches")
    t.add_argument(
        "--eval-every",
        type=_positive_int,
        default=d.eval_every,
        help="validate on held-out sequences every this many steps",
    )
    t.add_argument(
        "--val-size", type=_positive_int, default=d.val_size, help="held-out sequences for validation"
    )
    t.add_argument(
        "--threads",
        type=_positive_int,
        default=default_threads,
        help="torch CPU threads (default: half the cores, here %(default)s)",
    )
    t.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default=d.device, help="auto = cuda when present"
    )
    t.add_argument(
        "--max-seconds",
        type=_number,
        default=1800.0,
        help="budget in seconds of training time; when it is spent the run stops, prints its JSON line "
        "and writes --out if given; 0 = no limit",
    )
    t.add_argument("--out", default=None, help="write the model file (.npz) here")
    t.add_argument("--quiet", action="store_true", help="no progress on stderr")

    i = commands.add_parser(
        "info",
        help="print a model file's metadata as JSON (no torch)",
        description="Check a model file and print its metadata (without the history).",
    )
    i.add_argument("file", help="model file (.npz)")
    i.add_argument("--history", action="store_true", help="include the training history rows")

    c = commands.add_parser(
        "convert",
        help="turn a torch state dict or a Keras LSTM's weights into a model file (imports torch)",
        description="Convert a torch state dict (.pt/.pth, saved with torch.save(model.state_dict(), path); "
        "read with torch.load(weights_only=True), so a pickled module or object is refused, never run) or a "
        "Keras LSTM's .npz (kernel, recurrent_kernel, bias; see the README) into a model file, and print "
        "one JSON line. What the weights cannot tell is given by the flags below. Imports torch.",
        formatter_class=_Defaults,
    )
    c.add_argument("file", help="torch state dict (.pt, .pth) or Keras export (.npz)")
    c.add_argument("--out", required=True, help="write the model file (.npz) here")
    c.add_argument(
        "--module",
        default=None,
        help="which recurrent module, when the file holds several (e.g. encoder.lstm)",
    )
    c.add_argument(
        "--rnn-nonlinearity",
        choices=("tanh", "relu"),
        default=None,
        help="an nn.RNN's nonlinearity, which its weights cannot tell (relu is refused)",
    )
    c.add_argument(
        "--keras-activation",
        choices=("sigmoid", "hard_sigmoid"),
        default=None,
        help="a Keras LSTM's recurrent_activation, when the file does not record it (hard_sigmoid: refused)",
    )
    return parser


def _check_writable(path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.isdir(path):
        raise UsageError(f"--out {path!r} is a directory; give a file name such as model.npz")
    if not os.path.isdir(directory):
        raise UsageError(f"--out {path!r}: the folder {directory!r} does not exist")
    probe = path + ".tmp"
    try:
        with open(probe, "wb"):
            pass
        os.remove(probe)
    except OSError as error:
        raise UsageError(f"--out {path!r} is not writable: {error.strerror or error}") from None


class _ProgressLine:
    """One stderr line rewritten in place on a terminal; elsewhere a line every few seconds."""

    def __init__(self, label: str, quiet: bool):
        self.label, self.quiet = label, quiet
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, p) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if not self.tty and now - self.last < 5 and p.step < p.steps:
            return
        self.last = now
        eta = "?" if not math.isfinite(p.eta_seconds) else f"{p.eta_seconds:.0f} s"
        text = (
            f"{self.label} step {p.step}/{p.steps}  train {p.row.train_loss:.4g}  val {p.row.val_loss:.4g}  "
            f"{p.steps_per_second:.1f} steps/s  ETA {eta}"
        )
        sys.stderr.write(f"\r{text}\x1b[K" if self.tty else text + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty and not self.quiet and self.last:
            sys.stderr.write("\n")


def cmd_train(args) -> int:
    options = dict(args.task_option)
    if args.length is not None:
        options["length"] = args.length
    if args.out is not None:
        _check_writable(args.out)
    from lstm_vault.tasks import get_task

    try:
        task = get_task(args.task, **options)
    except (ValueError, TypeError) as error:
        raise UsageError(str(error)) from None

    from lstm_vault.torch_backend import pick_device, set_threads
    from lstm_vault.train_config import TrainConfig
    from lstm_vault.training import train

    config = TrainConfig(
        task=args.task,
        task_options=options,
        arch=args.arch,
        hidden_size=args.hidden_size,
        num_layers=args.num_layers,
        bidirectional=args.bidirectional,
        batch_size=args.batch_size,
        lr=args.lr,
        steps=args.steps,
        clip=args.clip or None,
        seed=args.seed,
        eval_every=args.eval_every,
        val_size=args.val_size,
        device=args.device,
        max_seconds=args.max_seconds or None,
        forget_bias=args.forget_bias,
    )
    try:
        config.check()
        pick_device(None if args.device == "auto" else args.device)
    except ValueError as error:
        raise UsageError(str(error)) from None
    set_threads(args.threads)

    stop = {"asked": False}

    def on_interrupt(signum, frame):  # first Ctrl-C: finish the step, report, save; second: abort
        if stop["asked"]:
            raise KeyboardInterrupt
        stop["asked"] = True

    try:
        previous = signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # main() called from a non-main thread: Ctrl-C keeps its default meaning
        previous = None
    line = _ProgressLine(f"{args.task} {args.arch}", args.quiet)
    try:
        result = train(config, callback=line, should_stop=lambda: stop["asked"], task=task)
    except (RuntimeError, ValueError, MemoryError) as error:  # torch errors, CUDA/host out of memory
        line.close()
        print(f"error: training failed: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    line.close()
    if result.status != "done" and not args.quiet:
        print(f"{result.status}: {result.message}", file=sys.stderr)
    if args.out is not None:
        try:
            result.save(args.out)
        except OSError as error:
            print(f"error: could not write {args.out!r}: {error.strerror or error}", file=sys.stderr)
            return EXIT_FAILED
    summary = result.summary()
    keys = (
        "task",
        "arch",
        "num_layers",
        "bidirectional",
        "steps",
        "train_loss",
        "val_loss",
        "baseline_loss",
        "seconds",
        "device",
        "status",
        "seed",
        "task_options",
    )
    out = {k: summary[k] for k in keys}
    out["threads"] = args.threads
    out["out"] = args.out
    for key in ("train_loss", "val_loss"):
        if not math.isfinite(out[key]):
            out[key] = None
    print(json.dumps(out), flush=True)
    return EXIT_DIVERGED if result.status == "diverged" else 0


def cmd_info(args) -> int:
    from lstm_vault import modelfile

    try:
        saved = modelfile.load(args.file)
    except OSError as error:
        print(f"error: cannot read {args.file!r}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILED
    except modelfile.ModelFileError as error:
        print(f"error: {args.file}: {error}", file=sys.stderr)
        return EXIT_FAILED
    meta = json.loads(json.dumps(saved.meta))
    if not args.history and isinstance(meta.get("training"), dict):
        meta["training"].pop("history", None)
    meta["parameters"] = int(
        sum(p.size for p in saved.rnn.params.values()) + saved.readout_weight.size + saved.readout_bias.size
    )
    print(json.dumps(meta, indent=2))
    return 0


def cmd_convert(args) -> int:
    _check_writable(args.out)
    from lstm_vault import importers, modelfile

    try:
        saved = importers.convert(
            args.file, args.module, args.rnn_nonlinearity, recurrent_activation=args.keras_activation
        )
    except OSError as error:
        print(f"error: cannot read {args.file!r}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILED
    except (importers.ModelImportError, modelfile.ModelFileError, MemoryError) as error:
        text = " ".join(str(error).split()) or type(error).__name__  # one line, whatever the message holds
        print(f"error: {args.file}: {text}", file=sys.stderr)
        return EXIT_FAILED
    except importers.UNREADABLE as error:  # odd bytes that a reader failed on without naming them
        text = " ".join(str(error).split())
        print(f"error: {args.file}: could not read it ({type(error).__name__}: {text})", file=sys.stderr)
        return EXIT_FAILED
    try:
        modelfile.save(args.out, saved.rnn, saved.readout_weight, saved.readout_bias, saved.meta)
    except OSError as error:
        print(f"error: could not write {args.out!r}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILED
    keys = ("arch", "input_size", "hidden_size", "num_layers", "bidirectional", "output_size", "source")
    print(json.dumps({"out": args.out, **{k: saved.meta[k] for k in keys}}))
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return {"train": cmd_train, "info": cmd_info, "convert": cmd_convert}[args.command](args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_ARGS
    except BrokenPipeError:  # `... | head`: the reader left; nothing more to say
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
