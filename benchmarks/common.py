"""What the browser benchmarks share: the baseline page, percentiles, the load on the machine, a server's CPU
time, the stepper's in-page watch and Play measurement, error checks and writing results.

Serving the app and driving Chromium live in tests/browser_support.py (the browser tests use them too).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

from tests.browser_support import exception_texts, sliders

HERE = Path(__file__).resolve().parent
MINIMAL_APP = HERE / "minimal_slider_app.py"  # one st.slider and one st.write: the floor for ratios
RESULTS = HERE / "results"


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) by nearest rank, as every benchmark here reports it."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(times: list[float]) -> dict:
    """n, median, p95, min and max of ``times`` (ms), rounded to 0.1 ms; empty -> n = 0 only."""
    if not times:
        return {"n": 0}
    return {
        "n": len(times),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
    }


def load_average() -> tuple[float, float, float]:
    return tuple(round(v, 2) for v in os.getloadavg())


def load_line(before, after) -> str:
    fmt = " ".join
    return (
        f"load average (1, 5, 15 min): before {fmt(f'{v:.2f}' for v in before)},"
        f" after {fmt(f'{v:.2f}' for v in after)} ({os.cpu_count()} CPUs)"
    )


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    return text[text.rindex(")") + 2 :].split()  # fields from 3 (state) on; the name may hold spaces


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid``, its waited-for children and its live descendants, s."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                children.setdefault(int(_stat(int(entry))[1]), []).append(int(entry))
            except (OSError, ValueError, IndexError):  # a process that ended while we read /proc
                continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = _stat(p)
        except OSError:
            continue
        # utime, stime, cutime, cstime are fields 14-17, here indices 11-14
        total += sum(int(v) for v in fields[11:15])
        todo += children.get(p, [])
    return total / tick


def pick_slider(page, label: str, first_if_none: bool = False):
    """The first visible slider whose label contains ``label`` (case-insensitive)."""
    thumbs = sliders(page)
    for i in range(thumbs.count()):
        if label.lower() in (thumbs.nth(i).get_attribute("aria-label") or "").lower():
            return thumbs.nth(i)
    if first_if_none and thumbs.count():
        return thumbs.first
    raise SystemExit(f"no slider labelled {label!r} on {page.url}")


def raise_on_problems(page, errors) -> None:
    """Stop the benchmark if the page showed an exception box or logged a console error."""
    problems = exception_texts(page) + errors.messages
    if problems:
        raise SystemExit(f"{page.url} showed errors while stepping:\n" + "\n".join(problems))


# The client-side stepper (pages/common/stepper): its root may sit in a component's shadow root.
FIND_STEPPER_JS = """() => document.querySelector('.lv-stepper')
  ?? [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .map((host) => host.shadowRoot?.querySelector('.lv-stepper')).find(Boolean) ?? null"""
# when the header last changed, and a log of Play's steps and of animation frames
WATCH_JS = f"""() => {{
  const root = ({FIND_STEPPER_JS})();
  const w = (window.__stepper = {{ root, steps: [], frames: [] }});
  new MutationObserver(() => {{
    w.changedAt = performance.now();
    w.steps.push([w.changedAt, Number(root.dataset.t)]);
    w.paintedAt = null;  // two animation frames later the change has been painted
    requestAnimationFrame(() => requestAnimationFrame(() => {{ w.paintedAt = performance.now(); }}));
  }})
    .observe(root.querySelector('.lv-head'), {{ childList: true, characterData: true, subtree: true }});
  const frame = (now) => {{ if (w.recordFrames) w.frames.push(now); requestAnimationFrame(frame); }};
  requestAnimationFrame(frame);
}}"""
SHOWS_JS = """(t) => window.__stepper.root.querySelector('.lv-head').textContent.startsWith(`t = ${t} ·`)
  && document.querySelector('[data-testid="stApp"]')
    .getAttribute('data-test-script-state') === 'notRunning'"""


def play_through(page, T: int) -> dict:
    """Home, then Play at the default speed to the last step, on a page where WATCH_JS is installed.

    Steps per second over the whole play-through, the longest wait between two shown steps and the longest
    gap between two animation frames (a dropped frame), and the last step reached.
    """
    page.locator(".lv-head").click()  # focus the stepper
    page.keyboard.press("Home")
    page.evaluate("() => { const w = window.__stepper; w.steps = []; w.frames = []; w.recordFrames = true; }")
    page.locator(".lv-play").click()
    page.wait_for_function(
        "() => window.__stepper.root.dataset.playing === 'false'", timeout=120_000, polling=200
    )
    log = page.evaluate("() => { window.__stepper.recordFrames = false; return window.__stepper; }")
    (start, t0), (end, t1) = log["steps"][0], log["steps"][-1]
    step_gaps = [b[0] - a[0] for a, b in zip(log["steps"], log["steps"][1:])]
    frame_gaps = [b - a for a, b in zip(log["frames"], log["frames"][1:])]
    return {
        "seconds": round((end - start) / 1000, 2),
        "steps_per_s": round((t1 - t0) / ((end - start) / 1000), 2),
        "last_t": t1,
        "reached_end": t1 == T - 1,
        "never_back": all(b[1] >= a[1] for a, b in zip(log["steps"], log["steps"][1:])),
        "max_step_gap_ms": round(max(step_gaps), 1),
        "max_frame_gap_ms": round(max(frame_gaps), 1),
        "frames": len(log["frames"]),
    }


def play_line(play: dict) -> str:
    return (
        f"Play at the default speed: {play['steps_per_s']:.1f} steps/s, 0 -> {play['last_t']} in"
        f" {play['seconds']:.1f} s, longest wait between shown steps {play['max_step_gap_ms']:.0f} ms,"
        f" longest frame gap {play['max_frame_gap_ms']:.0f} ms over {play['frames']} frames"
    )


def write_result(name: str, record: dict, text: str) -> tuple[Path, Path]:
    """``record`` as JSON and ``text`` (what was printed) as markdown in benchmarks/results/, stamped UTC."""
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%MZ", time.gmtime())
    js, md = RESULTS / f"{name}_{stamp}.json", RESULTS / f"{name}_{stamp}.md"
    js.write_text(json.dumps(record, indent=1) + "\n")
    md.write_text(f"# {name}, {stamp}\n\n```\n{text.rstrip()}\n```\n\n[raw numbers]({js.name})\n")
    return js, md
