"""Regenerate ``xlgex/data/sample_chain.csv``, the bundled SYNTHETIC sample chain.

The file is ``xlgex.sample.sample_chain()`` written as plain CSV (header, no index, ``\\n``
line ends). It is not market data: see ``xlgex.sample.SAMPLE_LABEL``.

Usage::

    python scripts/make_sample_chain.py           # rewrite the bundled CSV
    python scripts/make_sample_chain.py --check   # exit 1 if the bundled CSV is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xlgex.sample import SAMPLE_ASOF, SAMPLE_LABEL, SAMPLE_SEED, SAMPLE_SPOT, sample_chain

OUTPUT = Path(__file__).resolve().parents[1] / "xlgex" / "data" / "sample_chain.csv"


def render() -> str:
    """The CSV text of the default sample chain."""
    return sample_chain().to_csv(index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the file is current")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the CSV")
    args = parser.parse_args(argv)

    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(f"{args.output} is stale: run python scripts/make_sample_chain.py")
            return 1
        print(f"{args.output} is current")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8", newline="\n")
    rows = text.count("\n") - 1
    print(
        f"wrote {args.output} ({rows} contracts, {len(text.encode()):,} bytes): {SAMPLE_LABEL}, "
        f"spot {SAMPLE_SPOT:g}, as of {SAMPLE_ASOF:%Y-%m-%d %H:%M} New York, seed {SAMPLE_SEED}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
