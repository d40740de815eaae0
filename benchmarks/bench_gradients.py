"""How fast the Vanishing gradients page answers a slider, against a page holding only a slider.

One change = ArrowRight on the focused slider of the page (ρ, the LSTM's forget-gate bias or the sequence
length T), timed from Python around the key press until the page is idle: the rerun's script_finished has
arrived, the app's data-test-script-state is back to notRunning, no element is a loading skeleton, and two
animation frames have passed, so the new figures and sentences are painted. Every step is a value the page
has not shown before in this run (ρ from 1.0 up in steps of 0.05, T from 100 up, the bias from -4 up in steps
of 0.25): a cache miss, as when a teacher drags the slider.

The baseline is benchmarks/minimal_slider_app.py (one st.slider and one st.write), timed the same way and
stepped in turn with the page, so load from anything else on the machine lands on both alike; the load
average is printed before and after. Targets (issue 12), at T = 100, H = 16: p50 <= 1.5 x the baseline's
p50, p95 <= 300 ms.

    python -m benchmarks.bench_gradients [--steps 40] [--sliders rho,T,fb] [--check]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from benchmarks.common import (
    MINIMAL_APP,
    load_average,
    load_line,
    pick_slider,
    raise_on_problems,
    summary,
    write_result,
)
from tests.browser_support import (
    REPO_ROOT,
    BrowserErrors,
    StreamlitServer,
    chromium_problem,
    launch_chromium,
    new_page,
    open_app_page,
    runs_finished,
    slider_limits,
    slider_value,
    wait_for_run,
)

PAGE = "Vanishing_gradients"
TARGETS = {"ratio": 1.5, "p95_ms": 300.0}
# slider name -> (label to find it by, link that opens the page with it at a value below the range it walks)
SLIDERS = {
    "rho": ("Spectral radius", "T=100&H=16"),
    "T": ("Sequence length", "T=100&H=16"),
    "fb": ("forget-gate bias", "T=100&H=16&fb=-4"),
}


class IdleStepper:
    """One page in its own browser context, one slider on it, stepped by keyboard until the page is idle."""

    def __init__(self, browser, base_url: str, path: str, label: str):
        self.page = new_page(browser)
        self.errors = BrowserErrors.attach(self.page)
        open_app_page(self.page, base_url, path, timeout_ms=180_000)  # lazy chunks load slowly under load
        self.thumb = pick_slider(self.page, label)
        self.label = self.thumb.get_attribute("aria-label")
        self.lo, self.hi = slider_limits(self.thumb)
        self.key = "ArrowRight"
        self.times: list[float] = []
        self.server: list[float] = []  # rerun request sent -> script_finished received (in the page's clock)
        self.browser: list[float] = []  # script_finished received -> idle and painted

    def step(self, record: bool = True) -> None:
        """One keyboard step up (down from the top of the range), timed until the page is idle."""
        before = float(slider_value(self.thumb))
        self.key = "ArrowLeft" if before >= self.hi else "ArrowRight" if before <= self.lo else self.key
        self.thumb.focus()
        n = runs_finished(self.page)
        t0 = time.perf_counter()
        self.page.keyboard.press(self.key)
        wait_for_run(self.page, n, settle=True)  # finished, nothing loading, painted
        elapsed = (time.perf_counter() - t0) * 1000
        marks = self.page.evaluate("() => ({...window.__lstmVault, now: performance.now()})")
        if float(slider_value(self.thumb)) == before:
            raise SystemExit(f"slider {self.label!r} on {self.page.url} did not move from {before}")
        if record:
            self.times.append(elapsed)
            if marks.get("sentAt") is not None:
                self.server.append(marks["finishedAt"] - marks["sentAt"])
                self.browser.append(marks["now"] - marks["finishedAt"])

    def result(self) -> dict:
        raise_on_problems(self.page, self.errors)
        phases = {f"{k}_median_ms": round(statistics.median(v), 1) for k, v in
                  (("server", self.server), ("browser", self.browser)) if v}  # fmt: skip
        return {**summary(self.times), **phases, "slider": self.label}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sliders", default="rho,T", help=f"comma-separated, of {', '.join(SLIDERS)}")
    parser.add_argument("--steps", type=int, default=40, help="timed steps per slider (default 40)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--server-arg",
        action="append",
        default=[],
        help='a streamlit option for both servers, e.g. --server-arg="--runner.postScriptGC=false"',
    )
    args = parser.parse_args()
    names = [n.strip() for n in args.sliders.split(",") if n.strip()]
    if unknown := set(names) - set(SLIDERS):
        raise SystemExit(f"unknown slider(s) {sorted(unknown)}; choose from {', '.join(SLIDERS)}")
    problem = chromium_problem()
    if problem:
        raise SystemExit(f"cannot benchmark: {problem}")

    from playwright.sync_api import sync_playwright

    load_before = load_average()
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        extra = tuple(args.server_arg)
        with (
            StreamlitServer(REPO_ROOT / "app.py", extra_args=extra) as server,
            StreamlitServer(MINIMAL_APP, extra_args=extra) as minimal_server,
        ):
            baseline = IdleStepper(browser, minimal_server.url, "", "timestep")
            pages = {
                name: IdleStepper(browser, server.url, f"{PAGE}?{SLIDERS[name][1]}", SLIDERS[name][0])
                for name in names
            }
            steppers = [baseline, *pages.values()]
            for i in range(args.warmup + args.steps):
                for stepper in steppers if i % 2 else steppers[::-1]:
                    stepper.step(record=i >= args.warmup)
            base = baseline.result()
            results = {name: stepper.result() for name, stepper in pages.items()}
        browser.close()
    load_after = load_average()

    what = f"slider change -> page idle, ms, {args.steps} steps after {args.warmup} warm-up"
    lines = [f"{what} {' '.join(extra)}"]
    head = "".join(f" {k:>7}" for k in ("p50", "p95", "min", "max", "ratio", "server", "browser"))
    lines.append(f"{'page':44}{head}")

    def row(name: str, r: dict, ratio: float | None) -> str:
        cells = [r[k] for k in ("median_ms", "p95_ms", "min_ms", "max_ms")] + [ratio]
        cells += [r.get("server_median_ms"), r.get("browser_median_ms")]
        return f"{name:44}" + "".join(" " * 8 if v is None else f" {v:>7.1f}" for v in cells)

    checks = {}
    for name, r in results.items():
        ratio = round(r["median_ms"] / base["median_ms"], 2)
        r["ratio"] = ratio
        checks[f"{name}_ratio"] = ratio <= TARGETS["ratio"]
        checks[f"{name}_p95_ms"] = r["p95_ms"] <= TARGETS["p95_ms"]
        lines.append(row(f"/{PAGE} {name} ({r['slider'][:22]})", r, ratio))
    lines.append(row("minimal_slider_app.py", base, None))
    lines.append("  server: rerun request -> script_finished received; browser: -> idle, painted (medians)")
    lines.append(load_line(load_before, load_after))
    lines.append(
        f"targets: p50 <= {TARGETS['ratio']:g}x minimal, p95 <= {TARGETS['p95_ms']:g} ms: "
        + ", ".join(f"{k} {'PASS' if ok else 'FAIL'}" for k, ok in checks.items())
    )
    text = "\n".join(lines)
    print(text)
    record = {
        "benchmark": "gradients_slider_idle", "page": PAGE, "steps": args.steps, "server_args": extra,
        "page_ms": results,
        "minimal_ms": base, "load_before": load_before, "load_after": load_after, "targets": TARGETS,
        "pass": checks,
    }  # fmt: skip
    print(json.dumps(record))
    js, md = write_result("gradients", record, text)
    print(f"written: {js.relative_to(REPO_ROOT)}, {md.relative_to(REPO_ROOT)}")
    return 1 if args.check and not all(checks.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
