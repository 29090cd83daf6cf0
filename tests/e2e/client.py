"""HTTP client for the end-to-end tests: a requests.Session that checks every response.

On every response from the server under test it
- requires `Content-Type: application/json; charset=utf-8` and a JSON body on API paths
  (`/api/*`, `/oauth/token`, `/oauth/revoke`, `/.well-known/oauth-authorization-server`), for
  every status including errors;
- requires error bodies on those paths (status >= 400) to be `{"error": "<string>", ...}`;
- validates every JSON body against the Mastodon OpenAPI schema (see openapi.py) when the spec
  covers the path, method and status.

The parsed body is left on `response.json_body` (None when the response is not JSON).
Mastodon.py can use this session too (`Mastodon(session=CheckedSession(...))`), so the library's
traffic is checked the same way.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import requests

from openapi import OpenAPISpec

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
DEFAULT_TIMEOUT = 30
_UNSET = object()

# Paths that always answer JSON, whatever the status (an HTML error page there breaks clients).
_JSON_PATH_PREFIXES = ("/api/",)
_JSON_PATHS = {"/oauth/token", "/oauth/revoke", "/.well-known/oauth-authorization-server"}


class WireViolation(AssertionError):
    """A response breaks a wire-format rule (content type, error shape, JSON syntax)."""


def is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def normalized_content_type(content_type: str) -> str:
    return ";".join(part.strip() for part in content_type.lower().split(";"))


def must_be_json(path: str) -> bool:
    return path in _JSON_PATHS or path.startswith(_JSON_PATH_PREFIXES)


class CheckedSession(requests.Session):
    """requests.Session bound to one server; relative URLs are resolved against `base_url`.

    Extra keyword for every request: `token=` (a bearer token, or None for no Authorization
    header); without it the session's own `token` is used.
    """

    def __init__(self, base_url: str, spec: OpenAPISpec, token: str | None = None):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self._origin = (parts.scheme, parts.netloc)
        self.spec = spec
        self.token = token
        self.headers["User-Agent"] = "topi-e2e-tests"

    def url(self, path: str) -> str:
        return self.base_url + path if path.startswith("/") else path

    def request(self, method, url, *args, token: Any = _UNSET, **kwargs):  # noqa: D401
        url = self.url(url)
        headers = dict(kwargs.pop("headers", None) or {})
        bearer = self.token if token is _UNSET else token
        if bearer is not None and not any(k.lower() == "authorization" for k in headers):
            headers["Authorization"] = f"Bearer {bearer}"
        kwargs["headers"] = headers
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        response = super().request(method, url, *args, **kwargs)
        for r in [*response.history, response]:
            self.check_response(r)
        return response

    def with_token(self, token: str | None) -> "CheckedSession":
        """A new session (own cookies) for the same server with another token."""
        return CheckedSession(self.base_url, self.spec, token=token)

    # -- checks -------------------------------------------------------------------------------

    def check_response(self, response: requests.Response) -> None:
        response.json_body = None
        parts = urlsplit(response.url)
        if (parts.scheme, parts.netloc) != self._origin:
            return
        path = parts.path or "/"
        method = response.request.method.upper() if response.request is not None else "GET"
        status = response.status_code
        content_type = response.headers.get("Content-Type", "")
        where = f"{method} {path} -> {status}"

        limits = [h for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
                  if h in response.headers]
        if limits and (len(limits) != 3 or "Date" not in response.headers):
            raise WireViolation(
                f"{where}: X-RateLimit-Limit, -Remaining and -Reset go together, with a Date header "
                f"(Mastodon.py reads them all); got {limits} and Date={response.headers.get('Date')!r}"
            )

        body_expected = method not in ("HEAD", "OPTIONS") and status != 204 and not 300 <= status < 400
        if must_be_json(path) and body_expected:
            if normalized_content_type(content_type) != normalized_content_type(JSON_CONTENT_TYPE):
                raise WireViolation(
                    f"{where}: Content-Type must be {JSON_CONTENT_TYPE!r}, got {content_type!r}; "
                    f"body: {response.text[:300]!r}"
                )
        if not (is_json_media_type(content_type) and body_expected):
            return
        try:
            body = json.loads(response.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise WireViolation(f"{where}: body is not valid UTF-8 JSON ({exc}): {response.text[:300]!r}")
        response.json_body = body

        if must_be_json(path) and status >= 400:
            if not (isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"]):
                raise WireViolation(f'{where}: error body must be {{"error": "<message>"}}, got {body!r}')
        if must_be_json(path) or self.spec.match_path(path) is not None:
            self.spec.validate(method, path, status, body)


def describe(response: requests.Response) -> str:
    """One-line summary of a response for assertion messages."""
    body = response.text
    if len(body) > 600:
        body = body[:600] + "…"
    location = response.headers.get("Location")
    loc = f" Location={location}" if location else ""
    return f"{response.request.method} {response.url} -> {response.status_code}{loc} {body!r}"


def expect_error(response: requests.Response, *statuses: int) -> dict:
    """Assert an error response with one of `statuses` and a {"error": ...} JSON body; return it."""
    assert response.status_code in statuses, f"expected HTTP {' or '.join(map(str, statuses))}: {describe(response)}"
    body = response.json_body
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], (
        f'expected a {{"error": "..."}} JSON body: {describe(response)}'
    )
    return body


def expect_oauth_error(response: requests.Response, status: int, error: str) -> dict:
    """Assert an RFC 6749 error: the status, the `error` code and a string `error_description`."""
    body = expect_error(response, status)
    assert body["error"] == error, f"expected error={error!r}: {describe(response)}"
    assert isinstance(body.get("error_description"), str) and body["error_description"], (
        f"OAuth errors need an error_description: {describe(response)}"
    )
    return body


def expect_ok(response: requests.Response, status: int = 200):
    assert response.status_code == status, describe(response)
    return response.json_body
