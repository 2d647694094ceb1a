"""The collector pause used while loading and scanning large inventories."""

from __future__ import annotations

import gc

import pytest

from residency_scan.bulk import paused_gc


def test_collector_is_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled(), "an inner block must not re-enable what the outer one paused"
    assert gc.isenabled()


def test_collector_is_restored_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_disabled_by_the_caller_stays_disabled() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
