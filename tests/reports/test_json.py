"""The JSON report is the public contract: complete, deterministic, lossless, and inert when printed."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from typing import Any

import pytest

from residency_scan.models import AssetKind, LocationStatus, Outcome, ScanResult, Strength
from residency_scan.reports import JsonReporter
from residency_scan.reports.json import SCHEMA_VERSION, AssetSpool
from tests.reports import hostile
from tests.reports.builders import CASABLANCA, asset, evidence, located, scan_result
from tests.reports.factories import hostile_scan_result, sample_scan_result
from tests.reports.factories_decree import LOCAL_WAIVER, decree_scan_result, hostile_decree_scan_result
from tests.reports.goldens import assert_matches_golden


def render(result: ScanResult) -> str:
    return JsonReporter().render(result)


def document(result: ScanResult) -> Any:
    return json.loads(render(result))


def test_same_result_gives_the_same_bytes() -> None:
    result = sample_scan_result()
    first = render(result)
    assert render(result) == first
    assert render(sample_scan_result()) == first  # an equal value built again
    assert render(ScanResult.model_validate_json(first)) == first  # and one parsed back


@pytest.mark.parametrize(
    "build", [sample_scan_result, hostile_scan_result, decree_scan_result, hostile_decree_scan_result]
)
def test_round_trip_gives_back_an_equal_result(build: Any) -> None:
    result = build()
    assert ScanResult.model_validate_json(render(result)) == result


def test_layout_is_indented_utf8_with_a_trailing_newline() -> None:
    text = render(sample_scan_result())
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")
    assert text.startswith('{\n  "schema_version": "1.1",\n  "tool": {\n    "name": "residency-scan"')
    assert "Décret n° 2-24-921" in text  # not \u00e9 escapes: the file is read by people too


def test_keys_follow_model_field_order() -> None:
    top = list(document(sample_scan_result()))
    assert top == list(ScanResult.model_fields)


def test_assets_stay_in_inventory_order() -> None:
    result = sample_scan_result()
    ids = [a["id"] for a in document(result)["assets"]]
    assert ids == [a.id for a in result.assets]
    assert ids != sorted(ids)
    reversed_result = scan_result(reversed(result.assets))
    assert [a["id"] for a in document(reversed_result)["assets"]] == ids[::-1]


def test_contract_keys_are_present() -> None:
    doc = document(sample_scan_result())
    assert doc["schema_version"] == SCHEMA_VERSION
    assert set(doc["tool"]) >= {"name", "version"}
    assert isinstance(doc["generated_at"], str)
    assert set(doc["inventory"]) >= {"path", "sha256"}
    assert {"id", "name", "version", "date", "licence"} <= set(doc["data_sources"][0])
    assert set(doc["summary"]) == {"assets", "compliant", "violation", "indeterminate", "not_applicable", "waived"}
    assert doc["summary"] == {
        "assets": 7,
        "compliant": 1,
        "violation": 4,
        "indeterminate": 1,
        "not_applicable": 1,
        "waived": 0,
    }
    assert (doc["matrix"], doc["waivers"], doc["access_logs"]) == ([], [], [])  # 1.1 keys, present when empty
    for item in doc["assets"]:
        assert {"id", "kind", "target", "sensitivity", "verdict", "location", "evidence", "findings"} <= set(
            item
        )
        assert {"status", "countries", "reason"} <= set(item["location"])
        for proof in item["evidence"]:
            assert {
                "source",
                "strength",
                "subject",
                "claim",
                "failure",
                "observed_at",
                "dataset",
                "raw",
            } <= set(proof)
        for problem in item["findings"]:
            assert {"rule", "severity", "outcome", "message", "remediation", "reference", "waiver"} <= set(problem)


def test_the_1_1_keys_carry_waivers_matrix_access_and_facts() -> None:
    doc = document(decree_scan_result())
    assert list(doc)[-4:] == ["matrix", "waivers", "access_logs", "assets"]  # assets stay last, for the spool
    assert doc["summary"]["waived"] == 1
    by_id = {a["id"]: a for a in doc["assets"]}
    waived = by_id["hebergement-cloud"]
    assert waived["verdict"] == "waived"
    assert waived["findings"][0]["outcome"] == "violation"  # a waived finding keeps its real outcome
    assert waived["findings"][0]["waiver"] == {"id": "W-2025-01", "owner": "DSI — Karim Benali",
                                               "reason": LOCAL_WAIVER.reason, "reference": "AR-2025-014",
                                               "expires": "2026-03-31"}
    assert waived["checks"][0]["waiver"] == "W-2025-01"
    assert (waived["service_type"], waived["personal_data"], waived["cndp_authorisation"]) == (
        "iaas", True, "A-GC-123/2024")
    assert waived["subcontractors"][0] == {"name": "Atlas Ops", "role": "operation", "country": "MA",
                                           "data_access": False}
    assert [record["user"] for record in by_id["bastion"]["access"]] == ["admin", "ext-support", "ops"]
    assert by_id["bastion"]["access"][1]["log"] == {"path": "logs/auth.log", "line": 57}
    assert [w["status"] for w in doc["waivers"]] == ["active", "active", "stale", "expired", "invalid"]
    assert doc["waivers"][3]["days_left"] == -45
    assert doc["rule_packs"][0]["deadline"]["date"] == "2027-08-21"
    assert doc["data_sources"][-1]["note"] == "EXAMPLE register, not an official list"
    assert sum(row["waived"] for row in doc["matrix"]) == 2  # hebergement-cloud (art. 5 §3), bastion (art. 4)
    assert doc["access_logs"][0]["unmatched"] == ["old-host"]


def test_values_use_the_enum_spellings() -> None:
    doc = document(sample_scan_result())
    by_id = {a["id"]: a for a in doc["assets"]}
    assert by_id["intranet-rh"]["verdict"] == "not-applicable"
    assert by_id["supervision"]["kind"] == "management-tool"
    assert by_id["espace-usagers"]["location"]["status"] == "contradicted"
    assert by_id["sauvegardes"]["evidence"][0]["strength"] == "authoritative"
    assert by_id["sauvegardes"]["findings"][0]["reference"]["article_uncertain"] is True


def test_every_key_is_present_even_when_empty() -> None:
    doc = document(sample_scan_result())
    dns = doc["assets"][0]["evidence"][0]
    assert dns["claim"] is None
    assert dns["failure"] is None
    assert doc["assets"][0]["vendor"] is None
    assert doc["assets"][5]["findings"] == []


def test_datetimes_are_utc_with_a_z_and_dates_are_plain() -> None:
    doc = document(sample_scan_result())
    assert doc["generated_at"] == "2025-09-15T08:30:00Z"
    declared = doc["assets"][0]["evidence"][2]
    assert declared["observed_at"] == "2025-09-15T08:29:57Z"  # was 09:29:57+01:00
    assert doc["data_sources"][0]["date"] == "2025-09-01"


def test_naive_datetimes_are_taken_as_utc() -> None:
    naive = datetime(2025, 9, 15, 8, 30)
    result = scan_result(
        [
            asset(
                "web",
                AssetKind.SERVER,
                Outcome.INDETERMINATE,
                located(LocationStatus.UNKNOWN, (), "no evidence"),
                [evidence("dns", Strength.MEASURED, "web.example", failure="timeout", observed_at=naive)],
            )
        ],
        generated_at=naive,
    )
    doc = document(result)
    assert doc["generated_at"] == "2025-09-15T08:30:00Z"
    assert doc["assets"][0]["evidence"][0]["observed_at"] == "2025-09-15T08:30:00Z"


def test_every_datetime_in_the_document_ends_with_z() -> None:
    text = render(
        scan_result(sample_scan_result().assets, generated_at=datetime(2025, 1, 1, 12, tzinfo=CASABLANCA))
    )
    stamps = re.findall(r'"(?:generated_at|observed_at)": "([^"]+)"', text)
    assert len(stamps) > 5
    assert all(stamp.endswith("Z") and "+" not in stamp for stamp in stamps)
    assert '"generated_at": "2025-01-01T11:00:00Z"' in text


def test_hostile_strings_are_escaped_so_the_file_is_inert_in_a_terminal() -> None:
    text = render(hostile_scan_result())
    assert re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]", text) is None
    assert "\\u001b]8;;http://evil.example" in text
    assert "\\u009b31mC1" in text
    assert "MA\\u202eAF" in text


def test_hostile_strings_come_back_exactly() -> None:
    doc = document(hostile_scan_result())
    hostile_asset = doc["assets"][7]
    assert hostile_asset["id"] == hostile.OSC8_LINK
    assert hostile_asset["target"] == hostile.MARKUP
    assert hostile_asset["evidence"][0]["source"] == hostile.C1_CSI
    assert hostile_asset["evidence"][0]["failure"] == hostile.BIDI_OVERRIDE
    assert hostile_asset["findings"][0]["remediation"] == hostile.LONG  # never truncated in the contract
    assert doc["data_sources"][1]["licence"] == hostile.C1_CSI


def test_a_lone_surrogate_becomes_a_replacement_character_so_the_file_is_valid_utf8() -> None:
    result = scan_result([], inventory_path="inventaires/\udcffrh.yaml")
    text = render(result)
    text.encode("utf-8")  # would raise UnicodeEncodeError on a surrogate
    assert json.loads(text)["inventory"]["path"] == "inventaires/\ufffdrh.yaml"
    assert ScanResult.model_validate_json(text).inventory.path == "inventaires/\ufffdrh.yaml"


def test_json_golden() -> None:
    assert_matches_golden("sample.json", render(sample_scan_result()))


@pytest.mark.parametrize(
    "make", [sample_scan_result, hostile_scan_result, decree_scan_result, hostile_decree_scan_result,
             lambda: scan_result([])]
)
def test_spooled_document_is_byte_identical_to_render(make: Any) -> None:
    result = make()
    out = io.BytesIO()
    with AssetSpool() as spool:
        for item in result.assets:
            spool.add(item)
        spool.write_document(result.model_copy(update={"assets": ()}), out)
    assert out.getvalue() == JsonReporter().render(result).encode("utf-8")
    assert ScanResult.model_validate_json(out.getvalue()) == result


def test_json_decree_golden() -> None:
    """The 1.1 contract with every new field filled: waivers, matrix, access, facts, deadline, notes."""
    assert_matches_golden("decree.json", render(decree_scan_result()))
