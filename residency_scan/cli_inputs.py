"""Reading what `scan` takes beside the inventory: the admin-access logs (the register and the waivers have
their own one-call loaders). Kept out of cli.py so the command stays a list of options and steps."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date

from residency_scan.access import AccessReading, GeoIpSourceLocator, parse_access_log_option, read_access_logs
from residency_scan.errors import UsageError
from residency_scan.models import Inventory
from residency_scan.resolvers.geoip import GeoIpResolver
from residency_scan.resolvers.interface import Resolver


class AccessLogFormat(enum.StrEnum):
    AUTO = "auto"
    AUTH_LOG = "auth-log"
    JOURNAL_JSON = "journal-json"
    CLOUDTRAIL_JSON = "cloudtrail-json"


def read_access_for_scan(options: Sequence[str], fmt: AccessLogFormat, inventory: Inventory,
                         resolvers: Sequence[Resolver], *, year: int, today: date | None = None) -> AccessReading:
    """Parse every `--access-log` and locate each source address with the scan's own GeoIP sources, so an admin's
    address is judged by the same evidence and policy as a server's."""
    geoip = next((r for r in resolvers if isinstance(r, GeoIpResolver)), None)
    if geoip is None:  # build_resolvers always has one; a caller that assembles its own must too
        raise UsageError("--access-log needs the GeoIP resolver to locate source addresses")
    explicit = None if fmt is AccessLogFormat.AUTO else fmt.value
    specs = [parse_access_log_option(option, explicit) for option in options]
    return read_access_logs(specs, inventory, GeoIpSourceLocator(geoip, inventory), year=year, today=today)
