"""Screenshots of the home page and every page in pages/ at 1920x1080 and 1366x768, into screenshots/.

For a person to look at (layout on a projector and on a laptop), not a test: pages are only loaded, nothing
is clicked. Exceptions shown on a page, or errors in the browser console, are listed at the end.

    python -m benchmarks.screenshots                      # all pages
    python -m benchmarks.screenshots --query "T=200&H=32" # the same query string on every page
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.browser_support import (  # shared with the browser tests, which live in tests/
    REPO_ROOT,
    SCREENSHOT_DIR,
    BrowserErrors,
    StreamlitServer,
    chromium_problem,
    discover_pages,
    exception_texts,
    launch_chromium,
    new_page,
    open_app_page,
    page_url_path,
    screenshot_name,
    take_screenshots,
)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=SCREENSHOT_DIR, help="folder (default: screenshots/)")
    parser.add_argument("--query", default="", help="query string appended to every page's URL")
    args = parser.parse_args()
    problem = chromium_problem()
    if problem:
        raise SystemExit(f"cannot take screenshots: {problem}")
    query = f"?{args.query.lstrip('?')}" if args.query else ""
    paths = ["", *(page_url_path(p) for p in discover_pages())]

    from playwright.sync_api import sync_playwright

    problems = []
    with StreamlitServer(REPO_ROOT / "app.py") as server, sync_playwright() as pw:
        browser = launch_chromium(pw)
        for path in paths:
            page = new_page(browser)
            errors = BrowserErrors.attach(page)
            open_app_page(page, server.url, path + query)
            for f in take_screenshots(page, screenshot_name(path), args.out):
                print(f.relative_to(args.out.parent) if f.is_relative_to(args.out.parent) else f)
            problems += [f"/{path}: {m}" for m in exception_texts(page) + errors.messages]
            page.context.close()
        browser.close()
    if problems:
        print("\nproblems seen:\n" + "\n".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
