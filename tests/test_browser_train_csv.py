"""In real Chromium: a 2-column CSV uploaded on the Train page trains a few steps and shows its predictions,
with no exception and no browser error on the way."""

from __future__ import annotations

import numpy as np
import pytest

from browser_support import exception_texts, open_app_page

pytestmark = pytest.mark.browser


def two_column_csv(rows: int = 120) -> bytes:
    lines = ["date,level,flow"]
    for k in range(rows):
        lines.append(f"{2000 + k // 12}-{k % 12 + 1:02d},{np.sin(k / 4):.5f},{np.cos(k / 7):.5f}")
    return ("\n".join(lines) + "\n").encode()


def assert_clean(page, when: str) -> None:
    shown = exception_texts(page)
    assert not shown, f"{page.url} shows an exception {when}:\n" + "\n---\n".join(shown)
    assert not page.errors.messages, f"browser errors {when}:\n" + "\n".join(page.errors.messages)


def test_a_two_column_csv_trains_a_few_steps_on_the_train_page(app_page, app_server):
    page = app_page
    open_app_page(page, app_server.url, "Train?task=csv&arch=lstm&H=4&steps=20&batch=8&length=6")
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Your CSV file")
    uploader.locator('input[type="file"]').set_input_files(
        {"name": "two.csv", "mimeType": "text/csv", "buffer": two_column_csv()}
    )
    page.get_by_text("two.csv: 120 rows, 2 numeric column(s)").wait_for(timeout=60_000)
    assert_clean(page, "after the upload")
    page.get_by_role("button", name="Train").click()
    page.get_by_text("4. What the models predict").wait_for(timeout=120_000)
    assert_clean(page, "after training")
    assert page.get_by_text("Last training: Your own data (CSV)").count() == 1
