"""How fast the Vanishing gradients page answers a slider, against a page holding only a slider.

The sequence length, ρ and the LSTM's forget-gate bias ("T", "rho", "fb") are sliders of the page's live view
(pages/common/gradient_live, a Custom Components v2 element): a move swaps precomputed chart lines and
sentences in the browser, with no script run, and once the slider has rested 400 ms the element tells Python
where it rests (one script run; the view changes only where Python draws the rest of the page). They are
stepped in drags: bursts of ``--burst`` ArrowRight presses (ArrowLeft at the top of the range) on the focused
``<input type=range>``, one press every ``--interval`` ms (120: a person dragging, well inside the 400 ms
rest; a press waits for the one before it to be painted, so a slow machine spaces them wider: the gaps are
reported). Each press is timed inside the page with performance.now(): from the keydown event (the listener of
tests/browser_support.py's run watcher) until the view's top part shows the new value
(``.lv-gl[data-part=top]`` data-length / data-rho / data-fb and the slider's shown value equal the expected
text) and the line it moves (the RNN's ``path[data-path=rnn]`` for the length and ρ, the LSTM's
``path[data-path=dh]`` for the bias) has a new ``d`` (a MutationObserver on that part), then two animation
frames later (painted): p50/p95 are of this keydown -> painted time; "shown" is keydown -> shown, and "py" is
the same press timed from Python around the key press (it adds Playwright's round trip). Script runs that
finish during a drag are counted (goal: none); after the drag's last press the benchmark waits for the one
settle run and reports, in the page's clock, the time from the last keydown until the page is idle again
(script_finished arrived, data-test-script-state notRunning, no loading skeleton, two animation frames): it
includes the 400 ms rest. A settled new length first gets a small payload and asks for the rest a second later
(data-partial on the top part); the benchmark waits for that run too before the next drag, untimed, and counts
it ("expand"). T walks up from 100 (every length new in this run: a cache miss, as when a teacher drags it).

The baseline is benchmarks/minimal_slider_app.py (one st.slider and one st.write), timed key press -> idle
from Python (its in-page keydown -> painted time is reported beside it), stepped in turn with the page:
every round each slider does one drag (the baseline as many single steps), the order
reversed every other round, so load from anything else on the machine lands on all alike; the load average
is printed before and after. Targets (issue 12), at T = 100, H = 16: p50 <= 1.5 x the baseline's p50,
p95 <= 300 ms.

    python -m benchmarks.bench_gradients [--steps 40] [--sliders rho,fb,T] [--burst 10] [--check]
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
SHOW_LIMIT_MS = 10_000  # a press whose value is not shown within this stops the benchmark
# slider name -> (label to find a Streamlit slider by, link that opens the page with it at a value below the
# range it walks); the live view's sliders are found by id instead (LIVE)
SLIDERS = {
    "rho": ("Spectral radius", "T=100&H=16"),
    "T": ("Sequence length", "T=100&H=16"),
    "fb": ("forget-gate bias", "T=100&H=16&fb=-4"),
}
# live-view slider name -> the chart line a move of it redraws (path[data-path=...] in the top part)
LIVE = {"T": "rnn", "rho": "rnn", "fb": "dh"}
# live-view slider name -> the top part's data attribute that holds its value (dataset key)
SHOWN_AS = {"T": "length", "rho": "rho", "fb": "fb"}

# performance.now() two animation frames from now: when what was just drawn has been painted
PAINTED_AT_JS = """() => new Promise(
  (r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"""
# The live view's top part (in a component's shadow root; Playwright's CSS selectors pierce it, page scripts
# must look inside), then a watch for one press: when the top part reads the expected value and the line has a
# new d, and two animation frames later.
FIND_TOP_JS = """() => {
  const q = '.lv-gl[data-part="top"]';
  const hosts = [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')];
  return document.querySelector(q) ?? hosts.map((h) => h.shadowRoot?.querySelector(q)).find(Boolean)
    ?? [...document.querySelectorAll('*')].map((e) => e.shadowRoot?.querySelector(q)).find(Boolean) ?? null;
}"""
ARM_JS = f"""([name, key, line, want]) => {{
  const root = ({FIND_TOP_JS})();
  if (!root) return 'no .lv-gl[data-part=top] on the page';
  const path = () => root.querySelector(`path[data-path="${{line}}"]`);
  if (!path()) return `no path[data-path=${{line}}] in the top part`;
  const shownText = () =>
    root.querySelector(`.lv-gl-control[data-name="${{name}}"] .lv-gl-value`)?.textContent;
  const before = path().getAttribute('d');
  window.__gl?.observer?.disconnect();
  const w = (window.__gl = {{ shownAt: null, paintedAt: null, valueAt: null, before }});
  const check = () => {{
    if (w.shownAt !== null) return;
    const valueOk = root.dataset[key] === want && shownText() === want;
    if (valueOk && w.valueAt === null) w.valueAt = performance.now();
    if (!valueOk || path()?.getAttribute('d') === before) return;
    w.shownAt = performance.now();
    w.observer.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => {{ w.paintedAt = performance.now(); }}));
  }};
  w.observer = new MutationObserver(check);
  w.observer.observe(root, {{ subtree: true, childList: true, characterData: true, attributes: true }});
  w.state = () => ({{ value: root.dataset[key], shown: shownText(), valueAt: w.valueAt,
                      changed: path()?.getAttribute('d') !== before, connected: root.isConnected }});
  return null;
}}"""


def decimals(step: float) -> int:
    """Decimals the live view shows a value with: those of its step (gradient_live.js ``decimals``)."""
    text = repr(float(step)).rstrip("0").rstrip(".")
    return len(text.split(".")[1]) if "." in text else 0


class IdleStepper:
    """One page in its own browser context, one Streamlit slider on it, stepped by keyboard until idle."""

    live = False

    def __init__(self, browser, base_url: str, path: str, label: str):
        self.page = new_page(browser)
        self.errors = BrowserErrors.attach(self.page)
        open_app_page(self.page, base_url, path, timeout_ms=180_000)  # lazy chunks load slowly under load
        self.thumb = pick_slider(self.page, label)
        self.label = self.thumb.get_attribute("aria-label")
        self.lo, self.hi = slider_limits(self.thumb)
        self.key = "ArrowRight"
        self.times: list[float] = []  # key press -> idle and painted, from Python
        self.in_page: list[float] = []  # keydown -> idle and painted, in the page's clock
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
        wait_for_run(self.page, n, settle=False)  # finished, nothing loading
        painted = self.page.evaluate(PAINTED_AT_JS)  # and painted
        elapsed = (time.perf_counter() - t0) * 1000
        marks = self.page.evaluate("() => window.__lstmVault")
        if float(slider_value(self.thumb)) == before:
            raise SystemExit(f"slider {self.label!r} on {self.page.url} did not move from {before}")
        if record:
            self.times.append(elapsed)
            self.in_page.append(float(painted - marks["keyAt"]))  # JSON may bring whole numbers as int
            if marks.get("sentAt") is not None:
                self.server.append(float(marks["finishedAt"] - marks["sentAt"]))
                self.browser.append(float(painted - marks["finishedAt"]))

    def drag(self, steps: int, record: bool = True) -> None:
        """``steps`` steps, each waited for until the page is idle (every step reruns the script)."""
        for _ in range(steps):
            self.step(record)

    def result(self) -> dict:
        raise_on_problems(self.page, self.errors)
        pairs = (("server", self.server), ("browser", self.browser), ("in_page", self.in_page))
        phases = {f"{k}_median_ms": round(statistics.median(v), 1) for k, v in pairs if v}
        return {
            **summary(self.times),
            **phases,
            "slider": self.label,
            "measured": "key press -> idle, Python",
        }


class LiveStepper:
    """One page in its own browser context, one slider of the live view, stepped in drags, timed in page."""

    live = True

    def __init__(self, browser, base_url: str, path: str, name: str, interval_ms: float):
        self.page = new_page(browser)
        self.errors = BrowserErrors.attach(self.page)
        open_app_page(self.page, base_url, path, timeout_ms=180_000)  # the first view computes every value
        self.name, self.line, self.interval = name, LIVE[name], interval_ms / 1000
        self.thumb = self.page.locator(f"#lv-gl-{name}")  # CSS pierces the component's shadow root
        self.thumb.wait_for(state="visible", timeout=60_000)
        self.label = self.thumb.get_attribute("aria-label")
        lo, hi, step = self.thumb.evaluate("el => [el.min, el.max, el.step]")
        self.lo, self.hi, self.stride = float(lo), float(hi), float(step)
        self.places = decimals(self.stride)
        self.key = "ArrowRight"
        self.times: list[float] = []  # keydown -> shown and painted, in the page's clock
        self.shown: list[float] = []  # keydown -> shown (before paint)
        self.python: list[float] = []  # key press -> painted, from Python
        self.settle: list[
            float
        ] = []  # a drag's last keydown -> idle after the settle run, in the page's clock
        self.gaps: list[float] = []  # time between two keydowns of a drag
        self.runs_stepping = 0  # script runs that finished during drags (goal: none)
        self.runs_settle = 0  # script runs from a drag's last press until idle (expected: the one settle run)
        self.runs_expand = 0  # runs that send the rest of a first, small payload (a new length's)
        self.drags = 0

    def step(self, record: bool) -> float:
        """One press, until the new value is shown and painted; returns the keydown's time (page clock)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        page = self.page
        before = float(self.thumb.input_value())
        self.key = "ArrowLeft" if before >= self.hi else "ArrowRight" if before <= self.lo else self.key
        want = before + (self.stride if self.key == "ArrowRight" else -self.stride)
        want_text = f"{round(want, 10):.{self.places}f}"
        self.thumb.focus()
        problem = page.evaluate(ARM_JS, [self.name, SHOWN_AS[self.name], self.line, want_text])
        if problem:
            raise SystemExit(f"{page.url}: {problem}")
        t0 = time.perf_counter()
        page.keyboard.press(self.key)
        try:
            page.wait_for_function(
                "() => window.__gl.paintedAt !== null", polling="raf", timeout=SHOW_LIMIT_MS
            )
        except PlaywrightTimeout:  # say what the page shows, then stop
            state = page.evaluate("() => window.__gl.state()")
            raise SystemExit(
                f"{self.name}: {before} -> {want_text} not shown within {SHOW_LIMIT_MS / 1000:g} s"
                f" on {page.url}; the page shows {state}"
            ) from None
        elapsed = (time.perf_counter() - t0) * 1000
        key_at, shown_at, painted_at = page.evaluate(
            "() => [window.__lstmVault.keyAt, window.__gl.shownAt, window.__gl.paintedAt]"
        )
        if record:
            self.times.append(float(painted_at - key_at))  # JSON may bring whole numbers as int
            self.shown.append(float(shown_at - key_at))
            self.python.append(elapsed)
        return key_at

    def drag(self, steps: int, record: bool = True) -> None:
        """``steps`` presses ``interval`` apart, then the settle run: counted, and timed until idle."""
        page = self.page
        n0 = runs_finished(page)
        keys, next_at = [], time.perf_counter()
        for _ in range(steps):
            time.sleep(max(0.0, next_at - time.perf_counter()))
            next_at = time.perf_counter() + self.interval
            keys.append(self.step(record))
        n1 = runs_finished(page)  # read before the 400 ms rest can end (a step takes far less)
        try:
            wait_for_run(page, n1, timeout_ms=60_000, settle=False)  # the settle run
        except AssertionError as err:  # e.g. a step so slow that the settle run finished before n1 was read
            raise SystemExit(f"{self.name}: no settle run after a drag: {err}") from None
        idle = page.evaluate(PAINTED_AT_JS)
        n2 = runs_finished(page)
        # a first, small payload asks for the rest a second later: let that run end before the next drag
        partial = f"() => ({FIND_TOP_JS})()?.dataset.partial === '1'"
        if page.evaluate(partial):
            wait_for_run(page, n2, timeout_ms=120_000, settle=False)
            page.wait_for_function(f"() => !({partial})()", timeout=120_000)
            wait_for_run(page, runs_finished(page) - 1, timeout_ms=120_000)
        n3 = runs_finished(page)
        if record:
            self.drags += 1
            self.runs_stepping += n1 - n0
            self.runs_settle += n2 - n1
            self.runs_expand += n3 - n2
            self.settle.append(float(idle - keys[-1]))
            self.gaps += [float(b - a) for a, b in zip(keys, keys[1:])]

    def result(self) -> dict:
        raise_on_problems(self.page, self.errors)
        out = {
            **summary(self.times),
            "slider": self.label,
            "measured": "keydown -> shown and painted, in page",
        }
        for key, values in (("shown", self.shown), ("python", self.python), ("settle", self.settle)):
            if values:
                out[f"{key}_median_ms"] = round(statistics.median(values), 1)
        out["settle_max_ms"] = round(max(self.settle), 1) if self.settle else None
        out["key_gap_median_ms"] = round(statistics.median(self.gaps), 1) if self.gaps else None
        out["key_gap_max_ms"] = round(max(self.gaps), 1) if self.gaps else None
        out["drags"] = self.drags
        out["script_runs_stepping"] = self.runs_stepping
        out["script_runs_settle"] = self.runs_settle
        out["script_runs_expand"] = self.runs_expand
        return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sliders", default="T,rho", help=f"comma-separated, of {', '.join(SLIDERS)}")
    parser.add_argument("--steps", type=int, default=40, help="timed steps per slider (default 40)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    parser.add_argument(
        "--burst", type=int, default=10, help="presses per drag of a live slider (default 10)"
    )
    parser.add_argument(
        "--interval", type=float, default=120, help="ms between presses in a drag (default 120)"
    )
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
    if args.burst < 1 or args.steps < 1 or args.warmup < 0:
        raise SystemExit("--burst and --steps must be at least 1, --warmup at least 0")
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
            pages = {}
            for name in names:
                path = f"{PAGE}?{SLIDERS[name][1]}"
                pages[name] = (
                    LiveStepper(browser, server.url, path, name, args.interval)
                    if name in LIVE
                    else IdleStepper(browser, server.url, path, SLIDERS[name][0])
                )
            steppers = [baseline, *pages.values()]
            # rounds: the warm-up drag, then drags of --burst presses until --steps are timed
            rounds = [(args.warmup, False)] if args.warmup else []
            rounds += [(min(args.burst, args.steps - i), True) for i in range(0, args.steps, args.burst)]
            for r, (n, record) in enumerate(rounds):
                for stepper in steppers if r % 2 else steppers[::-1]:
                    stepper.drag(n, record)
            base = baseline.result()
            results = {name: stepper.result() for name, stepper in pages.items()}
        browser.close()
    load_after = load_average()

    what = f"slider change -> on screen, ms, {args.steps} steps after {args.warmup} warm-up"
    lines = [f"{what}; live sliders in drags of {args.burst} presses {args.interval:g} ms apart"]
    lines[0] += f" {' '.join(extra)}" if extra else ""
    keys = ("p50", "p95", "min", "max", "ratio", "server", "browser", "shown", "py", "runs", "settle")
    head = "".join(f" {k:>7}" for k in keys)
    lines.append(f"{'page':50}{head}")

    def row(name: str, r: dict, ratio: float | None) -> str:
        cells = [r[k] for k in ("median_ms", "p95_ms", "min_ms", "max_ms")] + [ratio]
        cells += [r.get(f"{k}_median_ms") for k in ("server", "browser", "shown", "python")]
        runs = r.get("script_runs_stepping")
        text = "".join(" " * 8 if v is None else f" {v:>7.1f}" for v in cells)
        return (
            f"{name:50}{text}"
            + (" " * 8 if runs is None else f" {runs:>7d}")
            + ("" if r.get("settle_median_ms") is None else f" {r['settle_median_ms']:>7.1f}")
        )

    checks = {}
    for name, r in results.items():
        ratio = round(r["median_ms"] / base["median_ms"], 2)
        r["ratio"] = ratio
        checks[f"{name}_ratio"] = ratio <= TARGETS["ratio"]
        checks[f"{name}_p95_ms"] = r["p95_ms"] <= TARGETS["p95_ms"]
        lines.append(row(f"/{PAGE} {name} ({r['slider'][:22]})", r, ratio))
    lines.append(row("minimal_slider_app.py", base, None))
    lines.append(
        "  minimal: key press -> page idle, painted, from Python; server: rerun request ->"
        " script_finished received; browser: -> idle, painted (medians)"
    )
    if live := [name for name in results if name in LIVE]:
        lines.append(
            f"  {', '.join(live)}: keydown -> new value and line shown, painted, in page; shown: before"
            " paint; py: the same from Python; runs: script runs during drags; settle: last keydown -> idle"
            " after the settle run (includes the 400 ms rest; medians)"
        )
    for name in live:
        r = results[name]
        lines.append(
            f"  {name}: {r['drags']} drags, script runs {r['script_runs_stepping']} during them and"
            f" {r['script_runs_settle']} settling (expected {r['drags']}),"
            f" {r['script_runs_expand']} sending the rest of a first payload;"
            f" settle max {r['settle_max_ms']} ms;"
            f" keydown gaps median {r['key_gap_median_ms']} ms, max {r['key_gap_max_ms']} ms"
        )
    lines.append(f"  minimal in page (keydown -> idle, painted): median {base.get('in_page_median_ms')} ms")
    lines.append(load_line(load_before, load_after))
    lines.append(
        f"targets: p50 <= {TARGETS['ratio']:g}x minimal, p95 <= {TARGETS['p95_ms']:g} ms: "
        + ", ".join(f"{k} {'PASS' if ok else 'FAIL'}" for k, ok in checks.items())
    )
    text = "\n".join(lines)
    print(text)
    record = {
        "benchmark": "gradients_slider_idle", "page": PAGE, "steps": args.steps, "server_args": extra,
        "burst": args.burst, "interval_ms": args.interval, "warmup": args.warmup,
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
