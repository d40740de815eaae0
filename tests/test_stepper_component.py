"""pages/common/stepper under AppTest: the browser's stepper is sent the library's payload, its key and the
first step read from ?t=."""

import importlib.util
import json

import pytest
from streamlit.testing.v1 import AppTest

from browser_support import REPO_ROOT
from lstm_vault.stepping import step_payload

DEMO = REPO_ROOT / "tests" / "apps" / "stepper_demo.py"


def demo_module():
    """The demo app's module, imported under another name so its page code does not run."""
    spec = importlib.util.spec_from_file_location("stepper_demo", DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sent(query: dict) -> tuple[AppTest, dict]:
    at = AppTest.from_file(str(DEMO), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    (element,) = at.get("bidi_component")
    assert element.proto.component_name == "lstm_vault_stepper"
    return at, json.loads(element.proto.json)


def test_the_stepper_is_sent_the_library_s_payload_and_the_step_of_the_address():
    demo = demo_module()
    _at, data = sent({"T": "12", "H": "3", "unit": "2", "t": "5"})
    expected = step_payload(demo.demo_trace(12, 3), 2, caption="A **demo** trace.")
    assert data == {**expected, "key": "demo", "initial_t": 5, "url_param": "t"}


@pytest.mark.parametrize("t,expected", [("999", 11), ("-4", 0), ("five", 0)])
def test_a_step_out_of_range_or_not_a_number_opens_inside_the_range(t, expected):
    _at, data = sent({"T": "12", "H": "3", "t": t})
    assert data["initial_t"] == expected


def test_a_rerun_elsewhere_sends_the_same_view():
    at, data = sent({"T": "12", "H": "3"})
    at.button[0].click().run()
    (element,) = at.get("bidi_component")
    assert json.loads(element.proto.json)["fingerprint"] == data["fingerprint"]
    assert at.session_state.runs == 2
