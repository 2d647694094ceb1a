"""The pipeline, and nothing else: assets → resolvers → evidence → locate → rules → ScanResult.

Everything the scan depends on (resolvers, rule engine, clock) is handed in, so tests and benchmarks assemble a
Scanner from real parts pointed at local data. `build_resolvers` is the one place that decides which resolvers
a normal scan uses and in which order.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from residency_scan import __version__
from residency_scan.access import AccessReading
from residency_scan.bulk import paused_gc
from residency_scan.compliance import MatrixCounter
from residency_scan.errors import UsageError
from residency_scan.locate import POLICY, locate
from residency_scan.models import (
    SCHEMA_VERSION,
    Asset,
    AssetResult,
    DataSource,
    Evidence,
    Inventory,
    InventoryRef,
    Outcome,
    RulePackRef,
    ScanResult,
    Summary,
    ToolInfo,
)
from residency_scan.registers.providers import ProviderRegister
from residency_scan.registers.register_file import register_data_source
from residency_scan.resolvers.address_locators import AddressLocators
from residency_scan.resolvers.catalog import VendorCatalogResolver, match_domain
from residency_scan.resolvers.cdn_ranges import load_cdn_ranges
from residency_scan.resolvers.cloud_regions import CloudRegionResolver
from residency_scan.resolvers.declared import DeclaredResolver
from residency_scan.resolvers.dns import DnsResolver, catalog_cname_evidence
from residency_scan.resolvers.dns_cache import DnsCache
from residency_scan.resolvers.geoip import GeoIpResolver
from residency_scan.resolvers.interface import Resolver
from residency_scan.resolvers.rdap import RdapResolver
from residency_scan.resolvers.tls_edge import TlsEdgeResolver
from residency_scan.resolvers.whois import WhoisClient
from residency_scan.rules import RuleContext, RuleEngine
from residency_scan.waivers import WaiverBook

PROGRESS_EVERY = 100
TLS_CONCURRENCY = 32
"""HTTPS connections in flight at once (--concurrency, capped: a TLS handshake costs more than a DNS query)."""
CHUNK_SIZE = 5_000
"""Assets resolved together: large enough for batching resolvers, small enough to bound memory."""
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class ResolverSettings:
    """What the command line says about where evidence may come from."""

    offline: bool = False
    geoip_db: Path | None = None
    asn_db: Path | None = None
    dns_servers: tuple[str, ...] = ()
    dns_timeout: float = 3.0
    dns_retries: int = 1
    concurrency: int = 64
    refresh: bool = False
    tls: bool = True
    tls_timeout: float = 5.0
    ca_file: Path | None = None
    rdap_urls: tuple[tuple[str, str], ...] = ()  # (ip|domain, base URL) overrides
    whois_server: tuple[str, int] | None = None  # --whois-server; None: whois.iana.org, which refers onwards


def build_resolvers(settings: ResolverSettings, clock: Clock, *, dns_cache: DnsCache | None = None) -> list[Resolver]:
    """The resolvers of a normal scan. Order is the order evidence appears in reports: strongest first.

    The DNS cache is the caller's to open and close (it outlives no scan, and tests must not share one).
    """
    # Addresses of CDN/anycast networks get no country from GeoIP or the registries (cdn_ranges.py): only the
    # TLS edge that actually serves them can place them.
    geoip = GeoIpResolver(geoip_db=settings.geoip_db, asn_db=settings.asn_db, clock=clock, cdn=load_cdn_ranges())
    catalog = VendorCatalogResolver(clock=clock)
    rdap = RdapResolver(clock=clock, base_urls=dict(settings.rdap_urls) or None, offline=settings.offline,
                        whois=WhoisClient(server=settings.whois_server), cdn=geoip.cdn_match)
    edges: list[Resolver] = []
    if settings.tls:
        edges.append(TlsEdgeResolver(clock=clock, offline=settings.offline, timeout=settings.tls_timeout,
                                     ca_file=settings.ca_file, concurrency=min(settings.concurrency, TLS_CONCURRENCY),
                                     nameservers=settings.dns_servers, dns_timeout=settings.dns_timeout,
                                     cdn=geoip.cdn_match))
    return [
        CloudRegionResolver(clock=clock),
        catalog,
        *edges,
        geoip,
        DnsResolver(AddressLocators(geoip, rdap), offline=settings.offline, nameservers=settings.dns_servers,
                    timeout=settings.dns_timeout, clock=clock, concurrency=settings.concurrency,
                    retries=settings.dns_retries, cache=dns_cache, refresh=settings.refresh,
                    match_vendor=match_domain, vendor_evidence=catalog_cname_evidence(catalog)),
        rdap,
        DeclaredResolver(clock=clock),
    ]


class ScanClock:
    """The time source of one scan: the wall clock, until `pin` fixes it for reproducible output.

    Resolvers are built with the clock before the datasets they load are known, and the reproducible time
    depends on those datasets, so the clock must be pinnable after construction.
    """

    def __init__(self) -> None:
        self._pinned: datetime | None = None

    def __call__(self) -> datetime:
        return self._pinned if self._pinned is not None else utc_now()

    def pin(self, when: datetime) -> None:
        self._pinned = when


def reproducible_time(sources: Iterable[DataSource]) -> datetime:
    """The pinned time for byte-identical output.

    `SOURCE_DATE_EPOCH` wins (the reproducible-builds convention); otherwise the newest date among the shipped
    datasets used (live services such as RDAP are dated by the scan itself and left out), so the pinned time
    depends only on the inputs and data ages stay meaningful.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        try:
            pinned = datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError, OSError):
            raise UsageError(f"SOURCE_DATE_EPOCH must be a Unix timestamp, not {epoch!r}") from None
    else:
        newest = max((ds.date for ds in sources if not ds.live), default=date(1970, 1, 1))
        pinned = datetime.combine(newest, time(0, 0), tzinfo=UTC)
    return pinned


def collect_data_sources(resolvers: Sequence[Resolver], providers: ProviderRegister | None) -> list[DataSource]:
    """Every dataset the resolvers loaded, by id (a dataset shared by two resolvers appears once), and the
    provider register when one was given: a verdict on qualification relied on it."""
    by_id: dict[str, DataSource] = {}
    for resolver in resolvers:
        for ds in resolver.data_sources():
            by_id.setdefault(ds.id, ds)
    if providers is not None:
        register = register_data_source(providers)
        by_id.setdefault(register.id, register)
    return [by_id[k] for k in sorted(by_id)]


@dataclass(frozen=True)
class ScanInputs:
    """What the entity gives beside its inventory: the qualification register (`--providers`), its waivers
    (`--waivers`) and the admin-access logs already read and attributed to assets (`--access-log`)."""

    providers: ProviderRegister | None = None
    waivers: WaiverBook | None = None
    access: AccessReading | None = None


class Scanner:
    """Runs the pipeline over one inventory."""

    def __init__(self, resolvers: Sequence[Resolver], engine: RuleEngine, *, clock: Clock = utc_now,
                 offline: bool = False, inputs: ScanInputs | None = None) -> None:
        self._resolvers = list(resolvers)
        self._engine = engine
        self._clock = clock
        self._offline = offline
        self._inputs = inputs or ScanInputs()

    def data_sources(self) -> list[DataSource]:
        return collect_data_sources(self._resolvers, self._inputs.providers)

    def gather(self, assets: Sequence[Asset]) -> dict[str, list[Evidence]]:
        """All evidence per asset id, in resolver order."""
        evidence: dict[str, list[Evidence]] = {asset.id: [] for asset in assets}
        for resolver in self._resolvers:
            for asset_id, found in resolver.resolve_all(assets).items():
                evidence[asset_id].extend(found)
        return evidence

    def scan(
        self,
        inventory: Inventory,
        *,
        on_asset: Callable[[AssetResult], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> ScanResult:
        """Scan the whole inventory.

        With `on_asset`, each asset's result is handed over as soon as it is judged and the returned
        ScanResult has no assets (its summary and dataset counts are complete): that is how a large JSON
        result is streamed to disk without holding every asset's evidence in memory at once.
        `on_progress(done, total)` is called as assets are judged (the CLI draws a progress bar from it).
        """
        generated_at = self._clock()
        kept: list[AssetResult] = []
        tally = _Tally(self._engine)
        with paused_gc():
            total = len(inventory.assets)
            for done, result in enumerate(self._results(inventory, tally, generated_at.date()), start=1):
                if on_asset is None:
                    kept.append(result)
                else:
                    on_asset(result)
                if on_progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
                    on_progress(done, total)
        return ScanResult(
            schema_version=SCHEMA_VERSION,
            tool=ToolInfo(name="residency-scan", version=__version__),
            generated_at=generated_at,
            offline=self._offline,
            inventory=InventoryRef(path=inventory.path, sha256=inventory.sha256, entity=inventory.entity,
                                   notes=inventory.notes),
            policy=POLICY,
            data_sources=tuple(tally.data_sources(self.data_sources(), generated_at)),
            rule_packs=tuple(_with_days_left(ref, generated_at.date()) for ref in self._engine.refs()),
            rules=self._engine.infos(),
            summary=tally.summary(),
            matrix=tally.matrix.rows(),
            waivers=(self._inputs.waivers.statuses(generated_at.date())
                     if self._inputs.waivers is not None else ()),
            access_logs=self._inputs.access.logs if self._inputs.access is not None else (),
            assets=tuple(kept),
        )

    def _results(self, inventory: Inventory, tally: _Tally, today: date) -> Iterator[AssetResult]:
        """Asset results in inventory order, resolved CHUNK_SIZE assets at a time.

        Resolvers that batch (DNS, cloud APIs) still get thousands of assets per call, while the evidence of
        a 100,000-asset inventory never has to be held all at once.
        """
        assets = inventory.assets
        for start in range(0, len(assets), CHUNK_SIZE):
            chunk = assets[start:start + CHUNK_SIZE]
            evidence = self.gather(chunk)
            for asset in chunk:
                result = self._judge(asset, evidence.pop(asset.id), inventory, today)
                if self._inputs.waivers is not None:
                    result = self._inputs.waivers.apply(result, today)
                tally.add(result)
                yield result

    def _judge(self, asset: Asset, found: list[Evidence], inventory: Inventory, today: date) -> AssetResult:
        location = locate(found)
        access = self._inputs.access.for_asset(asset.id) if self._inputs.access is not None else None
        judgement = self._engine.judge(RuleContext(asset=asset, location=location, entity=inventory.entity,
                                                   today=today, providers=self._inputs.providers, access=access))
        return AssetResult(
            id=asset.id,
            kind=asset.kind,
            target=asset.target.raw if asset.target else None,
            vendor=asset.vendor,
            cloud=asset.cloud,
            sensitivity=asset.sensitivity,
            declared=asset.declared,
            source=asset.source,
            verdict=judgement.verdict,
            location=location,
            evidence=tuple(found),
            checks=judgement.checks,
            findings=judgement.findings,
            access=access or (),
            sensitive_data=asset.sensitive_data,
            sensitive_system=asset.sensitive_system,
            personal_data=asset.personal_data,
            service_type=asset.service_type,
            cndp_authorisation=asset.cndp_authorisation,
            subcontractors=asset.subcontractors,
        )


def _with_days_left(ref: RulePackRef, today: date) -> RulePackRef:
    if ref.deadline is None:
        return ref
    deadline = ref.deadline.model_copy(update={"days_left": (ref.deadline.date - today).days})
    return ref.model_copy(update={"deadline": deadline})


class _Tally:
    """What the result's header needs from every asset: verdict counts, evidence per dataset and the
    compliance matrix, counted as assets stream past (none is kept)."""

    def __init__(self, engine: RuleEngine) -> None:
        self.verdicts: Counter[Outcome] = Counter()
        self.per_dataset: Counter[str] = Counter()
        self.matrix = MatrixCounter(engine.infos())

    def add(self, result: AssetResult) -> None:
        self.verdicts[result.verdict] += 1
        self.per_dataset.update(ev.dataset for ev in result.evidence if ev.dataset)
        self.matrix.add(result)

    def summary(self) -> Summary:
        return summary_of(self.verdicts)

    def data_sources(self, sources: list[DataSource], now: datetime) -> list[DataSource]:
        return [
            ds.model_copy(update={"age_days": (now.date() - ds.date).days,
                                  "evidence_count": self.per_dataset[ds.id]})
            for ds in sources
        ]


def summary_of(verdicts: Counter[Outcome]) -> Summary:
    """The result's summary from a count of asset verdicts."""
    return Summary(
        assets=sum(verdicts.values()),
        compliant=verdicts[Outcome.COMPLIANT],
        violation=verdicts[Outcome.VIOLATION],
        indeterminate=verdicts[Outcome.INDETERMINATE],
        not_applicable=verdicts[Outcome.NOT_APPLICABLE],
        waived=verdicts[Outcome.WAIVED],
    )


def summarise(results: Sequence[AssetResult]) -> Summary:
    """The summary of results held whole (tests and tools that build results by hand)."""
    return summary_of(Counter(r.verdict for r in results))
