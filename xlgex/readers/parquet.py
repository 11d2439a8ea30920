"""Parquet files, read with pandas (pyarrow or fastparquet engine)."""

from __future__ import annotations

import pandas as pd

from ..errors import XlgexError
from .values import one_line

__all__ = ["read_frame"]


def read_frame(path) -> pd.DataFrame:
    """The table in a Parquet file; a one-line message when no Parquet engine is installed."""
    try:
        return pd.read_parquet(path)
    except ImportError:
        raise XlgexError(
            'xlgex: reading Parquet needs pyarrow: pip install "xlgex[parquet]" (or pip install pyarrow)'
        ) from None
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise XlgexError(f"xlgex: cannot read '{path}' as Parquet: {one_line(exc)}") from None
