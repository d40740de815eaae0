"""The "LSTM, GRU and RNN compared" page (AppTest): random models by default, the models of a real Train run
(stacked and bidirectional, set on the Train page) when there are some; the browser stepper is sent the
library's payload; the sentences are the library's for the models shown."""

import json

import numpy as np
from app_support import page_app
from test_page_train import set_tiny_run, stop_job, wait_finished

from lstm_vault import compare
from lstm_vault.sequences import PRESETS, make_sequence

PAGE = "pages/5_Architectures_compared.py"


def sent(at) -> dict:
    (element,) = at.get("bidi_component")
    assert element.proto.component_name.endswith("lstm_vault_compare_stepper")
    return json.loads(element.proto.json)


def test_random_models_by_default_and_a_link_sets_the_comparison():
    at = page_app(PAGE)
    # a bound select box's link holds the option as shown (its title)
    link = {"preset": PRESETS["square"].title, "T": "30", "H": "5", "seed": "2", "layers": "3", "unit": "4"}
    at.query_params.update({f"cmp_{k}": v for k, v in link.items()})
    at.query_params["t"] = "12"
    at.run()
    assert not at.exception and not at.error
    data = sent(at)
    entries = compare.compare_random(make_sequence("square", 30, seed=2), 5, 2, layers=3)
    labels = compare.input_labels(make_sequence("square", 30, seed=2)[:, None])
    expected = compare.step_payload(entries, 4, labels)
    assert data == {**expected, "key": "lv_compare_step", "initial_t": 12, "url_param": "t"}
    texts = [m.value for m in at.markdown]
    assert compare.gradient_reading(entries) in texts and compare.params_reading(entries) in texts
    table = at.dataframe[0].value
    assert list(table["count"]) == [e.params for e in entries]
    assert list(table["formula"]) == [e.formula.symbols for e in entries]
    assert not at.radio  # no trained models in this session: nothing to choose
    at.number_input(key="cmp_unit").set_value(1).run()
    assert sent(at)["headers"][0].startswith("t = 0 · unit 1 ·")


def test_the_models_of_a_train_run_are_compared_on_one_held_out_example():
    at = page_app("pages/3_Train.py")
    at.run()
    try:
        set_tiny_run(at, archs=("lstm", "gru", "rnn"), steps=10)
        at.selectbox(key="layers").set_value(2)
        at.checkbox(key="bidir").check()
        at.button(key="lv_train_submit").click().run()
        assert not at.exception and not at.error
        wait_finished(at)
    finally:
        stop_job(at)
    runs = at.session_state["lv_train_runs"].runs
    assert [(r.status, r.saved.rnn.num_layers, r.saved.rnn.bidirectional) for r in runs] == [
        ("done", 2, True)
    ] * 3
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    assert at.radio(key="cmp_models").value == "random"
    at.radio(key="cmp_models").set_value("trained").run()
    assert not at.exception and not at.error
    trained = at.session_state["lv_last_run_models"]
    x, caption, entries = compare.compare_trained(trained)
    data = sent(at)
    assert [p["key"] for p in data["panels"]] == ["lstm", "gru", "rnn"]
    assert [p["title"] for p in data["panels"]] == [f"stacked bidirectional {n} (2 layers)" for n in
                                                   ("LSTM", "GRU", "vanilla RNN")]  # fmt: skip
    assert data["T"] == len(x) == 8 and f"Input: {caption}." in [c.value for c in at.caption]
    texts = [m.value for m in at.markdown]
    assert compare.gradient_reading(entries) in texts and compare.params_reading(entries) in texts
    assert list(at.dataframe[0].value["count"]) == [e.params for e in entries]


def test_trained_models_that_cannot_be_compared_are_named_in_a_message():
    from lstm_vault import LSTM, RNN
    from lstm_vault.modelfile import SavedModel

    def saved(rnn, task, **options):
        return SavedModel(
            rnn, np.ones((1, rnn.hidden_size)), np.zeros(1), {"task": task, "task_options": options}
        )

    at = page_app(PAGE)
    at.session_state["lv_last_run_models"] = {
        "lstm": saved(LSTM(1, 3), "sine"),
        "rnn": saved(RNN(2, 3), "adding"),
    }
    at.query_params["cmp_models"] = "trained"
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The trained models cannot be compared: the trained models were trained on different tasks; "
        "train them together"
    ]
