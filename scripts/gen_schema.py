"""Regenerate residency_scan/data/scan-result.schema.json from the models.

Run it after any change to `residency_scan/models.py` that shows in the JSON report, and commit the result:
the schema is the published contract, and tests/reports/test_json_schema.py fails while it is stale.

    python scripts/gen_schema.py            # write the file
    python scripts/gen_schema.py --check    # exit 1 if the committed file is stale (for CI)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from residency_scan.reports.json import SCHEMA_RESOURCE, render_schema  # noqa: E402

SCHEMA_PATH = ROOT / "residency_scan" / "data" / SCHEMA_RESOURCE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the committed file is fresh")
    args = parser.parse_args(argv)
    fresh = render_schema()
    if args.check:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != fresh:
            stale = SCHEMA_PATH.relative_to(ROOT)
            print(f"{stale} is stale: run python scripts/gen_schema.py", file=sys.stderr)
            return 1
        return 0
    SCHEMA_PATH.write_text(fresh, encoding="utf-8", newline="\n")
    print(f"wrote {SCHEMA_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
