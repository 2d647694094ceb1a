"""Which inventory assets an access event is about.

A log names where each event happened: sshd the host name, CloudTrail the account. A host name stands for the
assets whose id is that name or whose target host is that name, compared without case; every match gets the
event, since a log cannot tell two assets on one host apart. A short name (the log says `bastion`, the
inventory `bastion.exemple.ma`) stands for the assets of the one host it abbreviates; when it abbreviates two
different hosts (`app` for `app.rabat.…` and `app.casa.…`) it is ambiguous and stands for none: giving one
machine's logins to another could make the other's admin-origin rule apply, and pass, on evidence that is not
its own. An account stands for every AWS asset of that account. An event nothing stands for is reported as
unmatched, never dropped silently: an admin login to an unlisted machine may be the one that matters.
"""

from __future__ import annotations

from collections import defaultdict

from residency_scan.access.interface import OriginKind
from residency_scan.models import Inventory, TargetKind


class Attributor:
    """Indexes an inventory once, then answers per host name or account in constant time."""

    def __init__(self, inventory: Inventory) -> None:
        hosts: defaultdict[str, set[str]] = defaultdict(set)
        short: defaultdict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # name → host → ids
        accounts: defaultdict[str, set[str]] = defaultdict(set)
        for asset in inventory.assets:
            hosts[asset.id.lower()].add(asset.id)
            if asset.target is not None:
                host = asset.target.host.lower().rstrip(".")
                hosts[host].add(asset.id)
                for name in _short_names(host, asset.target.kind):
                    short[name][host].add(asset.id)
            cloud = asset.cloud
            if cloud is not None and cloud.provider.lower() == "aws" and cloud.account:
                accounts[cloud.account.strip()].add(asset.id)
        for name, by_host in short.items():
            if name not in hosts and len(by_host) == 1:  # unambiguous: one host abbreviated
                (ids,) = by_host.values()
                hosts[name] = ids
        self._hosts = {key: tuple(sorted(ids)) for key, ids in hosts.items()}
        self._accounts = {key: tuple(sorted(ids)) for key, ids in accounts.items()}

    def assets_for(self, kind: OriginKind, origin: str | None) -> tuple[str, ...]:
        """The ids of the assets an event from `origin` is about (sorted; empty when none)."""
        if origin is None:
            return ()
        if kind is OriginKind.ACCOUNT:
            return self._accounts.get(origin.strip(), ())
        return self._hosts.get(origin.lower().rstrip("."), ())


def _short_names(host: str, kind: TargetKind) -> tuple[str, ...]:
    """The shorter names a log may use for a host name: its leading labels (none for an address)."""
    if kind in (TargetKind.IP, TargetKind.CIDR) or ":" in host or host.replace(".", "").isdigit():
        return ()
    labels = host.split(".")
    return tuple(".".join(labels[:count]) for count in range(1, len(labels)))
