"""Serve the app, drive Chromium and know when a Streamlit run is done: shared by tests and benchmarks.

How "the run has finished" is detected (Streamlit 1.67):

- The ``[data-testid="stApp"]`` element carries ``data-test-script-state`` = ``initial`` / ``running`` /
  ``notRunning`` / ``rerunRequested`` / ``stopRequested`` / ``compilationError``. It is React state, so a
  run that takes a few milliseconds can go ``notRunning -> running -> notRunning`` inside one React commit and
  never show ``running`` in the DOM: waiting for that attribute alone can miss a rerun or wait forever.
- So an init script also wraps ``window.WebSocket`` and counts the server's ``script_finished`` messages
  (``ForwardMsg`` field 6, read straight from the protobuf wire format). A rerun is finished when that count
  has gone up, the attribute says ``notRunning``, no ``stSkeleton`` placeholder is left (lazily loaded
  elements such as sliders and charts show one until their code arrives) and two animation frames have passed,
  so the result is painted.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("LSTM_VAULT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORTS = {"1920x1080": (1920, 1080), "1366x768": (1366, 768)}
SCREENSHOT_DIR = REPO_ROOT / "screenshots"  # git-ignored
# In [data-testid="stSlider"]: 1.67 (react-aria) has a hidden <input type="range">, older ones role=slider.
SLIDER_THUMB = 'input[type="range"], [role="slider"]'

# Counts finished script runs as they arrive over the websocket; see the module docstring.
RUN_WATCH_JS = r"""
(() => {
  const watch = (window.__lstmVault = { finished: 0, statuses: [] });
  // ForwardMsg.script_finished is field 6, a varint enum: 0 success, 1 compile error,
  // 2 stopped early for a rerun (another run follows), 3 fragment run done.
  const scriptFinished = (buffer) => {
    const b = new Uint8Array(buffer);
    let i = 0;
    const varint = () => {
      let v = 0, scale = 1, x;
      do { x = b[i++]; v += (x & 0x7f) * scale; scale *= 128; } while (x & 0x80 && i < b.length);
      return v;
    };
    while (i < b.length) {
      const key = varint(), fieldNo = Math.floor(key / 8), wire = key % 8;
      if (wire === 0) { const v = varint(); if (fieldNo === 6) return v; }
      else if (wire === 2) { const n = varint(); i += n; }  // not `i += varint()`: i is read first
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else return null;
    }
    return null;
  };
  // Timestamps (performance.now()) for benchmarks: last key press, first message sent after it, last finish.
  document.addEventListener("keydown", () => { watch.keyAt = performance.now(); watch.sentAt = null; }, true);
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (!(event.data instanceof ArrayBuffer)) return;
        const status = scriptFinished(event.data);
        if (status === null) return;
        watch.statuses.push(status);
        if (status !== 2) { watch.finished += 1; watch.finishedAt = performance.now(); }
      });
    }
    send(data) {
      if (watch.sentAt === null) watch.sentAt = performance.now();
      return super.send(data);
    }
  };
})();
"""

_RUN_STATE_JS = """() => ({
  finished: window.__lstmVault ? window.__lstmVault.finished : null,
  scriptState: document.querySelector('[data-testid="stApp"]')
    ?.getAttribute('data-test-script-state') ?? null,
  skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
})"""
_RUN_DONE_JS = f"""(after) => {{
  const s = ({_RUN_STATE_JS})();
  const done = s.finished > after && s.scriptState === 'notRunning' && s.skeletons === 0;
  if (done) window.__lstmVault.doneAt = performance.now();
  return done;
}}"""
_TWO_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def page_url_path(script: Path) -> str:
    """URL path Streamlit gives a file in ``pages/``: ``pages/1_Step_through.py`` -> ``Step_through``.

    Uses Streamlit's own rule (leading number, separators and emoji dropped, spaces -> underscores), so it
    follows the installed version.
    """
    try:
        from streamlit.source_util import page_icon_and_name

        return page_icon_and_name(script)[1]
    except ImportError:  # the rule as of 1.67, in case the private helper moves
        number, name = re.fullmatch(r"([0-9]*)[_ -]*(.*)\.py", script.name).groups()
        return re.sub(r"[_ ]+", "_", name).strip() or number


def discover_pages(root: Path = REPO_ROOT) -> list[Path]:
    """The page scripts Streamlit auto-discovers, in its sidebar order (by leading number, then name)."""
    try:
        from streamlit.source_util import page_sort_key
    except ImportError:  # the private helper moved: order by name, which is what the numbers are for

        def page_sort_key(p: Path) -> str:
            return p.name

    # The same filter as streamlit's _mpa_v1 (1.67): every *.py but hidden files and __init__.py.
    pages = [
        p for p in (root / "pages").glob("*.py") if not p.name.startswith(".") and p.name != "__init__.py"
    ]
    return sorted(pages, key=page_sort_key)


@dataclass
class StreamlitServer:
    """``streamlit run <script>`` on a free port, as a context manager that waits for health and cleans up."""

    script: Path
    port: int = field(default_factory=free_port)
    startup_timeout_s: float = 60.0
    extra_args: tuple[str, ...] = ()
    proc: subprocess.Popen | None = None
    ready_at: float = 0.0  # time.perf_counter() when /_stcore/health first said ok

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "streamlit", "run", str(self.script),
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false",
            # Tests never edit files; a polling file watcher would burn a core on a small machine.
            "--server.fileWatcherType", "none",
            *self.extra_args,
        ]  # fmt: skip

    def start(self) -> StreamlitServer:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the server; closed in stop()
        # the repository root importable for scripts outside it (tests/apps/*), as it is for app.py's pages
        path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path}
        self.proc = subprocess.Popen(
            self.command(), cwd=REPO_ROOT, stdout=self._log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        self.ready_at = time.perf_counter()
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"streamlit did not report healthy at {self.url}/_stcore/health"
            f" within {self.startup_timeout_s:.0f} s."
            f"\ncommand: {' '.join(self.command())}\noutput:\n{self.output()}"
        )

    def output(self, tail: int = 6000) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-tail:]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)  # our own session: streamlit and anything it spawned
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __enter__(self) -> StreamlitServer:
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def chromium_problem() -> str | None:
    """Why the browser tests cannot run here, or None if they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -r requirements-dev.txt)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)"
    return None


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS))


def new_page(browser, viewport: tuple[int, int] = VIEWPORTS["1920x1080"]):
    """A page in a fresh context, with the run watcher installed before any app script runs."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    page.add_init_script(RUN_WATCH_JS)
    return page


# Opened at /<page>, Streamlit's frontend first looks for the server under that path, in case the app is
# served below a base URL: /<page>/_stcore/health and /host-config answer 404, the browser logs it, then it
# tries /. Nothing is wrong, so these two are not counted as errors.
BENIGN_CONSOLE_URL = re.compile(r"^https?://[^/]+/[^/]+/_stcore/(health|host-config)$")


@dataclass
class BrowserErrors:
    """Console errors and uncaught exceptions a page reports, collected from the moment it is attached."""

    messages: list[str] = field(default_factory=list)

    @classmethod
    def attach(cls, page) -> BrowserErrors:
        errors = cls()

        def on_console(message) -> None:
            where = message.location.get("url") or "?"
            if message.type == "error" and not BENIGN_CONSOLE_URL.search(where):
                errors.messages.append(f"console.error: {message.text} ({where})")

        page.on("console", on_console)
        page.on("pageerror", lambda e: errors.messages.append(f"pageerror: {e}"))
        return errors


def runs_finished(page) -> int:
    return page.evaluate("() => window.__lstmVault ? window.__lstmVault.finished : 0")


def wait_for_run(page, after: int = 0, timeout_ms: float = 30_000, settle: bool = True) -> None:
    """Wait until a script run numbered above ``after`` has finished (see the top).

    With ``settle``, also wait two animation frames so the result is painted; benchmarks time without it.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(_RUN_DONE_JS, arg=after, timeout=timeout_ms, polling="raf")
    except PlaywrightTimeout:
        raise AssertionError(
            f"no finished Streamlit run after #{after} within {timeout_ms / 1000:.0f} s on {page.url}; "
            f"state: {page.evaluate(_RUN_STATE_JS)}"
        ) from None
    if settle:
        page.evaluate(_TWO_FRAMES_JS)


def open_app_page(page, base_url: str, path: str = "", timeout_ms: float = 60_000) -> None:
    """Load a page of the app and wait for its first script run to finish."""
    page.goto(f"{base_url}/{path.lstrip('/')}", wait_until="domcontentloaded", timeout=timeout_ms)
    wait_for_run(page, 0, timeout_ms)


def exception_texts(page) -> list[str]:
    """Text of every Streamlit exception box on the page (st.exception and uncaught errors)."""
    return page.locator('[data-testid="stException"]').all_inner_texts()


def sliders(page):
    """Visible slider thumbs outside forms, in page order (the keyboard target of ``st.slider``).

    A slider in an ``st.form`` triggers no rerun until the form is submitted, so it is left out.
    """
    return page.locator(
        '[data-testid="stSlider"]:visible:not([data-testid="stForm"] [data-testid="stSlider"])'
    ).locator(SLIDER_THUMB)


def slider_value(thumb) -> str:
    return thumb.evaluate("el => el.getAttribute('aria-valuenow') ?? el.value")


def slider_limits(thumb) -> tuple[float, float]:
    lo, hi = thumb.evaluate(
        "el => [el.getAttribute('aria-valuemin') ?? el.min, el.getAttribute('aria-valuemax') ?? el.max]"
    )
    return float(lo), float(hi)


def step_slider(page, thumb, key: str = "ArrowRight", timeout_ms: float = 30_000) -> tuple[str, str]:
    """Press ``key`` on a focused slider, wait for the rerun it triggers; returns (before, after) values."""
    before = slider_value(thumb)
    thumb.focus()
    n = runs_finished(page)
    page.keyboard.press(key)
    wait_for_run(page, n, timeout_ms)
    return before, slider_value(thumb)


def screenshot_name(path: str) -> str:
    return path.strip("/") or "home"


def take_screenshots(page, name: str, out_dir: Path = SCREENSHOT_DIR, viewports=VIEWPORTS) -> list[Path]:
    """Screenshot the current page at each viewport size; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for label, (width, height) in viewports.items():
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate(_TWO_FRAMES_JS)
        page.wait_for_timeout(300)  # charts re-layout on resize
        out = out_dir / f"{name}_{label}.png"
        page.screenshot(path=str(out))
        files.append(out)
    return files


# ------------------------------------------------------------------ the same with Playwright's asyncio API
# For benchmarks that drive many browser contexts at once (benchmarks/bench_class.py).


async def new_page_async(browser, viewport: tuple[int, int] = VIEWPORTS["1920x1080"]):
    """``new_page`` for an async Playwright browser."""
    context = await browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = await context.new_page()
    await page.add_init_script(RUN_WATCH_JS)
    return page


async def open_app_page_async(page, base_url: str, path: str = "", timeout_ms: float = 60_000) -> None:
    """``open_app_page`` for an async Playwright page: load, and wait for the first script run to finish."""
    await page.goto(f"{base_url}/{path.lstrip('/')}", wait_until="domcontentloaded", timeout=timeout_ms)
    await page.wait_for_function(_RUN_DONE_JS, arg=0, timeout=timeout_ms, polling="raf")


async def exception_texts_async(page) -> list[str]:
    return await page.locator('[data-testid="stException"]').all_inner_texts()
