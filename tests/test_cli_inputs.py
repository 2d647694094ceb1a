"""`scan --providers / --waivers / --access-log`: what the entity gives beside its inventory, end to end.

The scan date is pinned with SOURCE_DATE_EPOCH so that waiver and qualification validity do not depend on the
day the suite runs.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from residency_scan.cli import app

REPO = Path(__file__).resolve().parent.parent
SCAN_DAY = datetime(2026, 11, 25, tzinfo=UTC)
runner = CliRunner()

BACKUPS = """\
version: 1
entity: {name: "Agence Test", type: eiv}
assets:
  - id: sauvegardes
    kind: backup
    sensitivity: sensitive
    cloud: {provider: aws, region: eu-west-3, service: s3}
"""


def scan(*args: str) -> Any:
    return runner.invoke(app, ["scan", *args], env={"SOURCE_DATE_EPOCH": str(int(SCAN_DAY.timestamp()))})


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "inventaire.yaml"
    path.write_text(BACKUPS, encoding="utf-8")
    return path


def waivers_file(tmp_path: Path, *, created: str = "2026-11-01", expires: str = "2027-06-30",
                 rule: str = "*") -> Path:
    path = tmp_path / "derogations.yaml"
    path.write_text(f"""\
version: 1
waivers:
  - id: DRG-1
    asset: sauvegardes
    rule: "{rule}"
    owner: "RSSI"
    reason: "Migration vers un prestataire qualifié en cours"
    reference: "Analyse de risques AR-1 (décret 2-24-921 art. 17)"
    created: {created}
    expires: {expires}
""", encoding="utf-8")
    return path


def test_without_waivers_the_backups_abroad_fail(inventory: Path) -> None:
    result = scan(str(inventory), "--offline", "--reproducible", "-f", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["assets"][0]["verdict"] == "violation"


def test_a_waiver_covering_every_finding_makes_the_asset_waived_and_the_gate_pass(inventory: Path,
                                                                                    tmp_path: Path) -> None:
    result = scan(str(inventory), "--offline", "--reproducible", "-f", "json", "--waivers",
                  str(waivers_file(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "1 assets: 0 violation, 0 indeterminate, 1 waived, 0 compliant" in result.stderr
    data = json.loads(result.stdout)
    (asset,) = data["assets"]
    assert asset["verdict"] == "waived"
    assert data["summary"]["waived"] == 1 and data["summary"]["violation"] == 0
    assert asset["findings"], "a waived finding stays in the report"
    for finding in asset["findings"]:
        assert finding["outcome"] in ("violation", "indeterminate")
        assert finding["waiver"] == {"id": "DRG-1", "owner": "RSSI",
                                     "reason": "Migration vers un prestataire qualifié en cours",
                                     "reference": "Analyse de risques AR-1 (décret 2-24-921 art. 17)",
                                     "expires": "2027-06-30"}
    (status,) = data["waivers"]
    assert status["status"] == "active" and status["days_left"] == 217
    assert any(row["waived"] for row in data["matrix"])


def test_a_waiver_of_one_rule_leaves_the_others_failing(inventory: Path, tmp_path: Path) -> None:
    result = scan(str(inventory), "--offline", "--reproducible", "-f", "json", "--waivers",
                  str(waivers_file(tmp_path, rule="MA-DECREE-LOC-1")))
    assert result.exit_code == 1
    (asset,) = json.loads(result.stdout)["assets"]
    waived = {f["rule"] for f in asset["findings"] if f["waiver"]}
    assert waived == {"MA-DECREE-LOC-1"}
    assert asset["verdict"] == "violation"  # MA-LOI0520-LOC-1 is not waived


def test_an_expired_waiver_covers_nothing_and_is_a_finding_of_its_own(inventory: Path, tmp_path: Path) -> None:
    result = scan(str(inventory), "--offline", "--reproducible", "-f", "json", "--fail-on", "violation",
                  "--waivers", str(waivers_file(tmp_path, created="2026-01-01", expires="2026-10-31")))
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["assets"][0]["verdict"] == "violation"
    assert all(f["waiver"] is None for f in data["assets"][0]["findings"])
    (status,) = data["waivers"]
    assert status["status"] == "expired" and status["days_left"] == -25


def test_a_waiver_longer_than_the_maximum_lifetime_is_invalid(inventory: Path, tmp_path: Path) -> None:
    waivers = waivers_file(tmp_path, created="2026-11-01", expires="2027-06-30")
    result = scan(str(inventory), "--offline", "--reproducible", "-f", "json", "--waivers", str(waivers),
                  "--waiver-max-days", "90")
    assert result.exit_code == 1
    (status,) = json.loads(result.stdout)["waivers"]
    assert status["status"] == "invalid"
    assert any("90" in problem for problem in status["problems"])


def test_a_waivers_file_that_is_not_yaml_is_exit_2_with_its_line(inventory: Path, tmp_path: Path) -> None:
    bad = tmp_path / "derogations.yaml"
    bad.write_text("version: 1\nwaivers:\n  - id: [unclosed\n", encoding="utf-8")
    result = scan(str(inventory), "--offline", "--waivers", str(bad))
    assert result.exit_code == 2
    assert str(bad) in result.stderr and "Traceback" not in result.output + result.stderr


def test_a_malformed_register_is_exit_2(inventory: Path, tmp_path: Path) -> None:
    bad = tmp_path / "registre.yaml"
    bad.write_text("register: {title: x}\nproviders: []\n", encoding="utf-8")
    result = scan(str(inventory), "--offline", "--providers", str(bad))
    assert result.exit_code == 2
    assert str(bad) in result.stderr and "Traceback" not in result.output + result.stderr


def test_the_register_is_listed_as_a_data_source_and_says_it_is_an_example(inventory: Path) -> None:
    register = REPO / "examples" / "prestataires-exemple.yaml"
    result = scan(str(inventory), "--offline", "--reproducible", "-f", "json", "--providers", str(register))
    data = json.loads(result.stdout)
    (source,) = [ds for ds in data["data_sources"] if ds["id"] == "provider-register"]
    assert source["note"] and "EXAMPLE" in source["note"]
    qual = {f["rule"]: f for f in data["assets"][0]["findings"]}["MA-DECREE-QUAL-2"]
    assert qual["outcome"] == "violation" and "not in the register" in qual["reason"]


def test_a_login_from_abroad_to_the_bastion_is_a_finding_naming_the_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = scan("examples/ministere-exemple.yaml", "--offline", "--reproducible", "-f", "json",
                  "--access-log", "examples/acces-exemple.log")
    data = json.loads(result.stdout)
    (log,) = data["access_logs"]
    assert log["format"] == "auth-log" and log["events"] == 3 and log["attributed"] == 3
    bastion = next(a for a in data["assets"] if a["id"] == "bastion-admin")
    (finding,) = [f for f in bastion["findings"] if f["rule"] == "MA-DECREE-ADM-2"]
    assert finding["outcome"] == "violation"
    assert "prestataire" in finding["reason"] and "90.84.10.20" in finding["reason"] and "FR" in finding["reason"]
    assert {record["user"] for record in bastion["access"]} == {"admin.rabat", "prestataire"}


def test_an_unreadable_access_log_is_exit_2(inventory: Path, tmp_path: Path) -> None:
    result = scan(str(inventory), "--offline", "--access-log", str(tmp_path / "absent.log"))
    assert result.exit_code == 2
    assert "absent.log" in result.stderr and "Traceback" not in result.output + result.stderr


def test_replay_refuses_the_inputs_it_reads_from_the_bundle(inventory: Path, tmp_path: Path) -> None:
    result = scan("--replay", str(tmp_path / "b.zip"), "--waivers", str(waivers_file(tmp_path)))
    assert result.exit_code == 2
    assert "--waivers" in result.stderr


def test_the_markdown_status_says_what_the_exit_code_says_under_a_baseline(inventory: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    assert scan(str(inventory), "--offline", "--reproducible", "-f", "json", "-o", str(old)).exit_code == 1
    gated = scan(str(inventory), "--offline", "--reproducible", "-f", "markdown", "--baseline", str(old))
    assert gated.exit_code == 0  # every finding is in the baseline
    assert "**PASSED**" in gated.stdout and "**FAILED**" not in gated.stdout
    alone = scan(str(inventory), "--offline", "--reproducible", "-f", "markdown")
    assert alone.exit_code == 1 and "**FAILED**" in alone.stdout


def test_a_bundle_keeps_the_waivers_file_and_a_replay_refuses_what_it_cannot_reproduce(
        inventory: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "preuves.zip"
    waivers = waivers_file(tmp_path)
    assert scan(str(inventory), "--offline", "--waivers", str(waivers), "--bundle", str(bundle)).exit_code == 0
    verified = runner.invoke(app, ["verify", str(bundle)])
    assert verified.exit_code == 0, verified.output
    with zipfile.ZipFile(bundle) as archive:
        assert archive.read("waivers/derogations.yaml") == waivers.read_bytes()
    replayed = scan("--replay", str(bundle))
    assert replayed.exit_code == 2
    assert "--waivers" in replayed.stderr and "Traceback" not in replayed.output + replayed.stderr


def test_diff_fails_on_the_new_result_s_broken_waivers_like_a_baseline(inventory: Path, tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    scan(str(inventory), "--offline", "--reproducible", "-f", "json", "-o", str(old))
    expired = waivers_file(tmp_path, created="2026-01-01", expires="2026-10-31")
    scan(str(inventory), "--offline", "--reproducible", "-f", "json", "-o", str(new), "--waivers", str(expired))
    assert runner.invoke(app, ["diff", str(old), str(old)]).exit_code == 0
    assert runner.invoke(app, ["diff", str(old), str(new)]).exit_code == 1  # nothing new but the broken waiver
    assert runner.invoke(app, ["diff", str(old), str(new), "--fail-on", "none"]).exit_code == 0


def test_the_access_log_format_option_lists_exactly_the_formats_the_reader_knows() -> None:
    from residency_scan.access.interface import FORMATS
    from residency_scan.cli_inputs import AccessLogFormat

    assert {f.value for f in AccessLogFormat} == {"auto", *FORMATS}
