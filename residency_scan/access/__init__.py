"""Where administration is performed from: admin-access logs read, attributed to assets and located.

Decree 2-24-921 art. 5 §4 wants management and supervision «exclusivement depuis et sur le territoire national».
`read_access_logs` reads OpenSSH logins (syslog `auth-log`, `journal-json`) and AWS CloudTrail console sign-ins
and mutating calls (`cloudtrail-json`), ties each to the inventory assets it concerns, and locates every source
address with a `SourceLocator`; the rule leaves in `rules/leaves_access.py` judge the result.
"""

from residency_scan.access.interface import (
    AUTH_LOG,
    CLOUDTRAIL_JSON,
    FORMATS,
    JOURNAL_JSON,
    AccessLogSpec,
    AdminEvent,
    Limits,
    OriginKind,
    ParsedLog,
    SourceLocation,
    SourceLocator,
)
from residency_scan.access.locator import GeoIpSourceLocator
from residency_scan.access.reading import AccessReading, check_format, parse_access_log_option, read_access_logs

__all__ = [
    "AUTH_LOG",
    "CLOUDTRAIL_JSON",
    "FORMATS",
    "JOURNAL_JSON",
    "AccessLogSpec",
    "AccessReading",
    "AdminEvent",
    "GeoIpSourceLocator",
    "Limits",
    "OriginKind",
    "ParsedLog",
    "SourceLocation",
    "SourceLocator",
    "check_format",
    "parse_access_log_option",
    "read_access_logs",
]
