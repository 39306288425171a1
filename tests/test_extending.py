"""Extension points through the public API: a new output mode, settings, the sans-IO core."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from samples import CALIBRATION_REQUIREMENTS, calibration_draft_dict

from planner_agent import (
    ConfigurationError,
    Conversation,
    Layout,
    OutputMode,
    Planner,
    Settings,
    register_mode,
    unregister_mode,
)
from planner_agent.cli import build_parser
from planner_agent.llm import ParsedReply, Reply, Usage
from planner_agent.testing import Reply as ScriptReply
from planner_agent.testing import ScriptedServer

MODEL = "gpt-4o-mini"


class TaggedJsonMode(OutputMode):
    """A toy fourth mode: the JSON object between <plan> tags, no response_format."""

    name = "tagged_json"
    corrected_reply = "the complete corrected JSON object between <plan> and </plan>"

    def instructions(self, output_section: str, schema: Mapping[str, Any]) -> str:
        return "## Expected Output Format\n\nWrap ONE JSON object in <plan></plan> tags.\n"

    def parse(self, text: str, layout: Layout) -> ParsedReply:
        start, end = text.find("<plan>"), text.find("</plan>")
        if start < 0 or end < start:
            return ParsedReply(None, ("<root>: wrap the JSON object in <plan></plan> tags",))
        return super().parse(text[start + len("<plan>") : end], layout)


@pytest.fixture
def tagged() -> Iterator[TaggedJsonMode]:
    mode = register_mode(TaggedJsonMode())
    assert isinstance(mode, TaggedJsonMode)
    try:
        yield mode
    finally:
        unregister_mode("tagged_json")


def test_a_new_output_mode_is_one_class(tagged: TaggedJsonMode) -> None:
    tagged_reply = ScriptReply("<plan>" + json.dumps(calibration_draft_dict()) + "</plan>")
    with ScriptedServer([ScriptReply("no tags at all"), tagged_reply]) as server:
        planner = Planner(client=server.client(), model=MODEL, mode="tagged_json")
        result = planner.plan(CALIBRATION_REQUIREMENTS)
        first, second = server.requests
    assert result.ok and result.mode == "tagged_json" and planner.output_mode is tagged
    assert first.body is not None and "response_format" not in first.body
    assert "Wrap ONE JSON object in <plan></plan> tags." in first.messages[0]["content"]
    reask = second.messages[-1]["content"]
    assert "wrap the JSON object in <plan></plan> tags" in reask
    assert "between <plan> and </plan>" in reask
    assert result.plan.step_name == "ModelCalibration"


def test_the_cli_offers_a_registered_mode(tagged: TaggedJsonMode) -> None:
    args = build_parser().parse_args(["prompt", "req.md", "--mode", "tagged_json"])
    assert args.mode == "tagged_json"


def test_mode_registry_refuses_duplicates_and_unknown_names(tagged: TaggedJsonMode) -> None:
    with pytest.raises(ConfigurationError, match="already registered"):
        register_mode(TaggedJsonMode())
    with pytest.raises(ConfigurationError, match="did you mean 'tagged_json'"):
        Planner(model=MODEL, mode="tagged_jsn")
    with pytest.raises(ConfigurationError, match="other than 'auto'"):

        class Auto(OutputMode):
            name = "auto"

        register_mode(Auto())


def test_settings_are_frozen_validated_and_shared() -> None:
    settings = Settings.from_keywords(model=MODEL, examples_k=1, seed=7)
    assert settings.options == {"seed": 7} and settings.request_fields() == {"seed": 7}
    with pytest.raises(AttributeError):
        settings.examples_k = 3  # type: ignore[misc]
    with pytest.raises(ConfigurationError, match="did you mean 'temperature'"):
        settings.with_keywords(temprature=0.3)
    with pytest.raises(ConfigurationError, match="examples_k must be an integer >= 0"):
        settings.with_keywords(examples_k=-1)
    planner = Planner.from_settings(settings.with_keywords(extra_body={"top_k": 20}))
    assert planner.settings.examples_k == 1 and planner.options == {"seed": 7, "top_k": 20}


def test_the_conversation_is_sans_io() -> None:
    """A caller with its own transport drives the generator: requests out, replies in."""
    planner = Planner(model=MODEL)  # named: nothing connects
    flow = Conversation(planner, CALIBRATION_REQUIREMENTS).flow()
    request = next(flow)
    assert request["model"] == MODEL and request["response_format"]["type"] == "json_schema"
    bad = dict(calibration_draft_dict(), step_name="model_calibration")
    reask = flow.send(Reply(json.dumps(bad), None, "stop", Usage(10, 5), 0.0, 0))
    assert (
        reask["messages"][-2]["role"] == "assistant"
        and "NAME001" in reask["messages"][-1]["content"]
    )
    with pytest.raises(StopIteration) as done:
        flow.send(Reply(json.dumps(calibration_draft_dict()), None, "stop", Usage(10, 5), 0.0, 0))
    result = done.value.value
    assert result.ok and len(result.attempts) == 2 and result.usage.prompt_tokens == 20
