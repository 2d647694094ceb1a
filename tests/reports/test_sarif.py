"""The SARIF report: valid against the official OASIS schema, one result per finding, stable fingerprints."""

from __future__ import annotations

import contextlib
import functools
import json
from collections import Counter
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from residency_scan.cli import app
from residency_scan.models import (
    AssetKind,
    LegalReference,
    LocationStatus,
    Outcome,
    RuleInfo,
    ScanResult,
    Severity,
    SourceRef,
    Strength,
)
from residency_scan.reports.sarif import FINGERPRINT_KEY, SarifReporter, artifact_uri, fingerprint
from tests.reports import hostile
from tests.reports.builders import DECREE_ART_4, asset, evidence, finding, located, scan_result
from tests.reports.factories import hostile_scan_result, sample_scan_result
from tests.reports.factories_decree import decree_scan_result, hostile_decree_scan_result

REPO = Path(__file__).resolve().parents[2]
VENDOR = REPO / "tests" / "vendor"
EXAMPLES = sorted(
    path.name
    for path in (REPO / "examples").iterdir()
    if path.suffix == ".csv" or (path.suffix == ".yaml" and "\nassets:" in path.read_text(encoding="utf-8"))
)
"""The example inventories (examples/ also holds a waivers file and a provider register, which are not)."""
WITH_EVERYTHING = (
    "--waivers", "examples/derogations-exemple.yaml",
    "--providers", "examples/prestataires-exemple.yaml",
    "--access-log", "examples/acces-exemple.log",
)
"""The ministry example's waivers, provider register and admin-access log, as the README's examples use them."""


def example_line(name: str, asset_id: str) -> int:
    """The line of an example inventory that declares `asset_id` (where reports must point)."""
    lines = (REPO / "examples" / name).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if line.strip() == f"- id: {asset_id}")


@functools.cache
def scan_example(name: str, *options: str) -> ScanResult:
    """The real pipeline on an example, as CI runs it: CLI, offline, reproducible, JSON, parsed back."""
    with contextlib.chdir(REPO):
        outcome = CliRunner().invoke(
            app, ["scan", f"examples/{name}", "--offline", "--reproducible", "-f", "json", *options],
            catch_exceptions=False,
        )
    assert outcome.exit_code in (0, 1), outcome.output
    return ScanResult.model_validate_json(outcome.stdout)


@functools.cache
def sarif_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((VENDOR / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return schema


def validators() -> list[Any]:
    """The validator the schema's own `$schema` (draft-04) selects, and the Draft 7 one, with format checks."""
    schema = sarif_schema()
    declared = jsonschema.validators.validator_for(schema)
    return [cls(schema, format_checker=cls.FORMAT_CHECKER) for cls in (declared, jsonschema.Draft7Validator)]


def render(result: ScanResult) -> str:
    return SarifReporter().render(result)


def sarif(result: ScanResult) -> Any:
    return json.loads(render(result))


def assert_valid(document: Any) -> None:
    for validator in validators():
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def the_run(result: ScanResult) -> Any:
    document = sarif(result)
    assert len(document["runs"]) == 1
    return document["runs"][0]


# ------------------------------------------------------------------------------------------ validity


def test_the_vendored_schema_is_the_official_one() -> None:
    schema = sarif_schema()
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    assert "NOTICE.md" in {path.name for path in VENDOR.iterdir()}


def test_schema_rejects_a_broken_log() -> None:
    """The validation below could fail: a result without a message is refused."""
    document = sarif(sample_scan_result())
    del document["runs"][0]["results"][0]["message"]
    assert any(list(validator.iter_errors(document)) for validator in validators())


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_gives_a_valid_log(example: str) -> None:
    assert_valid(sarif(scan_example(example)))


@pytest.mark.parametrize(
    "build", [sample_scan_result, hostile_scan_result, decree_scan_result, hostile_decree_scan_result]
)
def test_factory_results_give_a_valid_log(build: Any) -> None:
    assert_valid(sarif(build()))


def test_an_empty_scan_gives_a_valid_log_with_no_result() -> None:
    run = the_run(scan_result(()))
    assert run["results"] == []
    assert_valid(sarif(scan_result(())))


# ------------------------------------------------------------------------------------------ results


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_finding_appears_exactly_once(example: str) -> None:
    result = scan_example(example)
    expected = Counter((a.id, f.rule) for a in result.assets for f in a.findings)
    got = Counter((r["properties"]["asset"], r["ruleId"]) for r in the_run(result)["results"])
    assert got == expected
    assert sum(expected.values()) == len(the_run(result)["results"])


def test_ministry_example_has_violations_as_errors_and_indeterminates_as_warnings() -> None:
    result = scan_example("ministere-exemple.yaml")
    outcomes = Counter(f.outcome for a in result.assets for f in a.findings)
    levels = Counter(r["level"] for r in the_run(result)["results"])
    assert levels == {"error": outcomes[Outcome.VIOLATION], "warning": outcomes[Outcome.INDETERMINATE]}
    assert levels["error"] and levels["warning"]  # the example has both, as the README says


@pytest.mark.parametrize("example", EXAMPLES)
def test_rule_index_points_at_the_rule_named_by_rule_id(example: str) -> None:
    run = the_run(scan_example(example))
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [rule.id for rule in scan_example(example).rules]
    for item in run["results"]:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]


def test_rules_missing_from_the_result_are_described_from_their_findings() -> None:
    run = the_run(sample_scan_result())  # hand-built: no RuleInfo at all
    rules = run["tool"]["driver"]["rules"]
    assert sorted(rule["id"] for rule in rules) == ["MA-ADM-1", "MA-LOC-1", "MA-LOC-2"]
    for item in run["results"]:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]


def test_levels_follow_the_outcome() -> None:
    by_asset = {r["properties"]["asset"]: r for r in the_run(sample_scan_result())["results"]}
    assert by_asset["supervision"]["level"] == "error"
    assert by_asset["supervision"]["properties"]["outcome"] == "violation"
    assert by_asset["console-admin"]["level"] == "warning"
    assert by_asset["console-admin"]["properties"]["outcome"] == "indeterminate"
    assert {r["kind"] for r in by_asset.values()} == {"fail"}


def test_result_message_has_the_message_and_the_reason() -> None:
    by_asset = {r["properties"]["asset"]: r for r in the_run(sample_scan_result())["results"]}
    text = by_asset["supervision"]["message"]["text"]
    assert text.startswith("The management tool 'supervision' runs in DE")
    assert "Reason: location confirmed DE by vendor-catalog (authoritative)" in text


def test_result_properties_describe_asset_and_location() -> None:
    by_asset = {r["properties"]["asset"]: r for r in the_run(sample_scan_result())["results"]}
    properties = by_asset["espace-usagers"]["properties"]
    assert properties["severity"] == "critical"
    assert properties["assetKind"] == "server"
    assert properties["locationStatus"] == "contradicted"
    assert properties["countries"] == ["FR", "MA"]


def test_location_points_at_the_inventory_line_and_names_the_asset() -> None:
    by_asset = {r["properties"]["asset"]: r for r in the_run(scan_example("ministere-exemple.yaml"))["results"]}
    location = by_asset["supervision"]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "examples/ministere-exemple.yaml"
    assert location["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert location["physicalLocation"]["region"] == {"startLine": example_line("ministere-exemple.yaml",
                                                                                 "supervision")}
    assert location["logicalLocations"] == [
        {"name": "supervision", "fullyQualifiedName": "supervision", "kind": "resource"}
    ]


def test_region_is_left_out_when_the_line_is_unknown() -> None:
    item = asset("sans-ligne", AssetKind.SERVER, Outcome.VIOLATION, located(LocationStatus.CONFIRMED, ("FR",), "x"),
                 [], findings=[_finding("MA-ADM-1")])
    item = item.model_copy(update={"source": SourceRef(path="inventaire.yaml", line=None)})
    document = sarif(scan_result([item], inventory_path="inventaire.yaml"))
    physical = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert "region" not in physical
    assert_valid(document)


# ------------------------------------------------------------------------------------------ fingerprints


def _finding(rule: str, *, message: str = "message", reason: str = "reason") -> Any:
    return finding(rule, Outcome.VIOLATION, Severity.HIGH, DECREE_ART_4, title="t", title_fr="t", message=message,
                   message_fr=message, reason=reason)


def _fingerprints(result: ScanResult) -> list[str]:
    return [r["partialFingerprints"][FINGERPRINT_KEY] for r in the_run(result)["results"]]


def test_fingerprints_ignore_evidence_messages_lines_and_time() -> None:
    first = scan_result([
        asset("supervision", AssetKind.MANAGEMENT_TOOL, Outcome.VIOLATION,
              located(LocationStatus.CONFIRMED, ("DE",), "catalog"),
              [evidence("vendor-catalog", Strength.AUTHORITATIVE, "datadog", country="DE")],
              line=12, findings=[_finding("MA-ADM-1", message="runs in DE", reason="catalog says DE")])
    ])
    second = scan_result([
        asset("supervision", AssetKind.MANAGEMENT_TOOL, Outcome.VIOLATION,
              located(LocationStatus.CONFIRMED, ("US",), "dns"),
              [evidence("geoip", Strength.MEASURED, "203.0.113.9", country="US")],
              line=99, findings=[_finding("MA-ADM-1", message="now runs in US", reason="GeoIP says US")])
    ], generated_at=first.generated_at.replace(year=2031))
    assert render(first) != render(second)
    assert _fingerprints(first) == _fingerprints(second)


def test_fingerprints_differ_between_assets_and_between_rules() -> None:
    assert fingerprint("a", "MA-ADM-1") != fingerprint("b", "MA-ADM-1")
    assert fingerprint("a", "MA-ADM-1") != fingerprint("a", "MA-LOC-1")
    assert fingerprint("a\x00b", "c") != fingerprint("a", "b\x00c")  # no separator trick
    prints = _fingerprints(scan_example("ministere-exemple.yaml"))
    assert len(set(prints)) == len(prints)


def test_fingerprint_is_a_sha256_of_asset_and_rule_only() -> None:
    value = fingerprint("supervision", "MA-ADM-1")
    assert len(value) == 64 and int(value, 16) >= 0
    assert value == fingerprint("supervision", "MA-ADM-1")


# ------------------------------------------------------------------------------------------ rules


def test_rules_carry_legal_reference_remediation_and_github_severity() -> None:
    rules = {rule["id"]: rule for rule in the_run(scan_example("ministere-exemple.yaml"))["tool"]["driver"]["rules"]}
    info = {rule.id: rule for rule in scan_example("ministere-exemple.yaml").rules}
    for rule_id, rule in rules.items():
        source = info[rule_id]
        assert rule["shortDescription"]["text"] == source.title
        assert rule["fullDescription"]["text"] == source.message
        assert rule["helpUri"] == source.reference.url
        assert source.reference.text in rule["help"]["text"]
        assert source.remediation in rule["help"]["text"]
        assert "Remediation:" in rule["help"]["markdown"]
        severity = source.severity.value
        assert rule["properties"]["security-severity"] == {"critical": "9.5", "high": "8.0", "medium": "5.5",
                                                           "low": "3.0", "info": "0.0"}[severity]
        assert rule["properties"]["tags"][:2] == ["data-residency", "morocco"]
        assert "security" in rule["properties"]["tags"]
        assert source.pack in rule["properties"]["tags"]
        assert rule["defaultConfiguration"]["level"] == {"critical": "error", "high": "error", "medium": "warning",
                                                         "low": "warning", "info": "note"}[severity]
        assert rule["name"].isalnum()


def test_uncertain_article_url_and_quote_are_in_the_help() -> None:
    law = LegalReference(text="Loi n° 05-20", article="art. 11", article_uncertain=True,
                         url="https://example.org/loi 05-20", quote="exclusivement hébergées")
    rule = RuleInfo(id="R-1", pack="p", title="Title", title_fr="Titre", severity=Severity.MEDIUM, reference=law,
                    message="{asset} m", message_fr="m", remediation="fix {asset}", remediation_fr="r")
    result = scan_result(()).model_copy(update={"rules": (rule,)})
    descriptor = the_run(result)["tool"]["driver"]["rules"][0]
    help_text = descriptor["help"]["text"]
    assert "Loi n° 05-20, art. 11 (article uncertain)" in help_text
    assert "https://example.org/loi 05-20" in help_text
    assert "“exclusivement hébergées”" in help_text
    assert "Remediation: fix {asset}" in help_text
    assert descriptor["helpUri"] == "https://example.org/loi%2005-20"
    assert descriptor["defaultConfiguration"]["level"] == "warning"
    assert descriptor["properties"]["security-severity"] == "5.5"
    assert_valid(sarif(result))


def test_a_non_web_reference_url_is_not_a_help_uri() -> None:
    rules = the_run(hostile_scan_result())["tool"]["driver"]["rules"]
    hostile_rule = next(rule for rule in rules if rule["id"] == hostile.MARKUP)
    assert "helpUri" not in hostile_rule
    html = MarkdownIt("commonmark", {"html": True}).render(hostile_rule["help"]["markdown"])
    assert "<script" not in html and "javascript:" not in html and "<a " not in html


# ------------------------------------------------------------------------------------------ paths and run


@pytest.mark.parametrize(
    ("path", "uri", "base"),
    [
        ("inventaires/mon inventaire #2 été.yaml", "inventaires/mon%20inventaire%20%232%20%C3%A9t%C3%A9.yaml",
         "%SRCROOT%"),
        ("a?b%c.yaml", "a%3Fb%25c.yaml", "%SRCROOT%"),
        ("c:inventaire.yaml", "c%3Ainventaire.yaml", "%SRCROOT%"),  # not read as a URI scheme
        ("/srv/cmdb/export 1.csv", "file:///srv/cmdb/export%201.csv", None),
        ("C:\\cmdb\\export.csv", "file:///C:/cmdb/export.csv", None),
        ("bad\udcffname.yaml", "bad%FFname.yaml", "%SRCROOT%"),  # surrogateescape: the file's own byte
    ],
)
def test_paths_are_uri_escaped(path: str, uri: str, base: str | None) -> None:
    assert artifact_uri(path) == (uri, base)


def test_escaped_path_in_a_log_is_valid_and_decodes_back() -> None:
    path = "inventaires/mon inventaire #2 été.yaml"
    item = asset("x", AssetKind.SERVER, Outcome.VIOLATION, located(LocationStatus.CONFIRMED, ("FR",), "r"), [],
                 findings=[_finding("MA-ADM-1")])
    item = item.model_copy(update={"source": SourceRef(path=path, line=3)})
    document = sarif(scan_result([item], inventory_path=path))
    assert_valid(document)
    run = document["runs"][0]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert unquote(location["uri"]) == path
    assert run["artifacts"][location["index"]]["location"]["uri"] == location["uri"]
    assert "%SRCROOT%" in run["originalUriBaseIds"]


def test_run_records_inventory_hash_datasets_and_schema_version() -> None:
    result = scan_example("ministere-exemple.yaml")
    run = the_run(result)
    started = result.generated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert run["invocations"] == [{"executionSuccessful": True, "startTimeUtc": started}]
    assert run["artifacts"][0]["hashes"] == {"sha-256": result.inventory.sha256}
    properties = run["properties"]
    assert properties["inventory"]["sha256"] == result.inventory.sha256
    assert properties["schemaVersion"] == result.schema_version
    assert [(d["id"], d["version"], d["date"]) for d in properties["dataSources"]] == [
        (d.id, d.version, d.date.isoformat()) for d in result.data_sources
    ]
    assert run["automationDetails"] == {"id": "residency-scan/"}
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == (result.tool.name, result.tool.version)
    assert "informationUri" not in driver


# ------------------------------------------------------------------------------------------ bytes


def test_same_result_gives_the_same_bytes() -> None:
    assert render(sample_scan_result()) == render(sample_scan_result())
    assert render(scan_example("ministere-exemple.yaml")) == render(scan_example("ministere-exemple.yaml"))


def test_hostile_strings_are_inert_in_the_file_and_cleaned_for_viewers() -> None:
    text = render(hostile_scan_result())
    assert text.endswith("}\n")
    for character in ("\x1b", "\x9b", "\x9d", "\u202e", "\x00", "\x7f", "\u2028"):
        assert character not in text
    document = json.loads(text)
    messages = [r["message"]["text"] for r in document["runs"][0]["results"]]
    assert all("\x1b" not in m and "\u202e" not in m for m in messages)
    assert all(len(m) < 5000 for m in messages)  # the 100,000-character remediation is cut for viewers
    assert hostile.OSC8_LINK in {r["properties"]["asset"] for r in document["runs"][0]["results"]}  # kept exact
