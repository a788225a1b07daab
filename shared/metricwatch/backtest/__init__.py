"""Backtesting: replay a series through a model exactly as the live system would.

Light at import time on purpose (this package is vendored into cloud
functions): numpy only; matplotlib is imported inside `plot` when a PNG is asked for.
"""
