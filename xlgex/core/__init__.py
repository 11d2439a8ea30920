"""The pure numerical core: numpy and scipy only, no pandas, no xlwings, no I/O."""
