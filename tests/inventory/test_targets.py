"""parse_target: what resolvers look up, and the refusals that keep them from looking up the wrong thing."""

from __future__ import annotations

import pytest

from residency_scan.inventory import TargetError, parse_target
from residency_scan.models import TargetKind


@pytest.mark.parametrize(
    ("raw", "kind", "host", "port", "scheme"),
    [
        ("portail.exemple.ma", TargetKind.HOSTNAME, "portail.exemple.ma", None, None),
        ("Portail.Exemple.MA.", TargetKind.HOSTNAME, "portail.exemple.ma", None, None),
        ("_ldap._tcp.dc.exemple.ma", TargetKind.HOSTNAME, "_ldap._tcp.dc.exemple.ma", None, None),
        ("intranet", TargetKind.HOSTNAME, "intranet", None, None),
        ("db.exemple.ma:5432", TargetKind.HOSTNAME, "db.exemple.ma", 5432, None),
        ("196.200.131.10", TargetKind.IP, "196.200.131.10", None, None),
        ("10.0.0.1:8443", TargetKind.IP, "10.0.0.1", 8443, None),
        ("2001:DB8:0:0::1", TargetKind.IP, "2001:db8::1", None, None),
        ("[2001:db8::10]:22", TargetKind.IP, "2001:db8::10", 22, None),
        ("[::1]", TargetKind.IP, "::1", None, None),
        ("196.200.128.0/20", TargetKind.CIDR, "196.200.128.0/20", None, None),
        ("2001:DB8::/32", TargetKind.CIDR, "2001:db8::/32", None, None),
        ("https://app.datadoghq.eu", TargetKind.URL, "app.datadoghq.eu", 443, "https"),
        (
            "HTTPS://Console.Exemple.MA:8443/admin?x=1#top",
            TargetKind.URL,
            "console.exemple.ma",
            8443,
            "https",
        ),
        ("http://[2001:db8::1]/", TargetKind.URL, "2001:db8::1", 80, "http"),
        ("ssh://admin@bastion.exemple.ma", TargetKind.URL, "bastion.exemple.ma", 22, "ssh"),
        ("rdp://10.1.2.3", TargetKind.URL, "10.1.2.3", 3389, "rdp"),
        ("ldaps://dc.exemple.ma", TargetKind.URL, "dc.exemple.ma", 636, "ldaps"),
        ("tcp://db.exemple.ma:1521", TargetKind.URL, "db.exemple.ma", 1521, "tcp"),
        ("  portail.exemple.ma  ", TargetKind.HOSTNAME, "portail.exemple.ma", None, None),
    ],
)
def test_valid_targets_are_canonical(
    raw: str, kind: TargetKind, host: str, port: int | None, scheme: str | None
) -> None:
    target = parse_target(raw)
    assert (target.kind, target.host, target.port, target.scheme) == (kind, host, port, scheme)
    assert target.raw == raw.strip()


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("بريد.المغرب", "xn--ngbof4h.xn--mgbc0a9azcg"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("MÜNCHEN.DE", "xn--mnchen-3ya.de"),
        ("例え。テスト", "xn--r8jz45g.xn--zckzah"),  # ideographic full stop is a dot
        ("https://bücher.exemple.ma/x", "xn--bcher-kva.exemple.ma"),
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
    ],
)
def test_internationalised_names_become_lower_case_a_labels(raw: str, host: str) -> None:
    assert parse_target(raw).host == host


@pytest.mark.parametrize(
    ("raw", "message", "hint"),
    [
        ("", "is empty", "hostname"),
        ("1.2.3.999", "not a valid IPv4 address", "0 to 255"),
        ("010.0.0.1", "not a valid IPv4 address", "leading zeros"),
        ("10.0.0", "not a valid IPv4 address", "four numbers"),
        ("2001:db8:::1", "not a valid IPv6 address", "hex digits"),
        ("fe80::1%eth0", "zone index", "without '%"),
        ("10.0.0.0/33", "invalid prefix length '33'", "from 0 to 32"),
        ("2001:db8::/129", "invalid prefix length '129'", "from 0 to 128"),
        ("10.0.0.0/x", "invalid prefix length 'x'", "from 0 to 32"),
        ("10.0.0.1/24", "host bits set", "10.0.0.0/24"),
        (
            "portail.exemple.ma/admin",
            "neither a network (CIDR) nor a URL",
            "https://portail.exemple.ma/admin",
        ),
        ("https://", "has no host", "https://host"),
        ("https:///path", "has no host", "https://host"),
        ("gopher://portail.exemple.ma", "scheme 'gopher' is not supported", "https, ssh"),
        ("file:///etc/passwd", "scheme 'file' is not supported", "ldaps"),
        ("https://admin:s3cret@portail.exemple.ma", "password", "remove the credentials"),
        ("tcp://db.exemple.ma", "needs a port", "tcp://host:port"),
        ("https://portail.exemple.ma:99999", "port 99999 is out of range", "65535"),
        ("portail.exemple.ma:ssh", "port 'ssh' is not a number", None),
        ("http://[::1", "not a valid URL", None),
        ("[10.0.0.1]:80", "only an IPv6 address", None),
        ("a" * 64 + ".exemple.ma", "64 characters long, over the DNS limit of 63", None),
        (".".join(["a" * 60] * 5), "304 characters long, over the DNS limit of 253", None),
        ("x" * 3000, "over the limit of 2048", None),
        ("portail!.exemple.ma", "invalid character '!'", "letters, digits"),
        ("*.exemple.ma", "wildcard", "each host"),
        ("exemple..ma", "empty label", None),
        ("-portail.exemple.ma", "starts or ends with '-'", None),
        ("host.123", "all-digit label '123'", None),
        ("xn--zz.exemple.ma", "not valid punycode", None),
        ("straße.de", "sharp s", "A-label"),
        ("portail exemple.ma", "contains a space at position 8", "without spaces"),
        ("portail.exemple.ma\x00", "'\\x00'", None),
        ("portail\x1b[31m.exemple.ma", "'\\x1b'", None),
        ("exem\u202eple.ma", "'\\u202e'", None),
    ],
)
def test_invalid_targets_are_refused_with_a_reason(raw: str, message: str, hint: str | None) -> None:
    with pytest.raises(TargetError) as caught:
        parse_target(raw)
    assert message in caught.value.message
    if hint is not None:
        assert caught.value.hint is not None and hint in caught.value.hint
    assert isinstance(caught.value, ValueError)
    assert caught.value.message.isprintable()


def test_network_method_of_parsed_targets() -> None:
    assert str(parse_target("10.0.0.0/8").network()) == "10.0.0.0/8"
    assert str(parse_target("https://10.1.2.3/").network()) == "10.1.2.3/32"
    assert parse_target("https://portail.exemple.ma").network() is None
