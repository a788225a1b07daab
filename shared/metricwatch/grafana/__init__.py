"""Grafana's JSON data source API over our store: the `grafana` function's translation layer.

Both plugins that speak it are served from one base URL: the current JSON data
source (simpod-json-datasource: `/metrics`, `/metric-payload-options`,
`/variable`, `/query`, `/tag-keys`, `/tag-values`) and the older SimpleJSON
(grafana-simple-json-datasource: `/search`, `/query`, `/annotations`, the same
tag endpoints). One module per job:

- `selectors.py`: matcher text (`cpu{host="a", region=~"eu-.*"}`) read, series names written;
- `filters.py`: `payload.labels` and `adhocFilters` as label matchers, and which series they pick;
- `bodies.py`: Grafana's request bodies checked and read, every refusal a 400 naming the field;
- `variables.py`: what `/search` and `/variable` answer (metric names, `label_values(...)`);
- `reads.py`: those requests as reads of the store and of the incidents (one round trip per target);
- `answers.py`: buckets, anomalies and incidents in the shapes the plugins expect.

The HTTP handler is `metricwatch.api.grafana`.
"""
