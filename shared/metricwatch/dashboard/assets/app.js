/* metricwatch dashboard: the overview of every series, and one series with its band, anomalies and incidents.
 *
 * Served by the dashboard function with uPlot (uplot.iife.min.js) beside it; no other file, no CDN.
 * Every piece of data (metric names, label values, messages) reaches the page through textContent or
 * an attribute set on an element we created: never parsed as HTML. URLs are relative to the
 * page's <base>, so the same file works under `make run` (/dashboard/) and at a function URL.
 *
 * The JSON API may want a bearer token (PUSH_TOKENS). On a 401 the page asks for it, keeps it in
 * sessionStorage (this tab only) and sends it as an Authorization header: it is never put in a URL.
 * Reading needs the token's `read` scope, the feedback buttons its `admin` scope; a 403 (a token
 * without the scope) is shown as the API's message, which names the scope, not as a request for a token.
 *
 * Feedback: on a series page a person marks a range (drag across the chart, or click an anomaly's marker,
 * then pick a kind in the bar that opens; or an incident's own buttons). It is POSTed to api/feedback
 * like any other call (token in the header), the series is read again, and its marked ranges are shaded
 * per kind under the lines and listed with an Undo (DELETE api/feedback/<id>).
 *
 * window.__metricwatch exposes the drawn charts and their data (and `spans`: where each marked range was
 * drawn, in canvas pixels; `selection`: the range the bar offers to mark), for the browser test and for debugging.
 */
(function () {
  "use strict";

  var TOKEN_KEY = "metricwatch.token";
  var RANGES = [["1h", 3600], ["6h", 21600], ["24h", 86400], ["7d", 604800], ["30d", 2592000]];
  var DEFAULT_RANGE = "24h";
  var CHART_HEIGHT = 340;
  var COLORS = {value: "#3d71d9", expected: "#56a64b", band: "rgba(86, 166, 75, 0.16)", anomaly: "#e02f44",
                incident: "rgba(224, 47, 68, 0.09)", grid: "rgba(36, 41, 46, 0.08)", axis: "#6e7781"};
  // Feedback kinds, as the API names them: how each is said and drawn (none in the incidents' red).
  var KINDS = {
    not_anomaly: {label: "not an anomaly", button: "Not an anomaly", cls: "not-anomaly",
                  fill: "rgba(130, 92, 214, 0.15)", solid: "#825cd6", ink: "#5b3aa8"},
    anomaly: {label: "confirmed anomaly", button: "Anomaly", cls: "confirmed",
              fill: "rgba(242, 140, 24, 0.17)", solid: "#ea8a16", ink: "#9a5504"},
    ignore: {label: "ignored", button: "Ignore", cls: "ignored", fill: "rgba(110, 119, 129, 0.15)", solid: "#8b939c",
             ink: "#4f5760"},
  };
  var KIND_ORDER = ["not_anomaly", "anomaly", "ignore"];
  var AUTHOR_KEY = "metricwatch.author";
  var TOAST_MS = 7000;
  var state = window.__metricwatch = {view: null, ready: false, chart: null, sparklines: [], data: null, timings: {},
                                      notice: null, spans: [], selection: null};

  /* ---------- small helpers ---------- */

  function el(tag, attrs) {
    var node = document.createElement(tag);
    var key;
    for (key in attrs || {}) {
      if (!Object.prototype.hasOwnProperty.call(attrs, key) || attrs[key] == null) continue;
      if (key === "text") node.textContent = attrs[key];
      else if (key === "class") node.className = attrs[key];
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), attrs[key]);
      else node.setAttribute(key, attrs[key]);
    }
    var add = function (child) {
      if (child == null || child === false) return;
      if (Array.isArray(child)) child.forEach(add);
      else node.append(typeof child === "string" ? document.createTextNode(child) : child);
    };
    for (var i = 2; i < arguments.length; i++) add(arguments[i]);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function fmt(v) {
    if (v == null || !isFinite(v)) return "–";
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e9 || a < 1e-3)) return v.toExponential(3);
    return v.toLocaleString(undefined, {maximumFractionDigits: a >= 1000 ? 0 : a >= 100 ? 1 : a >= 1 ? 3 : 4});
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function fmtTime(seconds, withSeconds) {
    var d = new Date(seconds * 1000);
    var text = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
    return withSeconds ? text + ":" + pad(d.getSeconds()) : text;
  }

  function fmtAgo(seconds) {
    var s = Math.max(0, Date.now() / 1000 - seconds);
    if (s < 90) return Math.round(s) + " s ago";
    if (s < 5400) return Math.round(s / 60) + " min ago";
    if (s < 129600) return Math.round(s / 3600) + " h ago";
    return Math.round(s / 86400) + " d ago";
  }

  function zoneName() {
    var off = -new Date().getTimezoneOffset();
    return "UTC" + (off === 0 ? "" : (off > 0 ? "+" : "-") + pad(Math.floor(Math.abs(off) / 60)) + ":" +
      pad(Math.abs(off) % 60));
  }

  function toLocalInput(seconds) {  // the value a datetime-local input shows for this instant
    var d = new Date(seconds * 1000);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) +
      ":" + pad(d.getMinutes());
  }

  function labelChips(labels) {
    var keys = Object.keys(labels || {}).sort();
    if (!keys.length) return [el("span", {class: "chip empty", text: "no labels"})];
    return keys.map(function (k) { return el("span", {class: "chip", text: k + "=" + labels[k]}); });
  }

  function seriesHref(metric, labels, extra) {
    var q = new URLSearchParams({metric: metric, labels: JSON.stringify(labels || {})});
    Object.keys(extra || {}).forEach(function (k) { q.set(k, extra[k]); });
    return "./?" + q.toString();
  }

  function sameLabels(a, b) {
    var ka = Object.keys(a || {}).sort(), kb = Object.keys(b || {}).sort();
    return ka.length === kb.length && ka.every(function (k, i) { return k === kb[i] && a[k] === b[k]; });
  }

  /* ---------- the API and its token ---------- */

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }

  function AuthNeeded(message) { this.message = message; }
  function ApiError(status, body) {
    this.status = status;
    this.body = body || {};
    this.message = (body && body.error) || ("the dashboard API answered " + status);
  }

  function api(path, params, method, body) {
    var headers = {Accept: "application/json"};
    var t = token();
    if (t) headers.Authorization = "Bearer " + t;
    var init = {method: method || "GET", headers: headers, cache: "no-store", credentials: "same-origin",
                referrerPolicy: "no-referrer"};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    var url = "api/" + path + (params ? "?" + new URLSearchParams(params).toString() : "");
    return fetch(url, init)
      .then(function (resp) {
        return resp.json().catch(function () { return null; }).then(function (answer) {
          if (resp.status === 401) throw new AuthNeeded((answer && answer.error) || "a token is required");
          if (!resp.ok) throw new ApiError(resp.status, answer);
          return answer;
        });
      });
  }

  function renderSession() {
    var box = clear(document.getElementById("session"));
    if (!token()) return;
    box.append(el("button", {type: "button", class: "link", text: "Forget token", onclick: function () {
      try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage disabled: nothing kept */ }
      render();
    }}));
  }

  function askToken(message) {
    state.view = "token";
    var app = clear(document.getElementById("app"));
    var input = el("input", {type: "password", name: "token", id: "token", autocomplete: "off", required: "required",
                             spellcheck: "false"});
    // method=post: should this handler ever not run, the browser posts the token; it never puts it in a URL.
    var form = el("form", {class: "token-form", method: "post", action: "./"},
      el("label", {for: "token", text: "Bearer token"}), input,
      el("button", {type: "submit", class: "primary", text: "Open dashboard"}));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = input.value.trim();
      if (!value) return;
      try { sessionStorage.setItem(TOKEN_KEY, value); } catch (e) { /* kept in memory only below */ }
      render();
    });
    app.append(el("section", {class: "card narrow"},
      el("h1", {text: "Token required"}),
      el("p", {class: "muted", text: token() ? "That token was refused (" + message + ")." :
        "This dashboard's data needs a PUSH_TOKENS token with the read scope (admin+read to mark ranges)."}),
      form,
      el("p", {class: "hint", text: "Kept in this tab's session storage and sent only as an Authorization header."})));
    input.focus();
    document.body.setAttribute("data-ready", "token");
  }

  function showError(target, err) {
    var box = el("section", {class: "card error"},
      el("h2", {text: err.status ? "The dashboard API answered " + err.status : "Something went wrong"}),
      el("p", {text: err.message || String(err)}));
    var sets = err.body && err.body.label_sets;
    var metric = new URLSearchParams(location.search).get("metric");
    if (sets && sets.length && metric) {
      box.append(el("p", {class: "muted", text: "Label sets of this metric:"}),
        el("ul", {class: "label-sets"}, sets.map(function (ls) {
          return el("li", null, el("a", {href: seriesHref(metric, ls)}, labelChips(ls)));
        })));
    }
    if (target) target.append(box);
    return box;
  }

  function failed(err) {
    if (err instanceof AuthNeeded) return askToken(err.message);
    var app = document.getElementById("app");
    if (!(err instanceof ApiError)) console.warn(err);  // our bug, not the API's answer: say it
    showError(clear(app), err);
    state.view = "error";
    state.ready = true;
    document.body.setAttribute("data-ready", "error");
  }

  /* ---------- uPlot pieces ---------- */

  function destroyCharts() {
    if (state.chart) state.chart.destroy();
    state.sparklines.forEach(function (u) { u.destroy(); });
    state.chart = null;
    state.sparklines = [];
    state.spans = [];
    state.selection = null;
  }

  function timeTicks(u, splits, axisIdx, space, incr) {  // 24-hour clock; a day's first tick names the day
    return splits.map(function (t) {
      var d = new Date(t * 1000), day = pad(d.getMonth() + 1) + "-" + pad(d.getDate());
      if (incr >= 86400) return day;
      var hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
      if (incr < 60) return hm + ":" + pad(d.getSeconds());
      return d.getHours() === 0 && d.getMinutes() === 0 ? day : hm;
    });
  }

  function axis(values) {
    return {stroke: COLORS.axis, font: "11px system-ui, sans-serif", size: 42, gap: 6,
            grid: {stroke: COLORS.grid, width: 1}, ticks: {stroke: COLORS.grid, width: 1, size: 4}, values: values};
  }

  function sparkline(target, spark, start, end) {
    var marks = spark.value.map(function (v, i) { return spark.anomalies[i] > 0 ? v : null; });
    var u = new uPlot({
      width: 180, height: 38, class: "spark", padding: [4, 4, 4, 4],
      cursor: {show: false}, legend: {show: false}, select: {show: false},
      scales: {x: {time: true, range: function () { return [start, end]; }}}, axes: [{show: false}, {show: false}],
      series: [{}, {stroke: COLORS.value, width: 1.25, fill: "rgba(61, 113, 217, 0.08)", points: {show: false}},
               {stroke: COLORS.anomaly, paths: function () { return null; },
                points: {show: true, size: 5, width: 0, fill: COLORS.anomaly, stroke: COLORS.anomaly}}],
    }, [spark.time, spark.value, marks], target);
    state.sparklines.push(u);
    return u;
  }

  /* ---------- the overview ---------- */

  function overview() {
    state.view = "overview";
    document.title = "metricwatch dashboard";
    var crumbs = clear(document.getElementById("crumbs"));
    crumbs.append(el("span", {text: "Overview"}));
    var t0 = performance.now();
    return api("overview").then(function (data) {
      state.timings.fetched = performance.now();
      state.timings.fetch = state.timings.fetched - t0;
      destroyCharts();
      state.data = data;
      var app = clear(document.getElementById("app"));
      var summary = data.total + " series" + (data.firing ? " · " + data.firing + " firing" : "") +
        (data.truncated ? " · the first " + data.series.length + " shown" : "");
      app.append(el("div", {class: "page-head"}, el("h1", {text: "Series"}),
        el("span", {class: "muted", text: summary})));
      if (!data.series.length) {
        app.append(el("section", {class: "card"}, el("p", {text: "No series yet: push points to the push " +
          "function and they appear here."})));
        return;
      }
      var body = el("tbody");
      var table = el("table", {class: "series-table card"},
        el("thead", null, el("tr", null, el("th", {text: "Series"}), el("th", {text: "Last 24 h"}),
          el("th", {class: "num", text: "Last value"}), el("th", {text: "Open incidents"}))), body);
      app.append(table);
      var sparkCells = [];
      data.series.forEach(function (row) {
        var href = seriesHref(row.metric, row.labels);
        var spark = el("td", {class: "spark-cell"});
        var last = el("td", {class: "num"});
        if (row.last) {
          last.append(el("span", {class: "value", text: fmt(row.last.value)}),
            el("span", {class: "muted small", text: fmtAgo(row.last.time)}));
        } else last.append(el("span", {class: "muted", text: "–"}));
        var incidents = el("td", {class: "incidents"});
        row.firing.forEach(function (inc) {
          var peak = inc.peak && inc.peak.score != null ? " · score " + fmt(inc.peak.score) : "";
          incidents.append(el("div", {class: "incident-line"}, el("span", {class: "badge firing", text: "firing"}),
            el("span", {class: "small", text: (inc.kind === "no_data" ? "no data" : "anomaly") + " since " +
              fmtTime(Date.parse(inc.start) / 1000) + peak})));
        });
        if (!row.firing.length) incidents.append(el("span", {class: "muted small", text: "none"}));
        var tr = el("tr", {class: row.firing.length ? "is-firing" : null},
          el("td", {class: "name-cell"}, el("a", {class: "series-link", href: href},
            el("span", {class: "metric", text: row.metric}), el("span", {class: "chips"}, labelChips(row.labels)))),
          spark, last, incidents);
        body.append(tr);
        sparkCells.push([spark, row.spark]);
      });
      sparkCells.forEach(function (pair) {
        if (pair[1] && pair[1].time.length) sparkline(pair[0], pair[1], Date.parse(data.start) / 1000,
                                                       Date.parse(data.now) / 1000);
        else pair[0].append(el("span", {class: "muted small", text: pair[1] ? "no points in 24 h" :
          "too many series to draw"}));
      });
      state.timings.drawn = performance.now();
      state.ready = true;
      document.body.setAttribute("data-ready", "overview");
    });
  }

  /* ---------- one series ---------- */

  function readRange(params) {
    var from = params.get("from"), to = params.get("to");
    if (from || to) return {from: from, to: to};
    var key = params.get("range") || DEFAULT_RANGE;
    var found = RANGES.filter(function (r) { return r[0] === key; })[0] || RANGES[2];
    return {key: found[0], seconds: found[1]};
  }

  function apiRange(range) {  // what the API is asked: relative ranges end now
    if (range.key) {
      var now = Date.now();
      return {start: new Date(now - range.seconds * 1000).toISOString(), end: new Date(now).toISOString()};
    }
    var out = {};
    if (range.from) out.start = range.from;
    if (range.to) out.end = range.to;
    return out;
  }

  function navigate(params) {
    history.pushState(null, "", "./?" + params.toString());
    render();
  }

  function rangePicker(params, range, data) {
    var box = el("div", {class: "range-picker", role: "group", "aria-label": "time range"});
    RANGES.forEach(function (r) {
      box.append(el("button", {type: "button", class: "range" + (range.key === r[0] ? " active" : ""), text: r[0],
        "aria-pressed": range.key === r[0] ? "true" : "false", onclick: function () {
          var next = new URLSearchParams(params);
          next.delete("from"); next.delete("to"); next.set("range", r[0]);
          navigate(next);
        }}));
    });
    var from = el("input", {type: "datetime-local", class: "when", "aria-label": "from",
                            value: data ? toLocalInput(Date.parse(data.start) / 1000) : null});
    var to = el("input", {type: "datetime-local", class: "when", "aria-label": "to",
                          value: data ? toLocalInput(Date.parse(data.end) / 1000) : null});
    var form = el("form", {class: "custom-range" + (range.key ? "" : " active"), method: "get", action: "./"},
      from, el("span", {class: "muted", text: "to"}), to,
      el("button", {type: "submit", text: "Apply"}), el("span", {class: "muted small", text: zoneName()}));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!from.value || !to.value) return;
      var next = new URLSearchParams(params);
      next.delete("range");
      next.set("from", new Date(from.value).toISOString());
      next.set("to", new Date(to.value).toISOString());
      navigate(next);
    });
    box.append(form);
    return box;
  }

  function seconds(iso) { return Date.parse(iso) / 1000; }

  function kindOf(kind) {  // the API names three kinds; any other would be drawn grey, never break the page
    return KINDS[kind] || {label: String(kind), button: String(kind), cls: "other", fill: KINDS.ignore.fill,
                           solid: KINDS.ignore.solid, ink: KINDS.ignore.ink};
  }

  function kindBadge(kind) {
    return el("span", {class: "badge kind " + kindOf(kind).cls, text: kindOf(kind).label});
  }

  function feedbackOver(data, t0, t1) {  // the marked ranges overlapping [t0, t1)
    return data.feedback.filter(function (f) { return seconds(f.start) < t1 && seconds(f.end) > t0; });
  }

  function legend(data) {
    function item(cls, text) { return el("span", {class: "legend-item"}, el("i", {class: "swatch " + cls}), text); }
    var kinds = KIND_ORDER.filter(function (k) { return data.feedback.some(function (f) { return f.kind === k; }); });
    return el("div", {class: "legend"}, item("value", "value (mean per " + data.step + ", anomalous points as measured)"),
      item("expected", "expected"), item("band", "expected band"), item("anomaly", "anomaly"),
      item("incident", "incident"),
      kinds.map(function (k) { return item("fb " + KINDS[k].cls, "marked " + KINDS[k].label); }));
  }

  function incidentMask(times, step, incidents) {
    var mask = times.map(function () { return null; });
    incidents.forEach(function (inc) {
      var s = Date.parse(inc.start) / 1000, e = inc.end ? Date.parse(inc.end) / 1000 : Infinity;
      times.forEach(function (t, i) { if (t + step > s && t <= e) mask[i] = 1; });
    });
    // a stepped line holds a value until the next x: close each span at the bucket after its last one
    return mask.map(function (v, i) { return v === null && i > 0 && mask[i - 1] === 1 ? 0 : v; });
  }

  function chartData(data) {
    var p = data.points, n = p.time.length;
    var index = new Map(p.time.map(function (t, i) { return [t, i]; }));
    var marks = new Array(n).fill(null);
    data.anomalies.forEach(function (a) { if (index.has(a.time)) marks[index.get(a.time)] = a.value; });
    var inc = incidentMask(p.time, data.step_seconds, data.incidents);
    // The line keeps each anomalous point's own value: a bucket's mean would flatten the very spike
    // that was flagged, and leave its marker floating above the line.
    var line = p.mean.map(function (v, i) { return marks[i] === null ? v : marks[i]; });
    var x = p.time.slice(), cols = [p.lower, p.upper, p.expected, line, marks].map(function (c) { return c.slice(); });
    if (n && inc[n - 1] === 1) {  // an incident still open at the last bucket: shade to that bucket's end
      x.push(p.time[n - 1] + data.step_seconds);
      cols.forEach(function (c) { c.push(null); });
      inc.push(0);
    }
    return [x, inc].concat(cols);
  }

  function tooltip(data, box) {
    var names = ["value", "bucket", "expected", "band", "score", "model"];
    var rows = {time: el("span"), anomaly: el("span", {class: "tt-anomaly"}), feedback: el("span", {class: "tt-feedback"})};
    var list = el("dl");
    names.forEach(function (k) {
      rows[k] = el("dd");
      list.append(el("dt", {text: k}), rows[k]);
    });
    var tip = el("div", {class: "tooltip", hidden: "hidden"}, el("div", {class: "tt-head"}, rows.time), list,
                 rows.anomaly, rows.feedback);
    var p = data.points, secs = data.step_seconds < 60;
    var marked = new Map(data.anomalies.map(function (a) { return [a.time, a]; }));
    return {node: tip, update: function (u) {
      var i = u.cursor.idx;
      if (i == null || i >= p.time.length || u.cursor.left < 0 || state.selection) { tip.hidden = true; return; }
      tip.hidden = false;
      var a = marked.get(p.time[i]);  // an anomalous bucket: its anomalous point, with that point's verdict
      rows.time.textContent = fmtTime(p.time[i], secs) + (data.step_seconds > 1 ?
        " – " + fmtTime(p.time[i] + data.step_seconds, secs).slice(11) : "");
      rows.value.textContent = fmt(a ? a.value : p.mean[i]);
      rows.bucket.textContent = p.count[i] > 1 ? "mean " + fmt(p.mean[i]) + ", " + fmt(p.min[i]) + " – " +
        fmt(p.max[i]) + ", " + p.count[i] + " points" : p.count[i] + " point";
      var expected = a && a.expected != null ? a.expected : p.expected[i];
      var lower = a && a.lower != null ? a.lower : p.lower[i], upper = a && a.upper != null ? a.upper : p.upper[i];
      rows.expected.textContent = fmt(expected);
      rows.band.textContent = lower == null ? "–" : fmt(lower) + " – " + fmt(upper);
      rows.score.textContent = fmt(p.score[i]);
      rows.model.textContent = (a && a.model) || data.model || "–";
      rows.anomaly.textContent = !p.anomalies[i] ? "" : p.anomalies[i] + " anomalous point" +
        (p.anomalies[i] > 1 ? "s" : "") + (a && a.at != null ? ", at " + fmtTime(a.at, true) : "");
      rows.feedback.textContent = feedbackOver(data, p.time[i], p.time[i] + data.step_seconds).map(function (f) {
        return "marked " + kindOf(f.kind).label + (f.comment ? ": " + f.comment : "");
      }).join("; ");
      var w = tip.offsetWidth, h = tip.offsetHeight, left = u.cursor.left + 14, top = u.cursor.top + 14;
      if (left + w > box.clientWidth) left = u.cursor.left - w - 14;
      if (top + h > u.over.clientHeight) top = Math.max(0, u.cursor.top - h - 14);
      tip.style.left = left + "px";
      tip.style.top = top + "px";
    }};
  }

  function spanLabel(ctx, kind, left, right, top) {  // the kind's name inside a wide enough span, clipped to it
    var px = uPlot.pxRatio;
    if (right - left < 70 * px) return;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, right - left, 30 * px);
    ctx.clip();
    ctx.font = Math.round(11 * px) + "px system-ui, sans-serif";
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.fillStyle = kind.ink;
    ctx.fillText(kind.label, left + 5 * px, top + 8 * px);
    ctx.restore();
  }

  function labelSpans(u) {  // over the grid and lines, so that a grid line never runs through a name
    state.spans.forEach(function (span) { spanLabel(u.ctx, kindOf(span.kind), span.left, span.right, span.top); });
  }

  function drawSpans(u, data) {  // each marked range: shaded in its kind's colour, a solid strip along the top
    var ctx = u.ctx, box = u.bbox, strip = Math.round(4 * uPlot.pxRatio), least = Math.round(2 * uPlot.pxRatio);
    state.spans = [];
    data.feedback.forEach(function (f) {
      var kind = kindOf(f.kind);
      var left = Math.max(box.left, u.valToPos(seconds(f.start), "x", true));
      var right = Math.min(box.left + box.width, u.valToPos(seconds(f.end), "x", true));
      if (right <= box.left || left >= box.left + box.width) return;
      right = Math.max(right, left + least);  // a range narrower than a pixel still shows
      ctx.save();
      ctx.fillStyle = kind.fill;
      ctx.fillRect(left, box.top, right - left, box.height);
      ctx.fillStyle = kind.solid;
      ctx.fillRect(left, box.top, right - left, strip);
      ctx.restore();
      state.spans.push({id: f.id, kind: f.kind, left: left, right: right, top: box.top, bottom: box.top + box.height});
    });
  }

  function zoomTo(a, b) {
    var next = new URLSearchParams(location.search);
    next.delete("range");
    next.set("from", new Date(a * 1000).toISOString());
    next.set("to", new Date(b * 1000).toISOString());
    navigate(next);
  }

  function fmtSpan(a, b) {
    var s = Math.round(b - a);
    var length = s < 120 ? s + " s" : s < 7200 ? Math.round(s / 60) + " min" : s < 172800 ?
      (s / 3600).toFixed(1).replace(/\.0$/, "") + " h" : (s / 86400).toFixed(1).replace(/\.0$/, "") + " d";
    var from = fmtTime(a), to = fmtTime(b);
    return from + " – " + (to.slice(0, 10) === from.slice(0, 10) ? to.slice(11) : to) + " · " + length;
  }

  function selectedRange(u, step) {  // the dragged range, to the nearest bucket edges: a drag is as exact as its pixels
    var a = Math.round(u.posToVal(u.select.left, "x") / step) * step;
    var b = Math.round(u.posToVal(u.select.left + u.select.width, "x") / step) * step;
    return [a, Math.max(a + step, b)];
  }

  function placeBeside(node, box, u) {  // beside the selection (so it stays in sight), else centred over it
    var over = u.over.getBoundingClientRect(), outer = box.getBoundingClientRect(), w = node.offsetWidth, gap = 12;
    var left = over.left - outer.left + u.select.left, right = left + u.select.width, x;
    if (right + gap + w <= box.clientWidth) x = right + gap;
    else if (left - gap - w >= 0) x = left - gap - w;
    else x = Math.max(0, Math.min(box.clientWidth - w, (left + right - w) / 2));
    node.style.left = x + "px";
    node.style.top = (over.top - outer.top + 10) + "px";
  }

  function selectionNode(parts, actions) {
    var node = el("div", {class: "sel-bar", hidden: "hidden", role: "group", "aria-label": "selected range"},
      el("div", {class: "sel-head"}, parts.range,
        el("button", {type: "button", class: "small-btn sel-zoom", text: "Zoom in", onclick: actions.zoom}),
        el("button", {type: "button", class: "sel-close", "aria-label": "cancel", title: "cancel (Esc)", text: "×",
                      onclick: actions.close})),
      el("div", {class: "sel-kinds"}, el("span", {class: "muted small", text: "Mark as"}), parts.kinds),
      el("div", {class: "sel-fields"}, parts.comment, parts.name));
    node.addEventListener("keydown", function (event) { if (event.key === "Escape") actions.close(); });
    return node;
  }

  function selectionBar(data, box) {  // after a drag across the chart: zoom in, or mark the range as a kind
    var picked = null, chart = null, exact = null;
    var parts = {
      range: el("span", {class: "sel-range"}),
      comment: el("input", {type: "text", class: "sel-comment", maxlength: "1000", "aria-label": "comment",
                            placeholder: "comment (optional)", spellcheck: "false"}),
      name: el("input", {type: "text", class: "sel-author", maxlength: "1000", "aria-label": "your name",
                         placeholder: "your name", value: author(), spellcheck: "false"}),
      kinds: KIND_ORDER.map(function (k) {
        return el("button", {type: "button", class: "kind-btn " + KINDS[k].cls, "data-kind": k, onclick: function () {
          var span = picked;
          rememberAuthor(parts.name.value);
          hide();
          markRange(data, k, span[0], span[1], parts.comment.value);
        }}, el("i", {class: "swatch fb " + KINDS[k].cls}), KINDS[k].button);
      }),
    };
    var node = selectionNode(parts, {zoom: function () { zoomTo(picked[0], picked[1]); }, close: hide});

    function hide() {
      node.hidden = true;
      picked = null;
      state.selection = null;
      if (chart) chart.setSelect({left: 0, top: 0, width: 0, height: 0}, false);
    }

    function show(u) {  // uPlot's setSelect hook
      chart = u;
      if (u.select.width < 5) { if (!node.hidden) hide(); return; }
      picked = exact || selectedRange(u, data.step_seconds);
      exact = null;
      state.selection = {start: picked[0], end: picked[1]};
      parts.range.textContent = fmtSpan(picked[0], picked[1]);
      node.hidden = false;
      placeBeside(node, box, u);
      parts.kinds[0].focus({preventScroll: true});
    }

    function around(u, t, step) {  // select the bucket at `t` and one either side (a click on its marker)
      exact = [t - step, t + 2 * step];
      var left = Math.max(0, u.valToPos(exact[0], "x")), right = Math.min(u.over.clientWidth, u.valToPos(exact[1], "x"));
      u.setSelect({left: left, width: Math.max(5, right - left), top: 0, height: u.over.clientHeight});
    }
    return {node: node, show: show, hide: hide, around: around};
  }

  function markerNear(u, data, x, y) {  // the anomaly marker within a few pixels of (x, y), in the plot's CSS px
    var found = null, nearest = 8;
    data.anomalies.forEach(function (a) {
      var d = Math.hypot(u.valToPos(a.time, "x") - x, u.valToPos(a.value, "y") - y);
      if (d <= nearest) { nearest = d; found = a; }
    });
    return found;
  }

  function drawChart(box, data) {
    var start = Date.parse(data.start) / 1000, end = Date.parse(data.end) / 1000;
    var tip = tooltip(data, box);
    var bar = selectionBar(data, box);
    var first = true;
    var opts = {
      width: Math.max(300, box.clientWidth), height: CHART_HEIGHT, class: "main-chart",
      legend: {show: false},
      cursor: {drag: {x: true, y: false, setScale: false}, points: {size: 7}},
      scales: {x: {time: true, range: function () { return [start, end]; }}, y: {auto: true}, inc: {range: [0, 1]}},
      axes: [axis(timeTicks), axis(function (u, splits) { return splits.map(fmt); })],
      series: [
        {},
        {label: "incident", scale: "inc", stroke: "transparent", width: 0, fill: COLORS.incident, fillTo: 0,
         paths: uPlot.paths.stepped({align: 1}), points: {show: false}},
        {label: "lower", stroke: "transparent", width: 0, points: {show: false}},
        {label: "upper", stroke: "transparent", width: 0, points: {show: false}},
        {label: "expected", stroke: COLORS.expected, width: 1, dash: [5, 4], points: {show: false}},
        {label: "value", stroke: COLORS.value, width: 1.5, points: {show: false}},
        {label: "anomaly", stroke: COLORS.anomaly, paths: function () { return null; },
         points: {show: true, size: 9, width: 1.5, stroke: "#ffffff", fill: COLORS.anomaly}},
      ],
      bands: [{series: [3, 2], fill: COLORS.band}],
      hooks: {
        drawClear: [function (u) { drawSpans(u, data); }],  // under the grid, the band and the lines
        draw: [function (u) {
          labelSpans(u);
          if (!first) return;
          first = false;
          state.timings.drawn = performance.now();
          state.ready = true;
          document.body.setAttribute("data-ready", "series");
        }],
        setCursor: [tip.update],
        setSelect: [function (u) { tip.node.hidden = true; bar.show(u); }],
      },
    };
    var u = new uPlot(opts, chartData(data), box);
    u.over.append(tip.node);
    box.append(bar.node);
    u.over.addEventListener("mousedown", function () { bar.hide(); });  // uPlot drops its selection silently
    u.over.addEventListener("click", function () {  // a click, not a drag: on a marker, select around it
      var a = u.select.width < 5 && markerNear(u, data, u.cursor.left, u.cursor.top);
      if (a) bar.around(u, a.time, data.step_seconds);
    });
    state.chart = u;
    return u;
  }

  /* ---------- feedback: marking ranges, and taking them back ---------- */

  function author() {
    try { return localStorage.getItem(AUTHOR_KEY) || ""; } catch (e) { return ""; }
  }

  function rememberAuthor(name) {
    try { localStorage.setItem(AUTHOR_KEY, name.trim()); } catch (e) { /* storage disabled: asked again */ }
  }

  function toast(text, isError) {
    var old = document.querySelector(".toast");
    if (old) old.remove();
    var node = el("div", {class: "toast" + (isError ? " error" : ""), role: isError ? "alert" : "status"},
      el("span", {text: text}),
      el("button", {type: "button", class: "sel-close", "aria-label": "dismiss", text: "×", onclick: function () {
        node.remove();
      }}));
    document.body.append(node);
    if (!isError) setTimeout(function () { node.remove(); }, TOAST_MS);
    return node;
  }

  function feedbackFailed(err) {
    if (err instanceof AuthNeeded) return askToken(err.message);
    if (!(err instanceof ApiError)) console.warn(err);
    toast("Not saved: " + (err.message || String(err)), true);
  }

  function mutedText(alerts) {
    if (!alerts) return "";
    return alerts.muted ? " Its alerts are muted until its end." : " No alerts muted (" + alerts.why + ").";
  }

  function markRange(data, kind, start, end, comment) {
    var body = {metric: data.metric, labels: data.labels, start: new Date(start * 1000).toISOString(),
                end: new Date(end * 1000).toISOString(), kind: kind, comment: (comment || "").trim(), author: author()};
    return api("feedback", null, "POST", body).then(function (made) {
      state.notice = "Marked " + fmtSpan(start, end) + " as " + kindOf(kind).label + ". Training learns it " +
        made.retrain + "." + mutedText(made.alerts);
      return reloadSeries();
    }, feedbackFailed);
  }

  function takeBack(f) {
    return api("feedback/" + encodeURIComponent(f.id), null, "DELETE").then(function () {
      state.notice = "Took back “" + kindOf(f.kind).label + "” over " + fmtSpan(seconds(f.start), seconds(f.end)) +
        ": the next training no longer uses it.";
      return reloadSeries();
    }, feedbackFailed);
  }

  function markButton(data, kind, text, span) {
    return el("button", {type: "button", class: "small-btn kind-btn " + KINDS[kind].cls, "data-kind": kind,
                         title: "mark " + fmtSpan(span[0], span[1]) + " as " + KINDS[kind].label,
                         onclick: function (event) {
                           var button = event.currentTarget;
                           button.disabled = true;  // one click, one mark; enabled again should it fail
                           markRange(data, kind, span[0], span[1], "").then(function () { button.disabled = false; });
                         }}, el("i", {class: "swatch fb " + KINDS[kind].cls}), text);
  }

  function incidentSpan(inc, data) {  // [start, end) in epoch seconds: a bucket at least; an open one, up to now
    var s = seconds(inc.start), e = inc.end ? seconds(inc.end) : Math.min(Date.now() / 1000, seconds(data.end));
    return [s, Math.max(e, s + data.step_seconds)];
  }

  function incidentActions(inc, data) {
    if (inc.kind !== "anomaly") return null;
    var span = incidentSpan(inc, data);
    var covering = data.feedback.filter(function (f) { return seconds(f.start) <= span[0] && seconds(f.end) >= span[1]; });
    if (covering.length) return el("span", {class: "marked small"}, "marked ", kindBadge(covering[0].kind));
    return [markButton(data, "not_anomaly", "Not an anomaly", span), markButton(data, "anomaly", "Confirm anomaly", span)];
  }

  function feedbackTable(data) {
    if (!data.feedback.length) {
      return el("p", {class: "muted small", text: "No feedback in this range. Drag across the chart to select a " +
        "range and mark it, click an anomaly's marker, or use an incident's buttons."});
    }
    var body = el("tbody");
    data.feedback.forEach(function (f) {
      body.append(el("tr", {"data-id": f.id},
        el("td", null, kindBadge(f.kind)),
        el("td", {text: fmtTime(seconds(f.start))}), el("td", {text: fmtTime(seconds(f.end))}),
        el("td", {class: "comment", text: f.comment || "–"}), el("td", {text: f.author || "–"}),
        el("td", {class: "actions"}, el("button", {type: "button", class: "small-btn undo", text: "Undo",
          title: "take this feedback back", onclick: function (event) {
            var button = event.currentTarget;
            button.disabled = true;
            takeBack(f).then(function () { button.disabled = false; });
          }}))));
    });
    return el("table", {class: "incidents-table feedback-table"},
      el("thead", null, el("tr", null, ["kind", "from", "to", "comment", "author", ""]
        .map(function (h) { return el("th", {text: h}); }))), body);
  }

  function feedbackCard(data) {
    return el("section", {class: "card feedback-card"}, el("h2", {text: "Feedback"}),
      el("p", {class: "hint lead", text: "What the next training learns: “not an anomaly” ranges are taught as " +
        "normal; “anomaly” and “ignore” ranges are left out of its data, and “ignore” also mutes the series' " +
        "alerts over the range's future part."}),
      feedbackTable(data));
  }

  function incidentsTable(data, params) {
    if (!data.incidents.length) return el("p", {class: "muted small", text: "No incidents in this range."});
    var body = el("tbody");
    data.incidents.forEach(function (inc) {
      var s = Date.parse(inc.start) / 1000, e = inc.end ? Date.parse(inc.end) / 1000 : Date.parse(data.end) / 1000;
      var margin = Math.max((e - s) * 0.5, 3 * data.step_seconds, 600);
      var zoom = new URLSearchParams(params);
      zoom.delete("range");
      zoom.set("from", new Date((s - margin) * 1000).toISOString());
      zoom.set("to", new Date((e + margin) * 1000).toISOString());
      var peak = inc.peak || {};
      body.append(el("tr", null,
        el("td", null, el("span", {class: "badge " + inc.status, text: inc.status})),
        el("td", {text: inc.kind === "no_data" ? "no data" : "anomaly"}),
        el("td", {text: fmtTime(s)}), el("td", {text: inc.end ? fmtTime(e) : "still open"}),
        el("td", {class: "num", text: fmt(peak.score)}), el("td", {class: "num", text: fmt(peak.value)}),
        el("td", {text: peak.model || "–"}),
        el("td", {class: "actions"}, el("a", {href: "./?" + zoom.toString(), text: "zoom"}),
          incidentActions(inc, data))));
    });
    return el("table", {class: "incidents-table"},
      el("thead", null, el("tr", null, ["status", "kind", "from", "to", "peak score", "peak value", "model", ""]
        .map(function (h) { return el("th", {text: h}); }))), body);
  }

  function labelSetsList(data) {
    var others = data.label_sets.filter(function (ls) { return !sameLabels(ls, data.labels); });
    if (!others.length) return el("p", {class: "muted small", text: "This metric has no other label set."});
    var range = new URLSearchParams(location.search).get("range");
    return el("ul", {class: "label-sets"}, others.map(function (ls) {
      return el("li", null, el("a", {href: seriesHref(data.metric, ls, range ? {range: range} : null)},
        labelChips(ls)));
    }));
  }

  function seriesSkeleton(params) {  // the page's frame, drawn before its data comes (the chart's width sizes the ask)
    var metric = params.get("metric");
    document.title = metric + " · metricwatch";
    var crumbs = clear(document.getElementById("crumbs"));
    crumbs.append(el("a", {href: "./", text: "Overview"}), el("span", {class: "sep", text: "/"}),
      el("span", {text: metric}));
    var app = clear(document.getElementById("app"));
    var view = {params: params, range: readRange(params), app: app,
                head: el("div", {class: "page-head"}, el("h1", {class: "metric", text: metric})),
                box: el("div", {class: "chart-box"})};
    view.picker = el("div", {class: "picker-slot"}, rangePicker(params, view.range, null));
    view.panel = el("section", {class: "card chart-card"}, view.picker, view.box);
    app.append(view.head, view.panel);
    return view;
  }

  function seriesAsk(params, width) {
    var ask = apiRange(readRange(params));
    ask.metric = params.get("metric");
    if (params.get("labels")) ask.labels = params.get("labels");
    ask.max_points = String(Math.max(2, Math.round(width || 800)));
    return ask;
  }

  function facts(data) {
    var n = data.points.time.length;
    return [n + " buckets of " + data.step, "model " + (data.model || "none yet"),
            data.anomalies.length + " anomalous bucket" + (data.anomalies.length === 1 ? "" : "s"),
            data.incidents.length + " incident" + (data.incidents.length === 1 ? "" : "s"),
            data.feedback.length + " marked range" + (data.feedback.length === 1 ? "" : "s")].join(" · ") +
      " · drag across the chart to zoom in or mark the range";
  }

  function fillSeries(view, data) {
    destroyCharts();
    state.data = data;
    view.head.append(el("span", {class: "chips"}, labelChips(data.labels)));
    clear(view.picker).append(rangePicker(view.params, view.range, data));
    view.panel.append(legend(data), el("p", {class: "facts muted small", text: facts(data)}));
    if (!data.points.time.length) view.box.append(el("p", {class: "empty-chart muted", text: "No points in this range."}));
    drawChart(view.box, data);
    view.app.append(el("section", {class: "card"}, el("h2", {text: "Incidents"}), incidentsTable(data, view.params)),
      feedbackCard(data),
      el("section", {class: "card"}, el("h2", {text: "Other label sets of " + data.metric}), labelSetsList(data)));
    if (state.notice) toast(state.notice);
    state.notice = null;
  }

  function seriesPage(params) {
    state.view = "series";
    var view = seriesSkeleton(params);
    var t0 = performance.now();
    return api("series", seriesAsk(params, view.box.clientWidth)).then(function (data) {
      state.timings.fetched = performance.now();
      state.timings.fetch = state.timings.fetched - t0;
      fillSeries(view, data);
    });
  }

  function reloadSeries() {  // after feedback: the same view with fresh data, drawn at once (no flash, same scroll)
    var search = location.search, params = new URLSearchParams(search);
    var width = state.chart ? state.chart.root.parentNode.clientWidth : 800;
    var y = window.scrollY;
    state.ready = false;
    document.body.removeAttribute("data-ready");
    return api("series", seriesAsk(params, width)).then(function (data) {
      if (location.search !== search || state.view !== "series") return;  // navigated away meanwhile
      fillSeries(seriesSkeleton(params), data);
      window.scrollTo(0, y);
    }, failed);
  }

  /* ---------- boot ---------- */

  function render() {
    state.ready = false;
    state.notice = null;
    document.body.removeAttribute("data-ready");
    renderSession();
    var params = new URLSearchParams(location.search);
    var view = params.get("metric") ? seriesPage(params) : overview();
    return view.then(renderSession, failed);
  }

  var resizing = 0;
  window.addEventListener("resize", function () {
    cancelAnimationFrame(resizing);
    resizing = requestAnimationFrame(function () {
      var u = state.chart;
      if (u && u.root.parentNode) u.setSize({width: Math.max(300, u.root.parentNode.clientWidth), height: CHART_HEIGHT});
    });
  });
  window.addEventListener("popstate", render);
  render();
})();
