"""The HTML shell: the same few static lines for every view, with no data in them.

The script (`assets/app.js`) reads the view from the page's own query string
and fetches its data from the JSON API, so the shell can be served without a
token and nothing a caller sends is ever written into the HTML. The one value
echoed is the mount point (`<base href>`), escaped like any other.

Relative URLs (`assets/app.js`, `api/series`) must resolve under the
function's own path, with or without a trailing slash on the page's URL:

- served under a prefix (`make run`: SCRIPT_NAME is `/dashboard`), the base is that prefix;
- at Cloud Functions' own URL (`https://REGION-PROJECT.cloudfunctions.net/dashboard`), the
  platform strips the function's name from the path, so the function sees `/` whether or
  not the browser's URL ends in a slash: the base is `/<name>/`, the deployed name being
  the directory's name (tests/infra checks that);
- anywhere else (the function's run.app URL, where the path is the function's root), no
  base is written and they resolve against the page's URL.
"""

from __future__ import annotations

import html

from metricwatch.dashboard.assets import asset

# No inline script or style anywhere: everything is a file of ours (`'self'`).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}
STYLES = ("uPlot.min.css", "app.css")
CLOUD_FUNCTIONS_DOMAIN = ".cloudfunctions.net"
SCRIPTS = ("uplot.iife.min.js", "app.js")


def _url(name: str) -> str:
    found = asset(name)
    assert found is not None, name
    return html.escape(found.url)


def base_href(script_root: str, host: str, name: str) -> str:
    """`<base href="...">` for the function `name` mounted under `script_root` or reached at
    `host`, or nothing where its root is the host's root."""
    root = script_root.rstrip("/")
    if not root and host.split(":")[0].lower().endswith(CLOUD_FUNCTIONS_DOMAIN):
        root = f"/{name}"
    return f'<base href="{html.escape(root + "/", quote=True)}">' if root else ""


def shell(base: str) -> str:
    """The page every dashboard view starts from; `base` from `base_href`."""
    styles = "".join(f'<link rel="stylesheet" href="{_url(n)}">' for n in STYLES)
    scripts = "".join(f'<script src="{_url(n)}" defer></script>' for n in SCRIPTS)
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>metricwatch dashboard</title>{base}"
        f'<link rel="icon" href="{_url("favicon.svg")}" type="image/svg+xml">{styles}{scripts}</head>\n'
        '<body><header class="top"><a class="brand" href="./">metricwatch</a>'
        '<nav id="crumbs" aria-label="breadcrumb"></nav><div id="session"></div></header>\n'
        '<main id="app" aria-live="polite"><noscript>The dashboard needs JavaScript.</noscript>'
        '<p class="loading">Loading…</p></main></body></html>\n'
    )
