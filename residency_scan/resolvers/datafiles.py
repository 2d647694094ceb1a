"""Loading the datasets shipped in `residency_scan/data`: safe YAML in, validated pydantic models out.

A shipped dataset that cannot be read or does not validate is a broken installation, not bad user input, so
every problem here becomes a `DatasetError` (exit 3) that names the file, the line and the field. The
helpers are shared by the resolvers that read the cloud region table and the vendor catalog.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, field_validator

from residency_scan.errors import DatasetError, InputError, Problem
from residency_scan.inventory.countries import ISO_3166_ALPHA2
from residency_scan.models import DataSource
from residency_scan.safe_yaml import line_at, load_yaml_text

ModelT = TypeVar("ModelT", bound=BaseModel)

#: Shipped datasets are small; anything larger is not ours.
MAX_DATASET_BYTES = 8 * 1024 * 1024

# A country that is not an officially assigned ISO 3166-1 code is a typo in a data file, and a typo must not
# pass as a location (inventory/countries.py holds the one table).


def check_country(value: str) -> str:
    """Validator body: an upper-case, officially assigned ISO 3166-1 alpha-2 code."""
    if value not in ISO_3166_ALPHA2:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code (upper case, e.g. MA, FR)")
    return value


def check_url(value: str) -> str:
    """Validator body: every fact cites a public https page."""
    if not value.startswith("https://") or len(value) < 12 or any(ch.isspace() for ch in value):
        raise ValueError(f"'{value}' is not an https URL")
    return value


Country = Annotated[str, AfterValidator(check_country)]
Url = Annotated[str, AfterValidator(check_url)]


class DatasetHeader(BaseModel):
    """The `dataset:` block every shipped data file starts with; it becomes a `DataSource` in the result."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    version: str
    date: date
    licence: str
    sources: list[str]
    attribution: str | None = None

    @field_validator("sources")
    @classmethod
    def _sources_are_urls(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("a dataset needs at least one source URL")
        return [check_url(url) for url in value]

    def data_source(self, sha256: str) -> DataSource:
        return DataSource(id=self.id, name=self.name, version=self.version, date=self.date,
                          licence=self.licence, url=self.sources[0], attribution=self.attribution,
                          sha256=sha256)


class LoadedFile:
    """The parsed YAML of one dataset file, with what is needed to cite it."""

    def __init__(self, data: Any, display: str, sha256: str) -> None:
        self.data = data
        self.display = display
        self.sha256 = sha256


def read_dataset(name: str, path: Path | None = None) -> LoadedFile:
    """Parse a shipped dataset (`name` inside residency_scan/data) or, for tests, the file at `path`."""
    display = str(path) if path is not None else f"residency_scan/data/{name}"
    try:
        if path is not None:
            raw = path.read_bytes()
        else:
            raw = resources.files("residency_scan.data").joinpath(name).read_bytes()
    except OSError as exc:
        raise DatasetError(f"{display}: dataset not readable ({exc.strerror or exc})") from None
    if len(raw) > MAX_DATASET_BYTES:
        raise DatasetError(f"{display}: dataset is {len(raw)} bytes, over {MAX_DATASET_BYTES}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{display}: dataset is not UTF-8 (byte {exc.start})") from None
    try:
        data = load_yaml_text(text, display)
    except InputError as exc:
        raise DatasetError(f"dataset invalid: {exc}") from None
    return LoadedFile(data, display, hashlib.sha256(raw).hexdigest())


def validate(model: type[ModelT], loaded: LoadedFile) -> ModelT:
    """Validate parsed YAML against `model`, turning pydantic errors into one DatasetError with lines."""
    try:
        return model.model_validate(loaded.data)
    except ValidationError as exc:
        problems = [
            Problem(loaded.display, err["msg"], line=line_at(loaded.data, err["loc"]),
                    field=".".join(str(part) for part in err["loc"]) or None)
            for err in exc.errors()
        ]
        raise DatasetError("dataset invalid:\n" + "\n".join(str(p) for p in problems[:20])) from None


_LABEL = "[a-z0-9_-]"


def normalize_host(hostname: str) -> str | None:
    """A hostname in the form patterns are matched against, or None if it is not a plausible DNS name."""
    host = hostname.strip().lower().rstrip(".")
    if not host or len(host) > 253 or not re.fullmatch(r"[a-z0-9_.-]+", host):
        return None
    return host


class HostPattern:
    """A hostname pattern from a data file.

    `app.example.com` is one host; `*.example.com` is any name below example.com; inside a label, `{n}`
    stands for digits and `{region}` for a cloud region id (captured). Patterns come from shipped files, but
    they are matched against hostile hostnames, so they compile to anchored regexes without nested repeats.
    """

    def __init__(self, pattern: str) -> None:
        text = pattern.strip().lower()
        if not text or len(text) > 253 or " " in text:
            raise ValueError(f"host pattern '{pattern}' is empty, too long or has spaces")
        parts: list[str] = []
        for index, label in enumerate(text.split(".")):
            if label == "*" and index == 0:
                parts.append(f"{_LABEL}+(?:\\.{_LABEL}+)*")
                continue
            bare = label.replace("{n}", "").replace("{region}", "")
            if (not bare.strip("-") and label == bare) or not re.fullmatch(r"[a-z0-9_-]*", bare):
                raise ValueError(f"host pattern '{pattern}' has a malformed label '{label}'")
            piece = re.escape(label).replace(r"\{n\}", "[0-9]+")
            parts.append(piece.replace(r"\{region\}", "(?P<region>[a-z0-9-]+?)"))
        self.pattern = text
        self.exact = not any(ch in text for ch in "*{")
        self.specificity = len(re.sub(r"\*|\{n\}|\{region\}", "", text))
        self._regex = re.compile("^" + r"\.".join(parts) + "$")

    def match(self, host: str) -> re.Match[str] | None:
        return self._regex.match(host)

    def covers(self, host: str) -> bool:
        """As a *domain*, an exact pattern also covers every name below it (CNAME targets)."""
        return self.match(host) is not None or (self.exact and host.endswith("." + self.pattern))
