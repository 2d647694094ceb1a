"""Turn a discovered cloud resource into an `Asset` that the YAML inventory loader would accept unchanged.

The rules are the loader's (`inventory.records`), applied here so that `discover -o FILE` followed by `scan FILE`
gives the same assets as `scan --aws`:
- ids are `<provider>:<account>:<region>:<service>:<name>`; one longer than the loader's 128 characters, or
  holding a character an id may not hold, keeps a readable prefix and ends with a hash of the whole id, so it
  stays stable from run to run and unique;
- tags are kept when the loader would keep them (bounded, printable), at most `MAX_TAGS`, sorted by key;
- sensitivity: the first configured tag present decides; a value that names no sensitivity is *sensitive*
  (fail-closed) and the description says why. Without such a tag the asset is `sensitive` and its sensitivity is
  left out of the YAML, so that the inventory's `defaults` decide (`sensitivity_is_tagged`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

from residency_scan.inventory.records import (
    MAX_DESCRIPTION,
    MAX_ID,
    MAX_RESOURCE,
    MAX_SHORT,
    MAX_TAG_VALUE,
    MAX_TAGS,
    SENSITIVITY_TAGS,
)
from residency_scan.inventory.suggest import one_of, printable, shown
from residency_scan.inventory.targets import TargetError, parse_target, refuse_unsafe_characters
from residency_scan.inventory.terraform_sensitivity import parse_sensitivity
from residency_scan.models import Asset, AssetKind, CloudRef, Sensitivity, SourceRef, Target

HASH_LENGTH = 12
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
_NOT_VISIBLE_ASCII = re.compile(r"[^\x21-\x7e]")


def asset_id(*parts: str) -> str:
    """A stable id within the loader's limits: the parts joined by ':', hashed at the end when it must be cut."""
    full = ":".join(parts)
    if len(full) <= MAX_ID and _VISIBLE_ASCII.fullmatch(full) and _acceptable(full):
        return full
    safe = _NOT_VISIBLE_ASCII.sub("_", full)
    digest = hashlib.sha256(full.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]
    return f"{safe[:MAX_ID - HASH_LENGTH - 1]}~{digest}"


def _acceptable(text: str) -> bool:
    try:
        refuse_unsafe_characters(text)
    except TargetError:
        return False
    return True


def clean_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The tags an inventory can carry, sorted by key: what the loader would refuse is left out."""
    kept: dict[str, str] = {}
    for key in sorted(tags):
        value = str(tags[key]).strip()
        name = str(key).strip()
        if len(kept) == MAX_TAGS:
            break
        if (name and name not in kept and len(name) <= MAX_SHORT and name.isprintable()
                and len(value) <= MAX_TAG_VALUE and value.isprintable()):
            kept[name] = value
    return kept


def classify(tags: Mapping[str, str], sensitivity_tags: Sequence[str]) -> tuple[Sensitivity, str]:
    """The sensitivity a resource's tags give, and how it was decided (for the asset's description)."""
    for key in sensitivity_tags:
        if key in tags:
            chosen = parse_sensitivity(tags[key])
            if chosen is not None:
                return chosen, f"sensitivity {chosen.value} from tag {printable(key, 60)}"
            return Sensitivity.SENSITIVE, (f"tag {printable(key, 60)}={shown(tags[key])} names no sensitivity "
                                           f"({one_of(member.value for member in Sensitivity)}): treated as "
                                           "sensitive")
    return Sensitivity.SENSITIVE, "no sensitivity tag: the inventory default applies"


def sensitivity_is_tagged(asset: Asset, sensitivity_tags: Sequence[str]) -> bool:
    """Whether an inventory must state the asset's sensitivity, rather than leave it to `defaults`.

    True when a configured tag decided it, and also when the asset carries one of the loader's own sensitivity
    tags: left unstated, the loader would read that tag and could decide differently.
    """
    return any(key in asset.tags for key in (*sensitivity_tags, *SENSITIVITY_TAGS))


def build_asset(*, provider: str, account: str, region: str | None, service: str, name: str, kind: AssetKind,
                resource: str | None, tags: Mapping[str, str], description: str, target: str | None,
                unread: str | None, sensitivity_tags: Sequence[str], source: SourceRef) -> Asset:
    kept = clean_tags(tags)
    sensitivity, decided = classify(kept, sensitivity_tags)
    notes = [description.strip() or f"{service} {name}"]
    if unread:
        notes.append(f"not read: {unread}")
    notes.append(decided)
    text = printable("; ".join(notes), MAX_DESCRIPTION - 1)
    return Asset(
        id=asset_id(provider, account, region or "unknown", service, name),
        kind=kind, sensitivity=sensitivity, target=_target(target),
        cloud=CloudRef(provider=provider, region=region, account=account, service=service,
                       resource=None if resource is None else printable(resource, MAX_RESOURCE - 1)),
        description=text, tags=kept, source=source)


def _target(value: str | None) -> Target | None:
    if not value:
        return None
    try:
        return parse_target(value)
    except TargetError:
        return None
