"""Pausing Python's cyclic garbage collector while a bill's thousands of lines are read, loaded or audited.

Those loops build tens of thousands of small objects that form no reference cycle. Each such burst makes the
collector walk every object the process holds (the whole app; in `make bench` also the 100,000-row fixtures), again
and again: in the audit of a 10,000-line bill that was some 250 ms of CPU out of 450. Reference counting still frees
every object as before, and the collector runs again as soon as the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The block runs without the cyclic collector; it is switched on again after it, unless it was off before."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
