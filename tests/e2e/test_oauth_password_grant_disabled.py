"""ALLOW_PASSWORD_GRANT=false switches the password grant off; other grants keep working.
Runs against its own server (server_without_password_grant)."""

import pytest

from client import CheckedSession, describe, expect_ok, expect_oauth_error
from helpers import register_app
from oauth_flow import obtain_code
from settings import PASSWORD, USERNAME

CALLBACK = "https://app.example/cb"


@pytest.fixture
def api(server_without_password_grant, spec):
    with CheckedSession(server_without_password_grant.url, spec) as session:
        yield session


def test_password_grant_is_unsupported_when_disabled(api):
    app = register_app(api, name="bot")
    resp = api.post("/oauth/token", token=None, data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": USERNAME, "password": PASSWORD, "scope": "read"})
    body = expect_oauth_error(resp, 400, "unsupported_grant_type")
    assert "access_token" not in body


def test_metadata_does_not_advertise_the_password_grant_when_disabled(api):
    """Mastodon.py reads grant_types_supported to explain why log_in(user, password) can't work."""
    meta = expect_ok(api.get("/.well-known/oauth-authorization-server"))
    assert "password" not in meta["grant_types_supported"]
    assert "authorization_code" in meta["grant_types_supported"]


def test_code_flow_still_works_when_password_grant_is_disabled(api):
    app = register_app(api, name="web", redirect_uris=CALLBACK, scopes="read")
    with api.with_token(None) as browser:
        code = obtain_code(browser, app, redirect_uri=CALLBACK, scope="read")
    resp = api.post("/oauth/token", token=None, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
        "client_id": app["client_id"], "client_secret": app["client_secret"]})
    token = expect_ok(resp)["access_token"]
    me = expect_ok(api.get("/api/v1/accounts/verify_credentials", token=token))
    assert me["username"] == USERNAME, describe(resp)
