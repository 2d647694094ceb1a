"""Real MaxMind-format databases for tests, written with mmdb-writer in the shapes the vendors ship.

Country and City records follow GeoIP2/GeoLite2 (so `geoip2.database.Reader` reads them too); ASN records
follow GeoLite2-ASN. Networks may be IPv4 or IPv6 in the same file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPNetwork, IPSet

BUILD_EPOCH = 1_717_200_000  # 2024-06-01T00:00:00Z


class _FixedEpochWriter(MMDBWriter):
    """Stamps a fixed build time, so that DataSource dates are predictable."""

    def _build_meta(self) -> dict[str, Any]:
        meta = super()._build_meta()
        meta["build_epoch"] = BUILD_EPOCH
        return meta


def write_mmdb(
    path: Path,
    records: Mapping[str, Any],
    *,
    database_type: str,
    ip_version: int = 6,
    description: str = "test database",
) -> Path:
    """Write `{cidr: record}` as a .mmdb file at `path`; returns `path`."""
    writer = _FixedEpochWriter(
        ip_version=ip_version,
        ipv4_compatible=ip_version == 6,
        database_type=database_type,
        languages=["en"],
        description={"en": description},
    )
    for cidr, record in records.items():
        writer.insert_network(IPSet([IPNetwork(cidr)]), record)
    writer.to_db_file(str(path))
    return path


def country_record(iso: str, *, registered: str | None = None) -> dict[str, Any]:
    return {
        "country": {"iso_code": iso, "names": {"en": iso}},
        "registered_country": {"iso_code": registered or iso},
    }


def write_country_mmdb(
    path: Path, countries: Mapping[str, str], *, database_type: str = "GeoLite2-Country", ip_version: int = 6
) -> Path:
    """`{cidr: "MA"}` → a GeoLite2-Country-shaped database."""
    records = {cidr: country_record(iso) for cidr, iso in countries.items()}
    return write_mmdb(path, records, database_type=database_type, ip_version=ip_version)


def write_city_mmdb(path: Path, cities: Mapping[str, tuple[str, str]], *, database_type: str = "GeoLite2-City") -> Path:
    """`{cidr: ("MA", "Rabat")}` → a GeoLite2-City-shaped database."""
    records = {
        cidr: {**country_record(iso), "city": {"geoname_id": 1, "names": {"en": city, "fr": city}}}
        for cidr, (iso, city) in cities.items()
    }
    return write_mmdb(path, records, database_type=database_type)


def write_asn_mmdb(path: Path, systems: Mapping[str, tuple[int, str]], *, database_type: str = "GeoLite2-ASN") -> Path:
    """`{cidr: (36925, "MEDITELECOM")}` → a GeoLite2-ASN-shaped database."""
    records = {
        cidr: {"autonomous_system_number": number, "autonomous_system_organization": org}
        for cidr, (number, org) in systems.items()
    }
    return write_mmdb(path, records, database_type=database_type)


def write_embedded_db(directory: Path, countries: Mapping[str, str], *, dataset_id: str = "test-rir") -> Path:
    """A stand-in for the shipped RIR database: same record shape, with its metadata JSON beside it."""
    path = directory / f"{dataset_id}.mmdb"
    records = {
        cidr: {"country": {"iso_code": iso}, "registered_country": {"iso_code": iso}} for cidr, iso in countries.items()
    }
    write_mmdb(path, records, database_type="residency-scan-RIR-Country")
    metadata = {
        "id": dataset_id,
        "name": "test RIR country",
        "version": "0.0.1",
        "date": "2024-06-01",
        "licence": "CC0-1.0",
        "url": None,
        "attribution": "tests",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
    path.with_suffix(".json").write_text(json.dumps(metadata), encoding="utf-8")
    return path
