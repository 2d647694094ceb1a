"""Regenerate the JSON Schemas residency-scan ships, from the models that read those files.

- residency_scan/data/scan-result.schema.json     the JSON result (the public contract)
- residency_scan/data/rule-pack.schema.json       rule pack files (rules/*.yaml and your own)
- residency_scan/data/provider-register.schema.json  provider qualification registers (--providers)
- residency_scan/data/waivers.schema.json         waiver files (--waivers)

Run it after any change to the models behind them, and commit the result: the schemas are published for editors
and consumers, and tests/test_schemas_fresh.py fails while one is stale.

    python scripts/gen_schema.py            # write the files
    python scripts/gen_schema.py --check    # exit 1 if a committed file is stale (for CI)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from residency_scan.registers.register_spec import render_provider_register_schema  # noqa: E402
from residency_scan.reports.json import SCHEMA_RESOURCE, render_schema  # noqa: E402
from residency_scan.rules.json_schema import SCHEMA_RESOURCE as RULES_SCHEMA_RESOURCE  # noqa: E402
from residency_scan.rules.json_schema import render_rule_pack_schema  # noqa: E402
from residency_scan.waivers import waiver_file_json_schema  # noqa: E402

DATA = ROOT / "residency_scan" / "data"
SCHEMA_PATH = DATA / SCHEMA_RESOURCE


def _render_waivers() -> str:
    return json.dumps(waiver_file_json_schema(), indent=2, ensure_ascii=False) + "\n"


SCHEMAS: dict[Path, Callable[[], str]] = {
    SCHEMA_PATH: render_schema,
    DATA / RULES_SCHEMA_RESOURCE: render_rule_pack_schema,
    DATA / "provider-register.schema.json": render_provider_register_schema,
    DATA / "waivers.schema.json": _render_waivers,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the committed files are fresh")
    args = parser.parse_args(argv)
    stale = []
    for path, render in SCHEMAS.items():
        fresh = render()
        if args.check:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != fresh:
                stale.append(path.relative_to(ROOT))
            continue
        path.write_text(fresh, encoding="utf-8", newline="\n")
        print(f"wrote {path.relative_to(ROOT)}")
    for path in stale:
        print(f"{path} is stale: run python scripts/gen_schema.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
