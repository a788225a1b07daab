"""`python -m metricwatch.local.receiver [PORT]` (`make receiver`): print every alert POSTed to it.

A stand-in for a webhook receiver while trying alerting locally: point
`ALERT_WEBHOOK_URL` at `http://127.0.0.1:PORT/hook` and each notification is
printed as it arrives, as the JSON it was sent.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Printer(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            shown = json.dumps(json.loads(data), indent=2, ensure_ascii=False)
        except ValueError:
            shown = data.decode("utf-8", "replace")
        print(f"--- POST {self.path}\n{shown}", flush=True)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main(argv: list[str]) -> int:
    port = int(argv[0]) if argv else 9000
    server = ThreadingHTTPServer(("127.0.0.1", port), Printer)
    print(f"printing what is POSTed to http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
