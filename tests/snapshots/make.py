"""Regenerate the VBA wrapper snapshot: python -m tests.snapshots.make"""

from pathlib import Path

from tests.xlharness import UDFHarness

if __name__ == "__main__":
    with UDFHarness("xlgex.udfs") as harness:
        target = Path(__file__).with_name("udfs_vba.bas")
        target.write_text(harness.vba_wrapper(), encoding="utf-8")
        print(f"wrote {target}")
