"""The sensitivity map: which Terraform resources hold sensitive data, for plans whose resources carry no tag.

```yaml
# sensitivity.yaml — resource address pattern: sensitivity. The first pattern that matches wins.
"module.patients.*": sensitive
"aws_s3_bucket.logs": internal
"aws_cloudwatch_log_group.*": internal
"*": sensitive          # optional catch-all; without it an unmatched resource is sensitive anyway
```

A pattern is a resource address in which `*` stands for any run of characters, dots and brackets included
(`module.app.*` covers every resource of module.app and of its sub-modules, every instance of
`module.app["x"]`). No other character is special: addresses contain `[0]` and `["key"]`, which glob
character classes would misread, so `?` and `[` are literal. Quote patterns in YAML (a leading `*` would be
read as an alias).

The map cannot lower a resource's own tag: the order is tag, then map, then **sensitive** (unclassified is
treated as the strictest case, as in YAML inventories).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from residency_scan.errors import InputError, InventoryError, Problem
from residency_scan.inventory.files import ProblemLog, as_inventory_error
from residency_scan.inventory.suggest import describe_type, did_you_mean, normalise_choice, one_of, printable, shown
from residency_scan.models import Sensitivity
from residency_scan.safe_yaml import DEFAULT_MAX_BYTES, LocatedDict, load_yaml_file

MAX_PATTERNS = 10_000
MAX_PATTERN = 1024
_SENSITIVITIES = {normalise_choice(member.value): member for member in Sensitivity}


def parse_sensitivity(value: str) -> Sensitivity | None:
    """A sensitivity as users write it (case-insensitive, '_' for '-'); None if it names none."""
    return _SENSITIVITIES.get(normalise_choice(value))


def sensitivity_hint(value: str) -> str:
    choices = [member.value for member in Sensitivity]
    return did_you_mean(value, choices) or one_of(choices)


@dataclass(frozen=True)
class SensitivityRule:
    pattern: str
    sensitivity: Sensitivity
    line: int


class SensitivityMap:
    """Address patterns → sensitivity, matched in file order with one compiled regular expression."""

    def __init__(self, rules: list[SensitivityRule], path: str) -> None:
        self.rules = tuple(rules)
        self.path = path
        alternatives = (f"(?P<r{index}>{_regex(rule.pattern)})" for index, rule in enumerate(self.rules))
        # NOTE: an alternation is tried left to right, so the first alternative that fully matches is the
        # first rule in the file: one pass per address however many rules there are.
        self._matcher = re.compile("|".join(alternatives), re.DOTALL) if self.rules else None

    @classmethod
    def load(cls, path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> SensitivityMap:
        """Read and validate a map file; raises `InventoryError` listing every problem (file, line, fix)."""
        display = str(path)
        try:
            root = load_yaml_file(path, max_bytes=max_bytes, what="sensitivity map")
        except InputError as exc:
            raise as_inventory_error(exc) from None
        if not isinstance(root, LocatedDict) or not root:
            what = "empty" if root is None or root == {} else describe_type(root)
            raise InventoryError([Problem(display, f"the sensitivity map must be a mapping of address patterns "
                                          f"to sensitivities, not {what}", line=getattr(root, "line", None),
                                          hint='write one line per pattern, e.g. "module.patients.*": sensitive')])
        log = ProblemLog(display)
        if len(root) > MAX_PATTERNS:
            log.add(f"has {len(root)} patterns, over the limit of {MAX_PATTERNS}", line=root.line)
        rules = [rule for key, value in root.items() if (rule := _rule(root, key, value, log)) is not None]
        log.raise_if_any()
        return cls(rules, display)

    def match(self, address: str) -> SensitivityRule | None:
        """The first rule whose pattern matches the whole address, or None."""
        if self._matcher is None:
            return None
        found = self._matcher.fullmatch(address)
        if found is None or found.lastgroup is None:
            return None
        return self.rules[int(found.lastgroup[1:])]


def _regex(pattern: str) -> str:
    return ".*".join(re.escape(part) for part in pattern.split("*"))


def _rule(root: LocatedDict, key: str, value: object, log: ProblemLog) -> SensitivityRule | None:
    line = root.line_of(key)
    field = printable(key, 80)
    if not key.strip() or len(key) > MAX_PATTERN or not key.isprintable():
        log.add(f"pattern must be 1 to {MAX_PATTERN} printable characters", line=line, field=field)
        return None
    if not isinstance(value, str):
        log.add(f"must be a sensitivity, not {describe_type(value)}", line=line, field=field,
                hint=one_of(member.value for member in Sensitivity))
        return None
    sensitivity = parse_sensitivity(value)
    if sensitivity is None:
        log.add(f"unknown sensitivity {shown(value)}", line=line, field=field, hint=sensitivity_hint(value))
        return None
    return SensitivityRule(key.strip(), sensitivity, line)
