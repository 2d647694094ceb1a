"""Reading an RDAP answer (RFC 9083): is it a usable record, and which of its fields are worth keeping.

Everything here is untrusted input from a registry: the body is bounded, the JSON checked for the expected
object class, and every string kept is sanitised (see untrusted.py).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from typing import Any

from residency_scan.resolvers.untrusted import country_code, sanitise

MAX_ITEMS = 10
"""Most statuses or remarks kept from one record."""


def _vcard_country(entity: Mapping[str, Any]) -> str | None:
    """The country of a jCard (RFC 7095) "adr": its 7th component, or the "cc" parameter (RFC 8605)."""
    vcard = entity.get("vcardArray")
    if not (isinstance(vcard, list) and len(vcard) == 2 and isinstance(vcard[1], list)):
        return None
    for prop in vcard[1]:
        if not (isinstance(prop, list) and len(prop) >= 4 and prop[0] == "adr"):
            continue
        params = prop[1] if isinstance(prop[1], dict) else {}
        found = country_code(params.get("cc"))
        value = prop[3]
        if found is None and isinstance(value, list) and len(value) >= 7:
            found = country_code(value[6])
        if found:
            return found
    return None


def _vcard_name(entity: Mapping[str, Any]) -> str | None:
    vcard = entity.get("vcardArray")
    if isinstance(vcard, list) and len(vcard) == 2 and isinstance(vcard[1], list):
        for prop in vcard[1]:
            if isinstance(prop, list) and len(prop) >= 4 and prop[0] in ("fn", "org"):
                return sanitise(prop[3])
    return None


def _entities(record: Mapping[str, Any], role: str) -> list[Mapping[str, Any]]:
    entities = record.get("entities")
    if not isinstance(entities, list):
        return []
    return [e for e in entities[:50] if isinstance(e, dict) and isinstance(e.get("roles"), list)
            and role in e["roles"]]


def _remarks(record: Mapping[str, Any]) -> list[str]:
    remarks = record.get("remarks")
    if not isinstance(remarks, list):
        return []
    texts: list[str] = []
    for remark in remarks[:MAX_ITEMS]:
        lines = remark.get("description") if isinstance(remark, dict) else None
        if isinstance(lines, list):
            text = sanitise(" ".join(line for line in lines[:20] if isinstance(line, str)), max_len=300)
            if text:
                texts.append(text)
    return texts


def _statuses(record: Mapping[str, Any]) -> list[str]:
    status = record.get("status")
    if not isinstance(status, list):
        return []
    return [text for text in (sanitise(s, 50) for s in status[:MAX_ITEMS]) if text]


def coverage_gap(first: object, last: object, query: str) -> str | None:
    """Why a registry record (RDAP or WHOIS, range `first`-`last`) does not show that it covers all of the
    queried network, or None when it does. An address is covered by the record returned for it; for a network, a
    missing or unreadable range means coverage is unknown, which is a failure, not a claim for the whole range."""
    if "/" not in query:
        return None
    network = ipaddress.ip_network(query, strict=False)
    try:
        start = ipaddress.ip_address(str(first))
        end = ipaddress.ip_address(str(last))
    except ValueError:
        return f"the answer shows no readable range, so whether it covers all of {query} is unknown"
    if start.version != network.version:
        return f"the record's range {start}-{end} is not of the queried family"
    if int(start) <= int(network.network_address) and int(network.broadcast_address) <= int(end):
        return None
    return f"the record covers {start}-{end}, only part of {query}"


def http_failure(code: int, value: str, headers: Any) -> str:
    if code == 404:
        return f"RDAP: no record for {value}"
    if code == 429:
        retry = sanitise(headers.get("Retry-After") if headers is not None else None, 20)
        return "RDAP: rate limited (429), retry later" + (f" (Retry-After: {retry})" if retry else "")
    if 300 <= code < 400:
        return f"RDAP: too many or refused redirects (HTTP {code}) for {value}"
    if code >= 500:
        return f"RDAP: registry server error (HTTP {code}) for {value}"
    return f"RDAP: registry refused the query (HTTP {code}) for {value}"


def parse_body(kind: str, value: str, body: bytes, content_type: str, max_bytes: int
               ) -> tuple[dict[str, Any] | None, str | None]:
    """(the record, None) or (None, why the body is not a usable RDAP object of the expected class)."""
    if len(body) > max_bytes:
        return None, f"RDAP: answer for {value} larger than {max_bytes} bytes, not read"
    media = content_type.split(";")[0].strip().lower()
    if media and not (media == "application/json" or media.endswith("+json")):
        shown = sanitise(media, 60)
        return None, f"RDAP: answer for {value} is not JSON (content type {shown})"
    try:
        record = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, f"RDAP: malformed JSON in the answer for {value}"
    expected = "ip network" if kind == "ip" else "domain"
    if not isinstance(record, dict) or record.get("objectClassName") != expected:
        return None, f"RDAP: the answer for {value} is not an RDAP {expected} object"
    return record, None


def describe(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record's fields worth keeping, each sanitised."""
    registrar = next((_vcard_name(e) for e in _entities(record, "registrar")), None)
    registrant_country = next((c for e in _entities(record, "registrant") if (c := _vcard_country(e))), None)
    raw: dict[str, Any] = {
        key: sanitise(record.get(key))
        for key in ("handle", "name", "ldhName", "startAddress", "endAddress", "port43", "type")
    }
    raw |= {"registrar": registrar, "registrant_country": registrant_country, "status": _statuses(record),
            "remarks": _remarks(record)}
    return {key: item for key, item in raw.items() if item not in (None, [])}
