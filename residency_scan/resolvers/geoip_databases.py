"""The MaxMind-format databases the GeoIP resolver reads, and what an answer from each kind means.

The shipped RIR dataset says where a block is *registered*; a user's GeoIP2/GeoLite2/DB-IP database where it is
*measured* to be; a user's ASN database who announces it (an AS number names no country). Records are read
defensively: a user's database is not trusted to be well formed. The shipped database's provenance comes from the
JSON written beside it by scripts/build_geoip_db.py, and its checksum must match.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Hashable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import maxminddb
from maxminddb.types import Record
from pydantic import ValidationError

from residency_scan.errors import DatasetError
from residency_scan.models import Claim, DataSource, Strength

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

USER_LICENCE = "user-supplied (see vendor terms)"


def network_text(ip: IPAddress, prefix: int) -> str:
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


class Registered:
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


class Measured(Registered):
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


class Asn:
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


Kind = Registered | Asn


class Database:
    """One open database and what its answers mean."""

    def __init__(self, path: Path, dataset: str, kind: Kind) -> None:
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


def embedded_source(path: Path) -> DataSource:
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
