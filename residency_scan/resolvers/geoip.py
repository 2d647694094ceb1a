"""An implementation of `Resolver` that locates IP addresses and ranges in MaxMind-format databases.

Three databases, three kinds of evidence. The shipped RIR dataset (always there, offline) says in which
country a block is *registered*; a user's GeoIP2/GeoLite2/DB-IP database says where it is *measured* to be;
a user's ASN database says who announces it, not where. Each answers on its own: `locate` fuses them.

A range is compliant only if all of it is, so a CIDR is walked network by network through each database and
every country met becomes its own evidence; a part that no database entry covers is a failure, never a pass.

An address of a CDN or anycast network (the shipped `cdn-networks` table, an AS number of one of them in the
user's ASN database, or the anycast flag of the user's GeoIP database) is answered by whichever edge the client
reaches: its database answers are kept in `raw` but become failures, so it stays unknown unless the edge that
served it is shown (see cdn_ranges.py).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from residency_scan.errors import DatasetError
from residency_scan.models import Asset, Claim, DataSource, Evidence, TargetKind
from residency_scan.resolvers.cdn_ranges import CdnMatch, CdnRanges, anycast_flag, load_cdn_ranges, withhold
from residency_scan.resolvers.geoip_databases import (
    Asn,
    Database,
    Kind,
    Measured,
    Registered,
    embedded_source,
    network_text,
)
from residency_scan.resolvers.interface import Resolver
from residency_scan.resolvers.reserved import IPV4_CARRIERS, reserved_range

EMBEDDED_DB = Path(__file__).resolve().parent.parent / "data" / "geoip" / "rir-country.mmdb"
MAX_WALK_STEPS = 65_536
"""Networks visited in one range before giving up: enough for any /8, bounded for ::/0."""
MAX_LISTED = 50
"""Networks (or uncovered parts) listed in an evidence's raw answer; the total is always given."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class GeoIpResolver(Resolver):
    """Locates IP and CIDR targets (and URLs with an IP literal) in the shipped and user GeoIP databases.

    `cdn` is the table of CDN/anycast networks (`load_cdn_ranges()` for the shipped one) or the path of such a
    file; without it, only the anycast flag of a user's GeoIP database withholds an answer.
    """

    name = "geoip"

    def __init__(
        self,
        *,
        geoip_db: Path | None = None,
        asn_db: Path | None = None,
        embedded_db: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        cdn: CdnRanges | Path | None = None,
    ) -> None:
        self._clock = clock
        self._databases: list[Database] = []
        self._sources: list[DataSource] = []
        self._cdn = load_cdn_ranges(cdn) if isinstance(cdn, Path) else cdn
        self._cdn_cache: dict[str, CdnMatch | None] = {}
        try:
            path = embedded_db or EMBEDDED_DB
            source = embedded_source(path)
            self._open(path, source.id, Registered(), source=source)
            if geoip_db is not None:
                self._open(geoip_db, "user-geoip", Measured(), refused=("ASN",))
            if asn_db is not None:
                self._open(asn_db, "user-asn", Asn(), refused=("Country", "City"))
        except DatasetError:
            self.close()
            raise
        if self._cdn is not None:
            self._sources.append(self._cdn.data_source())

    def _open(
        self,
        path: Path,
        dataset: str,
        kind: Kind,
        *,
        source: DataSource | None = None,
        refused: tuple[str, ...] = (),
    ) -> None:
        database = Database(path, dataset, kind)
        self._databases.append(database)  # before any check, so that close() releases it on error
        database_type = str(database.reader.metadata().database_type)
        if any(word in database_type for word in refused):
            option = "--asn-db" if dataset == "user-geoip" else "--geoip-db"
            raise DatasetError(f"{path}: a {database_type} database; pass it with {option}")
        self._sources.append(source or database.user_source())

    def close(self) -> None:
        for database in self._databases:
            database.reader.close()

    def __enter__(self) -> GeoIpResolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def data_sources(self) -> Iterable[DataSource]:
        return tuple(self._sources)

    def applies_to(self, asset: Asset) -> bool:
        target = asset.target
        if target is None:
            return False
        if target.kind in (TargetKind.IP, TargetKind.CIDR):
            return True
        return target.kind is TargetKind.URL and target.network() is not None

    def resolve(self, asset: Asset) -> list[Evidence]:
        target = asset.target
        if target is None:
            return []
        if target.kind is TargetKind.CIDR:
            return self.locate_network(target.host)
        return self.locate_address(target.host)

    def locate_address(self, address: str) -> list[Evidence]:
        """Evidence from every database about one address; `address` is the evidence subject."""
        now = self._clock()
        try:
            ip: IPAddress = ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            return [self._evidence(address, now, failure=f"{address!r} is not an IP address")]
        if isinstance(ip, ipaddress.IPv6Address):
            if int(ip) >> 32 in IPV4_CARRIERS:
                ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
            elif ip.sixtofour is not None or ip.teredo is not None:
                return [self._tunnel(address, ip, now)]
        reserved = reserved_range(ip.version, int(ip), int(ip))
        if reserved is not None:
            return [self._internal(address, now, reserved)]
        evidence = [self._address_evidence(db, address, ip, now) for db in self._databases]
        match = self._cdn_for(ip, evidence)
        return evidence if match is None else [withhold(ev, match) for ev in evidence]

    def cdn_match(self, address: str) -> CdnMatch | None:
        """Whether an address or a network belongs to a CDN/anycast network, for the other sources that locate
        it (RDAP, WHOIS, TLS): the same decision as `locate_address` / `locate_network` make for GeoIP — the
        shipped prefixes, then the user's ASN and GeoIP databases — so no source keeps a country GeoIP withheld.
        Cached per subject: RDAP and TLS ask about the same resolved addresses."""
        if address not in self._cdn_cache:
            self._cdn_cache[address] = self._cdn_match(address)
        return self._cdn_cache[address]

    def _cdn_match(self, address: str) -> CdnMatch | None:
        now = self._clock()
        if "/" in address:
            try:
                network: IPNetwork = ipaddress.ip_network(address, strict=False)
            except ValueError:
                return None
            walked = [ev for db in self._databases[1:] for ev in self._walk(db, address, network, now)]
            return self._cdn_of_network(network, walked)
        try:
            ip: IPAddress = ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            return None
        if isinstance(ip, ipaddress.IPv6Address) and int(ip) >> 32 in IPV4_CARRIERS:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if reserved_range(ip.version, int(ip), int(ip)) is not None:
            return None
        if self._cdn is not None and (match := self._cdn.match_address(ip)) is not None:
            return match  # before any database lookup
        return self._cdn_for(ip, [self._address_evidence(db, address, ip, now) for db in self._databases[1:]])

    def _cdn_for(self, ip: IPAddress, evidence: list[Evidence]) -> CdnMatch | None:
        """The CDN an address belongs to: a published prefix, or what the databases' answers say."""
        if self._cdn is not None and (match := self._cdn.match_address(ip)) is not None:
            return match
        return self._cdn_in_answers(evidence)

    def _cdn_of_network(self, network: IPNetwork, evidence: list[Evidence]) -> CdnMatch | None:
        """The CDN a network overlaps: a published prefix, or what the databases' answers over it say."""
        if self._cdn is not None and (match := self._cdn.match_network(network)) is not None:
            return match
        return self._cdn_in_answers(evidence)

    def _cdn_in_answers(self, evidence: list[Evidence]) -> CdnMatch | None:
        """A CDN's AS number in an answer (the user's --asn-db), or an answer flagged anycast by the user's DB."""
        if self._cdn is not None:
            for ev in evidence:
                if ev.claim is not None and ev.claim.asn is not None:
                    match = self._cdn.match_asn(ev.claim.asn)
                    if match is not None:
                        return match
        for ev in evidence:
            if isinstance(ev.raw, dict) and ev.raw.get("is_anycast") is True and ev.dataset:
                return anycast_flag(ev.dataset)
        return None

    def locate_network(self, cidr: str) -> list[Evidence]:
        """Evidence about a whole range: one per country (or ASN) met, one failure for uncovered parts."""
        now = self._clock()
        try:
            network: IPNetwork = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            return [self._evidence(cidr, now, failure=f"{cidr!r} is not an IP network")]
        first = int(network.network_address)
        if network.version == 6 and network.prefixlen >= 96 and first >> 32 in IPV4_CARRIERS:
            network = ipaddress.IPv4Network((first & 0xFFFFFFFF, network.prefixlen - 96))
        reserved = reserved_range(network.version, int(network.network_address), int(network.broadcast_address))
        if reserved is not None:
            return [self._internal(cidr, now, reserved)]
        evidence = [evidence for db in self._databases for evidence in self._walk(db, cidr, network, now)]
        match = self._cdn_of_network(network, evidence)
        return evidence if match is None else [withhold(ev, match) for ev in evidence]

    def _address_evidence(self, db: Database, subject: str, ip: IPAddress, now: datetime) -> Evidence:
        found = db.lookup(ip)
        if found is None:
            return self._evidence(subject, now, db, failure=f"{db.dataset} has no IPv{ip.version} data")
        record, prefix = found
        network = network_text(ip, prefix)
        if record is None:
            reason = f"no entry for {subject} in {db.dataset}"
            return self._evidence(subject, now, db, failure=reason, raw={"network": network})
        claim, raw = db.kind.address(record, network)
        if claim is None:
            reason = f"the {db.dataset} entry for {subject} names no location"
            return self._evidence(subject, now, db, failure=reason, raw=raw)
        return self._evidence(subject, now, db, claim=claim, raw=raw)

    def _walk(self, db: Database, subject: str, network: IPNetwork, now: datetime) -> list[Evidence]:
        """Visit the database networks covering `network`, jumping past each one, grouped by what they say."""
        make = type(network.network_address)
        bits, floor = network.max_prefixlen, network.prefixlen
        cursor, last = int(network.network_address), int(network.broadcast_address)
        groups: dict[Hashable, list[str]] = {}
        uncovered: list[str] = []
        steps = 0
        while cursor <= last and steps < MAX_WALK_STEPS:
            steps += 1
            found = db.lookup(make(cursor))
            if found is None:
                reason = f"{db.dataset} has no IPv{network.version} data"
                return [self._evidence(subject, now, db, failure=reason)]
            record, prefix = found
            prefix = max(prefix, floor)  # the database network may be larger than the range
            key = None if record is None else db.kind.key(record)
            (uncovered if key is None else groups.setdefault(key, [])).append(f"{make(cursor)}/{prefix}")
            cursor += 1 << (bits - prefix)
        evidence = [
            self._evidence(
                subject,
                now,
                db,
                claim=db.kind.range_claim(key),
                raw={"networks": pieces[:MAX_LISTED], "networks_total": len(pieces)},
            )
            for key, pieces in groups.items()
        ]
        if uncovered:
            reason = f"no entry in {db.dataset} for {len(uncovered)} part(s) of {subject}, e.g. {uncovered[0]}"
            raw = {"uncovered": uncovered[:MAX_LISTED], "uncovered_total": len(uncovered)}
            evidence.append(self._evidence(subject, now, db, failure=reason, raw=raw))
        if cursor <= last:
            reason = f"range too fragmented: {subject} spans over {MAX_WALK_STEPS} networks of {db.dataset}"
            raw = {"not_examined": f"{make(cursor)}-{make(last)}"}
            evidence.append(self._evidence(subject, now, db, failure=reason, raw=raw))
        return evidence

    def _tunnel(self, subject: str, ip: ipaddress.IPv6Address, now: datetime) -> Evidence:
        """6to4 and Teredo addresses reach a host behind an IPv4 address: that is the one to locate."""
        how, behind = ("6to4", ip.sixtofour) if ip.sixtofour else ("Teredo", ip.teredo[1] if ip.teredo else None)
        reason = f"{subject} is a {how} tunnel address: locate the IPv4 address behind it ({behind}) instead"
        return self._evidence(subject, now, failure=reason, raw={"tunnel": how, "ipv4": str(behind)})

    def _internal(self, subject: str, now: datetime, reserved: tuple[str, str]) -> Evidence:
        network, label = reserved
        raw = {"reserved": network, "range": label}
        return self._evidence(subject, now, claim=Claim(internal=True), raw=raw)

    def _evidence(
        self,
        subject: str,
        now: datetime,
        db: Database | None = None,
        *,
        claim: Claim | None = None,
        failure: str | None = None,
        raw: Any = None,
    ) -> Evidence:
        """One evidence; without a database, it is the shipped dataset's (reserved ranges, unusable input)."""
        db = db or self._databases[0]
        return Evidence(
            source=self.name,
            strength=db.kind.strength,
            subject=subject,
            claim=claim,
            failure=failure,
            observed_at=now,
            dataset=db.dataset,
            raw=raw,
        )
