"""Build residency_scan/data/iata_countries.csv (IATA code -> ISO country) from the `airportsdata` package.

CDN edges name themselves with IATA airport codes (cf-ray `-CDG`, x-amz-cf-pop `CDG50-C1`, Fastly
`cache-cdg…-CDG`); the TLS edge resolver maps that code to a country with this table. airportsdata is only a
build-time input: the CSV ships, so nothing is downloaded or imported at scan time.

Usage: pip install airportsdata && python3 scripts/build_iata_table.py [--out PATH]
The output is deterministic (sorted, no timestamps other than the package's own version date).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from importlib import metadata
from importlib.resources import files
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from residency_scan.inventory.countries import ISO_3166_ALPHA2

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "residency_scan" / "data" / "iata_countries.csv"
_CODE = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def build() -> tuple[str, dict[str, int]]:
    """The CSV text and counts; airport codes win over metropolitan-area (city) codes on a clash."""
    package = files("airportsdata")
    version = metadata.version("airportsdata")
    table: dict[str, str] = {}
    clashes = 0
    not_iso: set[str] = set()
    for row in _rows(package.joinpath("airports.csv").read_text(encoding="utf-8")):
        code, country = row["iata"].strip().upper(), row["country"].strip().upper()
        if not _CODE.match(code) or not _COUNTRY.match(country):
            continue
        if country not in ISO_3166_ALPHA2:  # e.g. XK (Kosovo, user-assigned): left out, so the edge is unknown
            not_iso.add(f"{code}:{country}")
            continue
        if table.get(code, country) != country:
            clashes += 1
            sys.stderr.write(f"airport code {code} in two countries ({table[code]}, {country}); keeping first\n")
            continue
        table.setdefault(code, country)
    airports = len(table)
    cities = 0
    for row in _rows(package.joinpath("iata_macs.csv").read_text(encoding="utf-8")):
        code, country = row["City Code"].strip().upper(), row["Country"].strip().upper()
        if _CODE.match(code) and country in ISO_3166_ALPHA2 and code not in table:
            table[code] = country
            cities += 1
    date = f"{version[0:4]}-{version[4:6]}-{version[6:8]}" if re.fullmatch(r"\d{8}", version) else "unknown"
    out = io.StringIO()
    out.write(f"# dataset: iata-airports\n# name: IATA airport and city codes to country (airportsdata)\n"
              f"# version: {version}\n# date: {date}\n# licence: MIT\n"
              "# url: https://github.com/mborsetti/airportsdata\n"
              "# attribution: airportsdata (c) 2020- Mike Borsetti, includes data from "
              "https://github.com/mwgg/Airports (c) 2014 mwgg; MIT licence\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["iata", "country"])
    for code in sorted(table):
        writer.writerow([code, table[code]])
    if not_iso:
        sys.stderr.write(f"left out (country not ISO 3166-1): {', '.join(sorted(not_iso))}\n")
    return out.getvalue(), {"airports": airports, "cities": cities, "clashes": clashes, "not_iso": len(not_iso)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    text, counts = build()
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: {counts['airports']} airport codes, {counts['cities']} city codes, "
          f"{counts['clashes']} clashes skipped, "
          f"{counts['not_iso']} codes with a non-ISO country left out")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
