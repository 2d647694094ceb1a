"""`python -m residency_scan` runs the same CLI as the `residency-scan` script."""

from residency_scan.cli import main

main()
