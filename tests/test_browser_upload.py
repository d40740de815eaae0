"""In real Chromium: a torch state dict made here is uploaded on the Train page, confirmed in its form, and
Step through then opens on it (the imported LSTM reading the page's input) with no error on screen."""

from __future__ import annotations

import pytest

from browser_support import exception_texts, open_app_page, runs_finished, wait_for_run

pytestmark = pytest.mark.browser


def test_a_torch_state_dict_uploads_confirms_and_opens_on_step_through(app_page, app_server, tmp_path):
    import torch
    from playwright.sync_api import expect
    from torch import nn

    from lstm_vault import explain, importers
    from lstm_vault.sequences import make_sequence

    torch.manual_seed(0)
    net = nn.Module()
    net.lstm, net.head = nn.LSTM(1, 3), nn.Linear(3, 1)
    path = tmp_path / "mine.pt"
    torch.save(net.state_dict(), path)

    page = app_page
    open_app_page(page, app_server.url, "Train", timeout_ms=120_000)  # the Train page imports torch
    runs = runs_finished(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    wait_for_run(page, runs, timeout_ms=120_000)
    form = page.locator('[data-testid="stForm"]')
    expect(form).to_contain_text("mine.pt: what its weights say")
    expect(form).to_contain_text("nn.LSTM: weight_hh_l0 has 12 = 4 × 3 rows, 4 blocks (i, f, g, o)")
    expect(form).to_contain_text("head: a Linear from 3 to 1")
    runs = runs_finished(page)
    form.get_by_role("button", name="Use this model").click()
    wait_for_run(page, runs, timeout_ms=120_000)
    expect(page.get_by_text("Loaded uploaded mine.pt (torch state dict, module lstm): LSTM")).to_be_visible()

    runs = runs_finished(page)
    page.get_by_role("link", name="Step through it").click()
    wait_for_run(page, runs, timeout_ms=120_000)
    expect(page.get_by_text("imported LSTM (H = 3)")).to_be_visible()
    x = make_sequence("sine")  # the page's default input: the model reads it, as it names no task
    lt = importers.read_torch_state_dict(path.read_bytes())
    saved = importers.to_saved_model(lt, importers.find_recurrent_modules(lt)[0])
    trace = saved.rnn.forward(x.reshape(-1, 1, 1))[2].layers[0][0]
    expect(page.locator(".lv-head")).to_have_text(
        f"t = 0 · unit 0 · x\u209c = {explain.describe_input(trace.x[0, 0], None, 3)}"
    )
    slots = page.locator(".lv-cell [data-text]")
    shown = dict(zip([slots.nth(i).get_attribute("data-text") for i in range(slots.count())],
                     slots.all_text_contents()))  # fmt: skip
    assert shown["f"] == f"f = {explain.fmt(explain.step_values(trace, 0, 0)['f'])}", shown
    assert not exception_texts(page) and not page.locator('[data-testid="stAlertContentError"]').count()
    assert not page.errors.messages, page.errors.messages
