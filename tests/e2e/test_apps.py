"""POST /api/v1/apps and GET /api/v1/apps/verify_credentials (docs.joinmastodon.org/methods/apps)."""

import json
import re

import pytest

from client import expect_error, expect_ok
from settings import OOB

NUMERIC_ID = re.compile(r"^\d+$")


def check_credential_application(app, *, name, redirect_uris, scopes, website=None):
    assert NUMERIC_ID.match(app["id"]), f"app id should be a numeric string: {app['id']!r}"
    assert app["name"] == name
    assert app["website"] == website
    assert app["scopes"] == scopes
    assert app["redirect_uris"] == redirect_uris
    assert app["redirect_uri"] == "\n".join(redirect_uris)
    assert isinstance(app["client_id"], str) and len(app["client_id"]) >= 16
    assert isinstance(app["client_secret"], str) and len(app["client_secret"]) >= 16
    assert app["client_id"] != app["client_secret"]
    assert app["client_secret_expires_at"] == 0
    assert isinstance(app["vapid_key"], str)


def test_register_app_with_json_body(api):
    resp = api.post("/api/v1/apps", json={
        "client_name": "JSON app", "redirect_uris": "icecubesapp://", "scopes": "read write follow push",
        "website": "https://app.example",
    })
    check_credential_application(expect_ok(resp), name="JSON app", redirect_uris=["icecubesapp://"],
                                 scopes=["read", "write", "follow", "push"], website="https://app.example")


def test_register_app_with_form_body(api):
    resp = api.post("/api/v1/apps", data={"client_name": "Form app", "redirect_uris": OOB, "scopes": "read write"})
    check_credential_application(expect_ok(resp), name="Form app", redirect_uris=[OOB], scopes=["read", "write"])


def test_register_app_with_multipart_body(api):
    resp = api.post("/api/v1/apps", files={
        "client_name": (None, "Multipart app"),
        "redirect_uris": (None, "https://app.example/callback"),
        "scopes": (None, "read"),
    })
    assert resp.request.headers["Content-Type"].startswith("multipart/form-data")
    check_credential_application(expect_ok(resp), name="Multipart app",
                                 redirect_uris=["https://app.example/callback"], scopes=["read"])


def test_register_app_with_quoted_multipart_boundary(api):
    """The official iOS app quotes the boundary: boundary="..."."""
    boundary = "Boundary-7MA4YWxkTLLu0UIW"
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in {"client_name": "Quoted boundary", "redirect_uris": OOB}.items()
    ) + f"--{boundary}--\r\n"
    resp = api.post("/api/v1/apps", data=body.encode(),
                    headers={"Content-Type": f'multipart/form-data; boundary="{boundary}"'})
    check_credential_application(expect_ok(resp), name="Quoted boundary", redirect_uris=[OOB], scopes=["read"])


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_newline_separated_redirect_uris_are_split(api, encoding):
    uris = ["icecubesapp://", "https://app.example/cb", OOB]
    payload = {"client_name": "multi", "redirect_uris": "\n".join(uris)}
    resp = api.post("/api/v1/apps", **{"json" if encoding == "json" else "data": payload})
    check_credential_application(expect_ok(resp), name="multi", redirect_uris=uris, scopes=["read"])


def test_redirect_uris_as_json_array(api):
    uris = ["org.joinmastodon.android-auth://callback", "https://app.example/cb"]
    resp = api.post("/api/v1/apps", json={"client_name": "array", "redirect_uris": uris, "scopes": "read"})
    check_credential_application(expect_ok(resp), name="array", redirect_uris=uris, scopes=["read"])


def test_redirect_uris_as_rails_form_array(api):
    uris = ["com.tapbots.Ivory.10217:/request_token", "https://app.example/cb"]
    resp = api.post("/api/v1/apps", data=[("client_name", "rails array"), ("redirect_uris[]", uris[0]),
                                          ("redirect_uris[]", uris[1])])
    check_credential_application(expect_ok(resp), name="rails array", redirect_uris=uris, scopes=["read"])


def test_scopes_default_to_read(api):
    resp = api.post("/api/v1/apps", data={"client_name": "default scopes", "redirect_uris": OOB})
    assert expect_ok(resp)["scopes"] == ["read"]


def test_granular_scopes_are_kept(api):
    resp = api.post("/api/v1/apps", json={"client_name": "granular", "redirect_uris": OOB,
                                          "scopes": "read:accounts write:statuses profile"})
    assert expect_ok(resp)["scopes"] == ["read:accounts", "write:statuses", "profile"]


def test_each_registration_gets_its_own_credentials(api):
    a = expect_ok(api.post("/api/v1/apps", data={"client_name": "twin", "redirect_uris": OOB}))
    b = expect_ok(api.post("/api/v1/apps", data={"client_name": "twin", "redirect_uris": OOB}))
    assert a["id"] != b["id"]
    assert a["client_id"] != b["client_id"]
    assert a["client_secret"] != b["client_secret"]


def test_query_parameters_are_merged_with_the_form_body(api):
    """Mammoth sends POST parameters in the query string (Rails merges query and body)."""
    resp = api.post("/api/v1/apps?client_name=From%20query&scopes=read%20write",
                    data={"redirect_uris": "https://app.example/cb"})
    check_credential_application(expect_ok(resp), name="From query", redirect_uris=["https://app.example/cb"],
                                 scopes=["read", "write"])


# -- bad input ----------------------------------------------------------------------------------


def test_missing_client_name_is_rejected(api):
    expect_error(api.post("/api/v1/apps", json={"redirect_uris": OOB}), 422)


def test_blank_client_name_is_rejected(api):
    expect_error(api.post("/api/v1/apps", data={"client_name": "", "redirect_uris": OOB}), 422)


def test_missing_redirect_uris_is_rejected(api):
    expect_error(api.post("/api/v1/apps", json={"client_name": "no redirect"}), 422)


@pytest.mark.parametrize("uri", ["not-a-uri", "/relative/callback", "https://app.example/cb#fragment",
                                 "javascript:alert(1)", "data:text/html,<b>x</b>", "vbscript:x", "file:///etc/passwd"])
def test_invalid_redirect_uri_is_rejected(api, uri):
    expect_error(api.post("/api/v1/apps", json={"client_name": "bad redirect", "redirect_uris": uri}), 422)


def test_unknown_scope_is_rejected(api):
    expect_error(api.post("/api/v1/apps", json={"client_name": "bad scope", "redirect_uris": OOB,
                                                 "scopes": "read destroy:everything"}), 422)


def test_overlong_client_name_is_rejected(api):
    """Mastodon limits application names to 60 characters."""
    expect_error(api.post("/api/v1/apps", json={"client_name": "n" * 61, "redirect_uris": OOB}), 422)


def test_malformed_json_body_is_a_400_json_error(api):
    resp = api.post("/api/v1/apps", data=b'{"client_name": "broken", "redirect_uris": ',
                    headers={"Content-Type": "application/json"})
    expect_error(resp, 400)


def test_body_over_one_mebibyte_is_a_413_json_error(api):
    payload = json.dumps({"client_name": "big", "redirect_uris": OOB, "website": "https://x.example/" + "a" * (1 << 20)})
    assert len(payload) > 1 << 20
    resp = api.post("/api/v1/apps", data=payload.encode(), headers={"Content-Type": "application/json"})
    expect_error(resp, 413)


# -- verify_credentials -------------------------------------------------------------------------


def client_credentials_token(api, app, scope=None):
    data = {"grant_type": "client_credentials", "client_id": app["client_id"],
            "client_secret": app["client_secret"]}
    if scope:
        data["scope"] = scope
    return expect_ok(api.post("/oauth/token", data=data))["access_token"]


def check_application(body, app):
    assert body["name"] == app["name"]
    assert body["scopes"] == app["scopes"]
    assert body["redirect_uris"] == app["redirect_uris"]
    assert body["redirect_uri"] == app["redirect_uri"]
    assert body.get("website") == app["website"]
    assert "client_secret" not in body, "verify_credentials must not reveal the client secret"


def test_app_verify_credentials_with_client_credentials_token(api):
    app = expect_ok(api.post("/api/v1/apps", json={
        "client_name": "verify me", "redirect_uris": ["icecubesapp://", OOB], "scopes": "read write",
        "website": "https://verify.example",
    }))
    token = client_credentials_token(api, app, "read")
    body = expect_ok(api.get("/api/v1/apps/verify_credentials", token=token))
    check_application(body, app)


def test_app_verify_credentials_with_user_token(api, app, token):
    body = expect_ok(api.get("/api/v1/apps/verify_credentials", token=token))
    check_application(body, app)


def test_app_verify_credentials_without_token_is_401(api):
    expect_error(api.get("/api/v1/apps/verify_credentials"), 401)


def test_app_verify_credentials_with_garbage_token_is_401(api):
    expect_error(api.get("/api/v1/apps/verify_credentials", token="not-a-real-token"), 401)
