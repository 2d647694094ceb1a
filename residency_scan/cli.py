"""The command line: parse options, build the pipeline's parts, run it, write the output, map errors to exits.

This is the only module that prints, reads the environment for presentation (NO_COLOR, TTY) or exits.
Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad usage, inventory or rules;
3 a runtime failure that prevented a verdict.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from residency_scan import __version__
from residency_scan.bundle import (
    BundleFile,
    BundleWriter,
    InputFile,
    InventoryReading,
    check_bundle_target,
    load_bundle,
    replay_inventory,
    replay_loaded,
)
from residency_scan.bundle.layout import INVENTORY_FILE, TERRAFORM_PLAN
from residency_scan.cli_discover import discover_app, run_aws_discovery
from residency_scan.cli_inputs import AccessLogFormat, read_access_for_scan
from residency_scan.cli_results import diff_command, report, verify
from residency_scan.cli_rules import rules_app
from residency_scan.cli_support import (
    FailOn,
    Lang,
    errors_to_exit_codes,
    output_stream,
    output_width,
    stderr,
    use_color,
)
from residency_scan.diff import (
    Baseline,
    load_result,
)
from residency_scan.discovery import default_entity, inventory_yaml, to_inventory
from residency_scan.errors import UsageError
from residency_scan.gate import fails, result_fails, waiver_outcomes
from residency_scan.inventory import SENSITIVITY_TAGS, load_inventory
from residency_scan.inventory.terraform_plan import TerraformPlanInventory
from residency_scan.models import (
    AssetResult,
    Entity,
    EntityType,
    Finding,
    Inventory,
    ScanResult,
)
from residency_scan.registers.register_file import load_provider_register
from residency_scan.reports import HtmlReporter, ReportFormat, get_reporter
from residency_scan.reports.interface import Reporter
from residency_scan.reports.json import AssetSpool
from residency_scan.reports.text import clean_terminal
from residency_scan.resolvers.dns_cache import DEFAULT_MAX_AGE, DnsCache
from residency_scan.resolvers.rdap import parse_rdap_url
from residency_scan.resolvers.whois import parse_whois_server
from residency_scan.rules import RuleEngine, default_rule_packs, load_rule_packs
from residency_scan.safe_yaml import DEFAULT_MAX_BYTES
from residency_scan.scan import (
    ResolverSettings,
    ScanClock,
    ScanInputs,
    Scanner,
    build_resolvers,
    collect_data_sources,
    reproducible_time,
)
from residency_scan.waivers import load_waivers

app = typer.Typer(
    name="residency-scan",
    help=(
        "Prove, or disprove, that sensitive processing stays on Moroccan soil.\n\n"
        "Reads an infrastructure inventory, locates every server, management tool and admin interface with "
        "evidence, and judges the result against rule packs for decree 2-24-921 (cloud for entities of vital "
        "importance). Exit codes: 0 compliant at the --fail-on level, 1 findings, 2 bad input, 3 runtime failure."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)





def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"residency-scan {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Prove, or disprove, that sensitive processing stays on Moroccan soil."""


def exit_code_for(result: ScanResult, fail_on: FailOn) -> int:
    """1 when the result fails the --fail-on gate (gate.py: verdicts, and broken waivers), else 0."""
    return 1 if result_fails(result, fail_on.threshold) else 0


def _write_report(reporter: Reporter, result: ScanResult, output: Path | None) -> None:
    payload = reporter.render(result)
    with output_stream(output) as stream:
        stream.write(payload.encode("utf-8") if isinstance(payload, str) else payload)


@app.command()
def scan(
    inventory: Annotated[Path | None, typer.Argument(
        help="Inventory file: YAML (.yaml/.yml) or CSV (.csv). Omit it with --terraform.", show_default=False)]
        = None,
    terraform: Annotated[Path | None, typer.Option(
        "--terraform", help="Scan a Terraform plan (`terraform show -json plan.out > plan.json`) instead of an "
                            "inventory: AWS, AzureRM and Google resources become assets; a region known only after "
                            "apply is unknown, never compliant.", metavar="PLAN.json")] = None,
    aws: Annotated[bool, typer.Option(
        "--aws", help="Discover the AWS accounts' resources (as `discover aws` does) and scan them in one run; "
                      "coverage gaps are printed and make the scan exit 1 unless --fail-on none.")] = False,
    aws_profile: Annotated[str | None, typer.Option(help="With --aws: the AWS profile.")] = None,
    aws_role_arn: Annotated[list[str] | None, typer.Option(help="With --aws: role to assume per account; "
                                                           "repeatable.", metavar="ARN")] = None,
    aws_regions: Annotated[list[str] | None, typer.Option(help="With --aws: regions (default: every enabled "
                                                          "one), comma-separated or repeated.")] = None,
    sensitivity_map: Annotated[Path | None, typer.Option(
        help="With --terraform: YAML mapping of resource-address patterns to sensitivity "
             "('module.patients.*': sensitive), first match wins.", metavar="FILE")] = None,
    sensitivity_tag: Annotated[list[str] | None, typer.Option(
        help="Tag (or GCP label) key that carries an asset's sensitivity; repeatable. "
             "Default: residency:sensitivity and residency_sensitivity.", metavar="KEY")] = None,
    output_format: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")] = (
        ReportFormat.CONSOLE),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to FILE ('-' = stdout).",
                                                metavar="FILE")] = None,
    fail_on: Annotated[FailOn, typer.Option(
        help="Exit 1 when an asset's verdict is at or above this level: 'violation'; 'indeterminate' (the default: "
             "violations and unknown locations both fail); 'none' (always exit 0 after a complete scan).")]
        = FailOn.INDETERMINATE,
    offline: Annotated[bool, typer.Option(
        "--offline", help="No network: hostnames are answered from the DNS cache only (otherwise their location is "
                          "unknown); only embedded data and the files given here are used.")] = False,
    rules: Annotated[list[str] | None, typer.Option(
        "--rules", help="Rule pack: a YAML file, a directory of them, or a shipped pack name. Repeatable. "
                        "Default: every shipped pack.", metavar="PACK")] = None,
    geoip_db: Annotated[Path | None, typer.Option(
        help="Your own MaxMind-format City/Country database (GeoIP2, GeoLite2, DB-IP Lite): measured evidence "
             "that takes precedence over the embedded registry data.", metavar="MMDB")] = None,
    asn_db: Annotated[Path | None, typer.Option(help="Your own MaxMind-format ASN database.", metavar="MMDB")] = None,
    dns_server: Annotated[list[str] | None, typer.Option(
        "--dns-server", help="DNS server HOST[:PORT] to query instead of the system's. Repeatable.",
        metavar="HOST[:PORT]")] = None,
    dns_timeout: Annotated[float, typer.Option(help="Seconds to wait for one DNS answer (per try).",
                                               min=0.05, max=120.0)] = 3.0,
    dns_retries: Annotated[int, typer.Option(help="Retries of a DNS query that timed out; then unknown.",
                                             min=0, max=10)] = 1,
    concurrency: Annotated[int, typer.Option(help="DNS queries in flight at once.", min=1, max=1024)] = 64,
    dns_cache: Annotated[Path | None, typer.Option(
        help="DNS cache file (default: $XDG_CACHE_HOME/residency-scan/dns.sqlite). Answers are reused until their "
             "TTL or --cache-max-age ends; each evidence says whether it came from the cache and how old it is.",
        metavar="FILE")] = None,
    no_dns_cache: Annotated[bool, typer.Option("--no-dns-cache", help="Neither read nor write the DNS cache.")]
        = False,
    cache_max_age: Annotated[float, typer.Option(help="Never reuse a cached DNS answer older than this.",
                                                 min=0.0, metavar="SECONDS")] = DEFAULT_MAX_AGE,
    rdap_url: Annotated[list[str] | None, typer.Option(
        help="RDAP service to ask instead of the default (ip=https://rdap.arin.net/registry, "
             "domain=https://rdap.org), as TYPE=URL; repeatable. Online scans send public addresses and "
             "registrable domains (never private ones) to these services.", metavar="TYPE=URL")] = None,
    whois_server: Annotated[str | None, typer.Option(
        "--whois-server", help="WHOIS server (RFC 3912) asked when RDAP has no answer for a public address, instead "
                               "of whois.iana.org (which refers to the registry); e.g. an internal mirror. "
                               "Never asked on RDAP rate limiting.", metavar="HOST[:PORT]")] = None,
    tls: Annotated[bool, typer.Option(
        "--tls/--no-tls", help="Connect to https:// targets: record the certificate and headers, and locate the CDN "
                               "edge that terminates TLS (an edge abroad decrypts traffic abroad). Unreachable "
                               "targets are unknown.")] = True,
    tls_timeout: Annotated[float, typer.Option(help="Seconds to wait for a TLS connection.", min=0.05,
                                               max=120.0)] = 5.0,
    ca_file: Annotated[Path | None, typer.Option(help="Extra CA certificates (PEM) trusted when checking "
                                                      "certificates, e.g. a private PKI.", metavar="PEM")] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Ignore cached DNS answers (fresh ones are still "
                                                           "cached).")] = False,
    reproducible: Annotated[bool, typer.Option(
        "--reproducible", help="Pin every timestamp (to SOURCE_DATE_EPOCH, else the newest dataset date) so the "
                               "same input and data give byte-identical output.")] = False,
    lang: Annotated[Lang, typer.Option(help="Language of rule titles, messages and remediation.")] = Lang.EN,
    color: Annotated[bool | None, typer.Option(
        "--color/--no-color", help="Force colours on or off. Default: on for a terminal, off when NO_COLOR is set "
                                   "or output is not a terminal.", show_default=False)] = None,
    max_input_size: Annotated[int, typer.Option(help="Refuse input files larger than this many bytes.", min=1,
                                                metavar="BYTES")] = DEFAULT_MAX_BYTES,
    entity_name: Annotated[str | None, typer.Option(help="Entity name (for CSV inventories, which have none).")]
        = None,
    entity_type: Annotated[EntityType | None, typer.Option(help="Entity type (for CSV inventories).")] = None,
    bundle: Annotated[Path | None, typer.Option(
        help="Also write an evidence bundle for auditors: a directory, or a file ending in .zip (deterministic). It "
             "holds the inventory, rule packs, datasets, every evidence item, the JSON result and the HTML report, "
             "with a manifest of SHA-256 hashes (see `verify`).", metavar="DIR|FILE.zip")] = None,
    replay: Annotated[Path | None, typer.Option(
        help="Judge the evidence recorded in a bundle again, offline, with the bundle's rule packs or --rules: "
             "no lookup is made.", metavar="BUNDLE")] = None,
    baseline: Annotated[Path | None, typer.Option(
        help="A previous JSON result: exit 1 only for findings it did not already have at the same or a worse "
             "outcome (new or worsened findings). Reports still list every finding.", metavar="OLD.json")] = None,
    providers: Annotated[Path | None, typer.Option(
        "--providers", help="Register of qualified cloud providers (YAML; see examples/prestataires-exemple.yaml). "
                            "Without it, provider qualification (decree 2-24-921 art. 1-3) is indeterminate.",
        metavar="FILE")] = None,
    waivers: Annotated[Path | None, typer.Option(
        "--waivers", help="Waivers (YAML; see examples/derogations-exemple.yaml): a waived finding stays in every "
                          "report, marked with its owner and expiry; expired or malformed waivers are findings.",
        metavar="FILE")] = None,
    waiver_max_days: Annotated[int, typer.Option(
        help="Longest lifetime a waiver may have (expires − created); longer ones are invalid.", min=1,
        max=3650, metavar="DAYS")] = 365,
    access_log: Annotated[list[str] | None, typer.Option(
        "--access-log", help="Admin-access log: OpenSSH auth.log, `journalctl -o json`, or CloudTrail JSON "
                             "(decree art. 5 §4: administration from Morocco). ASSET=FILE attributes every event "
                             "to that asset. Repeatable.", metavar="[ASSET=]FILE")] = None,
    access_log_format: Annotated[AccessLogFormat, typer.Option(
        help="Format of the --access-log files.")] = AccessLogFormat.AUTO,
    access_log_year: Annotated[int | None, typer.Option(
        help="Year of traditional syslog lines, which carry none (default: the scan's year; December lines read "
             "in January count as the previous year).", min=1970, max=9999)] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback for internal errors.")] = False,
) -> None:
    """Scan an inventory: locate every asset with evidence and judge it against the rule packs."""
    with errors_to_exit_codes(debug), ExitStack() as stack:
        aws_gaps = 0
        if replay is not None:
            _refuse_beside_replay(inventory=inventory, terraform=terraform, sensitivity_map=sensitivity_map,
                                  sensitivity_tag=sensitivity_tag, entity_name=entity_name,
                                  entity_type=entity_type, geoip_db=geoip_db, asn_db=asn_db, dns_server=dns_server,
                                  providers=providers, waivers=waivers, access_log=access_log,
                                  whois_server=whois_server)
            recorded = load_bundle(replay)
            loaded = replay_inventory(recorded)
            inputs = ScanInputs()  # a replay reads nothing beside the bundle
            pack_inputs: list[InputFile] = list(recorded.rule_packs)
            if rules:
                pack_inputs = [pack.path for pack in load_rule_packs(rules)]
            inventory_input: InputFile = recorded.inventory
            reading = recorded.inventory_reading

            def run(on_asset: AssetSink | None, on_progress: ProgressSink | None) -> ScanResult:
                return replay_loaded(recorded, rules or None, on_asset=on_asset, inventory=loaded)
        else:
            if aws:
                loaded, inventory_input, aws_gaps = _discover_for_scan(
                    inventory, terraform, aws_profile, aws_role_arn, aws_regions, sensitivity_tag, entity_name,
                    entity_type)
            else:
                loaded = _load(inventory, terraform, sensitivity_map, sensitivity_tag, max_input_size,
                               entity_name, entity_type)
                source = inventory or terraform
                assert source is not None
                inventory_input = source
            packs = load_rule_packs(rules) if rules else default_rule_packs()
            clock = ScanClock()
            settings = ResolverSettings(offline=offline, geoip_db=geoip_db, asn_db=asn_db,
                                        dns_servers=tuple(dns_server or ()), dns_timeout=dns_timeout,
                                        dns_retries=dns_retries, concurrency=concurrency, refresh=refresh,
                                        tls=tls, tls_timeout=tls_timeout, ca_file=ca_file,
                                        rdap_urls=_rdap_urls(rdap_url), whois_server=_whois_server(whois_server))
            cache = None if no_dns_cache else stack.enter_context(
                DnsCache(dns_cache, max_age=cache_max_age, create=not offline))
            engine = RuleEngine(packs)
            resolvers = build_resolvers(settings, clock, dns_cache=cache)
            register = load_provider_register(providers, max_bytes=max_input_size) if providers else None
            if reproducible:
                clock.pin(reproducible_time(collect_data_sources(resolvers, register)))
            # Read once the clock is final: waiver validity and syslog years depend on the scan's date.
            inputs = ScanInputs(
                providers=register,
                waivers=load_waivers(waivers, max_lifetime_days=waiver_max_days, max_bytes=max_input_size,
                                     known_rules=[rule.id for rule in engine.rules]) if waivers else None,
                access=read_access_for_scan(access_log or [], access_log_format, loaded, resolvers,
                                            year=access_log_year or clock().year,
                                            today=None if access_log_year else clock().date())
                if access_log else None)
            scanner = Scanner(resolvers, engine, clock=clock, offline=offline, inputs=inputs)
            pack_inputs = [pack.path for pack in packs]
            reading = InventoryReading(
                source=TERRAFORM_PLAN if terraform else INVENTORY_FILE,
                sensitivity_tags=tuple(sensitivity_tag) if sensitivity_tag else SENSITIVITY_TAGS,
                sensitivity_map=sensitivity_map)

            def run(on_asset: AssetSink | None, on_progress: ProgressSink | None) -> ScanResult:
                return scanner.scan(loaded, on_asset=on_asset, on_progress=on_progress)

        for note in loaded.notes:
            stderr.print(clean_terminal(f"note: {note}"), soft_wrap=True)
        for log in inputs.access.logs if inputs.access is not None else ():
            if log.unreadable_logins:
                stderr.print(clean_terminal(f"warning: {log.path}: {log.unreadable_logins} line(s) look like accepted "
                                            "logins but could not be read; the administration-origin rule cannot "
                                            "see them"), soft_wrap=True)
        if bundle is not None:
            check_bundle_target(bundle)
        gate = Baseline(load_result(baseline, evidence=False)) if baseline is not None else None
        unaccepted: list[Finding] = []

        def check_baseline(asset: AssetResult) -> None:
            if gate is not None:
                unaccepted.extend(gate.unaccepted(asset))

        to_stdout = output is None or str(output) == "-"
        progress = _ProgressBar(enabled=sys.stderr.isatty() and not os.environ.get("CI"))
        try:
            if output_format is ReportFormat.JSON and bundle is None:
                # Streamed: each asset is written to a spool as soon as it is judged (flat memory on 100k assets).
                with AssetSpool() as spool:
                    def keep(asset: AssetResult) -> None:
                        spool.add(asset)
                        check_baseline(asset)

                    result = run(keep, progress)
                    progress.close()
                    with output_stream(output) as stream:
                        spool.write_document(result, stream)
            else:
                # Held whole: the human reports, and a bundle (which carries the HTML report), need every asset.
                result = run(None, progress)
                for asset in result.assets:
                    check_baseline(asset)
        finally:
            progress.close()
        if gate is None:
            code = exit_code_for(result, fail_on)
        else:
            code = 1 if fails([*(f.outcome for f in unaccepted), *waiver_outcomes(result)], fail_on.threshold) else 0
        if aws_gaps and fail_on is not FailOn.NONE:
            code = max(code, 1)
        if output_format is not ReportFormat.JSON or bundle is not None:
            options = {"color": use_color(color, to_stdout), "lang": lang.value, "width": output_width(to_stdout),
                       "fail_on": fail_on.value, "failed": code == 1}
            _write_report(get_reporter(output_format, **options), result, output)
        if bundle is not None:
            with BundleWriter(bundle, inventory=inventory_input, rule_packs=pack_inputs,
                              waivers=[waivers] if waivers is not None else [],
                              asset_count=len(result.assets), reading=reading) as writer:
                written = writer.finish(result, {"report.html": HtmlReporter(lang=lang.value).render(result)})
            stderr.print(clean_terminal(f"wrote bundle {written}"), soft_wrap=True)
        if not to_stdout or output_format is not ReportFormat.CONSOLE:
            stderr.print(clean_terminal(_one_line_summary(result, output)), soft_wrap=True)
        if gate is not None:
            stderr.print(f"baseline: {len(unaccepted)} finding(s) not in {clean_terminal(str(baseline))}",
                          soft_wrap=True)
        if aws_gaps and fail_on is not FailOn.NONE:
            stderr.print(f"AWS discovery had {aws_gaps} coverage gap(s): a partial view cannot pass", soft_wrap=True)
    raise typer.Exit(code)


def _rdap_urls(options: list[str] | None) -> tuple[tuple[str, str], ...]:
    try:
        return tuple(parse_rdap_url(option) for option in options or ())
    except ValueError as exc:
        raise UsageError(f"--rdap-url: {exc}") from None


def _whois_server(option: str | None) -> tuple[str, int] | None:
    try:
        return None if option is None else parse_whois_server(option)
    except ValueError as exc:
        raise UsageError(f"--whois-server: {exc}") from None


def _refuse_beside_replay(**given: object) -> None:
    """A replay reads everything from the bundle: options that choose inputs or lookups would be ignored."""
    clashing = sorted(name.replace("_", "-") for name, value in given.items() if value)
    if clashing:
        shown = ", ".join(name if name == "inventory" else f"--{name}" for name in clashing)
        raise UsageError(f"--replay reads its inventory and evidence from the bundle; remove {shown}")


class _ProgressBar:
    """A progress bar on stderr, only on a terminal and only once a scan has taken more than a moment.

    Machine outputs never see it: it is drawn on stderr, and not at all when stderr is not a terminal.
    """

    DELAY_SECONDS = 1.0

    def __init__(self, enabled: bool, console: Console = stderr, delay: float = DELAY_SECONDS) -> None:
        self._enabled = enabled
        self._console = console
        self._delay = delay
        self._started = time.monotonic()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled or (self._progress is None and time.monotonic() - self._started < self._delay):
            return
        if self._progress is None:
            self._progress = Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), console=self._console, transient=True)
            self._progress.start()
            self._task = self._progress.add_task("scan", total=total)
        assert self._task is not None
        self._progress.update(self._task, completed=done)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


AssetSink = Callable[[AssetResult], None]
ProgressSink = Callable[[int, int], None]


def _discover_for_scan(inventory: Path | None, terraform: Path | None, profile: str | None,
                       role_arns: list[str] | None, regions: list[str] | None, sensitivity_tag: list[str] | None,
                       entity_name: str | None, entity_type: EntityType | None) -> tuple[Inventory, BundleFile, int]:
    """`scan --aws`: the discovered inventory, its YAML (for a bundle) and how many coverage gaps it has."""
    if inventory is not None or terraform is not None:
        raise UsageError("--aws discovers the assets itself: remove the inventory file or --terraform")
    discovered = run_aws_discovery(profile, role_arns, None, None, regions, None, concurrency=8, max_attempts=8,
                                   sensitivity_tag=sensitivity_tag, access_events=False, events_days=7,
                                   print_gaps=False)
    entity = (Entity(name=entity_name, type=entity_type or EntityType.EIV) if entity_name
              else default_entity(discovered))
    path = "aws:" + ",".join(discovered.accounts)
    text = inventory_yaml(discovered, entity)
    scanned = to_inventory(discovered, entity, path=path, text=text)
    return scanned, BundleFile("aws-inventory.yaml", text.encode()), len(discovered.gaps)


def _load(inventory: Path | None, terraform: Path | None, sensitivity_map: Path | None,
          sensitivity_tag: list[str] | None, max_bytes: int, entity_name: str | None,
          entity_type: EntityType | None) -> Inventory:
    """The assets to scan, from an inventory file or a Terraform plan (exactly one of them)."""
    if (inventory is None) == (terraform is None):
        raise UsageError("give an inventory file, --terraform PLAN.json or --replay BUNDLE (exactly one of them)")
    if sensitivity_map is not None and terraform is None:
        raise UsageError("--sensitivity-map applies to --terraform plans only")
    source_path = inventory or terraform
    assert source_path is not None
    entity = None
    if entity_name is not None or entity_type is not None:
        entity = Entity(name=entity_name or source_path.stem, type=entity_type or EntityType.EIV)
    tags = tuple(sensitivity_tag) if sensitivity_tag else SENSITIVITY_TAGS
    if terraform is not None:
        return TerraformPlanInventory(terraform, max_bytes=max_bytes, entity=entity, sensitivity_tags=tags,
                                      sensitivity_map=sensitivity_map).load()
    assert inventory is not None
    return load_inventory(inventory, max_bytes=max_bytes, entity=entity, sensitivity_tags=tags)


def _one_line_summary(result: ScanResult, output: Path | None) -> str:
    s = result.summary
    data = ", ".join(f"{d.id} {d.version} ({d.date.isoformat()})" for d in result.data_sources)
    where = f"wrote {output}: " if output is not None and str(output) != "-" else ""
    waived = f"{s.waived} waived, " if s.waived else ""
    return (f"{where}{s.assets} assets: {s.violation} violation, {s.indeterminate} indeterminate, {waived}"
            f"{s.compliant} compliant, {s.not_applicable} not applicable; data: {data or 'none'}")


@app.command()
def datasets(
    geoip_db: Annotated[Path | None, typer.Option(help="Also describe this MaxMind-format database.")] = None,
    asn_db: Annotated[Path | None, typer.Option(help="Also describe this ASN database.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback for internal errors.")] = False,
) -> None:
    """List the datasets a scan would use: name, version, date, age and licence."""
    with errors_to_exit_codes(debug):
        clock = ScanClock()
        settings = ResolverSettings(offline=True, geoip_db=geoip_db, asn_db=asn_db)
        resolvers = build_resolvers(settings, clock)
        today = clock().date()
        lines: list[str] = []
        for ds in collect_data_sources(resolvers, None):
            lines += [f"{ds.id} — {ds.name}",
                      f"  version {ds.version}, dated {ds.date.isoformat()} ({(today - ds.date).days} days old)",
                      f"  licence: {ds.licence}"]
            lines += [f"  source: {ds.url}"] if ds.url else []
            lines += [f"  attribution: {ds.attribution}"] if ds.attribution else []
        for line in lines:
            typer.echo(clean_terminal(line))


# Commands kept in their own modules, listed after scan and datasets in --help.
app.command("diff")(diff_command)
app.command("verify")(verify)
app.command("report")(report)
app.add_typer(discover_app, name="discover")
app.add_typer(rules_app, name="rules")


def main() -> None:
    """Console-script entry point."""
    app()
