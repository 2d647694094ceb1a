"""docs/rules.md shows every leaf with an example that actually compiles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from residency_scan.rules import ConditionCompiler, example_of, registered_leaves
from residency_scan.safe_yaml import load_yaml_text

DOC = Path(__file__).parents[2] / "docs" / "rules.md"
YAML_BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def compile_ok(text: str) -> None:
    raw = load_yaml_text(text, "example")
    compiler = ConditionCompiler("example")
    assert compiler.compile(raw, "condition", 1) is not None, compiler.problems
    assert compiler.problems == []


@pytest.mark.parametrize("name", sorted(registered_leaves()))
def test_leaf_docstring_example_compiles(name: str) -> None:
    example = example_of(registered_leaves()[name])
    assert example.startswith(f"{name}:")
    compile_ok(example)


@pytest.mark.parametrize("name", sorted(registered_leaves()))
def test_leaf_is_documented_with_its_example(name: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"#### `{name}`" in text
    assert example_of(registered_leaves()[name]) in YAML_BLOCKS


def test_condition_examples_in_the_doc_compile() -> None:
    conditions = [block for block in YAML_BLOCKS if block.startswith("condition:")]
    assert conditions
    for block in conditions:
        compile_ok(block.removeprefix("condition:"))
