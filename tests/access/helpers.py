"""Inventories, logs and a real GeoIP setup for the access-log tests.

Addresses are real public blocks (no documentation range: those are reserved, hence internal). The registry
database stands in for the shipped RIR data (*registered*), the GeoIP database for a user's --geoip-db
(*measured*); both are real .mmdb files written by tests/mmdb_factory.py.
"""

from __future__ import annotations

import gzip
import json
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from residency_scan.access import GeoIpSourceLocator
from residency_scan.inventory.targets import parse_target
from residency_scan.models import (
    Asset,
    AssetKind,
    CloudRef,
    DeclaredLocation,
    Entity,
    Inventory,
    Sensitivity,
    SourceRef,
)
from residency_scan.resolvers.geoip import GeoIpResolver
from tests.mmdb_factory import write_country_mmdb, write_embedded_db

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

MA_CONFIRMED = "196.200.131.10"  # registered MA, measured MA: confirmed in Morocco
MA_REGISTERED_ONLY = "41.248.10.10"  # registered MA, no measurement: unknown
FR_CONFIRMED = "93.184.216.34"  # registered FR, measured FR: confirmed in France
FR_REGISTERED_ONLY = "2.16.0.1"  # registered FR only: still evidence of a login from abroad
CONTRADICTED_FR = "81.192.1.1"  # registered MA, measured FR: contradicted, FR per the strongest source
MA_V6 = "2c0f:fa00::10"
FR_V6 = "2a01:cb00::1"
UNLISTED = "45.1.1.1"  # no database knows it
VPN_ADDRESS = "10.8.0.14"  # private, inside the inventory's declared network
LAB_ADDRESS = "172.20.0.3"  # private, in no inventory network

REGISTRY = {
    "196.200.0.0/16": "MA",
    "41.248.0.0/14": "MA",
    "81.192.0.0/16": "MA",
    "93.184.216.0/24": "FR",
    "2.16.0.0/13": "FR",
    "2c0f:fa00::/32": "MA",
    "2a01:cb00::/32": "FR",
}
MEASURED = {
    "196.200.0.0/16": "MA",
    "81.192.0.0/16": "FR",
    "93.184.216.0/24": "FR",
    "2c0f:fa00::/32": "MA",
    "2a01:cb00::/32": "FR",
}


def make_resolver(directory: Path, *, measured: bool = True) -> GeoIpResolver:
    registry = write_embedded_db(directory, REGISTRY)
    geoip = write_country_mmdb(directory / "geoip.mmdb", MEASURED) if measured else None
    return GeoIpResolver(embedded_db=registry, geoip_db=geoip, clock=lambda: T0)


def asset(asset_id: str, target: str | None = None, *, kind: AssetKind = AssetKind.SERVER,
          cloud: CloudRef | None = None, declared: str | None = None) -> Asset:
    return Asset(id=asset_id, kind=kind, sensitivity=Sensitivity.SENSITIVE,
                 target=parse_target(target) if target else None, cloud=cloud,
                 declared=DeclaredLocation(country=declared) if declared else None,
                 source=SourceRef(path="inventory.yaml", line=4))


def inventory(*assets: Asset) -> Inventory:
    return Inventory(path="inventory.yaml", sha256="0" * 64, entity=Entity(name="Office Exemple"), assets=assets)


ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"


def standard_inventory() -> Inventory:
    """A bastion known by its FQDN, a database known by its id, an AWS account, and a declared VPN network."""
    return inventory(
        asset("bastion-prod", "bastion.exemple.ma"),
        asset("db01"),
        asset("web-front", "https://web01.exemple.ma/admin"),
        asset("aws-prod", cloud=CloudRef(provider="aws", region="eu-west-3", account=ACCOUNT)),
        asset("aws-backups", cloud=CloudRef(provider="aws", region="eu-west-3", account=ACCOUNT, service="s3")),
        asset("vpn-rabat", "10.8.0.0/16", kind=AssetKind.NETWORK, declared="MA"),
        asset("vpn-paris", "10.9.0.0/16", kind=AssetKind.NETWORK, declared="FR"),
    )


def locator_for(directory: Path, the_inventory: Inventory, *, measured: bool = True) -> GeoIpSourceLocator:
    return GeoIpSourceLocator(make_resolver(directory, measured=measured), the_inventory)


def write_text(directory: Path, name: str, content: str, *, gzipped: bool = False) -> Path:
    path = directory / name
    data = textwrap.dedent(content).lstrip("\n").encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if gzipped else data)
    return path


def sshd_line(stamp: str, host: str, user: str, source: str, method: str = "publickey",
              program: str = "sshd[4242]") -> str:
    return f"{stamp} {host} {program}: Accepted {method} for {user} from {source} port 51234 ssh2"


def write_journal(directory: Path, entries: Sequence[dict[str, Any]], name: str = "journal.json") -> Path:
    path = directory / name
    path.write_text("".join(json.dumps(entry) + "\n" for entry in entries), encoding="utf-8")
    return path


def journal_entry(message: object, *, host: str | None = "db01", micros: int = 1_764_064_801_123_456,
                  identifier: str | None = "sshd", comm: str | None = "sshd") -> dict[str, Any]:
    entry: dict[str, Any] = {"__CURSOR": "s=1", "__REALTIME_TIMESTAMP": str(micros), "MESSAGE": message,
                             "PRIORITY": "6", "_PID": "4242"}
    if host is not None:
        entry["_HOSTNAME"] = host
    if identifier is not None:
        entry["SYSLOG_IDENTIFIER"] = identifier
    if comm is not None:
        entry["_COMM"] = comm
    return entry


def ct_record(name: str, source: str, *, when: str = "2026-11-25T10:00:01Z", account: str = ACCOUNT,
              identity: dict[str, Any] | None = None, read_only: bool | None = False,
              response: dict[str, Any] | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "1.10", "eventTime": when, "eventSource": "iam.amazonaws.com", "eventName": name,
        "awsRegion": "us-east-1", "sourceIPAddress": source, "userAgent": "aws-cli/2",
        "userIdentity": identity or {"type": "IAMUser", "arn": f"arn:aws:iam::{account}:user/alice",
                                     "accountId": account, "userName": "alice"},
        "recipientAccountId": account, "eventType": "AwsApiCall", "managementEvent": True,
    }
    if read_only is not None:
        record["readOnly"] = read_only
    if response is not None:
        record["responseElements"] = response
    return record


def console_login(source: str, *, success: bool = True, **fields: Any) -> dict[str, Any]:
    record = ct_record("ConsoleLogin", source, response={"ConsoleLogin": "Success" if success else "Failure"},
                       **fields)
    record["eventType"] = "AwsConsoleSignIn"
    return record


def write_json(directory: Path, name: str, document: Any, *, indent: int | None = 2,
               gzipped: bool = False) -> Path:
    path = directory / name
    data = json.dumps(document, indent=indent).encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if gzipped else data)
    return path
