"""The Train page's layers and bidirectional controls (AppTest): a link sets them, a run uses them, and a
bidirectional run on a task scored at every step shows the library's note while it goes."""

from app_support import page_app
from test_page_train import stop_job

from lstm_vault.train_config import BIDIRECTIONAL_NOTE

PAGE = "pages/3_Train.py"


def test_a_link_sets_layers_and_bidirectional_and_a_bad_value_is_dropped():
    at = page_app(PAGE)
    at.query_params.update({"layers": "3", "bidir": "true"})
    at.run()
    assert not at.exception
    assert at.selectbox(key="layers").value == 3 and at.checkbox(key="bidir").value is True
    at = page_app(PAGE)
    at.query_params["layers"] = "7"
    at.run()
    assert not at.exception and at.selectbox(key="layers").value == 1


def test_a_bidirectional_run_on_next_character_prediction_shows_the_note_and_uses_the_structure():
    at = page_app(PAGE)
    at.run()
    try:
        at.selectbox(key="lv_train_task").set_value("text").run()
        at.multiselect(key="lv_train_archs").set_value(["gru"])
        at.selectbox(key="layers").set_value(2)
        at.checkbox(key="bidir").check()
        at.number_input(key="lv_train_hidden_size").set_value(4)
        at.button(key="lv_train_submit").click().run()
        assert not at.exception and not at.error
        job = at.session_state["lv_train_job"]
        (config,) = job.worker.configs
        assert (config.arch, config.task, config.num_layers, config.bidirectional) == ("gru", "text", 2, True)
        assert BIDIRECTIONAL_NOTE in [w.value for w in at.warning]
        assert at.selectbox(key="layers").disabled and at.checkbox(key="bidir").disabled
    finally:
        stop_job(at)
