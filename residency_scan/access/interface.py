"""The values the admin-access stage passes between its parts: what to read, what a log said, where a source is.

Decree 2-24-921 art. 5 §4 wants the management and supervision of a service performed «exclusivement depuis et
sur le territoire national». The inventory says where systems are; only their admin-access logs say where they
are administered *from*. A log reader turns one file into `AdminEvent`s (an accepted login or a mutating call,
with the host or account it happened on), the attribution step ties each event to inventory assets, and a
`SourceLocator` says where each source address is, under the same corroboration policy as any address.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from residency_scan.models import Frozen, LocationStatus, Strength

AUTH_LOG = "auth-log"
JOURNAL_JSON = "journal-json"
CLOUDTRAIL_JSON = "cloudtrail-json"
FORMATS = (AUTH_LOG, JOURNAL_JSON, CLOUDTRAIL_JSON)
"""The log formats read, by the names `--access-log-format` takes and `AccessLogRef.format` reports."""


@dataclass(frozen=True)
class AccessLogSpec:
    """One `--access-log` option: the file, its format (None: detected), the asset it is about (None: matched
    event by event from the host names or AWS accounts the log names)."""

    path: Path
    format: str | None = None
    asset: str | None = None


@dataclass(frozen=True)
class Limits:
    """What a log may cost. Logs come from machines an attacker may control, so every read is bounded.

    Lines longer than `max_line_bytes` are skipped and counted; a CloudTrail file is parsed whole and may not
    exceed `max_json_bytes` (after decompression); a line-oriented log is streamed but refused past
    `max_text_bytes` of decompressed text (a gzip bomb). `sniff_bytes` is how much is read to detect a format.
    """

    max_line_bytes: int = 64 * 1024
    max_json_bytes: int = 512 * 1024 * 1024
    max_text_bytes: int = 8 * 1024 * 1024 * 1024
    sniff_bytes: int = 64 * 1024


class OriginKind(enum.StrEnum):
    """What a log's events name as the place they happened: a host (sshd) or an AWS account (CloudTrail)."""

    HOST = "host"
    ACCOUNT = "account"


@dataclass(frozen=True, slots=True)
class AdminEvent:
    """One accepted login or administrative call, as read from a log (user and source already made safe).

    `origin` is the host name or account id the log names (None when it names none); `source` the address the
    administrator came from, as logged (normally an IP address; sshd writes a host name with `UseDNS yes`).
    """

    time: datetime  # aware, UTC
    origin: str | None
    user: str
    source: str
    method: str  # "ssh publickey", "aws ConsoleLogin", "aws api CreateUser"
    line: int | None  # 1-based line of the (decompressed) file where the event starts


@dataclass(frozen=True, slots=True)
class ParsedLog:
    """Everything one reader got from one file: the events it accepted and how much else it skipped."""

    format: str
    origin_kind: OriginKind
    events: tuple[AdminEvent, ...]
    skipped: int
    # lines that look like an accepted login but could not be read (cut, undatable, overlong): a login that
    # counts may hide among them, so they are reported, never just skipped
    unreadable: int = 0


class SourceLocation(Frozen):
    """Where one source address is, fused under the scan's corroboration policy (see `locate.py`).

    `country` is the country the strongest evidence names, whatever the status: a registry entry abroad is
    already evidence of a login from abroad, even though it would never confirm a location inside.
    """

    country: str | None = None
    status: LocationStatus = LocationStatus.UNKNOWN
    strongest: Strength | None = None
    internal: bool = False
    reason: str


class SourceLocator(Protocol):
    """Locates the source address of administrative access. Implementations cache per address."""

    def locate(self, address: str) -> SourceLocation:
        """Where `address` is; never raises for one address (an unusable one is located as unknown)."""
        ...
