"""PUSH_TOKENS: tokens with scopes, what each scope opens, and what is never said about a token.

The form is `SCOPES:TOKEN` entries, comma-separated; SCOPES is one or more of
`write`, `read`, `admin` joined with `+` (`write:T1,read:T2,admin+read:T3`).
- `write`: push, in every format;
- `read`: query, grafana, the dashboard's data, listing feedback, incidents and silences;
- `admin`: recording and taking back feedback (the API and the dashboard's buttons), making and
  expiring silences.
No scope implies another: a token that both reads and administers holds `admin+read`.
No token, or one not configured, is a 401; a configured token without the scope is a 403 naming it.
The old form, a plain list of tokens, still works, each token with every scope, and is said to
be deprecated once per process. Tokens are compared in constant time and never logged.
"""

from __future__ import annotations

import ast
import importlib
import json
import logging
import re
from typing import Any, Callable

import pytest
from flask import Request
from werkzeug.test import EnvironBuilder

from conftest import ROOT
from metricwatch.api.alerts import alerts
from metricwatch.api.auth import bearer_token
from metricwatch.api.dashboard import dashboard
from metricwatch.api.feedback import feedback
from metricwatch.api.grafana import grafana
from metricwatch.api.push import push
from metricwatch.api.query import query
from metricwatch.config import SCOPES, load_settings
from metricwatch.errors import ConfigError
from metricwatch.runtime import Runtime, build_runtime
from metricwatch.store import MongoMetricStore

WRITER, READER, ADMIN, BOTH, OLD = "wr1te-tok-4f1c9a", "re4d-tok-8b27d0", "adm1n-tok-c30e5f", "b0th-tok-6d9e11", "o1d-tok-2a7f44"
SCOPED = f"write:{WRITER}, read:{READER}, admin:{ADMIN}, admin+read:{BOTH}"
TOKEN_OF = {"write": WRITER, "read": READER, "admin": ADMIN}
ALL_TOKENS = (WRITER, READER, ADMIN, BOTH, OLD)

POINT = {"name": "latency", "value": 1.5}
SILENCE = {"matchers": ['region="eu"'], "endsAt": "2999-01-01T00:00:00Z", "createdBy": "ana", "comment": "move"}
MARK = {"metric": "latency", "labels": {}, "start": "2026-11-20T10:00:00Z", "end": "2026-11-20T11:00:00Z",
        "kind": "ignore", "author": "ana"}

# (function, method, path, JSON body, the scope it needs): the routes of every public function.
ROUTES = [
    (push, "POST", "/push", POINT, "write"),
    (push, "PUT", "/push/metrics/job/batch", None, "write"),
    (push, "POST", "/push/api/v2/write", None, "write"),
    (query, "GET", "/query", None, "read"),
    (grafana, "GET", "/grafana", None, "read"),
    (grafana, "POST", "/grafana/metrics", {}, "read"),
    (grafana, "POST", "/grafana/query", {"targets": []}, "read"),
    (dashboard, "GET", "/dashboard/api/overview", None, "read"),
    (dashboard, "GET", "/dashboard/api/series", None, "read"),
    (dashboard, "POST", "/dashboard/api/feedback", MARK, "admin"),
    (dashboard, "DELETE", "/dashboard/api/feedback/0123456789abcdef01234567", None, "admin"),
    (feedback, "GET", "/feedback", None, "read"),
    (feedback, "POST", "/feedback", MARK, "admin"),
    (feedback, "DELETE", "/feedback/0123456789abcdef01234567", None, "admin"),
    (alerts, "GET", "/alerts/incidents", None, "read"),
    (alerts, "GET", "/alerts/silences", None, "read"),
    (alerts, "POST", "/alerts/silences", SILENCE, "admin"),
    (alerts, "DELETE", "/alerts/silences/0123456789abcdef01234567", None, "admin"),
]
ROUTE_IDS = [f"{method} {path}" for _, method, path, _, _ in ROUTES]


def send(handler: Callable[..., Any], runtime: Runtime, method: str, path: str, body: Any = None,
         token: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    builder = EnvironBuilder(path=path, method=method, headers=headers, json=body,
                             data=None if body is not None else b"" if method in ("POST", "PUT") else None,
                             content_type=None if body is not None else "text/plain" if method in ("POST", "PUT")
                             else None)
    text, status, _ = handler(Request(builder.get_environ()), runtime=runtime)
    return status, json.loads(text) if text.startswith("{") else {}


@pytest.fixture
def runtime_with(make_settings: Callable[..., Any], collection: Any) -> Callable[[str], Runtime]:
    def make(tokens: str) -> Runtime:
        return build_runtime(make_settings(PUSH_TOKENS=tokens), store=MongoMetricStore(collection))
    return make


@pytest.fixture
def open_runtime(make_settings: Callable[..., Any]) -> Runtime:
    """No tokens configured (as `make run` by default): what a call does once it is let through."""
    import mongomock

    return build_runtime(make_settings(), store=MongoMetricStore(mongomock.MongoClient(tz_aware=True).db.metrics))


@pytest.fixture
def legacy_noted_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a fresh process: the old form's deprecation has not been said yet."""
    import metricwatch.config

    monkeypatch.setattr(metricwatch.config, "_legacy_tokens_noted", False)


class TestTheScopedForm:
    def test_each_entry_is_scopes_colon_token_and_a_token_may_hold_several_scopes(self):
        tokens = load_settings({"PUSH_TOKENS": SCOPED}, dotenv=None).push_tokens
        assert [g.scopes for g in tokens.grants] == [{"write"}, {"read"}, {"admin"}, {"admin", "read"}]
        assert not tokens.legacy

    def test_spaces_around_entries_scopes_and_tokens_do_not_count(self):
        tokens = load_settings({"PUSH_TOKENS": " read + admin : t1 ,, write:t2 "}, dotenv=None).push_tokens
        assert [g.scopes for g in tokens.grants] == [{"read", "admin"}, {"write"}]

    def test_a_token_may_contain_a_colon_after_the_first(self, runtime_with, open_runtime):
        runtime = runtime_with("read:user:pass")
        assert send(query, runtime, "GET", "/query", token="user:pass")[0] == 200

    def test_the_scopes_are_write_read_and_admin(self):
        assert SCOPES == ("write", "read", "admin")

    @pytest.mark.parametrize("raw, says", [
        ("wirte:tokA", "entry 1 of 1: 'wirte' is not a scope; the scopes are write, read, admin"),
        ("read:tokA,read+Admin:tokB", "entry 2 of 2: 'Admin' is not a scope"),
        ("read+:tokA", "entry 1 of 1 has an empty scope"),
        (":tokA", "entry 1 of 1 has an empty scope"),
        ("read:", "entry 1 of 1 has no token after its ':'"),
        ("read:tokA,tokB", "entry 2 of 2 has no scopes: write every entry as SCOPES:TOKEN"),
    ])
    def test_a_bad_entry_is_a_config_error_naming_the_variable_and_the_entry(self, raw, says):
        with pytest.raises(ConfigError) as err:
            load_settings({"PUSH_TOKENS": raw}, dotenv=None)
        assert err.value.message.startswith("PUSH_TOKENS: ") and says in err.value.message
        assert err.value.details == {"variable": "PUSH_TOKENS"}
        assert "tokA" not in err.value.message and "tokB" not in err.value.message, "the error repeats no token"

    def test_an_unknown_scope_that_may_be_part_of_a_token_is_not_shown(self):
        with pytest.raises(ConfigError) as err:
            load_settings({"PUSH_TOKENS": "read:tokA,9f8e7d6c5b4a:rest-of-a-token"}, dotenv=None)
        assert "entry 2 of 2 has an unknown scope (not shown" in err.value.message
        assert "9f8e7d6c5b4a" not in err.value.message and "rest-of-a-token" not in err.value.message

    def test_a_deployment_requiring_tokens_starts_with_scoped_ones(self):
        settings = load_settings({"PUSH_TOKENS": SCOPED, "REQUIRE_PUSH_TOKENS": "true"}, dotenv=None)
        assert len(settings.push_tokens) == 4

    def test_the_settings_keep_no_token_text(self):
        settings = load_settings({"PUSH_TOKENS": f"{SCOPED},write:{OLD}"}, dotenv=None)
        kept = repr(settings) + repr(settings.push_tokens.grants)
        assert not [t for t in ALL_TOKENS if t in kept]
        assert not [g for g in settings.push_tokens.grants if any(t.encode() in g.digest for t in ALL_TOKENS)]


class TestEachScopeOpensItsRoutesOnly:
    @pytest.mark.parametrize("handler, method, path, body, needed", ROUTES, ids=ROUTE_IDS)
    def test_a_token_with_the_scope_gets_what_an_open_deployment_answers(self, runtime_with, open_runtime,
                                                                        handler, method, path, body, needed):
        expected = send(handler, open_runtime, method, path, body)[0]
        assert expected not in (401, 403)
        for token in (TOKEN_OF[needed], BOTH) if needed in ("read", "admin") else (TOKEN_OF[needed],):
            status, answer = send(handler, runtime_with(SCOPED), method, path, body, token)
            assert status == expected, (token, answer)

    @pytest.mark.parametrize("handler, method, path, body, needed", ROUTES, ids=ROUTE_IDS)
    def test_a_token_without_the_scope_is_a_403_naming_the_scope(self, runtime_with, collection,
                                                                handler, method, path, body, needed):
        for scope, token in TOKEN_OF.items():
            if scope == needed:
                continue
            status, answer = send(handler, runtime_with(SCOPED), method, path, body, token)
            assert status == 403, (scope, answer)
            assert answer == {"error": f"this token does not hold the '{needed}' scope, which {method} here needs",
                              "scope": needed}
        db = collection.database
        assert not [n for n in db.list_collection_names() if db[n].count_documents({})], "a refused call writes nothing"

    @pytest.mark.parametrize("handler, method, path, body, needed", ROUTES, ids=ROUTE_IDS)
    def test_no_token_or_an_unknown_one_stays_a_401(self, runtime_with, handler, method, path, body, needed):
        runtime = runtime_with(SCOPED)
        status, answer = send(handler, runtime, method, path, body)
        assert status == 401 and answer["error"] == "missing 'Authorization: Bearer <token>' header"
        for wrong in ("nope", WRITER + "x", WRITER[:-1], f"{needed}:{TOKEN_OF[needed]}"):
            status, answer = send(handler, runtime, method, path, body, wrong)
            assert (status, answer) == (401, {"error": "invalid token"}), wrong

    def test_admin_does_not_imply_read_nor_write(self, runtime_with):
        runtime = runtime_with(SCOPED)
        assert send(dashboard, runtime, "GET", "/dashboard/api/overview", token=ADMIN)[0] == 403
        assert send(push, runtime, "POST", "/push", POINT, token=ADMIN)[0] == 403
        assert send(dashboard, runtime, "GET", "/dashboard/api/overview", token=BOTH)[0] == 200

    def test_a_token_listed_twice_holds_the_scopes_of_both_entries(self, runtime_with):
        runtime = runtime_with(f"write:{WRITER},read:{WRITER}")
        assert send(push, runtime, "POST", "/push", POINT, token=WRITER)[0] == 201
        assert send(query, runtime, "GET", "/query", token=WRITER)[0] == 200
        assert send(alerts, runtime, "POST", "/alerts/silences", SILENCE, token=WRITER)[0] == 403

    def test_with_no_tokens_configured_every_route_is_open(self, open_runtime):
        """`make run` without PUSH_TOKENS; a deployment refuses to start so (REQUIRE_PUSH_TOKENS)."""
        for handler, method, path, body, _ in ROUTES:
            assert send(handler, open_runtime, method, path, body)[0] not in (401, 403), path

    def test_a_scope_that_does_not_exist_cannot_guard_an_endpoint(self):
        with pytest.raises(ValueError, match="scopes among"):
            bearer_token("wirte")
        with pytest.raises(ValueError, match="scopes among"):
            bearer_token({"GET": "read", "POST": "root"})


class TestTheOldForm:
    @pytest.mark.parametrize("handler, method, path, body, needed", ROUTES, ids=ROUTE_IDS)
    def test_a_plain_token_list_gives_every_token_every_scope(self, runtime_with, open_runtime,
                                                              handler, method, path, body, needed):
        expected = send(handler, open_runtime, method, path, body)[0]
        for token in (OLD, READER):
            assert send(handler, runtime_with(f"{OLD},{READER}"), method, path, body, token)[0] == expected

    def test_it_is_said_to_be_deprecated_once_per_process_without_the_tokens(self, legacy_noted_again, caplog):
        caplog.set_level(logging.DEBUG)
        for _ in range(3):
            assert load_settings({"PUSH_TOKENS": f"{OLD},{READER}"}, dotenv=None).push_tokens.legacy
        [said] = [r for r in caplog.records if "deprecated" in r.getMessage()]
        assert (said.name, said.levelno) == ("metricwatch.config", logging.WARNING)
        assert said.getMessage() == ("PUSH_TOKENS lists 2 token(s) without scopes, each given every scope "
                                     "(write, read, admin): this form is deprecated; write SCOPES:TOKEN entries, "
                                     "as in write:TOKEN1,admin+read:TOKEN2 (README, Tokens and scopes)")
        assert OLD not in caplog.text and READER not in caplog.text

    def test_the_scoped_form_and_no_tokens_say_nothing_of_it(self, legacy_noted_again, caplog):
        caplog.set_level(logging.DEBUG)
        load_settings({"PUSH_TOKENS": SCOPED}, dotenv=None)
        load_settings({}, dotenv=None)
        assert "deprecated" not in caplog.text


class TestComparison:
    @pytest.mark.parametrize("given", [WRITER, BOTH, READER, "nope", "x" * 5000], ids=["first", "last", "middle",
                                                                                       "unknown", "long"])
    def test_every_configured_token_is_compared_with_compare_digest_on_equal_length_digests(
            self, runtime_with, monkeypatch, given):
        import hmac

        compare = hmac.compare_digest
        calls: list[tuple[int, int]] = []

        def spy(a: bytes, b: bytes) -> bool:
            calls.append((len(a), len(b)))
            assert given.encode() not in (a, b), "digests are compared, not the token itself"
            return compare(a, b)

        monkeypatch.setattr(hmac, "compare_digest", spy)
        send(query, runtime_with(SCOPED), "GET", "/query", token=given)
        assert calls == [(32, 32)] * 4, "all four entries, whichever matched, and none shorter than another"

    def test_the_guard_holds_no_shortcut_past_the_comparisons(self):
        """No `any(...)`, `in` or early return over the tokens: the loop ORs every entry's scopes in."""
        source = (ROOT / "shared" / "metricwatch" / "api" / "auth.py").read_text()
        held = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == "held_scopes")
        loops = [n for n in ast.walk(held) if isinstance(n, ast.For)]
        assert len(loops) == 1 and not [n for n in ast.walk(loops[0]) if isinstance(n, (ast.If, ast.Break, ast.Return,
                                                                                      ast.IfExp, ast.BoolOp))]
        assert "any(" not in source and "compare_digest" in ast.unparse(loops[0])


class TestNoTokenIsEverLogged:
    def test_not_on_successes_refusals_bad_configs_or_the_deprecation(self, runtime_with, legacy_noted_again,
                                                                      caplog, capfd):
        caplog.set_level(logging.DEBUG)
        answers: list[Any] = []
        scoped, old = runtime_with(SCOPED), runtime_with(f"{OLD},{READER}")
        for handler, method, path, body, _ in ROUTES:
            for runtime, token in [(scoped, t) for t in (*TOKEN_OF.values(), BOTH, OLD, f"{READER}x", None)] + \
                                  [(old, OLD), (old, WRITER)]:
                answers.append(send(handler, runtime, method, path, body, token))
        for raw in (f"wirte:{WRITER}", f"read:{READER},{OLD}", f"{OLD}:{READER}", f"read:{READER},write:"):
            with pytest.raises(ConfigError) as err:
                load_settings({"PUSH_TOKENS": raw, "REQUIRE_PUSH_TOKENS": "true"}, dotenv=None)
            answers.append(err.value.to_dict())
            logging.getLogger("metricwatch.test").error("startup failed: %s", err.value)
        seen = caplog.text + json.dumps(answers, default=str) + "".join(capfd.readouterr())
        assert "deprecated" in caplog.text and "403: this token does not hold" in caplog.text, "the paths ran"
        assert "401: invalid token" in caplog.text
        leaked = [t for t in ALL_TOKENS + (f"{READER}x",) if t in seen or t[:8] in seen]
        assert not leaked, f"token text in logs or answers: {leaked}"


def test_every_guarded_endpoint_names_its_scope():
    """`guard=bearer_token` bare (the form before scopes) would call the guard factory with the request."""
    bare = []
    for path in (ROOT / "shared" / "metricwatch").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "guard":
                if not (isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "bearer_token"):
                    bare.append(f"{path.relative_to(ROOT)}:{node.value.lineno}")
    assert not bare, f"guards that name no scope: {bare}"


@pytest.mark.parametrize("module", ["alerts", "feedback"])
def test_a_guard_by_method_maps_every_method_its_endpoint_serves(module: str):
    source = (ROOT / "shared" / "metricwatch" / "api" / f"{module}.py").read_text()
    imported = importlib.import_module(f"metricwatch.api.{module}")
    [decorator] = [d for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)
                   for d in n.decorator_list if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "endpoint"]
    methods = {a.value for a in decorator.args}
    assert set(imported.SCOPE_BY_METHOD) == methods
    assert imported.SCOPE_BY_METHOD == {"GET": "read", "POST": "admin", "DELETE": "admin"}


def test_the_readme_table_of_scopes_is_what_the_code_does():
    readme = (ROOT / "README.md").read_text()
    section = re.split(r"\n##+ ", readme.split("### Tokens and scopes", 1)[1], maxsplit=1)[0]
    rows = {tuple(c.strip() for c in line.strip("|").split("|")) for line in section.splitlines()
            if line.startswith("| `")}
    for _, method, path, _, needed in ROUTES:
        function = path.split("/")[1]
        assert any(r[0].startswith(f"`{function}`") and method in r[1] and r[2] == f"`{needed}`" for r in rows), \
            (function, method, needed)
