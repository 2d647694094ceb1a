"""`discover aws` and `scan --aws` through the CLI, against the moto server of this package's conftest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from residency_scan.cli import app
from residency_scan.inventory import load_inventory
from tests.discovery.world import ROLE_B

runner = CliRunner()


def test_discover_writes_an_inventory_that_scan_reads(aws: str, tmp_path: Path) -> None:
    out = tmp_path / "aws.yaml"
    result = runner.invoke(app, ["discover", "aws", "-o", str(out), "--regions", "eu-west-3,eu-west-1",
                                 "--no-access-events", "--entity-name", "Ministère"])
    assert result.exit_code in (0, 1), result.output
    inventory = load_inventory(out)
    assert inventory.entity.name == "Ministère"
    assert {a.cloud.region for a in inventory.assets if a.cloud} >= {"eu-west-3"}
    assert "AKIA" not in out.read_text(encoding="utf-8"), "credentials are never written"

    scanned = runner.invoke(app, ["scan", str(out), "--offline", "-f", "json"])
    assert scanned.exit_code == 1
    verdicts = {a["verdict"] for a in json.loads(scanned.stdout)["assets"]}
    assert "violation" in verdicts and "compliant" not in verdicts


def test_scan_aws_discovers_and_scans_in_one_run(aws: str) -> None:
    result = runner.invoke(app, ["scan", "--aws", "--aws-regions", "eu-west-3", "--aws-role-arn", ROLE_B,
                                 "--offline", "-f", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["inventory"]["path"].startswith("aws:")
    assert data["summary"]["violation"] > 0


def test_scan_aws_with_an_inventory_is_a_usage_error(aws: str) -> None:
    result = runner.invoke(app, ["scan", "--aws", "examples/conforme-exemple.yaml"])
    assert result.exit_code == 2


def test_discover_with_an_unknown_region_is_a_usage_error(aws: str) -> None:
    result = runner.invoke(app, ["discover", "aws", "--regions", "paris"])
    assert result.exit_code == 2


def test_a_partial_view_fails_the_scan_even_when_every_finding_is_accepted(aws: str, tmp_path: Path) -> None:
    """Coverage gaps alone make `scan --aws` exit 1: every finding here is waived, so only the gap can fail it."""
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("version: 1\nwaivers:\n  - {id: ALL, asset: '*', rule: '*', owner: o, reason: r,\n"
                       "     created: 2026-11-01, expires: 2027-06-30}\n", encoding="utf-8")
    pinned = {"SOURCE_DATE_EPOCH": str(int(datetime(2026, 11, 25, tzinfo=UTC).timestamp()))}

    def scan_aws(regions: str, *options: str) -> Any:
        return runner.invoke(app, ["scan", "--aws", "--aws-regions", regions, "--aws-role-arn", ROLE_B, "--offline",
                                   "--reproducible", "-f", "json", "--waivers", str(waivers), *options], env=pinned)

    complete = scan_aws("ap-south-1")
    assert complete.exit_code == 0, complete.output
    assert json.loads(complete.stdout)["summary"]["violation"] == 0
    partial = scan_aws("ap-south-1,il-central-1")  # moto lists il-central-1 as not opted in: a gap
    assert partial.exit_code == 1
    assert "coverage gap" in partial.stderr
    assert scan_aws("ap-south-1,il-central-1", "--fail-on", "none").exit_code == 0
