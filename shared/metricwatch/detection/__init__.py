"""Anomaly detection: models (one module each), the watch list, and the Detector facade."""
