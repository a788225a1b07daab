"""HTTP handlers: what each function's `main.py` calls with its request."""
