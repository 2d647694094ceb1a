"""The HTML report in a real browser: headless Chromium renders a real scan's report, shows the expected text,
draws it (the screenshot is kept as an artefact) and requests nothing from any network.

Needs Chromium: the Debian package `chromium`, or `chromium-headless-shell` (used first when installed: it has
no browser-level background traffic, so its network log must be empty of any remote URL);
RESIDENCY_SCAN_CHROMIUM names another binary. Without any, these tests FAIL when the environment variable CI is
set, because CI must run them, and are skipped otherwise.

The screenshot goes to the directory named by RESIDENCY_SCAN_ARTEFACTS when it is set, else to the test's
tmp_path. Every Chromium run is bounded (60 s). Whatever the browser itself tries to fetch (update checks,
sign-in), nothing leaves the machine: host names resolve to nothing and every http(s) request goes to a closed
loopback port.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from residency_scan.models import ScanResult
from residency_scan.reports.html import HtmlReporter
from tests.reports.test_html import Page, real_scan_result

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")
HEADLESS_SHELL = "chromium-headless-shell"
RUN_TIMEOUT = 60
LOCAL_SCHEMES = frozenset({"file", "data", "about", "chrome"})
SCREENSHOT_SIZE = (1280, 2000)
ARTEFACTS_VARIABLE = "RESIDENCY_SCAN_ARTEFACTS"
BROWSER_VARIABLE = "RESIDENCY_SCAN_CHROMIUM"

FLAGS = (
    "--headless",
    "--no-sandbox",  # the tests may run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # NOTE: full Chromium still pings update and sign-in servers at start-up; these keep every packet local.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
)


@dataclass(frozen=True)
class Browser:
    path: str

    @property
    def is_headless_shell(self) -> bool:
        return Path(self.path).name == HEADLESS_SHELL

    def run(self, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """One bounded Chromium run with its own profile and home, so nothing outside `home` is touched."""
        home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home), "XDG_CACHE_HOME": str(home)}
        command = [self.path, *FLAGS, f"--user-data-dir={home / 'profile'}", *args]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env,
                                   check=False)
        assert completed.returncode == 0, f"{' '.join(command)} exited {completed.returncode}:\n" + (
            completed.stderr[-2000:])
        return completed


@dataclass(frozen=True)
class Run:
    dom: Page
    net_log: dict[str, Any]


@pytest.fixture(scope="module")
def browser() -> Browser:
    chosen = os.environ.get(BROWSER_VARIABLE)
    if chosen:
        found = shutil.which(chosen)
        assert found, f"{BROWSER_VARIABLE}={chosen!r} is not an executable"
        return Browser(found)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return Browser(found)
    message = (
        "headless Chromium is needed for the HTML report's browser tests: install the Debian package "
        "'chromium' (or 'chromium-headless-shell'), e.g. `apt-get install -y chromium`"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return real_scan_result()


@pytest.fixture(scope="module")
def reports(result: ScanResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("html-reports")
    paths = {}
    for lang in ("en", "fr"):
        paths[lang] = folder / f"report-{lang}.html"
        paths[lang].write_text(HtmlReporter(lang=lang).render(result), encoding="utf-8")
    return paths


def load(browser: Browser, page: Path, home: Path) -> Run:
    net_log = home / "net-log.json"
    completed = browser.run(home, f"--log-net-log={net_log}", "--dump-dom", page.as_uri())
    return Run(dom=Page(completed.stdout), net_log=read_net_log(net_log))


@pytest.fixture(scope="module")
def english(browser: Browser, reports: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Run:
    return load(browser, reports["en"], tmp_path_factory.mktemp("chromium-en"))


def read_net_log(path: Path) -> dict[str, Any]:
    """Chromium's net log; one cut short (the browser killed mid-write) lacks its closing brackets."""
    text = path.read_text(encoding="utf-8")
    try:
        document: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError:
        document = json.loads(text.rstrip().rstrip(",") + "]}")
    return document


def requests(net_log: dict[str, Any]) -> Iterator[tuple[str, str | None]]:
    """(url, initiator) of every URL request the network stack started."""
    names = {code: name for name, code in net_log["constants"]["logEventTypes"].items()}
    for event in net_log["events"]:
        params = event.get("params") or {}
        if names.get(event["type"]) == "URL_REQUEST_START_JOB" and "url" in params:
            yield params["url"], params.get("initiator")


def page_requests(net_log: dict[str, Any]) -> set[str]:
    """URLs requested on behalf of a page; the browser's own requests have no origin as initiator."""
    return {url for url, initiator in requests(net_log) if initiator != "not an origin"}


def remote(urls: set[str]) -> set[str]:
    return {url for url in urls if urlsplit(url).scheme not in LOCAL_SCHEMES}


# ------------------------------------------------------------------------------------------------------ tests


def test_the_browser_shows_the_title_the_counts_and_the_findings(english: Run, result: ScanResult) -> None:
    dom = english.dom
    assert dom.text_of("title") == "Data residency evidence report"
    assert dom.text_of("count-assets") == str(result.summary.assets)
    assert dom.text_of("count-violation") == str(result.summary.violation)
    assert dom.text_of("count-indeterminate") == str(result.summary.indeterminate)
    assert dom.text_of("headline").endswith("Not compliant")
    rule_ids = dom.texts_of_class("rule-id")
    assert "MA-DECREE-ADM-1" in rule_ids and "MA-DECREE-LOC-1" in rule_ids
    assert len(rule_ids) == sum(len(a.findings) for a in result.assets)
    assert ("html", "en") in [(tag, attrs.get("lang")) for tag, attrs in dom.tags]


def test_the_browser_shows_french_labels(
    browser: Browser, reports: dict[str, Path], tmp_path: Path, result: ScanResult
) -> None:
    dom = load(browser, reports["fr"], tmp_path).dom
    assert ("html", "fr") in [(tag, attrs.get("lang")) for tag, attrs in dom.tags]
    assert dom.text_of("title") == "Rapport de preuves de localisation des données"
    assert dom.text_of("headline").endswith("Non conforme")
    assert "Synthèse" in dom.text_of("summary")
    assert "Matrice de conformité" in dom.text_of("matrix")
    assert dom.text_of("count-violation") == str(result.summary.violation)


def test_the_report_requests_nothing_from_any_network(english: Run, browser: Browser) -> None:
    assert not remote(page_requests(english.net_log))
    if browser.is_headless_shell:
        assert not remote({url for url, _ in requests(english.net_log)})


def test_the_network_check_sees_what_a_page_requests(browser: Browser, tmp_path: Path) -> None:
    """The control for the test above: a page without a CSP that loads three remote things is caught."""
    probe = tmp_path / "probe.html"
    probe.write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="http://127.0.0.1:9/probe.css"></head>'
        '<body><img src="http://probe.invalid/x.png"><p style="background:url(https://example.org/bg.png)">x</p>'
        "</body></html>",
        encoding="utf-8",
    )
    seen = remote(page_requests(load(browser, probe, tmp_path / "run").net_log))
    assert seen >= {"http://127.0.0.1:9/probe.css", "http://probe.invalid/x.png", "https://example.org/bg.png"}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_report_draws_a_page(browser: Browser, reports: dict[str, Path], tmp_path: Path, lang: str) -> None:
    folder = Path(os.environ.get(ARTEFACTS_VARIABLE) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    screenshot = folder / f"html-report-{lang}.png"
    screenshot.unlink(missing_ok=True)
    net_log = tmp_path / "net-log.json"
    width, height = SCREENSHOT_SIZE
    browser.run(tmp_path / "home", f"--screenshot={screenshot}", f"--window-size={width},{height}",
                f"--log-net-log={net_log}", reports[lang].as_uri())
    assert png_size(screenshot) == SCREENSHOT_SIZE
    assert distinct_bytes(screenshot) > 64, "the screenshot looks blank"
    assert not remote(page_requests(read_net_log(net_log)))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def distinct_bytes(path: Path) -> int:
    """How many byte values the decoded image data holds: a blank page decodes to a handful."""
    data = path.read_bytes()
    position, idat = 8, b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        if kind == b"IDAT":
            idat += data[position + 8:position + 8 + length]
        position += 12 + length
    return len(set(zlib.decompress(idat)))
