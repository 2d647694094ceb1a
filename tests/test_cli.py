"""The command line end to end, through Typer's CliRunner: exit codes, outputs, errors without tracebacks."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import socket
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from residency_scan.cli import _ProgressBar, app

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("RESIDENCY_SCAN_UPDATE_GOLDEN") == "1"

runner = CliRunner()


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths in results are as given on the command line: run from the repository like a user would."""
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def no_network(loopback_only: list[Any]) -> list[Any]:
    """The attempts to reach beyond loopback (conftest.py refuses them for every test; these tests say so)."""
    return loopback_only


def scan(*args: str) -> Any:
    return runner.invoke(app, ["scan", *args], catch_exceptions=False)


def readme_scan_command() -> list[str]:
    """The scan command on the README's first screen, as a user would type it."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"residency-scan (scan [^\n`]+)", text)
    assert match, "the README must show a scan command"
    return shlex.split(match.group(1))


def test_readme_first_command_scans_an_embedded_example_offline(no_network: list[Any]) -> None:
    args = readme_scan_command()
    assert (REPO / args[1]).is_file()
    result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "violation" in result.output
    assert "Data sources" in result.output
    assert no_network == []


REGISTER = "examples/prestataires-exemple.yaml"


@pytest.mark.parametrize(
    ("example", "extra", "expected_code"),
    [
        ("ministere-exemple.yaml", (), 1),
        ("hopital-exemple.yaml", (), 1),
        ("conforme-exemple.yaml", ("--providers", REGISTER), 0),
        # without the register, a cloud provider's qualification cannot be shown: never compliant
        ("conforme-exemple.yaml", (), 1),
    ],
)
def test_examples_exit_with_their_documented_code(example: str, extra: tuple[str, ...], expected_code: int,
                                                  no_network: list[Any]) -> None:
    result = scan(f"examples/{example}", "--offline", "--no-color", *extra)
    assert result.exit_code == expected_code, result.output
    assert no_network == []


def test_csv_example_matches_the_yaml_hospital_verdicts() -> None:
    from_csv = json.loads(scan("examples/hopital-exemple.csv", "--offline", "-f", "json",
                               "--entity-name", "CHU Exemple", "--entity-type", "eiv").stdout)
    from_yaml = json.loads(scan("examples/hopital-exemple.yaml", "--offline", "-f", "json").stdout)
    yaml_verdicts = {a["id"]: a["verdict"] for a in from_yaml["assets"]}
    for item in from_csv["assets"]:
        assert item["verdict"] == yaml_verdicts[item["id"]], item["id"]
    assert from_csv["inventory"]["entity"] == {"name": "CHU Exemple", "type": "eiv"}


def test_console_report_has_rows_findings_datasets_and_summary() -> None:
    result = scan("examples/ministere-exemple.yaml", "--offline", "--no-color")
    out = result.stdout
    for asset_id in ("portail-citoyens", "sauvegardes-s3", "supervision", "site-vitrine"):
        assert asset_id in out
    assert "MA-DECREE-LOC-1" in out and "art. 5 §3" in out
    assert "RIR delegation country" in out and "MIT OR Apache-2.0" in out
    assert re.search(r"13 assets: \d+ violation, \d+ indeterminate, \d+ compliant, 1 not applicable", out)
    assert "\x1b[" not in out


def test_no_color_environment_turns_colours_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    result = scan("examples/conforme-exemple.yaml", "--offline", "--providers", REGISTER)
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout


def test_color_can_be_forced() -> None:
    result = scan("examples/conforme-exemple.yaml", "--offline", "--providers", REGISTER, "--color")
    assert "\x1b[" in result.stdout


def test_french_console_report() -> None:
    result = scan("examples/ministere-exemple.yaml", "--offline", "--no-color", "--lang", "fr")
    assert "Constats" in result.stdout and "Référence juridique" in result.stdout
    assert "Findings" not in result.stdout


def test_json_output_to_file_follows_the_contract(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = scan("examples/ministere-exemple.yaml", "--offline", "--format", "json", "-o", str(out))
    assert result.exit_code == 1
    assert "wrote" in result.stderr and "13 assets" in result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["schema_version"] == "1.1"
    assert data["tool"]["name"] == "residency-scan"
    assert data["inventory"]["path"] == "examples/ministere-exemple.yaml"
    assert len(data["inventory"]["sha256"]) == 64
    assert set(data["summary"]) == {"assets", "compliant", "violation", "indeterminate", "not_applicable",
                                    "waived"}
    ids = [a["id"] for a in data["assets"]]
    assert ids[:3] == ["portail-citoyens", "base-etat-civil", "reseau-interministeriel"], "inventory order"
    by_id = {a["id"]: a for a in data["assets"]}
    backups = by_id["sauvegardes-s3"]
    assert backups["verdict"] == "violation"
    assert backups["location"]["status"] == "contradicted"
    assert backups["location"]["countries"] == ["FR"]
    by_rule = {f["rule"]: f["outcome"] for f in backups["findings"]}
    # abroad under the decree and law 05-20; no register given, so the provider cannot be shown qualified
    assert by_rule["MA-DECREE-LOC-1"] == by_rule["MA-LOI0520-LOC-1"] == "violation"
    assert by_rule["MA-DECREE-QUAL-2"] == "indeterminate"
    assert all({"rule", "severity", "outcome", "message", "remediation"} <= set(f) for f in backups["findings"])
    assert {e["source"] for e in backups["evidence"]} == {"cloud-regions", "declared"}
    assert by_id["site-vitrine"]["verdict"] == "not-applicable"
    assert by_id["console-hyperviseur"]["verdict"] == "indeterminate"
    assert "offline" in by_id["console-hyperviseur"]["location"]["reason"]
    used = {d["id"]: d for d in data["data_sources"]}
    assert used["rir-country"]["evidence_count"] > 0
    assert used["rir-country"]["licence"]


def test_reproducible_json_is_byte_identical_and_matches_the_golden(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for out in (first, second):
        result = scan("examples/conforme-exemple.yaml", "--offline", "--providers", REGISTER, "-f", "json",
                      "--reproducible", "-o", str(out))
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    golden = GOLDEN / "conforme-exemple.json"
    if UPDATE_GOLDEN:
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(first.read_bytes())
    assert golden.exists(), "run with RESIDENCY_SCAN_UPDATE_GOLDEN=1 to create the golden file"
    assert first.read_text(encoding="utf-8") == golden.read_text(encoding="utf-8"), (
        "the JSON result changed; if intended, rerun with RESIDENCY_SCAN_UPDATE_GOLDEN=1 and review the diff")


def test_source_date_epoch_pins_the_timestamp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    data = json.loads(scan("examples/conforme-exemple.yaml", "--offline", "--providers", REGISTER, "-f", "json",
                           "--reproducible").stdout)
    assert data["generated_at"] == "2026-01-01T00:00:00Z"


def test_fail_on_violation_ignores_indeterminate(tmp_path: Path) -> None:
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(
        "version: 1\nentity: {name: X, type: eiv}\nassets:\n"
        "  - {id: console, kind: admin-interface, target: admin.exemple.ma}\n", encoding="utf-8")
    assert scan(str(inventory), "--offline").exit_code == 1
    assert scan(str(inventory), "--offline", "--fail-on", "violation").exit_code == 0
    assert scan(str(inventory), "--offline", "--fail-on", "none").exit_code == 0


def test_fail_on_violation_still_fails_on_a_violation() -> None:
    assert scan("examples/ministere-exemple.yaml", "--offline", "--fail-on", "violation").exit_code == 1


def test_bad_inventory_is_exit_2_with_file_line_and_hint(tmp_path: Path) -> None:
    inventory = tmp_path / "bad.yaml"
    inventory.write_text(
        "version: 1\nentity: {name: X, type: eiv}\nassets:\n"
        "  - id: a\n    kind: management_tol\n    target: 10.0.0.1\n", encoding="utf-8")
    result = scan(str(inventory), "--offline")
    assert result.exit_code == 2
    assert f"{inventory}:5" in result.stderr
    assert "did you mean 'management-tool'?" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_missing_inventory_is_exit_2(tmp_path: Path) -> None:
    result = scan(str(tmp_path / "absent.yaml"))
    assert result.exit_code == 2
    assert "not found" in result.stderr


def test_bad_rule_pack_is_exit_2_with_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("pack:\n  id: x\n  unknown_field: 1\n", encoding="utf-8")
    result = scan("examples/conforme-exemple.yaml", "--offline", "--rules", str(rules))
    assert result.exit_code == 2
    assert str(rules) in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_unknown_option_value_is_exit_2() -> None:
    result = runner.invoke(app, ["scan", "examples/conforme-exemple.yaml", "--fail-on", "sometimes"])
    assert result.exit_code == 2


def test_unreadable_dataset_is_exit_3(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.mmdb"
    corrupt.write_bytes(b"this is not a MaxMind database" * 10)
    result = scan("examples/conforme-exemple.yaml", "--offline", "--geoip-db", str(corrupt))
    assert result.exit_code == 3
    assert "corrupt.mmdb" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_unwritable_output_is_exit_3(tmp_path: Path) -> None:
    result = scan("examples/conforme-exemple.yaml", "--offline", "-f", "json", "-o", str(tmp_path / "no" / "x.json"))
    assert result.exit_code == 3
    assert "cannot write" in result.stderr


def test_bad_dns_server_is_exit_2() -> None:
    result = scan("examples/conforme-exemple.yaml", "--dns-server", "not a server")
    assert result.exit_code == 2


def test_markup_and_html_in_names_are_shown_as_text(tmp_path: Path) -> None:
    inventory = tmp_path / "hostile.yaml"
    inventory.write_text(
        "version: 1\nentity: {name: \"<script>alert(1)</script> [bold red]x[/]\", type: eiv}\nassets:\n"
        "  - id: a\n    kind: server\n    target: 41.248.12.10\n"
        "    description: \"[link=http://evil]click[/link] <b>gras</b>\"\n"
        "    declared: {country: MA}\n", encoding="utf-8")
    result = scan(str(inventory), "--offline", "--no-color")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert "<script>alert(1)</script> [bold red]x[/]" in result.stdout, "markup is shown as text, not interpreted"


def test_terminal_escapes_in_an_inventory_are_refused_and_not_echoed(tmp_path: Path) -> None:
    inventory = tmp_path / "hostile.yaml"
    inventory.write_text(
        "version: 1\nentity: {name: X, type: eiv}\nassets:\n"
        "  - id: a\n    kind: server\n    target: 41.248.12.10\n"
        "    description: \"\\e]8;;http://evil\\e\\\\click \\e[31mred\"\n", encoding="utf-8")
    result = scan(str(inventory), "--offline", "--no-color")
    assert result.exit_code == 2
    assert f"{inventory}:7" in result.stderr
    assert "\x1b" not in result.stdout + result.stderr


@pytest.mark.parametrize("command", [[], ["scan"], ["datasets"]])
def test_help_explains_every_option(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    if command == ["scan"]:
        for option in ("--format", "--output", "--fail-on", "--offline", "--rules", "--geoip-db", "--asn-db",
                       "--dns-server", "--dns-timeout", "--reproducible", "--lang", "--color"):
            assert option in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("residency-scan ")


def test_datasets_lists_embedded_data_with_dates_and_licences() -> None:
    result = runner.invoke(app, ["datasets"])
    assert result.exit_code == 0
    assert "rir-country" in result.stdout and "cloud-regions" in result.stdout and "vendor-catalog" in result.stdout
    assert re.search(r"20\d\d-\d\d-\d\d", result.stdout)


def test_progress_bar_draws_on_its_console_only_when_enabled() -> None:
    screen = io.StringIO()
    bar = _ProgressBar(enabled=True, console=Console(file=screen, force_terminal=True, width=80), delay=0.0)
    bar(50, 100)
    bar(100, 100)
    bar.close()
    bar.close()
    assert "scanning" in screen.getvalue()

    silent = io.StringIO()
    off = _ProgressBar(enabled=False, console=Console(file=silent, force_terminal=True), delay=0.0)
    off(1, 1)
    off.close()
    assert silent.getvalue() == ""


def test_json_on_stdout_carries_no_progress_or_summary_text() -> None:
    result = scan("examples/conforme-exemple.yaml", "--offline", "-f", "json")
    data = json.loads(result.stdout)
    assert data["summary"]["assets"] == 7


TERRAFORM = "tests/assets/terraform"


def test_terraform_plan_gate_fails_on_a_bucket_abroad_and_reports_skipped_resources(tmp_path: Path) -> None:
    out = tmp_path / "plan-result.json"
    result = scan("--terraform", f"{TERRAFORM}/aws-v6-resource-region.json", "-f", "json", "-o", str(out))
    assert result.exit_code == 1, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    by_id = {a["id"]: a for a in data["assets"]}
    assert by_id["aws_s3_bucket.dossiers"]["verdict"] == "violation"
    assert by_id["aws_s3_bucket.shuffled"]["verdict"] == "indeterminate"
    assert "known after apply" in by_id["aws_s3_bucket.shuffled"]["location"]["reason"]
    assert data["summary"]["compliant"] == 0


def test_terraform_and_inventory_together_is_a_usage_error() -> None:
    result = scan("examples/conforme-exemple.yaml", "--terraform", f"{TERRAFORM}/azurerm.json")
    assert result.exit_code == 2
    assert "exactly one" in result.stderr


def test_neither_inventory_nor_plan_is_a_usage_error() -> None:
    result = scan("--offline")
    assert result.exit_code == 2


def test_sensitivity_map_without_a_plan_is_a_usage_error() -> None:
    result = scan("examples/conforme-exemple.yaml", "--sensitivity-map", f"{TERRAFORM}/sensitivity.yaml")
    assert result.exit_code == 2


def test_malformed_plan_is_exit_2(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text('{"format_version": "1.2", "resource_changes": [\n  {"address": ', encoding="utf-8")
    result = scan("--terraform", str(plan))
    assert result.exit_code == 2
    assert str(plan) in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_plan_of_an_unsupported_format_version_is_exit_2(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text('{"format_version": "2.0", "terraform_version": "9.0.0"}', encoding="utf-8")
    result = scan("--terraform", str(plan))
    assert result.exit_code == 2
    assert "format_version" in result.stderr


def _scan_json(inventory: Path, out: Path) -> None:
    result = scan(str(inventory), "--offline", "--providers", REGISTER, "-f", "json", "--reproducible", "-o",
                  str(out))
    assert result.exit_code in (0, 1), result.output


def test_diff_and_baseline_gate_only_new_findings(tmp_path: Path) -> None:
    original = (EXAMPLES / "conforme-exemple.yaml").read_text(encoding="utf-8")
    before, after = tmp_path / "before.yaml", tmp_path / "after.yaml"
    before.write_text(original, encoding="utf-8")
    # the file store moves to an address registered in France, still declared in Morocco
    after.write_text(original.replace("target: 105.128.40.10", "target: 90.84.10.20"), encoding="utf-8")
    old_json, new_json = tmp_path / "old.json", tmp_path / "new.json"
    _scan_json(before, old_json)
    _scan_json(after, new_json)

    same = runner.invoke(app, ["diff", str(old_json), str(old_json)])
    assert same.exit_code == 0, same.output
    changed = runner.invoke(app, ["diff", str(old_json), str(new_json), "-f", "json"])
    assert changed.exit_code == 1, changed.output
    report = json.loads(changed.stdout)
    assert {f["asset"] for f in report["new_findings"]} == {"base-dossiers"}
    assert [d["asset"] for d in report["drift"]] == ["base-dossiers"]
    new_count = len(report["new_findings"])

    # The new result fails on its own, passes against itself as a baseline, fails against the old one.
    assert scan(str(after), "--offline", "--providers", REGISTER).exit_code == 1
    assert scan(str(after), "--offline", "--providers", REGISTER, "--baseline", str(new_json)).exit_code == 0
    gated = scan(str(after), "--offline", "--providers", REGISTER, "-f", "json", "--baseline", str(old_json))
    assert gated.exit_code == 1
    assert f"{new_count} finding(s) not in" in gated.stderr


def test_diff_of_something_that_is_not_a_result_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  \"schema_version\": \"1.0\",\n  oops\n}", encoding="utf-8")
    result = runner.invoke(app, ["diff", str(bad), str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.stderr


def test_bundle_verify_report_and_replay_through_the_cli(tmp_path: Path, no_network: list[Any]) -> None:
    bundle, first = tmp_path / "evidence.zip", tmp_path / "first.json"
    made = scan("examples/ministere-exemple.yaml", "--offline", "-f", "json", "-o", str(first),
                "--bundle", str(bundle))
    assert made.exit_code == 1, made.output
    assert "wrote bundle" in made.stderr

    verified = runner.invoke(app, ["verify", str(bundle)])
    assert verified.exit_code == 0, verified.output
    assert "OK" in verified.stdout

    html = runner.invoke(app, ["report", str(bundle), "-f", "html", "--lang", "fr"])
    assert html.exit_code == 0
    assert '<html lang="fr"' in html.stdout

    replayed = scan("--replay", str(bundle), "-f", "json")
    assert replayed.exit_code == 1
    assert json.loads(replayed.stdout) == json.loads(first.read_text(encoding="utf-8"))
    assert no_network == []


def test_verify_names_an_altered_file_and_exits_1(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    assert scan("examples/conforme-exemple.yaml", "--offline", "--providers", REGISTER, "--bundle",
                str(bundle)).exit_code == 0
    with (bundle / "result.json").open("a", encoding="utf-8") as stream:
        stream.write(" ")
    result = runner.invoke(app, ["verify", str(bundle)])
    assert result.exit_code == 1
    assert "result.json" in result.stderr and "altered" in result.stderr


def test_replay_refuses_an_inventory_beside_it(tmp_path: Path) -> None:
    bundle = tmp_path / "b.zip"
    assert scan("examples/hopital-exemple.yaml", "--offline", "--bundle", str(bundle)).exit_code == 1
    result = scan("--replay", str(bundle), "examples/conforme-exemple.yaml")
    assert result.exit_code == 2
    assert "--replay" in result.stderr


def test_bundle_into_a_non_empty_directory_is_refused_before_scanning(tmp_path: Path) -> None:
    (tmp_path / "somefile").write_text("x", encoding="utf-8")
    result = scan("examples/conforme-exemple.yaml", "--offline", "--bundle", str(tmp_path))
    assert result.exit_code == 2


def _closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_hostnames_are_resolved_through_a_loopback_dns_server_and_cached(tmp_path: Path,
                                                                        no_network: list[Any]) -> None:
    from tests.dnsserver import Entry, serve_zone

    # Registries too are asked on loopback only (a closed port: they fail, which leaves the verdicts to DNS,
    # the embedded data and the declarations): a test never sends inventory addresses to rdap.org or IANA.
    port = _closed_loopback_port()
    registries = ("--rdap-url", f"ip=http://127.0.0.1:{port}/", "--rdap-url", f"domain=http://127.0.0.1:{port}/",
                  "--whois-server", f"127.0.0.1:{port}")

    inventory = tmp_path / "dns.yaml"
    inventory.write_text(
        "version: 1\nentity: {name: X, type: eiv}\nassets:\n"
        "  - {id: portail, kind: server, target: portail.exemple.ma, declared: {country: MA}}\n"
        "  - {id: supervision, kind: management-tool, target: supervision.exemple.ma}\n", encoding="utf-8")
    zone = {
        "portail.exemple.ma": Entry(a=("41.248.12.10",)),
        "supervision.exemple.ma": Entry(cname="app.datadoghq.eu"),
        "app.datadoghq.eu": Entry(a=("3.5.0.1",)),
    }
    cache = tmp_path / "dns.sqlite"
    with serve_zone(zone) as server:
        online = scan(str(inventory), "-f", "json", "--dns-server", server.nameserver, "--dns-cache", str(cache),
                      *registries)
    assert online.exit_code == 1, online.output
    by_id = {a["id"]: a for a in json.loads(online.stdout)["assets"]}
    assert by_id["portail"]["verdict"] == "compliant"
    supervision = by_id["supervision"]
    assert supervision["verdict"] == "violation"
    assert "DE" in supervision["location"]["countries"], "the CNAME into Datadog EU is evidence of its own"
    assert any(e["source"] == "dns-cname" for e in supervision["evidence"])

    # The server is gone: an offline run answers from what that server said (the cache is per DNS view:
    # split-horizon resolvers may answer differently), and says the answer came from the cache.
    offline = scan(str(inventory), "-f", "json", "--offline", "--dns-cache", str(cache), "--dns-server",
                   server.nameserver)
    cached = {a["id"]: a for a in json.loads(offline.stdout)["assets"]}
    assert cached["portail"]["verdict"] == "compliant"
    assert any(e["from_cache"] for e in cached["portail"]["evidence"] if e["source"] == "dns")
    assert no_network == []


def test_reproducible_time_ignores_live_services() -> None:
    from datetime import date

    from residency_scan.models import DataSource
    from residency_scan.scan import reproducible_time

    shipped = DataSource(id="rir-country", name="x", version="1", date=date(2026, 10, 27), licence="MIT")
    live = DataSource(id="rdap", name="y", version="RFC 9083", date=date(2031, 1, 1), licence="terms", live=True)
    pinned = reproducible_time([shipped, live])
    assert pinned.date() == date(2026, 10, 27)


def test_a_reader_that_goes_away_is_not_an_internal_error() -> None:
    """`residency-scan datasets | head -1`: the pipe closes early; that is the reader's choice, not a bug."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "residency_scan", "datasets"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=REPO)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before anything is read
    with process.stderr:
        errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert "internal error" not in errors and "Traceback" not in errors
