"""The JSON Schema of waiver files, and the shipped example applied to the findings of the example inventory."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from residency_scan.inventory import load_inventory
from residency_scan.models import Outcome, ScanResult, WaiverStatusKind
from residency_scan.rules import RuleEngine, default_rule_packs
from residency_scan.safe_yaml import load_yaml_file
from residency_scan.scan import ResolverSettings, ScanClock, ScanInputs, Scanner, build_resolvers
from residency_scan.waivers import WaiverBook, load_waivers, waiver_file_json_schema
from residency_scan.waivers.spec import FIELDS, REQUIRED
from tests.waivers.helpers import TODAY, entry, waiver_file, write

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "derogations-exemple.yaml"
INVENTORY = ROOT / "examples" / "ministere-exemple.yaml"


def as_json(value: Any) -> Any:
    """YAML values as JSON would carry them: dates become ISO strings."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    return value.isoformat() if isinstance(value, date) else value


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(waiver_file_json_schema(),
                                           format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_schema_is_a_draft_2020_12_schema_generated_from_the_spec() -> None:
    schema = waiver_file_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    waiver = schema["$defs"]["WaiverSpec"]
    assert tuple(waiver["properties"]) == FIELDS
    assert set(waiver["required"]) == REQUIRED == {"id", "asset", "rule", "owner", "reason", "created", "expires"}
    assert waiver["additionalProperties"] is False


def test_the_example_validates_against_the_schema(validator: jsonschema.Draft202012Validator) -> None:
    validator.validate(as_json(load_yaml_file(EXAMPLE)))


@pytest.mark.parametrize(("change", "why"), [
    ({"expires": None}, "expires"),
    ({"expiry": "2026-12-31"}, "expiry"),
    ({"owner": '"RSSI \\e[31m"'}, "does not match"),
    ({"id": '"DRG 1"'}, "does not match"),
    ({"expires": '"31/12/2026"'}, "is not a 'date'"),
    ({"reason": '""'}, "should be non-empty"),
])
def test_the_schema_refuses_what_the_loader_makes_invalid(
        tmp_path: Path, validator: jsonschema.Draft202012Validator, change: dict[str, str | None], why: str) -> None:
    path = write(tmp_path, waiver_file(entry(**change)))
    assert load_waivers(path).waivers[0].problems  # the loader refuses it...
    errors = list(validator.iter_errors(as_json(load_yaml_file(path))))
    assert errors and any(why in error.message for error in errors)  # ...and so does the schema


def test_whatever_the_loader_accepts_the_schema_accepts(
        tmp_path: Path, validator: jsonschema.Draft202012Validator) -> None:
    path = write(tmp_path, waiver_file(entry(), entry(id="DRG-2", reference=None, created='"2026-02-01"'),
                                       entry(id="DRG-3", reason='"multi\\nline\\ttext"', asset="'*'")))
    assert all(not waiver.problems for waiver in load_waivers(path).waivers)
    validator.validate(as_json(load_yaml_file(path)))
    validator.validate({"version": 1, "waivers": []})


def scan_example(book: WaiverBook | None) -> ScanResult:
    """What `scan examples/ministere-exemple.yaml --offline [--waivers …]` computes, on the scan date TODAY."""
    clock = ScanClock()
    clock.pin(datetime.combine(TODAY, time(9), tzinfo=UTC))
    scanner = Scanner(build_resolvers(ResolverSettings(offline=True), clock), RuleEngine(default_rule_packs()),
                      clock=clock, offline=True, inputs=ScanInputs(waivers=book))
    return scanner.scan(load_inventory(INVENTORY))


def test_the_example_waives_the_backups_in_paris_and_reports_the_stale_waiver() -> None:
    book = load_waivers(EXAMPLE, known_rules=[rule.id for rule in RuleEngine(default_rule_packs()).rules])
    assert [waiver.problems for waiver in book.waivers] == [(), ()]
    plain = {asset.id: asset for asset in scan_example(None).assets}
    result = scan_example(book)
    assert ("MA-DECREE-LOC-1", Outcome.VIOLATION) in [(c.rule, c.outcome) for c in plain["sauvegardes-s3"].checks]
    backups = next(asset for asset in result.assets if asset.id == "sauvegardes-s3")
    finding = next(f for f in backups.findings if f.rule == "MA-DECREE-LOC-1")
    assert finding.outcome is Outcome.VIOLATION  # still reported, with who accepted it until when
    assert finding.waiver is not None and finding.waiver.expires == date(2027, 8, 21)
    assert "art. 17" in (finding.waiver.reference or "")
    assert [f.rule for f in backups.findings if f.waiver is not None] == ["MA-DECREE-LOC-1"]
    # whatever other rules the shipped packs hold, the verdict is the worst of the findings left unwaived
    unwaived = [f.outcome for f in backups.findings if f.waiver is None]
    assert backups.verdict is (max(unwaived, key=lambda o: o.rank) if unwaived else Outcome.WAIVED)
    others = [asset for asset in result.assets if asset.id != "sauvegardes-s3"]
    assert all(asset == plain[asset.id] for asset in others)
    active, stale = result.waivers
    assert (active.id, active.status, active.covered) == (
        "DRG-2026-001", WaiverStatusKind.ACTIVE, ("sauvegardes-s3 MA-DECREE-LOC-1",))
    assert (stale.id, stale.status, stale.covered) == ("DRG-2026-002", WaiverStatusKind.STALE, ())
    assert active.days_left == (date(2027, 8, 21) - TODAY).days
