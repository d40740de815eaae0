"""AppTest of a page as the app runs it: ``app.py`` is the main script and the page is switched to before
the first run (so the home page does not run first, and the page's sidebar links resolve as in the app)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / "app.py"


def page_app(page, default_timeout: float = 60) -> AppTest:
    """An AppTest that opens ``page`` (a path to a file in pages/, absolute or from the repository root)."""
    path = Path(page)
    relative = path.relative_to(ROOT) if path.is_absolute() else path
    return AppTest.from_file(str(HOME), default_timeout=default_timeout).switch_page(relative.as_posix())
