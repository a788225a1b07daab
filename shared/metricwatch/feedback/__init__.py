"""Feedback: ranges of a series a person marked `not_anomaly`, `anomaly` or `ignore`, kept and served.

Training reads them through `detection.feedback` (this package is above detection and store).
"""
