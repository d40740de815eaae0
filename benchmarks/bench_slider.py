"""How fast one keyboard step of the timestep control is in real Chromium, against a page with only a slider.

One step = ArrowRight (ArrowLeft at the top of the range) on the focused slider, until the rerun it triggers
has finished (the server's script_finished message has arrived, the app's data-test-script-state is back to
notRunning, no element is still a loading skeleton) and the slider holds its new value. Measured from Python
around the key press, so it includes the browser round trip: an upper bound on what a person waits for.
A page whose timestep control is the client-side stepper (pages/common/stepper, as on Step through) is
stepped the way benchmarks/bench_stepper.py steps its demo: ArrowRight on the focused stepper, until its
step header reads the new t and no script run is in progress; its targets are the stepper's (issue 12:
p50 <= 50 ms, p95 <= 100 ms, no script run while stepping).

The same is measured on benchmarks/minimal_slider_app.py (one st.slider and one st.write), served by its own
Streamlit server, stepped in turn with the page (so load on the machine hits both alike), and the ratio of
the medians is printed. Each step is also split: key -> rerun request sent, -> script_finished received,
-> shown. "Home ready" is the time from the server's health check saying ok to the home page's first script
run having finished and painted, with Chromium already open: a cold start, imports included.

Targets for a slider page: step median <= 150 ms and <= 2x the minimal page's median, p95 <= 400 ms; home
ready <= 3 s.

    python -m benchmarks.bench_slider                       # the first pages/*Step* page
    python -m benchmarks.bench_slider --page Step_through --query "T=200&H=32" --steps 40
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from benchmarks.common import (
    MINIMAL_APP,
    SHOWS_JS,
    WATCH_JS,
    pick_slider,
    raise_on_problems,
    summary,
)
from tests.browser_support import (  # shared with the browser tests, which live in tests/
    REPO_ROOT,
    BrowserErrors,
    StreamlitServer,
    chromium_problem,
    discover_pages,
    launch_chromium,
    new_page,
    open_app_page,
    page_url_path,
    runs_finished,
    slider_limits,
    slider_value,
    wait_for_run,
)

TARGETS = {"median_ms": 150.0, "ratio": 2.0, "p95_ms": 400.0, "home_ready_ms": 3000.0}
STEPPER_TARGETS = {"median_ms": 50.0, "p95_ms": 100.0}  # a page that steps in the browser (issue 12)


def default_page() -> str | None:
    """URL path of the step-through page: the first pages/*Step* file, if there is one yet."""
    steps = [p for p in discover_pages() if "step" in p.stem.lower()]
    return page_url_path(steps[0]) if steps else None


class SliderStepper:
    """One page in its own browser context, one slider on it, stepped by keyboard and timed."""

    def __init__(self, browser, base_url: str, path: str, label: str):
        self.page = new_page(browser)
        self.errors = BrowserErrors.attach(self.page)
        open_app_page(self.page, base_url, path)
        self.thumb = pick_slider(self.page, label, first_if_none=True)
        self.label = self.thumb.get_attribute("aria-label")
        self.lo, self.hi = slider_limits(self.thumb)
        if self.hi <= self.lo:
            raise SystemExit(
                f"slider {self.label!r} on {self.page.url} cannot move: range {self.lo}..{self.hi}"
            )
        self.key = "ArrowRight"
        self.times: list[float] = []
        self.phases: dict[str, list[float]] = {
            "key_to_send": [],
            "send_to_finished": [],
            "finished_to_shown": [],
        }

    def step(self, record: bool = True) -> None:
        """One keyboard step, walking right and bouncing back at the ends of the range."""
        page, thumb = self.page, self.thumb
        before = str(slider_value(thumb))
        if float(before) >= self.hi:
            self.key = "ArrowLeft"
        elif float(before) <= self.lo:
            self.key = "ArrowRight"
        thumb.focus()
        n = runs_finished(page)
        t0 = time.perf_counter()
        page.keyboard.press(self.key)
        wait_for_run(page, n, settle=False)
        page.wait_for_function(
            "([el, before]) => (el.getAttribute('aria-valuenow') ?? el.value) !== before",
            arg=[thumb.element_handle(), before],
            polling="raf",
        )
        elapsed = (time.perf_counter() - t0) * 1000
        wait_for_run(page, n)  # let the frame paint before the next step, outside the timing
        if record:
            self.times.append(elapsed)
            t = page.evaluate("() => window.__lstmVault")
            if t.get("sentAt") is not None:
                self.phases["key_to_send"].append(t["sentAt"] - t["keyAt"])
                self.phases["send_to_finished"].append(t["finishedAt"] - t["sentAt"])
                self.phases["finished_to_shown"].append(t["doneAt"] - t["finishedAt"])

    def result(self) -> dict:
        raise_on_problems(self.page, self.errors)
        phases = {f"{k}_median_ms": round(statistics.median(v), 1) for k, v in self.phases.items() if v}
        return {**summary(self.times), **phases, "slider": self.label}


class ClientStepper:
    """A page whose timestep control is the client-side stepper, in its own browser context, stepped by
    keyboard and timed until the stepper's header reads the new t with no script run in progress."""

    def __init__(self, browser, base_url: str, path: str):
        self.shows_js = SHOWS_JS
        self.page = new_page(browser)
        self.errors = BrowserErrors.attach(self.page)
        open_app_page(self.page, base_url, path)
        self.page.wait_for_selector(".lv-head:not(:empty)")
        self.page.evaluate(WATCH_JS)
        stepper = self.page.locator(".lv-stepper")
        self.t = int(stepper.get_attribute("data-t"))
        self.hi = int(self.page.locator(".lv-slider").get_attribute("max"))
        if self.hi < 1:
            raise SystemExit(f"the stepper on {self.page.url} cannot move: one step")
        self.page.locator(".lv-head").click()  # focus the stepper
        self.key, self.label = "ArrowRight", "stepper (pages/common/stepper)"
        self.runs = runs_finished(self.page)
        self.times: list[float] = []
        self.phases: dict[str, list[float]] = {"in_page": [], "painted": []}  # from keydown, read in the page

    def step(self, record: bool = True) -> None:
        if self.t >= self.hi:
            self.key = "ArrowLeft"
        elif self.t <= 0:
            self.key = "ArrowRight"
        self.t += 1 if self.key == "ArrowRight" else -1
        t0 = time.perf_counter()
        self.page.keyboard.press(self.key)
        self.page.wait_for_function(self.shows_js, arg=self.t, polling="raf")
        elapsed = (time.perf_counter() - t0) * 1000
        self.page.wait_for_function("() => window.__stepper.paintedAt !== null", polling="raf")
        if record:
            self.times.append(elapsed)
            key, changed, painted = self.page.evaluate(
                "() => [window.__lstmVault.keyAt, window.__stepper.changedAt, window.__stepper.paintedAt]"
            )
            self.phases["in_page"].append(changed - key)
            self.phases["painted"].append(painted - key)

    def result(self) -> dict:
        raise_on_problems(self.page, self.errors)
        phases = {f"{k}_median_ms": round(statistics.median(v), 1) for k, v in self.phases.items() if v}
        runs = runs_finished(self.page) - self.runs
        return {**summary(self.times), **phases, "slider": self.label, "script_runs": runs}


def page_stepper(browser, base_url: str, path: str, label: str):
    """The stepper for ``path``: the client-side stepper's if the page has one, else its slider's."""
    probe = new_page(browser)
    open_app_page(probe, base_url, path)
    client = probe.locator(".lv-stepper").count() > 0
    probe.context.close()
    return ClientStepper(browser, base_url, path) if client else SliderStepper(browser, base_url, path, label)


def home_ready(browser, script: Path) -> tuple[float, StreamlitServer]:
    """Milliseconds from health ok to the home page's first finished run; returns the running server too."""
    page = new_page(browser)
    page.goto("about:blank")
    server = StreamlitServer(script).start()
    page.goto(server.url, wait_until="commit")
    wait_for_run(page, 0, timeout_ms=60_000)
    ready_ms = (time.perf_counter() - server.ready_at) * 1000
    page.context.close()
    return ready_ms, server


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--page", help="URL path of the page to step (default: the first pages/*Step* page)")
    parser.add_argument("--query", default="", help='query string for that page, e.g. "T=200&H=32"')
    parser.add_argument("--slider", default="timestep", help="label (substring) of the slider to step")
    parser.add_argument("--steps", type=int, default=40, help="timed steps per page (default 40)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()

    problem = chromium_problem()
    if problem:
        raise SystemExit(f"cannot benchmark: {problem}")
    path = args.page if args.page is not None else default_page()
    target = None if path is None else path.strip("/") + (f"?{args.query.lstrip('?')}" if args.query else "")

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        ready_ms, server = home_ready(browser, REPO_ROOT / "app.py")
        with server, StreamlitServer(MINIMAL_APP) as minimal_server:
            # Both pages are open at once and stepped in turn, so load from anything else on the machine
            # lands on both alike and the ratio stays fair.
            steppers = [SliderStepper(browser, minimal_server.url, "", args.slider)]
            if target is not None:
                steppers.insert(0, page_stepper(browser, server.url, target, args.slider))
            for i in range(args.warmup + args.steps):
                for stepper in steppers if i % 2 else steppers[::-1]:
                    stepper.step(record=i >= args.warmup)
            *page, minimal = [stepper.result() for stepper in steppers]
            page = page[0] if page else None
        browser.close()

    ratio = None if page is None else round(page["median_ms"] / minimal["median_ms"], 2)
    checks = {"home_ready_ms": ready_ms <= TARGETS["home_ready_ms"]}
    client = page is not None and "script_runs" in page
    if client:
        checks |= {
            "median_ms": page["median_ms"] <= STEPPER_TARGETS["median_ms"],
            "p95_ms": page["p95_ms"] <= STEPPER_TARGETS["p95_ms"],
            "no_script_run": page["script_runs"] == 0,
        }
    elif page is not None:
        checks |= {
            "median_ms": page["median_ms"] <= TARGETS["median_ms"],
            "ratio": ratio <= TARGETS["ratio"],
            "p95_ms": page["p95_ms"] <= TARGETS["p95_ms"],
        }

    control = "the stepper" if client else f"slider {args.slider!r}"
    print(f"timestep latency, ms, {args.steps} steps after {args.warmup} warm-up, {control}")
    print(
        f"{'page':34} {'median':>7} {'p95':>7} {'min':>7} {'max':>7} | {'send':>6} {'server':>6} {'show':>6}"
    )
    rows = [(f"/{target}", page)] if page else [("(no pages/*Step* page yet; pass --page)", None)]
    for name, r in [*rows, ("minimal_slider_app.py", minimal)]:
        if r is None:
            print(name)
            continue
        phases = [
            r.get(f"{k}_median_ms", float("nan"))
            for k in ("key_to_send", "send_to_finished", "finished_to_shown")
        ]
        print(
            f"{name[:34]:34}"
            + "".join(f" {r[k]:>7.1f}" for k in ("median_ms", "p95_ms", "min_ms", "max_ms"))
            + " |"
            + "".join(f" {v:>6.1f}" for v in phases)
        )
    print(
        "  send: key press -> rerun request sent; server: -> script_finished received; show: -> painted state"
        " (medians)"
    )
    if client:
        print(
            f"  /{target} steps in the browser: keydown -> header changed {page['in_page_median_ms']:.1f} ms,"
            f" -> painted {page['painted_median_ms']:.1f} ms (medians, in the page);"
            f" {page['script_runs']} script runs while stepping"
        )
    if ratio is not None:
        print(f"{'ratio of medians (page / minimal)':40} {ratio:>8.2f}")
    print(f"{'home ready after health ok':40} {ready_ms:>8.0f}")
    targets = {**TARGETS, **(STEPPER_TARGETS if client else {})}
    verdicts = {
        "median_ms": f"median <= {targets['median_ms']:g} ms",
        "ratio": f"median <= {targets['ratio']:g}x minimal",
        "p95_ms": f"p95 <= {targets['p95_ms']:g} ms",
        "no_script_run": "no script run while stepping",
        "home_ready_ms": f"home ready <= {targets['home_ready_ms'] / 1000:g} s",
    }
    print("targets: " + ", ".join(f"{verdicts[k]} {'PASS' if ok else 'FAIL'}" for k, ok in checks.items()))
    print(
        json.dumps(
            {
                "benchmark": "slider_step",
                "page": target,
                "steps": args.steps,
                "page_ms": page,
                "minimal_ms": minimal,
                "ratio": ratio,
                "home_ready_ms": round(ready_ms),
                "targets": targets,
                "pass": checks,
            }
        )
    )
    return 1 if args.check and not all(checks.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
