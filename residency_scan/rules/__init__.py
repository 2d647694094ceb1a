"""Rule packs: YAML files of rules judged against each asset's fused location (see docs/rules.md).

`load_rule_packs` / `default_rule_packs` load packs, `RuleEngine.judge` judges one asset. Leaves are added
with `@register("name")` on a `Leaf` subclass.
"""

from residency_scan.rules.conditions import (
    Condition,
    Judged,
    Leaf,
    LeafParams,
    RuleContext,
    Truth,
    example_of,
    kleene_all,
    kleene_any,
    kleene_not,
    register,
    registered_leaves,
)
from residency_scan.rules.engine import AssetJudgement, Rule, RuleEngine, RulePack, Template
from residency_scan.rules.loader import (
    default_rule_packs,
    load_rule_pack,
    load_rule_packs,
    shipped_pack_names,
)
from residency_scan.rules.schema import MAX_CONDITION_DEPTH, ConditionCompiler
from residency_scan.rules.shipped import shipped_rules_dir

__all__ = [
    "MAX_CONDITION_DEPTH",
    "AssetJudgement",
    "Condition",
    "ConditionCompiler",
    "Judged",
    "Leaf",
    "LeafParams",
    "Rule",
    "RuleContext",
    "RuleEngine",
    "RulePack",
    "Template",
    "Truth",
    "default_rule_packs",
    "example_of",
    "kleene_all",
    "kleene_any",
    "kleene_not",
    "load_rule_pack",
    "load_rule_packs",
    "register",
    "registered_leaves",
    "shipped_pack_names",
    "shipped_rules_dir",
]
