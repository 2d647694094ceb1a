"""Pausing the cyclic garbage collector while large, acyclic structures are built.

Loading an inventory and scanning it allocate millions of long-lived objects (values, Assets, Evidence) with
no reference cycles. Each allocation pushes CPython towards another full collection that walks everything
allocated so far: on 100,000 assets that was two thirds of the load time and of the scan time. Nothing built
in these phases needs the cycle collector, so it is paused for their duration and restored afterwards.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector for the block (re-entrant: only the outermost block re-enables it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
