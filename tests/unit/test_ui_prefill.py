"""Unit tests for the chat → calculator hand-over of the Gradio UI (app.server.ui)."""

from __future__ import annotations

import gradio as gr

from app.server.ui import build_ui, calculation_prefill
from app.services import Services

XIAMEN_CALC = "我们厂在厦门，3个中职2个高职学徒，培训考核都过了，签了合同交了两个月社保，企业一共能拿多少"


def test_a_calculation_answer_prefills_its_rule_inputs_and_reading(ingested: Services) -> None:
    ans = ingested.assistant.ask(XIAMEN_CALC)
    rule_ids = {r.id for r in ingested.catalogue.rules}
    prefill = calculation_prefill(ans, rule_ids)
    assert prefill is not None
    assert prefill["rule_id"] == "xiamen.student-apprenticeship"
    assert prefill["inputs"]["中职"] == 3 and prefill["inputs"]["高职"] == 2
    assert str(prefill["inputs"]["social_insurance_months"]) == "2"
    assert prefill["reading"] and prefill["reading"] in ans.answer  # the 按您说的 line of the answer
    # What the form is filled with computes the answer's figure again.
    assert ingested.engine.run(prefill["rule_id"], prefill["inputs"]).result == 17000


def test_no_prefill_without_a_calculation_or_for_a_rule_the_tab_does_not_list(ingested: Services) -> None:
    ans = ingested.assistant.ask("大连 带徒补贴 标准")
    assert ans.calculation is None or calculation_prefill(ans, set()) is None
    ans = ingested.assistant.ask(XIAMEN_CALC)
    assert calculation_prefill(ans, {"another.rule"}) is None


def test_the_ui_builds_with_the_button_and_the_calculator_tab(ingested: Services) -> None:
    ui = build_ui(ingested)
    assert isinstance(ui, gr.Blocks)
    config = ui.get_config_file()
    ids = {c.get("props", {}).get("elem_id") for c in config["components"]}
    assert "edit-in-calculator" in ids
    tabs = {c.get("props", {}).get("id") for c in config["components"] if c.get("type") == "tabitem"}
    assert "calc" in tabs
