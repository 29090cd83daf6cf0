"""Unit tests of the OpenAPI response validator itself. They need no server.

They show that the validation the end-to-end tests rely on can actually fail.
"""

import copy

import pytest
import requests

from client import CheckedSession, WireViolation
from openapi import OpenAPISpec, SchemaViolation





@pytest.fixture(scope="module")
def spec():
    return OpenAPISpec.load()


def good_account():
    return {
        "id": "113616234895572992",
        "username": "alice",
        "acct": "alice",
        "display_name": "Alice",
        "locked": False,
        "bot": False,
        "group": False,
        "discoverable": True,
        "indexable": False,
        "created_at": "2024-12-09T00:00:00.000Z",
        "note": "<p>hi</p>",
        "url": "http://127.0.0.1:8787/@alice",
        "uri": "http://127.0.0.1:8787/users/alice",
        "avatar": "http://127.0.0.1:8787/avatars/original/missing.png",
        "avatar_static": "http://127.0.0.1:8787/avatars/original/missing.png",
        "header": "http://127.0.0.1:8787/headers/original/missing.png",
        "header_static": "http://127.0.0.1:8787/headers/original/missing.png",
        "followers_count": 0,
        "following_count": 0,
        "statuses_count": 0,
        "last_status_at": None,
        "emojis": [],
        "fields": [{"name": "Site", "value": "<p>x</p>", "verified_at": None}],
    }


def good_credential_account():
    acct = good_account()
    acct["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": "en",
        "note": "hi",
        "fields": [{"name": "Site", "value": "x", "verified_at": None}],
        "follow_requests_count": 0,
        "indexable": False,
    }
    acct["role"] = {"id": "3", "name": "Owner", "color": "", "permissions": "1", "highlighted": True}
    return acct


# -- path matching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "concrete, template",
    [
        ("/api/v1/accounts/verify_credentials", "/api/v1/accounts/verify_credentials"),
        ("/api/v1/accounts/update_credentials", "/api/v1/accounts/update_credentials"),
        ("/api/v1/accounts/lookup?acct=alice", "/api/v1/accounts/lookup"),
        ("/api/v1/accounts/123", "/api/v1/accounts/{id}"),
        ("/api/v1/accounts/123/statuses", "/api/v1/accounts/{id}/statuses"),
        ("/api/v1/apps/verify_credentials", "/api/v1/apps/verify_credentials"),
        ("/api/v1/instance/", "/api/v1/instance"),
        ("/api/v2/instance", "/api/v2/instance"),
        ("/oauth/token", "/oauth/token"),
    ],
)
def test_literal_segments_win_over_templates(spec, concrete, template):
    assert spec.match_path(concrete) == template


def test_unknown_path_has_no_template(spec):
    assert spec.match_path("/api/v1/nope") is None
    assert spec.match_path("/api/v1/accounts/1/statuses/extra") is None


# -- schema validation --------------------------------------------------------------------------


def test_valid_account_passes(spec):
    assert spec.validate("GET", "/api/v1/accounts/123", 200, good_account()) is True


def test_account_with_integer_id_is_rejected(spec):
    bad = good_account()
    bad["id"] = 113616234895572992
    with pytest.raises(SchemaViolation) as excinfo:
        spec.validate("GET", "/api/v1/accounts/123", 200, bad)
    message = str(excinfo.value)
    assert "at /id:" in message
    assert "is not of type 'string'" in message


def test_account_missing_required_field_is_rejected(spec):
    bad = good_account()
    del bad["username"]
    with pytest.raises(SchemaViolation, match="'username' is a required property"):
        spec.validate("GET", "/api/v1/accounts/lookup?acct=alice", 200, bad)


def test_nested_violation_reports_json_pointer(spec):
    bad = good_account()
    bad["fields"][0]["name"] = None
    with pytest.raises(SchemaViolation, match="at /fields/0/name:"):
        spec.validate("GET", "/api/v1/accounts/1", 200, bad)


def test_avatar_must_be_an_absolute_uri(spec):
    bad = good_account()
    bad["avatar"] = "/avatars/original/missing.png"
    with pytest.raises(SchemaViolation, match="at /avatar:.*'uri'"):
        spec.validate("GET", "/api/v1/accounts/1", 200, bad)


@pytest.mark.parametrize("value", ["2024-12-09", "2024-12-09 00:00:00", "yesterday", "2024-12-09T00:00:00"])
def test_created_at_must_be_rfc3339(spec, value):
    bad = good_account()
    bad["created_at"] = value
    with pytest.raises(SchemaViolation, match="at /created_at:"):
        spec.validate("GET", "/api/v1/accounts/1", 200, bad)


def test_verify_credentials_needs_source_and_role(spec):
    assert spec.validate("GET", "/api/v1/accounts/verify_credentials", 200, good_credential_account())
    plain = good_account()  # a plain Account is not a CredentialAccount
    with pytest.raises(SchemaViolation, match="'source' is a required property"):
        spec.validate("GET", "/api/v1/accounts/verify_credentials", 200, plain)


def test_error_body_is_validated_for_error_statuses(spec):
    assert spec.validate("GET", "/api/v1/accounts/1", 404, {"error": "Record not found"})
    with pytest.raises(SchemaViolation, match="'error' is a required property"):
        spec.validate("GET", "/api/v1/accounts/1", 404, {"message": "Record not found"})


def test_token_created_at_must_be_a_number(spec):
    token = {"access_token": "abc", "token_type": "Bearer", "scope": "read", "created_at": 1573979017}
    assert spec.validate("POST", "/oauth/token", 200, token)
    token["created_at"] = "1573979017"
    with pytest.raises(SchemaViolation, match="at /created_at:"):
        spec.validate("POST", "/oauth/token", 200, token)


def test_credential_application_requires_client_secret(spec):
    app = {
        "id": "1", "name": "t", "website": None, "scopes": ["read"],
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob", "redirect_uris": ["urn:ietf:wg:oauth:2.0:oob"],
        "client_id": "cid", "client_secret": "secret", "client_secret_expires_at": 0, "vapid_key": "BB",
    }
    assert spec.validate("POST", "/api/v1/apps", 200, app)
    del app["client_secret"]
    with pytest.raises(SchemaViolation, match="'client_secret' is a required property"):
        spec.validate("POST", "/api/v1/apps", 200, app)


def test_status_without_schema_is_recorded_not_failed(spec):
    before = len(spec.unchecked)
    assert spec.validate("PATCH", "/api/v1/accounts/update_credentials", 418, {"anything": 1}) is False
    assert len(spec.unchecked) == before + 1
    assert spec.unchecked[-1].status == 418


def test_unknown_path_is_recorded_not_failed(spec):
    before = len(spec.unchecked)
    assert spec.validate("GET", "/api/v1/nope", 404, {"error": "x"}) is False
    assert spec.unchecked[-1].reason == "path not in the OpenAPI spec"
    assert len(spec.unchecked) == before + 1


# -- the HTTP wrapper uses the validator --------------------------------------------------------


def _fake_response(url, status, body: bytes, content_type, method="GET"):
    resp = requests.Response()
    resp.status_code = status
    resp._content = body
    resp.headers["Content-Type"] = content_type
    resp.url = url
    resp.request = requests.Request(method, url).prepare()
    return resp


def test_checked_session_rejects_bad_account(spec):
    session = CheckedSession("http://127.0.0.1:1", spec)
    bad = good_account()
    bad["id"] = 5
    import json

    resp = _fake_response(
        "http://127.0.0.1:1/api/v1/accounts/5", 200, json.dumps(bad).encode(), "application/json; charset=utf-8"
    )
    with pytest.raises(SchemaViolation, match="at /id:"):
        session.check_response(resp)


def test_checked_session_requires_charset_on_json(spec):
    session = CheckedSession("http://127.0.0.1:1", spec)
    resp = _fake_response("http://127.0.0.1:1/api/v1/accounts/1", 404, b'{"error":"Record not found"}', "application/json")
    with pytest.raises(WireViolation, match="charset=utf-8"):
        session.check_response(resp)


def test_checked_session_requires_json_error_bodies_on_api_paths(spec):
    session = CheckedSession("http://127.0.0.1:1", spec)
    resp = _fake_response("http://127.0.0.1:1/api/v1/nope", 404, b"<html>Not found</html>", "text/html")
    with pytest.raises(WireViolation):
        session.check_response(resp)
    resp = _fake_response(
        "http://127.0.0.1:1/api/v1/nope", 404, b'{"message":"nope"}', "application/json; charset=utf-8"
    )
    with pytest.raises(WireViolation, match="error"):
        session.check_response(resp)


def test_checked_session_accepts_valid_error(spec):
    session = CheckedSession("http://127.0.0.1:1", spec)
    resp = _fake_response(
        "http://127.0.0.1:1/api/v1/accounts/1", 404, b'{"error":"Record not found"}', "application/json; charset=utf-8"
    )
    session.check_response(resp)
    assert resp.json_body == {"error": "Record not found"}


def test_spec_document_is_not_mutated_by_validation(spec):
    snapshot = copy.deepcopy(spec.document["components"]["schemas"]["Account"])
    spec.validate("GET", "/api/v1/accounts/1", 200, good_account())
    assert spec.document["components"]["schemas"]["Account"] == snapshot
