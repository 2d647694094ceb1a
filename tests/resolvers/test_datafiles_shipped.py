"""The datasets shipped in residency_scan/data: the rules every entry must follow, checked on the raw YAML as
well as through the loaders, so that a careless edit of a data file fails here rather than in a scan."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest

from residency_scan.inventory.countries import ISO_3166_ALPHA2
from residency_scan.resolvers.catalog import load_vendor_catalog
from residency_scan.resolvers.cloud_regions import load_cloud_regions
from residency_scan.resolvers.datafiles import HostPattern, normalize_host
from residency_scan.safe_yaml import load_yaml_text

URL = re.compile(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$")


def raw(name: str) -> Any:
    text = resources.files("residency_scan.data").joinpath(name).read_text(encoding="utf-8")
    return load_yaml_text(text, name)  # refuses duplicate keys anywhere in the file


@pytest.fixture(scope="module")
def regions() -> Any:
    return raw("cloud_regions.yaml")


@pytest.fixture(scope="module")
def catalog() -> Any:
    return raw("vendor_catalog.yaml")


# ------------------------------------------------------------------------------------------ cloud regions

def test_region_table_header(regions: Any) -> None:
    header = regions["dataset"]
    assert header["id"] == "cloud-regions"
    assert str(header["date"]) == "2026-11-25"
    assert "Apache-2.0" in header["licence"]
    assert all(URL.match(url) for url in header["sources"])


@pytest.mark.parametrize(("provider", "minimum"), [("aws", 30), ("azure", 50), ("gcp", 40), ("oci", 40)])
def test_every_provider_has_its_regions(regions: Any, provider: str, minimum: int) -> None:
    assert len(regions["providers"][provider]["regions"]) >= minimum


def test_every_region_has_an_iso_country_and_an_https_source(regions: Any) -> None:
    count = 0
    for provider, data in regions["providers"].items():
        for region_id, entry in data["regions"].items():
            count += 1
            assert isinstance(entry["country"], str) and len(entry["country"]) == 2, (provider, region_id)
            assert entry["country"] in ISO_3166_ALPHA2, (provider, region_id)
            assert URL.match(entry["source"]), (provider, region_id)
    assert count >= 200


def test_no_hyperscaler_region_in_morocco(regions: Any) -> None:
    for provider in ("aws", "azure", "gcp"):
        in_morocco = [r for r, e in regions["providers"][provider]["regions"].items() if e["country"] == "MA"]
        assert in_morocco == [], provider


def test_the_only_moroccan_region_is_sourced_and_explained(regions: Any) -> None:
    moroccan = [(p, r, e) for p, d in regions["providers"].items() for r, e in d["regions"].items()
                if e["country"] == "MA"]
    assert [(p, r) for p, r, _ in moroccan] == [("oci", "af-casablanca-1")]
    entry = moroccan[0][2]
    assert entry["source"].startswith("https://github.com/oracle/")
    assert "oci-go-sdk" in entry["note"]


def test_region_table_loads_and_every_id_is_found(regions: Any) -> None:
    table = load_cloud_regions()
    for provider, data in regions["providers"].items():
        for region_id in data["regions"]:
            match = table.lookup(provider, region_id)
            assert match is not None and match.region == region_id


def test_provider_aliases_are_unique(regions: Any) -> None:
    names = [n for key, d in regions["providers"].items() for n in [key, *d.get("aliases", [])]]
    assert len(names) == len(set(names))
    assert {"aws", "amazon", "azure", "azurerm", "microsoft", "gcp", "google", "oci", "oracle"} <= set(names)


# ------------------------------------------------------------------------------------------ vendor catalog

EXPECTED_VENDORS = {
    "datadog", "new-relic", "dynatrace", "splunk-cloud", "elastic-cloud", "grafana-cloud", "sentry",
    "pagerduty",
    "teamviewer", "anydesk", "microsoft-365", "entra-id", "google-workspace", "okta", "zoom", "zoho", "slack",
    "servicenow", "zendesk", "atlassian-cloud", "github", "gitlab-com", "bitbucket-cloud", "cloudflare",
    "akamai", "zscaler", "backblaze-b2", "veeam-data-cloud", "1password", "bitwarden", "salesforce",
}


def test_catalog_covers_the_tools_moroccan_it_departments_use(catalog: Any) -> None:
    assert len(catalog["vendors"]) >= 25
    assert set(catalog["vendors"]) >= EXPECTED_VENDORS


def test_every_vendor_is_sourced_or_unverified(catalog: Any) -> None:
    for key, vendor in catalog["vendors"].items():
        sources = vendor.get("sources", [])
        assert sources or vendor["confidence"] == "unverified", key
        assert all(URL.match(url) for url in sources), key
        assert vendor["confidence"] in ("official", "secondary", "unverified"), key


def test_unverified_vendors_carry_no_location(catalog: Any) -> None:
    for key, vendor in catalog["vendors"].items():
        if vendor["confidence"] == "unverified":
            assert not vendor.get("regions") and not vendor.get("also_processed_in"), key
            assert not vendor.get("cloud_host_patterns"), key


def test_every_location_has_a_country_or_area_and_a_source(catalog: Any) -> None:
    areas = catalog["areas"]
    for key, vendor in catalog["vendors"].items():
        places = [*vendor.get("regions", []), *vendor.get("also_processed_in", []),
                  *(rep for r in vendor.get("regions", []) for rep in r.get("replicated_to", []))]
        for place in places:
            assert URL.match(place["source"]), key
            countries = ([place["country"]] if "country" in place else
                         place.get("countries") or areas[place["area"]]["countries"])
            assert countries and all(c in ISO_3166_ALPHA2 for c in countries), (key, place)


def test_no_moroccan_location_without_a_flag_and_a_source(catalog: Any) -> None:
    areas = catalog["areas"]
    for key, vendor in catalog["vendors"].items():
        moroccan = [r for r in vendor.get("regions", [])
                    if "MA" in [r.get("country"), *r.get("countries", []),
                                *areas.get(r.get("area"), {}).get("countries", [])]]
        assert bool(moroccan) == bool(vendor.get("morocco_region", False)), key
        assert all(URL.match(r["source"]) for r in moroccan), key
    assert not any(v.get("morocco_region") for v in catalog["vendors"].values())  # none found in 2026-11


def test_areas_are_what_they_say(catalog: Any) -> None:
    eu = set(catalog["areas"]["EU"]["countries"])
    eea = set(catalog["areas"]["EEA"]["countries"])
    assert len(eu) == 27 and "GB" not in eu and "MA" not in eu
    assert eea == eu | {"IS", "LI", "NO"}


def test_vendor_keys_and_aliases_are_unique(catalog: Any) -> None:
    names = [n for key, v in catalog["vendors"].items() for n in [key, *v.get("aliases", [])]]
    assert len(names) == len(set(names))


def test_every_host_pattern_compiles_and_matches_a_real_name(catalog: Any) -> None:
    for key, vendor in catalog["vendors"].items():
        hosts = [h for r in vendor.get("regions", []) for h in r.get("hosts", [])]
        patterns = [*vendor.get("domains", []), *hosts]
        for text in patterns:
            pattern = HostPattern(text)
            example = text.replace("*", "tenant").replace("{n}", "002")
            host = normalize_host(example)
            assert host is not None and pattern.match(host), (key, text)


def test_catalog_loads_through_the_model() -> None:
    catalog = load_vendor_catalog()
    assert catalog.header.id == "vendor-catalog"
    assert str(catalog.header.date) == "2026-11-25"
    assert load_vendor_catalog() is catalog  # loaded once
