"""Errors, CORS and request parsing that every endpoint shares (CLIENT-COMPAT §2.1, §2.2)."""

import pytest

from client import describe, expect_error, expect_ok
from settings import OOB, USERNAME

ORIGIN = "https://elk.example"


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/v1/nope"),
    ("POST", "/api/v1/nope"),
    ("GET", "/api/v2/nope"),
    ("GET", "/api/v1/accounts/verify_credentials/nope"),
    ("GET", "/api/v3/instance"),
])
def test_unknown_api_route_is_a_json_404(api, method, path):
    expect_error(api.request(method, path, token=None), 404)


def test_unsupported_method_on_known_route_is_a_json_error(api):
    resp = api.delete("/api/v1/instance", token=None)
    expect_error(resp, 404, 405)


def test_cors_preflight(api):
    resp = api.options("/api/v1/accounts/verify_credentials", token=None, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"})
    assert resp.status_code in (200, 204), describe(resp)
    assert resp.headers.get("Access-Control-Allow-Origin") == "*", dict(resp.headers)
    methods = {m.strip().upper() for m in resp.headers.get("Access-Control-Allow-Methods", "").split(",")}
    assert "PATCH" in methods or "*" in methods, dict(resp.headers)
    allowed = {h.strip().lower() for h in resp.headers.get("Access-Control-Allow-Headers", "").split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed or "*" in allowed, dict(resp.headers)


def test_cors_preflight_on_instance(api):
    resp = api.options("/api/v1/instance", token=None,
                       headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert resp.status_code in (200, 204), describe(resp)
    assert resp.headers.get("Access-Control-Allow-Origin") == "*"


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/api/v1/apps"])
def test_cors_preflight_on_oauth_endpoints(api, path):
    """Phanpy registers the app and swaps the code from the browser."""
    resp = api.options(path, token=None, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert resp.status_code in (200, 204), describe(resp)
    assert resp.headers.get("Access-Control-Allow-Origin") == "*"


@pytest.mark.parametrize("path", [
    "/api/v1/instance",
    "/api/v2/instance",
    "/api/v1/accounts/lookup?acct=" + USERNAME,
    "/.well-known/oauth-authorization-server",
    "/.well-known/nodeinfo",
    "/nodeinfo/2.0",
    "/.well-known/host-meta",
])
def test_get_responses_allow_any_origin_and_expose_link(api, path):
    resp = api.get(path, token=None, headers={"Origin": ORIGIN})
    assert resp.status_code == 200, describe(resp)
    assert resp.headers.get("Access-Control-Allow-Origin") == "*", dict(resp.headers)
    if path.startswith("/api/"):
        exposed = {h.strip().lower() for h in resp.headers.get("Access-Control-Expose-Headers", "").split(",")}
        assert "link" in exposed, dict(resp.headers)


def test_error_responses_carry_cors_headers(api):
    """Browser clients must be able to read the error body (Elk re-registers on invalid_client)."""
    resp = api.get("/api/v1/accounts/verify_credentials", token=None, headers={"Origin": ORIGIN})
    expect_error(resp, 401)
    assert resp.headers.get("Access-Control-Allow-Origin") == "*", dict(resp.headers)
    resp = api.post("/oauth/token", token=None, headers={"Origin": ORIGIN},
                    data={"grant_type": "client_credentials", "client_id": "nope", "client_secret": "nope"})
    expect_error(resp, 401)
    assert resp.headers.get("Access-Control-Allow-Origin") == "*", dict(resp.headers)


def test_query_parameters_are_merged_with_a_json_body(api):
    resp = api.post("/api/v1/apps?client_name=Query%20name", json={"redirect_uris": OOB, "scopes": "read write"})
    app = expect_ok(resp)
    assert app["name"] == "Query name" and app["scopes"] == ["read", "write"]


def test_form_body_with_charset_in_content_type(api):
    resp = api.post("/api/v1/apps", data="client_name=charset&redirect_uris=" + OOB.replace(":", "%3A"),
                    headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    assert expect_ok(resp)["name"] == "charset"


def test_json_body_with_charset_in_content_type(api):
    resp = api.post("/api/v1/apps", data=b'{"client_name":"json charset","redirect_uris":"' + OOB.encode() + b'"}',
                    headers={"Content-Type": "application/json; charset=utf-8"})
    assert expect_ok(resp)["name"] == "json charset"


def test_every_response_says_what_its_invocation_spent(owner):
    """`BUDGET_REPORT=true`: one `Server-Timing` metric per binding, counted by the Worker."""
    from budget import parse_server_timing

    response = owner.get("/api/v1/accounts/verify_credentials")
    expect_ok(response)
    read = parse_server_timing(response.headers["Server-Timing"])
    assert set(read) == {"d1", "fetch", "queue", "r2"}, read
    assert read["d1"]["st"] >= 1 and read["d1"]["rt"] >= 1 and read["d1"]["rt"] <= read["d1"]["st"], read
    assert read["d1"]["rows_read"] >= 1, read
    assert (read["fetch"]["n"], read["queue"]["msgs"], read["r2"]["ops"]) == (0, 0, 0), read
    response = owner.post("/api/v1/statuses", data={"status": "counted"})
    expect_ok(response)
    posted = parse_server_timing(response.headers["Server-Timing"])
    assert posted["d1"]["rows_written"] >= 1 and posted["queue"] == {"msgs": 1, "calls": 1}, posted
