"""read_access_logs end to end: formats, attribution to assets, unmatched origins, aggregation, locations."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from residency_scan.access import (
    AUTH_LOG,
    CLOUDTRAIL_JSON,
    JOURNAL_JSON,
    AccessLogSpec,
    parse_access_log_option,
    read_access_logs,
)
from residency_scan.errors import InputError, UsageError
from residency_scan.models import LocationStatus, SourceRef, Strength
from tests.access.helpers import (
    CONTRADICTED_FR,
    FR_CONFIRMED,
    MA_CONFIRMED,
    OTHER_ACCOUNT,
    VPN_ADDRESS,
    asset,
    console_login,
    ct_record,
    inventory,
    journal_entry,
    locator_for,
    sshd_line,
    standard_inventory,
    write_journal,
    write_json,
    write_text,
)

YEAR = 2026


def auth_log(tmp_path: Path, *lines: str, name: str = "auth.log") -> Path:
    return write_text(tmp_path, name, "\n".join(lines) + "\n")


def test_sshd_hosts_match_asset_ids_targets_and_short_names(tmp_path: Path) -> None:
    inv = standard_inventory()
    log = auth_log(
        tmp_path,
        sshd_line("Nov 25 10:00:01", "BASTION", "root", MA_CONFIRMED),  # short name of bastion.exemple.ma
        sshd_line("Nov 25 10:00:02", "bastion.exemple.ma", "root", MA_CONFIRMED),  # the FQDN itself
        sshd_line("Nov 25 10:00:03", "db01", "postgres", FR_CONFIRMED),  # the asset id
        sshd_line("Nov 25 10:00:04", "web01", "deploy", MA_CONFIRMED),  # host of a URL target
        sshd_line("Nov 25 10:00:05", "bastion.exemple", "x", MA_CONFIRMED),  # leading labels too
        sshd_line("Nov 25 10:00:06", "unknown-box", "x", MA_CONFIRMED),
        sshd_line("Nov 25 10:00:07", "exemple.ma", "x", MA_CONFIRMED),  # a suffix is not a short name
    )
    reading = read_access_logs([AccessLogSpec(log)], inv, locator_for(tmp_path, inv), year=YEAR)
    (ref,) = reading.logs
    assert (ref.format, ref.events, ref.attributed, ref.unmatched) == (AUTH_LOG, 7, 5, ("exemple.ma", "unknown-box"))
    assert ref.sha256 == hashlib.sha256(log.read_bytes()).hexdigest()
    bastion = reading.for_asset("bastion-prod")
    assert [(r.user, r.count, r.log) for r in bastion] == [("root", 2, SourceRef(path=str(log), line=1)),
                                                          ("x", 1, SourceRef(path=str(log), line=5))]
    assert [r.user for r in reading.for_asset("db01")] == ["postgres"]
    assert [r.user for r in reading.for_asset("web-front")] == ["deploy"]
    assert reading.for_asset("aws-prod") == ()


def test_a_host_several_assets_stand_for_gives_the_event_to_each(tmp_path: Path) -> None:
    inv = inventory(asset("app", "app.exemple.ma"), asset("app-admin", "https://app.exemple.ma:8443/"),
                    asset("other", "app.autre.ma"))
    log = auth_log(tmp_path, sshd_line("Nov 25 10:00:01", "app.exemple.ma", "root", MA_CONFIRMED))
    reading = read_access_logs([AccessLogSpec(log)], inv, locator_for(tmp_path, inv), year=YEAR)
    assert [len(reading.for_asset(a)) for a in ("app", "app-admin", "other")] == [1, 1, 0]
    assert reading.logs[0].attributed == 1  # one event, attributed once however many assets get it


def test_short_name_shared_by_two_fqdns_is_ambiguous_and_goes_to_neither(tmp_path: Path) -> None:
    """One machine's logins must not make another machine's admin-origin rule apply (and pass)."""
    inv = inventory(asset("app-rabat", "app.rabat.exemple.ma"), asset("app-casa", "app.casa.exemple.ma"))
    log = auth_log(tmp_path, sshd_line("Nov 25 10:00:01", "app", "root", MA_CONFIRMED),
                   sshd_line("Nov 25 10:00:02", "app.rabat", "root", MA_CONFIRMED))
    reading = read_access_logs([AccessLogSpec(log)], inv, locator_for(tmp_path, inv), year=YEAR)
    assert reading.for_asset("app-casa") == ()
    assert [r.count for r in reading.for_asset("app-rabat")] == [1]  # only the unambiguous `app.rabat`
    assert reading.logs[0].unmatched == ("app",)


def test_cloudtrail_events_go_to_the_aws_assets_of_their_account(tmp_path: Path) -> None:
    inv = standard_inventory()
    trail = write_json(tmp_path, "trail.json", {"Records": [
        console_login(MA_CONFIRMED),
        ct_record("CreateUser", FR_CONFIRMED),
        ct_record("CreateUser", FR_CONFIRMED, account=OTHER_ACCOUNT),
    ]}, gzipped=True)
    reading = read_access_logs([AccessLogSpec(trail)], inv, locator_for(tmp_path, inv), year=YEAR)
    (ref,) = reading.logs
    assert (ref.format, ref.events, ref.attributed, ref.unmatched) == (CLOUDTRAIL_JSON, 3, 2, (OTHER_ACCOUNT,))
    for asset_id in ("aws-prod", "aws-backups"):
        assert [(r.method, r.country) for r in reading.for_asset(asset_id)] == [
            ("aws ConsoleLogin", "MA"), ("aws api CreateUser", "FR")]
    assert reading.for_asset("bastion-prod") == ()


def test_an_explicit_asset_takes_every_event_of_its_file(tmp_path: Path) -> None:
    inv = standard_inventory()
    log = auth_log(tmp_path, sshd_line("Nov 25 10:00:01", "whatever-host", "root", FR_CONFIRMED),
                   sshd_line("Nov 25 10:00:02", "bastion", "root", FR_CONFIRMED))
    spec = parse_access_log_option(f"db01={log}")
    reading = read_access_logs([spec], inv, locator_for(tmp_path, inv), year=YEAR)
    assert reading.logs[0].unmatched == () and reading.logs[0].attributed == 2
    assert [r.count for r in reading.for_asset("db01")] == [2]
    assert reading.for_asset("bastion-prod") == ()


def test_an_unknown_explicit_asset_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    inv = standard_inventory()
    log = auth_log(tmp_path, sshd_line("Nov 25 10:00:01", "bastion", "root", MA_CONFIRMED))
    with pytest.raises(InputError) as caught:
        read_access_logs([AccessLogSpec(log, asset="bastion-prd")], inv, locator_for(tmp_path, inv), year=YEAR)
    problem = caught.value.problems[0]
    assert problem.path == str(log) and "bastion-prd" in problem.message
    assert problem.hint == "did you mean 'bastion-prod'?"


def test_unmatched_origins_are_listed_sorted_and_capped(tmp_path: Path) -> None:
    inv = standard_inventory()
    lines = [sshd_line("Nov 25 10:00:01", f"host{n:02d}", "root", MA_CONFIRMED) for n in range(30, 0, -1)]
    reading = read_access_logs([AccessLogSpec(auth_log(tmp_path, *lines))], inv, locator_for(tmp_path, inv),
                               year=YEAR)
    (ref,) = reading.logs
    assert ref.unmatched == tuple(f"host{n:02d}" for n in range(1, 21))
    assert (ref.events, ref.attributed) == (30, 0)


def test_events_aggregate_per_user_source_and_method_across_files(tmp_path: Path) -> None:
    inv = standard_inventory()
    first = auth_log(tmp_path, sshd_line("Nov 25 10:00:00", "db01", "root", MA_CONFIRMED),
                     sshd_line("Nov 25 11:00:00", "db01", "root", MA_CONFIRMED),
                     sshd_line("Nov 25 11:30:00", "db01", "root", MA_CONFIRMED, method="password"), name="a.log")
    older = write_journal(tmp_path, [journal_entry(f"Accepted publickey for root from {MA_CONFIRMED} port 1 ssh2",
                                                   micros=1_764_000_000_000_000)])  # 2025-11-24T16:00Z
    reading = read_access_logs([AccessLogSpec(first), AccessLogSpec(older, format=JOURNAL_JSON)], inv,
                               locator_for(tmp_path, inv), year=YEAR)
    records = reading.for_asset("db01")
    assert [(r.method, r.count) for r in records] == [("ssh publickey", 3), ("ssh password", 1)]
    publickey = records[0]
    assert publickey.first_seen == datetime(2025, 11, 24, 16, 0, tzinfo=UTC)
    assert publickey.last_seen == datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    assert publickey.log == SourceRef(path=str(older), line=1)  # the earliest event's line
    assert [ref.format for ref in reading.logs] == [AUTH_LOG, JOURNAL_JSON]


def test_records_carry_the_fused_location_of_their_source(tmp_path: Path) -> None:
    inv = standard_inventory()
    log = auth_log(tmp_path, *(sshd_line(f"Nov 25 10:00:0{n}", "db01", f"u{n}", ip)
                               for n, ip in enumerate((MA_CONFIRMED, CONTRADICTED_FR, VPN_ADDRESS))))
    reading = read_access_logs([AccessLogSpec(log)], inv, locator_for(tmp_path, inv), year=YEAR)
    located = {r.user: (r.country, r.status, r.strongest, r.internal) for r in reading.for_asset("db01")}
    assert located == {
        "u0": ("MA", LocationStatus.CONFIRMED, Strength.MEASURED, False),
        "u1": ("FR", LocationStatus.CONTRADICTED, Strength.MEASURED, False),
        "u2": ("MA", LocationStatus.UNKNOWN, Strength.DECLARED, True),
    }
    assert "network asset vpn-rabat" in reading.for_asset("db01")[2].reason


def test_year_and_today_reach_the_syslog_reader(tmp_path: Path) -> None:
    inv = standard_inventory()
    log = auth_log(tmp_path, sshd_line("Dec 31 10:00:00", "db01", "root", MA_CONFIRMED))
    reading = read_access_logs([AccessLogSpec(log)], inv, locator_for(tmp_path, inv), year=2027,
                               today=date(2027, 1, 2))
    assert reading.for_asset("db01")[0].first_seen.year == 2026


def test_a_missing_log_is_an_input_error(tmp_path: Path) -> None:
    inv = standard_inventory()
    with pytest.raises(InputError, match="access log not found"):
        read_access_logs([AccessLogSpec(tmp_path / "nope.log")], inv, locator_for(tmp_path, inv), year=YEAR)


def test_an_unknown_format_is_a_usage_error_with_a_suggestion() -> None:
    with pytest.raises(UsageError, match="did you mean 'journal-json'"):
        parse_access_log_option("x.json", format="journal")


def test_access_log_option_reads_file_or_asset_equals_file(tmp_path: Path) -> None:
    odd = tmp_path / "weird=name.log"
    odd.write_text("", encoding="utf-8")
    assert parse_access_log_option(str(odd)) == AccessLogSpec(path=odd)
    assert parse_access_log_option("bastion=logs/auth.log") == AccessLogSpec(path=Path("logs/auth.log"),
                                                                             asset="bastion")
    assert parse_access_log_option("auth.log", format=AUTH_LOG) == AccessLogSpec(Path("auth.log"), AUTH_LOG)
    for bad in ("=auth.log", "bastion=", ""):
        with pytest.raises(UsageError):
            parse_access_log_option(bad)


def test_accepted_logins_that_cannot_be_read_are_counted_not_just_skipped(tmp_path: Path) -> None:
    inv = standard_inventory()
    log = auth_log(tmp_path, sshd_line("Nov 25 10:00:01", "bastion-prod", "root", MA_CONFIRMED),
                   "Nov 25 10:00:02 bastion-prod sshd[9]: Accepted publickey for root from",  # cut short
                   "Nov 25 10:00:03 bastion-prod CRON[7]: (root) CMD (run-parts /etc/cron.hourly)",
                   "Feb 30 10:00:04 bastion-prod sshd[9]: Accepted password for x from 192.0.2.9 port 22 ssh2")
    reading = read_access_logs([AccessLogSpec(log)], inv, locator_for(tmp_path, inv), year=YEAR)
    (ref,) = reading.logs
    assert (ref.events, ref.skipped_lines, ref.unreadable_logins) == (1, 3, 2)


def test_a_log_written_to_while_it_is_read_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its recorded hash would not name what was judged: an auditor could not re-verify the verdict."""
    import residency_scan.access.reading as reading_module

    inv = standard_inventory()
    log = auth_log(tmp_path, sshd_line("Nov 25 10:00:01", "bastion-prod", "root", MA_CONFIRMED))
    real_parse = reading_module._parse

    def parse_while_a_line_arrives(*args: Any) -> Any:
        parsed = real_parse(*args)
        with log.open("a", encoding="utf-8") as stream:  # sshd writes a new line meanwhile
            stream.write(sshd_line("Nov 25 10:00:09", "bastion-prod", "root", MA_CONFIRMED) + "\n")
        return parsed

    monkeypatch.setattr(reading_module, "_parse", parse_while_a_line_arrives)
    with pytest.raises(InputError, match="changed while it was read"):
        read_access_logs([AccessLogSpec(log)], inv, locator_for(tmp_path, inv), year=YEAR)
