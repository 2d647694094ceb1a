"""Tests of residency_scan.registers."""
