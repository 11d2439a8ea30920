"""Cyclic garbage collection paused while a chain is read.

Reading a 30,000-row text file makes some 30,000 row lists and 300,000 strings; every few
hundred new container objects Python's cyclic collector runs and walks every object alive,
which costs about a third of the read. None of these objects forms a cycle (reference counts
free them all), so the collector is paused for the read and put back as it was.
"""

from __future__ import annotations

import contextlib
import gc

__all__ = ["gc_paused"]


@contextlib.contextmanager
def gc_paused():
    """Pause automatic cyclic garbage collection inside the block (nesting is fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
