"""Kleene's three-valued logic, exactly as docs/rules.md states it."""

from __future__ import annotations

import itertools

import pytest

from residency_scan.rules import Condition, Judged, RuleContext, Truth, kleene_all, kleene_any, kleene_not
from residency_scan.rules.conditions import AllOf, AnyOf, Not

from .builders import context

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN

# The full tables for two operands, written out rather than computed.
ALL_TABLE = {
    (T, T): T, (T, F): F, (T, U): U,
    (F, T): F, (F, F): F, (F, U): F,
    (U, T): U, (U, F): F, (U, U): U,
}
ANY_TABLE = {
    (T, T): T, (T, F): T, (T, U): T,
    (F, T): T, (F, F): F, (F, U): U,
    (U, T): T, (U, F): U, (U, U): U,
}
NOT_TABLE = {T: F, F: T, U: U}


class Constant(Condition):
    """A condition whose answer is fixed, to test the combinators alone."""

    __slots__ = ("answer",)

    def __init__(self, truth: Truth, reason: str) -> None:
        self.answer: Judged = (truth, reason)

    def evaluate(self, ctx: RuleContext) -> Judged:
        return self.answer


@pytest.mark.parametrize(("operands", "expected"), ALL_TABLE.items())
def test_all_truth_table(operands: tuple[Truth, Truth], expected: Truth) -> None:
    children = [Constant(t, f"child {i} is {t.value}") for i, t in enumerate(operands)]
    assert AllOf(children).evaluate(context())[0] is expected
    assert kleene_all([c.answer for c in children])[0] is expected


@pytest.mark.parametrize(("operands", "expected"), ANY_TABLE.items())
def test_any_truth_table(operands: tuple[Truth, Truth], expected: Truth) -> None:
    children = [Constant(t, f"child {i} is {t.value}") for i, t in enumerate(operands)]
    assert AnyOf(children).evaluate(context())[0] is expected
    assert kleene_any([c.answer for c in children])[0] is expected


@pytest.mark.parametrize(("operand", "expected"), NOT_TABLE.items())
def test_not_truth_table(operand: Truth, expected: Truth) -> None:
    assert Not(Constant(operand, "the fact")).evaluate(context()) == (expected, "the fact")
    assert kleene_not((operand, "x"))[0] is expected


@pytest.mark.parametrize("operands", list(itertools.product([T, F, U], repeat=3)))
def test_three_operands_follow_the_definition(operands: tuple[Truth, ...]) -> None:
    results = [(t, "") for t in operands]
    expected_all = F if F in operands else U if U in operands else T
    expected_any = T if T in operands else U if U in operands else F
    assert kleene_all(results)[0] is expected_all
    assert kleene_any(results)[0] is expected_any


def test_single_child_is_its_own_answer() -> None:
    for truth in Truth:
        assert AllOf([Constant(truth, "r")]).evaluate(context()) == (truth, "r")
        assert AnyOf([Constant(truth, "r")]).evaluate(context()) == (truth, "r")


def test_all_reason_names_only_the_false_children() -> None:
    children = [Constant(T, "kind is server"), Constant(F, "1.2.3.4 is in FR"), Constant(U, "db: unknown"),
                Constant(F, "5.6.7.8 is in DE")]
    assert AllOf(children).evaluate(context()) == (F, "1.2.3.4 is in FR; 5.6.7.8 is in DE")


def test_all_reason_when_unknown_names_the_unknown_children() -> None:
    children = [Constant(T, "kind is server"), Constant(U, "db: unknown")]
    assert AllOf(children).evaluate(context()) == (U, "db: unknown")


def test_all_reason_when_true_names_every_child_once() -> None:
    children = [Constant(T, "a is in MA"), Constant(T, "b is in MA"), Constant(T, "a is in MA")]
    assert AllOf(children).evaluate(context()) == (T, "a is in MA; b is in MA")


def test_any_reason_names_only_the_true_children() -> None:
    children = [Constant(F, "no tag"), Constant(T, "vendor is datadog"), Constant(U, "unknown")]
    assert AnyOf(children).evaluate(context()) == (T, "vendor is datadog")


def test_any_reason_when_false_names_every_child() -> None:
    children = [Constant(F, "no tag 'sis'"), Constant(F, "vendor 'x' is not one of datadog")]
    assert AnyOf(children).evaluate(context()) == (F, "no tag 'sis'; vendor 'x' is not one of datadog")


def test_double_negation_restores_truth_but_unknown_stays_unknown() -> None:
    for truth in Truth:
        assert Not(Not(Constant(truth, "r"))).evaluate(context())[0] is truth
    assert Not(Constant(U, "r")).evaluate(context())[0] is U
