"""The dashboard: an HTML shell, its static files and the JSON it draws, served by one function.

Everything the browser loads comes from the function itself (`assets/`: uPlot,
pinned and vendored with its licence, and our own script and styles), so a
deployment without internet egress, or a test machine, shows the same page.
The shell and the assets hold no data and need no token; the JSON
(`data.py`, behind `api/dashboard.py`) is guarded like /query.
"""
