"""metricwatch: serverless metric collection, storage and anomaly detection.

The package is vendored into every function directory; nothing here reads the
environment at import time. Entry points build a `Settings` once
(`metricwatch.config.load_settings`) and pass objects down.
"""

__version__ = "0.1.0"
