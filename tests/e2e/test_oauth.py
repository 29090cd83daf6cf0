"""OAuth 2: metadata, the authorization-code flow through the real HTML form, the token endpoint's
grants and client authentication, revocation, and scope enforcement.
(docs.joinmastodon.org/methods/oauth, RFC 6749, RFC 7636, RFC 7009, RFC 8414)"""

import base64
import time
from urllib.parse import urlsplit

import pytest

from client import describe, expect_error, expect_ok, expect_oauth_error
from helpers import password_token, pkce_pair, register_app
from oauth_flow import (
    CSRF_FIELD,
    code_on_page,
    find_login_form,
    is_html,
    issued_code,
    login_form_or_fail,
    obtain_code,
    open_authorize,
    redirect_params,
    submit_login,
)
from settings import EMAIL, OOB, PASSWORD, USERNAME

CALLBACK = "https://app.example/oauth/callback"


@pytest.fixture
def browser(api):
    """A fresh browser-like session (own cookie jar, no token)."""
    with api.with_token(None) as session:
        yield session


@pytest.fixture
def web_app(api):
    """An app with a web callback, a custom-scheme callback and oob; scopes read write follow."""
    return register_app(api, name="Web client e2e", redirect_uris=[CALLBACK, "icecubesapp://", OOB],
                        scopes="read write follow")


def exchange_code(api, app, code, *, redirect_uri=CALLBACK, verifier=None, json_body=False, **extra):
    data = {"grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
            "client_secret": app["client_secret"], "redirect_uri": redirect_uri, **extra}
    if verifier is not None:
        data["code_verifier"] = verifier
    return api.post("/oauth/token", token=None, **({"json": data} if json_body else {"data": data}))


def check_token(resp, scope):
    body = expect_ok(resp)
    assert "no-store" in resp.headers.get("Cache-Control", ""), "RFC 6749 §5.1: token responses are not cacheable"
    assert body["token_type"] == "Bearer"
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 20
    assert body["scope"] == scope
    assert isinstance(body["created_at"], int) and not isinstance(body["created_at"], bool)
    assert abs(body["created_at"] - time.time()) < 600, f"created_at is not the current epoch: {body['created_at']}"
    return body["access_token"]


def whoami(api, token):
    resp = api.get("/api/v1/accounts/verify_credentials", token=token)
    return expect_ok(resp)["username"]


# -- metadata -----------------------------------------------------------------------------------


def test_authorization_server_metadata(api, base_url):
    meta = expect_ok(api.get("/.well-known/oauth-authorization-server"))
    assert meta["issuer"].rstrip("/") == base_url
    assert meta["authorization_endpoint"] == f"{base_url}/oauth/authorize"
    assert meta["token_endpoint"] == f"{base_url}/oauth/token"
    assert meta["revocation_endpoint"] == f"{base_url}/oauth/revoke"
    assert meta["app_registration_endpoint"] == f"{base_url}/api/v1/apps"
    assert {"read", "write", "follow", "push", "read:accounts", "write:accounts"} <= set(meta["scopes_supported"])
    assert meta["response_types_supported"] == ["code"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert {"authorization_code", "password", "client_credentials"} <= set(meta["grant_types_supported"])
    assert {"client_secret_post", "client_secret_basic"} <= set(meta["token_endpoint_auth_methods_supported"])


# -- the authorize page ---------------------------------------------------------------------------


def test_authorize_page_is_a_login_form_with_csrf_token(browser, web_app):
    _, challenge = pkce_pair()
    page = open_authorize(browser, web_app, redirect_uri=CALLBACK, challenge=challenge)
    form = login_form_or_fail(page)
    assert form.password_name == "password"
    assert form.hidden.get(CSRF_FIELD), f"no hidden {CSRF_FIELD} input: {form.hidden}"
    assert urlsplit(form.action).netloc == urlsplit(browser.base_url).netloc, "form posts to another host"
    text = page.text
    assert web_app["name"] in text, "the page should say which app asks for access"


def test_authorize_page_cannot_be_framed(browser, web_app):
    """A password page must not be embeddable (clickjacking): X-Frame-Options or CSP frame-ancestors."""
    page = open_authorize(browser, web_app, redirect_uri=CALLBACK)
    assert page.status_code == 200, describe(page)
    xfo = page.headers.get("X-Frame-Options", "").upper()
    csp = page.headers.get("Content-Security-Policy", "")
    assert xfo in ("DENY", "SAMEORIGIN") or "frame-ancestors" in csp, dict(page.headers)


# -- the happy paths ------------------------------------------------------------------------------


@pytest.mark.parametrize("redirect_uri", [CALLBACK, "icecubesapp://"])
def test_code_flow_with_pkce_redirects_with_code_and_state(api, browser, web_app, redirect_uri):
    verifier, challenge = pkce_pair()
    page = open_authorize(browser, web_app, redirect_uri=redirect_uri, scope="read write", state="xyz",
                          challenge=challenge)
    form = login_form_or_fail(page)
    resp = submit_login(browser, form, username=USERNAME, password=PASSWORD)
    assert resp.status_code == 302, describe(resp)
    location = resp.headers["Location"]
    target = urlsplit(location)
    expected = urlsplit(redirect_uri)
    assert (target.scheme, target.netloc, target.path) == (expected.scheme, expected.netloc, expected.path), location
    params = redirect_params(resp)
    assert params.get("state") == "xyz", location
    assert params.get("code"), location

    token = check_token(exchange_code(api, web_app, params["code"], redirect_uri=redirect_uri, verifier=verifier),
                        "read write")
    assert whoami(api, token) == USERNAME


def test_code_flow_for_oob_shows_the_code(api, browser, web_app):
    code = obtain_code(browser, web_app, redirect_uri=OOB, scope="read")
    token = check_token(exchange_code(api, web_app, code, redirect_uri=OOB), "read")
    assert whoami(api, token) == USERNAME


def test_code_flow_without_pkce(api, browser, web_app):
    """Older apps (Tusky, Pinafore, Mastodon.py) don't send a code_challenge."""
    code = obtain_code(browser, web_app, redirect_uri=CALLBACK, scope="read write follow")
    token = check_token(exchange_code(api, web_app, code), "read write follow")
    assert whoami(api, token) == USERNAME


def test_code_flow_without_scope_defaults_to_read(api, browser, web_app):
    code = obtain_code(browser, web_app, redirect_uri=CALLBACK, scope=None)
    check_token(exchange_code(api, web_app, code), "read")


def test_code_exchange_with_json_body_and_basic_auth(api, browser, web_app):
    """Elk and Ice Cubes post JSON; client_secret_basic is advertised in the metadata."""
    verifier, challenge = pkce_pair()
    code = obtain_code(browser, web_app, redirect_uri=CALLBACK, challenge=challenge)
    basic = base64.b64encode(f"{web_app['client_id']}:{web_app['client_secret']}".encode()).decode()
    resp = api.post("/oauth/token", token=None, headers={"Authorization": f"Basic {basic}"}, json={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier,
    })
    token = check_token(resp, "read write")
    assert whoami(api, token) == USERNAME


def test_authorize_page_accepts_elk_extra_parameters(browser, web_app):
    """Elk adds force_login and lang to the authorize URL."""
    page = open_authorize(browser, web_app, redirect_uri=CALLBACK, extra={"force_login": "true", "lang": "en"})
    login_form_or_fail(page)


# -- the authorize page: bad input --------------------------------------------------------------


def assert_no_code(resp):
    assert issued_code(resp) is None, f"a code was issued: {describe(resp)}"
    location = resp.headers.get("Location", "")
    assert "code=" not in location and "access_token" not in location, location


def test_wrong_password_shows_the_form_again_with_an_error(api, browser, web_app):
    page = open_authorize(browser, web_app, redirect_uri=CALLBACK, state="xyz")
    form = login_form_or_fail(page)
    resp = submit_login(browser, form, username=USERNAME, password="wrong-password")
    assert resp.status_code in (200, 401, 422), describe(resp)
    assert is_html(resp), describe(resp)
    assert_no_code(resp)
    again = find_login_form(resp)
    assert again is not None, "the login form should be shown again"
    words = ("invalid", "incorrect", "wrong", "error", "failed", "not match")
    assert any(w in resp.text.lower() for w in words), "the page should say the login failed"
    # The re-rendered form works with the right password (one failure doesn't lock the owner out).
    ok = submit_login(browser, again, username=USERNAME, password=PASSWORD)
    assert ok.status_code == 302 and redirect_params(ok).get("code"), describe(ok)


@pytest.mark.parametrize("tamper", ["missing", "altered"])
def test_login_without_valid_csrf_token_is_refused(browser, web_app, tamper):
    page = open_authorize(browser, web_app, redirect_uri=CALLBACK)
    form = login_form_or_fail(page)
    if tamper == "missing":
        resp = submit_login(browser, form, username=USERNAME, password=PASSWORD, drop=(CSRF_FIELD,))
    else:
        original = form.hidden.get(CSRF_FIELD, "")
        altered = (original[:-4] + ("AAAA" if not original.endswith("AAAA") else "BBBB")) if original else "forged"
        resp = submit_login(browser, form, username=USERNAME, password=PASSWORD, override={CSRF_FIELD: altered})
    assert resp.status_code in (403, 422), describe(resp)
    assert_no_code(resp)


def test_csrf_token_of_another_browser_session_is_refused(api, browser, web_app):
    """The token must be bound to the browser that loaded the form (login CSRF)."""
    with api.with_token(None) as attacker:
        attacker_form = login_form_or_fail(open_authorize(attacker, web_app, redirect_uri=CALLBACK))
    victim_form = login_form_or_fail(open_authorize(browser, web_app, redirect_uri=CALLBACK))
    resp = submit_login(browser, victim_form, username=USERNAME, password=PASSWORD,
                        override={CSRF_FIELD: attacker_form.hidden.get(CSRF_FIELD, "")})
    if attacker_form.hidden.get(CSRF_FIELD) == victim_form.hidden.get(CSRF_FIELD):
        pytest.fail("two browser sessions got the same CSRF token")
    assert resp.status_code in (403, 422), describe(resp)
    assert_no_code(resp)


def test_authorize_with_unknown_client_id_is_an_error_without_redirect(browser, web_app):
    resp = open_authorize(browser, web_app, redirect_uri=CALLBACK, client_id="no-such-client")
    assert 400 <= resp.status_code < 500, describe(resp)
    assert "Location" not in resp.headers, describe(resp)
    assert find_login_form(resp) is None, "no login form for an unknown client"


def test_authorize_with_unregistered_redirect_uri_is_an_error_without_redirect(browser, web_app):
    resp = open_authorize(browser, web_app, redirect_uri="https://evil.example/steal")
    assert 400 <= resp.status_code < 500, describe(resp)
    assert "evil.example" not in resp.headers.get("Location", ""), describe(resp)
    assert find_login_form(resp) is None, "no login form for an unregistered redirect_uri"


def test_posting_the_form_with_a_swapped_redirect_uri_sends_no_code_there(browser, web_app):
    form = login_form_or_fail(open_authorize(browser, web_app, redirect_uri=CALLBACK))
    resp = submit_login(browser, form, username=USERNAME, password=PASSWORD,
                        override={"redirect_uri": "https://evil.example/steal"})
    location = resp.headers.get("Location", "")
    assert "evil.example" not in location, f"code sent to an unregistered redirect_uri: {location}"


def test_posting_the_form_with_a_swapped_client_id_issues_no_code(browser, web_app):
    form = login_form_or_fail(open_authorize(browser, web_app, redirect_uri=CALLBACK))
    assert "client_id" in dict(form.fields), "the form names its client"
    resp = submit_login(browser, form, username=USERNAME, password=PASSWORD, override={"client_id": "no-such-client"})
    assert_no_code(resp)


def test_scope_beyond_the_apps_scopes_is_refused(browser, api):
    app = register_app(api, name="read-only app", redirect_uris=CALLBACK, scopes="read")
    page = open_authorize(browser, app, redirect_uri=CALLBACK, scope="read write")
    if page.status_code == 200 and find_login_form(page) is not None:
        resp = submit_login(browser, find_login_form(page), username=USERNAME, password=PASSWORD)
    else:
        resp = page
    assert_no_code(resp)
    if resp.status_code == 302:
        assert redirect_params(resp).get("error") == "invalid_scope", describe(resp)
    else:
        assert 400 <= resp.status_code < 500, describe(resp)


def test_plain_pkce_method_is_refused(browser, web_app):
    """Only S256 is advertised; a 'plain' challenge must not yield a code."""
    page = open_authorize(browser, web_app, redirect_uri=CALLBACK, challenge="a" * 43, challenge_method="plain")
    if page.status_code == 200 and find_login_form(page) is not None:
        resp = submit_login(browser, find_login_form(page), username=USERNAME, password=PASSWORD)
    else:
        resp = page
    assert_no_code(resp)


def test_implicit_grant_is_not_supported(browser, web_app):
    page = browser.get("/oauth/authorize", token=None, allow_redirects=False, params={
        "response_type": "token", "client_id": web_app["client_id"], "redirect_uri": CALLBACK, "scope": "read"})
    if page.status_code == 200 and find_login_form(page) is not None:
        resp = submit_login(browser, find_login_form(page), username=USERNAME, password=PASSWORD)
    else:
        resp = page
    assert_no_code(resp)
    if resp.status_code in (302, 303):
        assert redirect_params(resp).get("error") == "unsupported_response_type", describe(resp)


# -- the token endpoint: bad input ----------------------------------------------------------------


def test_wrong_pkce_verifier_is_invalid_grant(api, browser, web_app):
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = obtain_code(browser, web_app, redirect_uri=CALLBACK, challenge=challenge)
    body = expect_oauth_error(exchange_code(api, web_app, code, verifier=other_verifier), 400, "invalid_grant")
    assert "access_token" not in body


def test_missing_pkce_verifier_is_invalid_grant(api, browser, web_app):
    _, challenge = pkce_pair()
    code = obtain_code(browser, web_app, redirect_uri=CALLBACK, challenge=challenge)
    expect_oauth_error(exchange_code(api, web_app, code), 400, "invalid_grant")


def test_code_can_be_used_only_once(api, browser, web_app):
    verifier, challenge = pkce_pair()
    code = obtain_code(browser, web_app, redirect_uri=CALLBACK, challenge=challenge)
    check_token(exchange_code(api, web_app, code, verifier=verifier), "read write")
    expect_oauth_error(exchange_code(api, web_app, code, verifier=verifier), 400, "invalid_grant")


def test_reusing_a_code_revokes_the_token_it_granted(api, browser, web_app):
    """RFC 6749 §4.1.2: a replayed code suggests theft; tokens issued from it should be revoked."""
    code = obtain_code(browser, web_app, redirect_uri=CALLBACK)
    token = check_token(exchange_code(api, web_app, code), "read write")
    assert whoami(api, token) == USERNAME
    expect_oauth_error(exchange_code(api, web_app, code), 400, "invalid_grant")
    expect_error(api.get("/api/v1/accounts/verify_credentials", token=token), 401)


def test_reusing_a_code_closes_the_streaming_sockets_of_the_tokens_it_revokes(api, browser, web_app, server):
    import asyncio

    import aiohttp

    code = obtain_code(browser, web_app, redirect_uri=CALLBACK)
    token = check_token(exchange_code(api, web_app, code), "read write")

    async def scenario():
        url = server.url.replace("http://", "ws://") + f"/api/v1/streaming?stream=user&access_token={token}"
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(url) as ws:
                await asyncio.to_thread(lambda: expect_oauth_error(exchange_code(api, web_app, code), 400, "invalid_grant"))
                message = await ws.receive(timeout=10)
                assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING), message
                assert ws.close_code == 1008

    asyncio.run(scenario())


def test_code_of_another_client_is_invalid_grant(api, browser, web_app):
    code = obtain_code(browser, web_app, redirect_uri=CALLBACK)
    other = register_app(api, name="other client", redirect_uris=CALLBACK, scopes="read write follow")
    expect_oauth_error(exchange_code(api, other, code), 400, "invalid_grant")
    # the rightful client can still redeem it
    check_token(exchange_code(api, web_app, code), "read write")


def test_code_with_a_different_redirect_uri_is_invalid_grant(api, browser, web_app):
    code = obtain_code(browser, web_app, redirect_uri=CALLBACK)
    expect_oauth_error(exchange_code(api, web_app, code, redirect_uri="icecubesapp://"), 400, "invalid_grant")


def test_unknown_code_is_invalid_grant(api, web_app):
    expect_oauth_error(exchange_code(api, web_app, "not-a-code"), 400, "invalid_grant")


def test_unknown_client_is_invalid_client(api, browser, web_app):
    code = obtain_code(browser, web_app, redirect_uri=CALLBACK)
    resp = api.post("/oauth/token", token=None, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
        "client_id": "no-such-client", "client_secret": "whatever"})
    expect_oauth_error(resp, 401, "invalid_client")


def test_wrong_client_secret_is_invalid_client(api, browser, web_app):
    code = obtain_code(browser, web_app, redirect_uri=CALLBACK)
    resp = exchange_code(api, {**web_app, "client_secret": web_app["client_secret"] + "x"}, code)
    expect_oauth_error(resp, 401, "invalid_client")
    # nothing was consumed: the real client still gets its token
    check_token(exchange_code(api, web_app, code), "read write")


def test_wrong_basic_auth_secret_is_invalid_client_with_www_authenticate(api, web_app):
    basic = base64.b64encode(f"{web_app['client_id']}:wrong".encode()).decode()
    resp = api.post("/oauth/token", token=None, headers={"Authorization": f"Basic {basic}"},
                    data={"grant_type": "client_credentials"})
    expect_oauth_error(resp, 401, "invalid_client")
    assert resp.headers.get("WWW-Authenticate", "").lower().startswith("basic"), dict(resp.headers)


def test_missing_grant_type_is_invalid_request(api, web_app):
    resp = api.post("/oauth/token", token=None, data={"client_id": web_app["client_id"],
                                                      "client_secret": web_app["client_secret"]})
    expect_oauth_error(resp, 400, "invalid_request")


def test_unknown_grant_type_is_unsupported_grant_type(api, web_app):
    resp = api.post("/oauth/token", token=None, data={
        "grant_type": "urn:example:magic", "client_id": web_app["client_id"], "client_secret": web_app["client_secret"]})
    expect_oauth_error(resp, 400, "unsupported_grant_type")


# -- password grant -------------------------------------------------------------------------------


def password_grant(api, app, username=USERNAME, password=PASSWORD, scope="read write", **extra):
    return api.post("/oauth/token", token=None, data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": username, "password": password, "scope": scope, **extra})


@pytest.mark.parametrize("username", [USERNAME, EMAIL])
def test_password_grant_by_username_or_email(api, app, username):
    token = check_token(password_grant(api, app, username=username, scope="read write"), "read write")
    assert whoami(api, token) == USERNAME


def test_password_grant_with_wrong_password_is_invalid_grant(api, app):
    body = expect_oauth_error(password_grant(api, app, password="not-the-password"), 400, "invalid_grant")
    assert "access_token" not in body


def test_password_grant_for_unknown_user_is_invalid_grant(api, app):
    expect_oauth_error(password_grant(api, app, username="mallory"), 400, "invalid_grant")


def test_password_grant_with_scope_beyond_the_app_is_invalid_scope(api):
    app = register_app(api, name="read-only bot", scopes="read")
    expect_oauth_error(password_grant(api, app, scope="read write"), 400, "invalid_scope")


def test_password_grant_with_basic_client_auth(api, app):
    basic = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    resp = api.post("/oauth/token", token=None, headers={"Authorization": f"Basic {basic}"}, data={
        "grant_type": "password", "username": USERNAME, "password": PASSWORD, "scope": "read"})
    token = check_token(resp, "read")
    assert whoami(api, token) == USERNAME


# -- client credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["client_secret_post", "client_secret_basic"])
def test_client_credentials_token_is_an_app_token(api, app, auth):
    if auth == "client_secret_post":
        resp = api.post("/oauth/token", token=None, data={
            "grant_type": "client_credentials", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "scope": "read"})
    else:
        basic = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
        resp = api.post("/oauth/token", token=None, headers={"Authorization": f"Basic {basic}"},
                        data={"grant_type": "client_credentials", "scope": "read"})
    token = check_token(resp, "read")
    assert expect_ok(api.get("/api/v1/apps/verify_credentials", token=token))["name"] == app["name"]
    # an app token has no user behind it (Mastodon answers 422 "This method requires an authenticated user")
    expect_error(api.get("/api/v1/accounts/verify_credentials", token=token), 401, 403, 422)


def test_client_credentials_with_wrong_secret_is_invalid_client(api, app):
    resp = api.post("/oauth/token", token=None, data={
        "grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": "nope"})
    expect_oauth_error(resp, 401, "invalid_client")


# -- revocation -----------------------------------------------------------------------------------


def test_revoked_token_no_longer_works(api, app, token):
    assert whoami(api, token) == USERNAME
    resp = api.post("/oauth/revoke", token=None, data={
        "token": token, "client_id": app["client_id"], "client_secret": app["client_secret"]})
    assert expect_ok(resp) == {}
    expect_error(api.get("/api/v1/accounts/verify_credentials", token=token), 401)


def test_revoking_an_unknown_token_is_ok(api, app):
    resp = api.post("/oauth/revoke", token=None, data={
        "token": "no-such-token", "client_id": app["client_id"], "client_secret": app["client_secret"]})
    assert expect_ok(resp) == {}


def test_another_client_cannot_revoke_a_token(api, app, token):
    other = register_app(api, name="revoker")
    api.post("/oauth/revoke", token=None, data={
        "token": token, "client_id": other["client_id"], "client_secret": other["client_secret"]})
    assert whoami(api, token) == USERNAME, "a token was revoked by a client it wasn't issued to"


def test_revoke_with_wrong_client_secret_keeps_the_token(api, app, token):
    resp = api.post("/oauth/revoke", token=None, data={
        "token": token, "client_id": app["client_id"], "client_secret": "wrong"})
    assert resp.status_code in (401, 403), describe(resp)
    assert whoami(api, token) == USERNAME


# -- scopes and bearer tokens -------------------------------------------------------------------


def profile_note(api, token):
    return expect_ok(api.get("/api/v1/accounts/verify_credentials", token=token))["source"]["note"]


def test_no_token_is_401(api):
    expect_error(api.get("/api/v1/accounts/verify_credentials", token=None), 401)


@pytest.mark.parametrize("header", ["Bearer garbage-token", "Bearer ", "Basic YWxpY2U6cHc=", "garbage"])
def test_bad_authorization_header_is_401(api, header):
    resp = api.get("/api/v1/accounts/verify_credentials", token=None, headers={"Authorization": header})
    expect_error(resp, 401)


def test_read_token_cannot_update_credentials(api, make_token):
    read_token = make_token("read")
    before = profile_note(api, read_token)
    resp = api.patch("/api/v1/accounts/update_credentials", token=read_token, data={"note": "written with read"})
    expect_error(resp, 403)
    assert profile_note(api, read_token) == before


def test_write_token_can_update_credentials(api, make_token):
    token = make_token("read write")
    resp = api.patch("/api/v1/accounts/update_credentials", token=token, data={"note": "written with write"})
    assert expect_ok(resp)["source"]["note"] == "written with write"


def test_granular_scopes_are_enforced(api):
    app = register_app(api, name="granular", scopes="read:accounts write:accounts write:statuses")
    accounts_token = password_token(api, app, "read:accounts write:accounts")
    statuses_token = password_token(api, app, "read:accounts write:statuses")
    resp = api.patch("/api/v1/accounts/update_credentials", token=accounts_token, data={"note": "granular ok"})
    assert expect_ok(resp)["source"]["note"] == "granular ok"
    expect_error(api.patch("/api/v1/accounts/update_credentials", token=statuses_token,
                           data={"note": "must not be written"}), 403)
    assert profile_note(api, accounts_token) == "granular ok"


def test_write_only_token_cannot_read_credentials(api, make_token):
    expect_error(api.get("/api/v1/accounts/verify_credentials", token=make_token("write")), 403)


@pytest.mark.parametrize("redirect_uri", [OOB, CALLBACK])
def test_authorize_page_hands_out_no_code_before_login(browser, web_app, redirect_uri):
    page = open_authorize(browser, web_app, redirect_uri=redirect_uri)
    assert page.status_code == 200, describe(page)
    assert_no_code(page)
    assert code_on_page(page) is None
