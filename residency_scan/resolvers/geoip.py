"""An implementation of `Resolver` that locates IP addresses and ranges in MaxMind-format databases.

Three databases, three kinds of evidence. The shipped RIR dataset (always there, offline) says in which
country a block is *registered*; a user's GeoIP2/GeoLite2/DB-IP database says where it is *measured* to be;
a user's ASN database says who announces it, not where. Each answers on its own: `locate` fuses them.

A range is compliant only if all of it is, so a CIDR is walked network by network through each database and
every country met becomes its own evidence; a part that no database entry covers is a failure, never a pass.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import maxminddb
from maxminddb.types import Record
from pydantic import ValidationError

from residency_scan.errors import DatasetError
from residency_scan.models import Asset, Claim, DataSource, Evidence, Strength, TargetKind
from residency_scan.resolvers.interface import Resolver
from residency_scan.resolvers.reserved import IPV4_CARRIERS, reserved_range

EMBEDDED_DB = Path(__file__).resolve().parent.parent / "data" / "geoip" / "rir-country.mmdb"
MAX_WALK_STEPS = 65_536
"""Networks visited in one range before giving up: enough for any /8, bounded for ::/0."""
MAX_LISTED = 50
"""Networks (or uncovered parts) listed in an evidence's raw answer; the total is always given."""
USER_LICENCE = "user-supplied (see vendor terms)"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

def _network_text(ip: IPAddress, prefix: int) -> str:
    """The database network holding `ip`; IPv4 formatted by hand, four times faster than `ipaddress`."""
    shift = ip.max_prefixlen - prefix
    base = int(ip) >> shift << shift
    if ip.version == 4:
        return f"{base >> 24}.{base >> 16 & 255}.{base >> 8 & 255}.{base & 255}/{prefix}"
    return f"{ipaddress.IPv6Address(base)}/{prefix}"


def _country(record: Record, field: str = "country") -> str | None:
    """An upper-case ISO code, or None for anything else: user databases are not trusted to be well formed."""
    part = record.get(field) if isinstance(record, dict) else None
    code = part.get("iso_code") if isinstance(part, dict) else None
    if isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha():
        return code.upper()
    return None


class _Registered:
    """The shipped RIR dataset: a country per block, where the block is registered."""

    strength = Strength.REGISTERED

    def __init__(self) -> None:
        self._claims: dict[str, Claim] = {}

    def key(self, record: Record) -> Hashable | None:
        return _country(record)

    def range_claim(self, key: Any) -> Claim:
        claim = self._claims.get(key)
        if claim is None:
            claim = self._claims[key] = Claim(country=key)
        return claim

    def address(self, record: Record, network: str) -> tuple[Claim | None, dict[str, Any]]:
        country = _country(record)
        return (self.range_claim(country) if country else None), {"network": network}


class _Measured(_Registered):
    """A user's GeoIP2/GeoLite2/DB-IP City or Country database: where the address is measured to be."""

    strength = Strength.MEASURED

    def address(self, record: Record, network: str) -> tuple[Claim | None, dict[str, Any]]:
        country = _country(record)
        city_part = record.get("city") if isinstance(record, dict) else None
        names = city_part.get("names") if isinstance(city_part, dict) else None
        city = names.get("en") if isinstance(names, dict) else None
        city = city[:200] if isinstance(city, str) else None
        raw: dict[str, Any] = {"network": network, "country": country, "city": city}
        registered = _country(record, "registered_country")
        if registered:
            raw["registered_country"] = registered
        traits = record.get("traits") if isinstance(record, dict) else None
        if isinstance(traits, dict) and traits.get("is_anycast") is True:
            raw["is_anycast"] = True
        if country is None:
            return None, raw
        return (Claim(country=country, city=city) if city else self.range_claim(country)), raw


class _Asn:
    """A user's GeoLite2-ASN-format database: who announces the address. An ASN names no country."""

    strength = Strength.MEASURED

    def key(self, record: Record) -> tuple[int, str | None] | None:
        number = record.get("autonomous_system_number") if isinstance(record, dict) else None
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            return None
        org = record.get("autonomous_system_organization") if isinstance(record, dict) else None
        return number, org[:200] if isinstance(org, str) else None

    def range_claim(self, key: Any) -> Claim:
        return Claim(asn=key[0], asn_org=key[1])

    def address(self, record: Record, network: str) -> tuple[Claim | None, dict[str, Any]]:
        key = self.key(record)
        if key is None:
            return None, {"network": network}
        return self.range_claim(key), {"network": network, "asn": key[0], "asn_org": key[1]}


_Kind = _Registered | _Asn


class _Database:
    """One open database and what its answers mean."""

    def __init__(self, path: Path, dataset: str, kind: _Kind) -> None:
        self.path, self.dataset, self.kind = path, dataset, kind
        try:
            self.reader = maxminddb.open_database(str(path), maxminddb.MODE_AUTO)
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            raise DatasetError(f"{path}: not a readable MaxMind-format database ({exc})") from exc

    def lookup(self, address: IPAddress) -> tuple[Record | None, int] | None:
        """The record and prefix length for an address; None if the database has no data for its family."""
        try:
            return self.reader.get_with_prefix_len(address)
        except ValueError:  # an IPv6 address in an IPv4-only database
            return None
        except maxminddb.InvalidDatabaseError as exc:
            raise DatasetError(f"{self.path}: corrupt MaxMind-format database ({exc})") from exc

    def user_source(self) -> DataSource:
        try:
            meta = self.reader.metadata()
            built = datetime.fromtimestamp(meta.build_epoch, UTC).date()
            description = meta.description.get("en") if isinstance(meta.description, dict) else None
            return DataSource(
                id=self.dataset,
                name=str(meta.database_type),
                version=built.isoformat(),
                date=built,
                licence=USER_LICENCE,
                attribution=description if isinstance(description, str) else None,
                sha256=_sha256(self.path),
            )
        except (OSError, ValueError, OverflowError, TypeError) as exc:
            raise DatasetError(f"{self.path}: unusable database metadata ({exc})") from exc


def _sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _embedded_source(path: Path) -> DataSource:
    """The shipped database's provenance, from the JSON written beside it by scripts/build_geoip_db.py."""
    meta_path = path.with_suffix(".json")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        fields = ("id", "name", "version", "date", "licence", "url", "attribution", "sha256")
        source = DataSource.model_validate({key: meta[key] for key in fields})
        digest = _sha256(path)
    except (OSError, ValueError, KeyError, TypeError, ValidationError) as exc:
        raise DatasetError(f"{meta_path}: unusable dataset metadata ({exc})") from exc
    if digest != source.sha256:
        raise DatasetError(f"{path}: sha256 {digest} does not match {meta_path} ({source.sha256}); rebuild it")
    return source


class GeoIpResolver(Resolver):
    """Locates IP and CIDR targets (and URLs with an IP literal) in the shipped and user GeoIP databases."""

    name = "geoip"

    def __init__(
        self,
        *,
        geoip_db: Path | None = None,
        asn_db: Path | None = None,
        embedded_db: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._clock = clock
        self._databases: list[_Database] = []
        self._sources: list[DataSource] = []
        try:
            path = embedded_db or EMBEDDED_DB
            source = _embedded_source(path)
            self._open(path, source.id, _Registered(), source=source)
            if geoip_db is not None:
                self._open(geoip_db, "user-geoip", _Measured(), refused=("ASN",))
            if asn_db is not None:
                self._open(asn_db, "user-asn", _Asn(), refused=("Country", "City"))
        except DatasetError:
            self.close()
            raise

    def _open(
        self,
        path: Path,
        dataset: str,
        kind: _Kind,
        *,
        source: DataSource | None = None,
        refused: tuple[str, ...] = (),
    ) -> None:
        database = _Database(path, dataset, kind)
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
        return [self._address_evidence(db, address, ip, now) for db in self._databases]

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
        return [evidence for db in self._databases for evidence in self._walk(db, cidr, network, now)]

    def _address_evidence(self, db: _Database, subject: str, ip: IPAddress, now: datetime) -> Evidence:
        found = db.lookup(ip)
        if found is None:
            return self._evidence(subject, now, db, failure=f"{db.dataset} has no IPv{ip.version} data")
        record, prefix = found
        network = _network_text(ip, prefix)
        if record is None:
            reason = f"no entry for {subject} in {db.dataset}"
            return self._evidence(subject, now, db, failure=reason, raw={"network": network})
        claim, raw = db.kind.address(record, network)
        if claim is None:
            reason = f"the {db.dataset} entry for {subject} names no location"
            return self._evidence(subject, now, db, failure=reason, raw=raw)
        return self._evidence(subject, now, db, claim=claim, raw=raw)

    def _walk(self, db: _Database, subject: str, network: IPNetwork, now: datetime) -> list[Evidence]:
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
        db: _Database | None = None,
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
