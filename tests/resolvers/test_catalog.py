"""VendorCatalogResolver: every branch of how a vendor asset is located (or not), against the shipped catalog
for real vendors and against a small catalog written here for the branches no shipped vendor exercises."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from residency_scan.errors import DatasetError
from residency_scan.models import (
    Asset,
    AssetKind,
    Evidence,
    Sensitivity,
    SourceRef,
    Strength,
    Target,
    TargetKind,
)
from residency_scan.resolvers.catalog import VendorCatalogResolver, load_vendor_catalog, match_domain
from residency_scan.resolvers.cloud_regions import load_cloud_regions

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def vendor_asset(vendor: str, target: str | None = None, kind: TargetKind = TargetKind.HOSTNAME) -> Asset:
    parsed = None
    if target is not None:
        host = target.split("//")[-1].split("/")[0] if kind is TargetKind.URL else target
        parsed = Target(raw=target, kind=kind, host=host, scheme="https" if kind is TargetKind.URL else None)
    return Asset(id="tool", kind=AssetKind.MANAGEMENT_TOOL, sensitivity=Sensitivity.SENSITIVE, vendor=vendor,
                 target=parsed, source=SourceRef(path="inv.yaml", line=7))


@pytest.fixture(scope="module")
def resolver() -> VendorCatalogResolver:
    return VendorCatalogResolver(clock=lambda: NOW)


def only(evidence: list[Evidence]) -> Evidence:
    assert len(evidence) == 1, evidence
    return evidence[0]


def assert_common(evidence: Evidence, subject: str) -> None:
    assert evidence.source == "vendor-catalog" and evidence.dataset == "vendor-catalog"
    assert evidence.strength is Strength.AUTHORITATIVE
    assert evidence.subject == subject
    assert evidence.observed_at == NOW
    assert evidence.raw["sources"], "raw always cites the pages used"
    assert all(url.startswith("https://") for url in evidence.raw["sources"])


# ------------------------------------------------------------------------------- region from the target

@pytest.mark.parametrize(("vendor", "target", "kind", "country", "region"), [
    ("datadog", "app.datadoghq.eu", TargetKind.HOSTNAME, "DE", "EU1"),
    ("datadog", "https://app.datadoghq.eu/dashboard/lists", TargetKind.URL, "DE", "EU1"),
    ("datadog", "us5.datadoghq.com", TargetKind.HOSTNAME, "US", "US5"),
    ("datadog", "API.AP1.DATADOGHQ.COM.", TargetKind.HOSTNAME, "JP", "AP1"),
    ("new-relic", "log-api.eu.newrelic.com", TargetKind.HOSTNAME, None, "EU"),
    ("new-relic", "api.newrelic.com", TargetKind.HOSTNAME, "US", "US"),
    ("sentry", "o123.ingest.de.sentry.io", TargetKind.HOSTNAME, "DE", "DE"),
    ("zoho", "accounts.zoho.eu", TargetKind.HOSTNAME, None, "EU"),
    ("zoom", "api-sa.zoom.us", TargetKind.HOSTNAME, "SA", "SA01"),
    ("gitlab-com", "gitlab.com", TargetKind.HOSTNAME, "US", "US"),
])
def test_target_host_names_the_region(resolver: VendorCatalogResolver, vendor: str, target: str,
                                      kind: TargetKind, country: str | None, region: str) -> None:
    main = resolver.resolve(vendor_asset(vendor, target, kind))[0]
    assert_common(main, f"vendor:{vendor}")
    assert main.failure is None and main.claim is not None
    assert main.claim.region == region
    assert main.claim.country == country
    if country is None:  # an area: the EU, not a country
        assert "FR" in main.claim.candidates and "DE" in main.claim.candidates
        assert "MA" not in main.claim.candidates
    assert main.raw["how"] == "the target host names the region"
    assert main.raw["regions"][0]["source"] in main.raw["sources"]


def test_more_specific_host_pattern_wins(resolver: VendorCatalogResolver) -> None:
    # *.eu.newrelic.com (EU) and *.newrelic.com (US) both match; the longer literal suffix decides.
    main = resolver.resolve(vendor_asset("new-relic", "one.eu.newrelic.com"))[0]
    assert main.claim is not None and main.claim.region == "EU"


def test_host_shared_by_two_regions_gives_candidates(resolver: VendorCatalogResolver) -> None:
    evidence = resolver.resolve(vendor_asset("okta", "exemple.okta-emea.com"))
    main = only(evidence)  # no replica evidence: which of the two cells is not known
    assert main.claim is not None
    assert main.claim.country is None and main.claim.candidates == ("DE", "IE")
    assert main.claim.region is None


def test_single_identified_region_adds_its_replica(resolver: VendorCatalogResolver, tmp_path: Path) -> None:
    catalog = load_vendor_catalog(write(tmp_path, CATALOG))
    custom = VendorCatalogResolver(clock=lambda: NOW, catalog=catalog, regions=load_cloud_regions())
    main, replica = custom.resolve(vendor_asset("acme", "eu.acme.example"))
    assert main.claim is not None and main.claim.country == "DE"
    assert replica.subject == "vendor:acme#replica:EU"
    assert replica.claim is not None and replica.claim.country == "FR"
    assert replica.raw["what"] == "backup copy"


# ------------------------------------------------------------------------------- region not identified

def test_unidentified_tenant_is_in_one_of_the_regions(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("datadog")))
    assert main.claim is not None
    assert main.claim.country is None
    assert main.claim.candidates == ("AU", "DE", "JP", "US")
    assert main.raw["how"] == "the target does not name the region"


def test_unidentified_tenant_candidates_include_replicas(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("slack", "exemple.slack.com")))
    assert main.claim is not None and main.claim.country is None
    assert set(main.claim.candidates) == {"US", "DE", "FR", "JP", "IN", "SG", "KR", "AU", "GB", "CA"}


def test_single_country_vendor_claims_the_country(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("gitlab")))  # alias of gitlab-com, no target
    assert main.subject == "vendor:gitlab-com"
    assert main.claim is not None and main.claim.country == "US" and main.claim.candidates == ()


def test_incomplete_region_list_is_unknown(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("google-workspace", "mail.google.com")))
    assert main.claim is None
    assert main.failure is not None
    assert "does not identify the Google Workspace region" in main.failure
    assert "not exhaustive" in main.failure and "US (US)" in main.failure


def test_edge_network_location_is_the_serving_edge(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("cloudflare", "exemple.ma")))
    assert main.claim is None
    assert main.failure is not None and "global edge network" in main.failure


def test_unverified_vendor_is_unknown(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("teamviewer")))
    assert_common(main, "vendor:teamviewer")
    assert main.claim is None
    assert main.failure is not None
    assert main.failure.startswith("no sourced processing location for TeamViewer")
    assert main.raw["confidence"] == "unverified"


# ------------------------------------------------------------------------------- processing elsewhere

def test_also_processed_in_is_separate_evidence(resolver: VendorCatalogResolver) -> None:
    main, elsewhere = resolver.resolve(vendor_asset("new-relic", "one.eu.newrelic.com"))
    assert main.claim is not None and main.claim.region == "EU"
    assert elsewhere.subject == "vendor:new-relic#processing:incident-intelligence-operates-solely-in"
    assert elsewhere.claim is not None and elsewhere.claim.country == "US"
    assert "incident intelligence" in elsewhere.raw["what"]
    assert elsewhere.raw["sources"] == ["https://docs.newrelic.com/docs/introduction-eu-region-data-center"]


def test_also_processed_in_is_given_even_when_the_region_is_unknown(resolver: VendorCatalogResolver) -> None:
    main, mfa = resolver.resolve(vendor_asset("entra-id", "login.microsoftonline.com"))
    assert main.failure is not None
    assert mfa.claim is not None and mfa.claim.country == "US"


# ------------------------------------------------------------------------------- unknown vendor

def test_unknown_vendor_suggests_the_closest(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("datadgo")))
    assert main.claim is None
    assert main.failure == "vendor 'datadgo' is not in the shipped vendor catalog (did you mean 'datadog'?)"
    assert main.subject == "vendor:datadgo"


def test_unknown_vendor_without_suggestion(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("qqqqqqqqqqqq")))
    assert main.failure is not None and "did you mean" not in main.failure


def test_alias_resolves_to_the_vendor(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("Jira")))
    assert main.subject == "vendor:atlassian-cloud"


def test_hostile_vendor_name_is_bounded(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("\n<b>" + "z" * 20_000)))
    assert main.failure is not None and len(main.failure) < 300 and "\n" not in main.failure


# ------------------------------------------------------------------------------- self-hosted

def test_self_hosted_with_target_is_informational(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("gitlab-self-managed", "git.exemple.ma")))
    assert main.claim is None and main.failure is None
    assert "git.exemple.ma" in main.raw["note"]
    assert main.raw["sources"] == ["https://gitlab.com/groups/gitlab-org/-/epics/6037"]


def test_self_hosted_without_target_is_a_failure(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("dynatrace-managed")))
    assert main.claim is None and main.failure is not None and "give the asset a target" in main.failure


@pytest.mark.parametrize(("target", "kind"), [("sentry.exemple.ma", TargetKind.HOSTNAME),
                                              ("10.20.0.5", TargetKind.IP)])
def test_self_hostable_tool_on_own_server_is_located_by_target(resolver: VendorCatalogResolver, target: str,
                                                               kind: TargetKind) -> None:
    main = only(resolver.resolve(vendor_asset("sentry", target, kind)))
    assert main.claim is None and main.failure is None
    assert target in main.raw["note"]


def test_self_hostable_tool_on_vendor_domain_is_saas(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("sentry", "de.sentry.io")))
    assert main.claim is not None and main.claim.country == "DE"


# ------------------------------------------------------------------------------- cloud region in the host

def test_cloud_region_in_the_host_is_located_through_the_table(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("elastic-cloud", "d1.europe-west1.gcp.cloud.es.io")))
    assert main.claim is not None
    assert (main.claim.country, main.claim.region) == ("BE", "gcp:europe-west1")
    assert main.raw["cloud_entry"]["dataset"] == "cloud-regions"
    assert "https://elastic.co/guide/en/cloud/current/ec-reference-regions.html" in main.raw["sources"]


def test_cloud_region_in_the_host_that_the_table_lacks_is_unknown(resolver: VendorCatalogResolver) -> None:
    main = only(resolver.resolve(vendor_asset("elastic-cloud", "d1.mars-north9.aws.found.io")))
    assert main.claim is None
    assert main.failure is not None and "'mars-north9', which is not in the shipped" in main.failure


def test_default_host_serves_the_default_region(tmp_path: Path) -> None:
    catalog = load_vendor_catalog(write(tmp_path, CATALOG))
    custom = VendorCatalogResolver(clock=lambda: NOW, catalog=catalog, regions=load_cloud_regions())
    main = custom.resolve(vendor_asset("acme", "app.acme.example"))[0]
    assert main.claim is not None and main.claim.region == "US" and main.claim.country == "US"
    other = custom.resolve(vendor_asset("acme", "status.acme.example"))[0]
    assert other.claim is not None and other.claim.country is None
    assert other.claim.candidates == ("DE", "FR", "US")  # FR: the EU region's backup is a possible place


# ------------------------------------------------------------------------------- match_domain, sources

@pytest.mark.parametrize(("hostname", "expected"), [
    ("app.datadoghq.eu", ("datadog", "EU1")),
    ("exemple.okta-emea.com.", ("okta", None)),
    ("x.edgekey.net", ("akamai", None)),
    ("d1.europe-west1.gcp.cloud.es.io", ("elastic-cloud", "gcp:europe-west1")),
    ("exemple.ma", None),
    ("", None),
    ("bad host name", None),
])
def test_match_domain(hostname: str, expected: tuple[str, str | None] | None) -> None:
    assert match_domain(hostname) == expected


def test_data_sources_name_both_datasets(resolver: VendorCatalogResolver) -> None:
    sources = {s.id: s for s in resolver.data_sources()}
    assert set(sources) == {"vendor-catalog", "cloud-regions"}
    assert sources["vendor-catalog"].date.isoformat() == "2026-11-25"
    assert sources["vendor-catalog"].sha256 is not None


def test_applies_only_to_vendor_assets(resolver: VendorCatalogResolver) -> None:
    plain = Asset(id="x", kind=AssetKind.SERVER, sensitivity=Sensitivity.SENSITIVE,
                  source=SourceRef(path="i"))
    assert resolver.applies_to(vendor_asset("datadog")) and not resolver.applies_to(plain)


# ------------------------------------------------------------------------------- broken catalogs

CATALOG = """\
dataset: {id: vendor-catalog, name: t, version: "1", date: 2026-11-25, licence: x,
          sources: ["https://example.org/c"]}
vendors:
  acme:
    name: Acme
    category: monitoring
    deployment: saas
    domains: [acme.example]
    regions:
      - {id: US, country: US, source: "https://example.org/us"}
      - {id: EU, country: DE, hosts: [eu.acme.example], source: "https://example.org/eu",
         replicated_to: [{country: FR, what: backup copy, source: "https://example.org/eu"}]}
    default_region: US
    default_hosts: [app.acme.example]
    sources: ["https://example.org/acme"]
    confidence: official
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(CATALOG.replace("confidence: official", "confidence: unverified"),
                 "unverified vendor cannot", id="unverified-with-locations"),
    pytest.param(CATALOG.replace('    sources: ["https://example.org/acme"]\n', ""), "needs sources",
                 id="no-sources"),
    pytest.param(CATALOG.replace("country: DE,", "country: MA,"), "morocco_region", id="unflagged-morocco"),
    pytest.param(CATALOG.replace("country: US,", "area: XX,"), "unknown area 'XX'", id="unknown-area"),
    pytest.param(CATALOG.replace("country: US,", "country: US, area: EU,"), "exactly one of", id="two-forms"),
    pytest.param(CATALOG.replace("default_region: US", "default_region: APAC"), "default_region 'APAC'",
                 id="unknown-default"),
    pytest.param(CATALOG.replace("hosts: [eu.acme.example]", "hosts: [\"eu.*.example\"]"), "malformed label",
                 id="bad-pattern"),
    pytest.param(CATALOG.replace("  acme:\n", "  Acme:\n"), "lower-kebab-case", id="bad-key"),
    pytest.param(CATALOG.replace("category: monitoring", "category: toys"), "category", id="bad-category"),
    pytest.param(CATALOG.replace("confidence: official\n", "confidence: official\n    colour: blue\n"),
                 "colour", id="unknown-field"),
])
def test_an_invalid_catalog_raises_dataset_error(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(DatasetError) as caught:
        load_vendor_catalog(write(tmp_path, text))
    assert expected in str(caught.value)


def test_unknown_cloud_provider_in_a_host_pattern_is_refused(tmp_path: Path) -> None:
    text = CATALOG.replace("    default_region: US\n", "    default_region: US\n    cloud_host_patterns:\n"
                           "      - {pattern: '*.{region}.acme.example', provider: hetzner, "
                           "source: 'https://example.org/p'}\n")
    catalog = load_vendor_catalog(write(tmp_path, text))
    with pytest.raises(DatasetError, match="unknown cloud provider 'hetzner'"):
        VendorCatalogResolver(clock=lambda: NOW, catalog=catalog, regions=load_cloud_regions())
