"""The owner's web sign-in and account security (docs/web.md, "Signing in") in Debian's headless
Chromium, on a server of this module's own (`sign_in_server` in conftest.py): two-factor
authentication turned on here must not reach the other modules' password grants, and the wrong
passwords typed here must not spend the main server's rate limit. The two-factor fixture turns
it off again even when a test fails.

Signing in (a wrong password refused, the right one lands on /settings), the session cookie's
attributes as Chromium stored them (`__Host-` works over http on 127.0.0.1: Chromium counts
loopback as secure), the settings' links and the CSV exports with the cookie, the session list
and revoking another device, authorized apps (revoking one makes its token 401), TOTP: set up
from the page's key, the password grant refused, sign-in with a code and with a recovery code
(used once), the consent page with a code, turned off again. With plain HTTP (requests): every
state-changing form refuses a POST without its token, or from another origin, with 403 and no
change. Every page: no console or CSP error, no script, every control labelled and reached by Tab.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
import requests

from browser import page, screenshot  # noqa: F401 (the fixture)
from settings import OOB, PASSWORD, USERNAME

OTHER_DEVICE = "E2E-Other-Device/1.0 (a second browser)"


@pytest.fixture(scope="module")
def url(sign_in_server) -> str:
    return sign_in_server.url


# -- TOTP as an authenticator app computes it (RFC 6238: HMAC-SHA-1, 6 digits, 30 s) -------------


def totp(secret: str, step: int) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">q", step), hashlib.sha1).digest()
    offset = digest[19] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def step_now() -> int:
    return int(time.time()) // 30


# -- page checks ------------------------------------------------------------------------------------


def no_errors(page) -> None:
    assert page.console_errors == [], page.console_errors
    assert page.locator("script").count() == 0, "the pages ship no script"


def every_control_labelled(page) -> None:
    """Each visible input has a <label for> or an aria-label; each button has a name."""
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), button')]
        .filter(e => e.tagName === 'BUTTON'
            ? !(e.getAttribute('aria-label') || e.innerText.trim())
            : !(e.getAttribute('aria-label') || (e.id && document.querySelector(`label[for="${e.id}"]`))))
        .map(e => e.outerHTML)""")
    assert unlabelled == [], unlabelled


def tab_reaches(page, selector: str, presses: int = 30) -> None:
    """Pressing Tab from the top of the page focuses `selector` at some point."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    target = page.locator(selector).first.element_handle()
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("t => document.activeElement === t", target):
            return
    pytest.fail(f"Tab never reached {selector}")


def check_page(page) -> None:
    no_errors(page)
    every_control_labelled(page)


def sign_in_in_browser(page, url: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/auth/sign_in")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def sign_out_in_browser(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


# -- plain HTTP: requests keeps no Secure cookie over http, so cookies travel by hand --------------


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} in the page"
    return found.group(1)


def set_cookie(response: requests.Response, name: str) -> str:
    """`name=value` of a cookie the response sets (from its raw headers)."""
    for header in response.raw.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header.split(";")[0]
    raise AssertionError(f"{name} not set: {response.headers}")


def sign_in_over_http(url: str, user_agent: str = OTHER_DEVICE) -> str:
    """A session cookie (`name=value`) from the password alone."""
    form = requests.get(f"{url}/auth/sign_in", headers={"User-Agent": user_agent}, timeout=30)
    cookie = set_cookie(form, "__Host-topi_sign_in")
    done = requests.post(f"{url}/auth/sign_in", allow_redirects=False, timeout=30,
                         headers={"Cookie": cookie, "User-Agent": user_agent},
                         data={"authenticity_token": hidden(form.text, "authenticity_token"), "password": PASSWORD})
    assert done.status_code == 303, done.text
    return set_cookie(done, "__Host-topi_session")


def get_with(url: str, cookie: str, path: str) -> requests.Response:
    return requests.get(url + path, headers={"Cookie": cookie}, allow_redirects=False, timeout=30)


def app_and_token(url: str, name: str) -> tuple[dict, str]:
    app = requests.post(f"{url}/api/v1/apps", timeout=30, data={
        "client_name": name, "redirect_uris": OOB, "scopes": "read write push"}).json()
    token = password_grant(url, app)
    assert token.status_code == 200, token.text
    return app, token.json()["access_token"]


def password_grant(url: str, app: dict) -> requests.Response:
    return requests.post(f"{url}/oauth/token", timeout=30, data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": USERNAME, "password": PASSWORD, "scope": "read"})


# -- the tests, in order: each module server starts signed out ------------------------------------


def test_a_wrong_password_is_refused_and_the_right_one_signs_in(page, url):
    page.goto(f"{url}/settings")
    assert page.url == f"{url}/auth/sign_in", "settings send a stranger to the sign-in page"
    check_page(page)
    tab_reaches(page, "button[type=submit]")
    screenshot(page, "sign-in")

    sign_in_in_browser(page, url, "not the password")
    assert page.get_by_role("alert").inner_text() == "Invalid password."
    assert not [c for c in page.context.cookies() if c["name"] == "__Host-topi_session"]

    sign_in_in_browser(page, url)
    assert page.url == f"{url}/settings"
    check_page(page)
    screenshot(page, "settings")
    session = next(c for c in page.context.cookies() if c["name"] == "__Host-topi_session")
    assert (session["secure"], session["httpOnly"], session["sameSite"], session["path"]) == (True, True, "Lax", "/")
    assert session["expires"] > time.time() + 300 * 86400, "kept for a year; the idle limit is the server's"
    assert not [c for c in page.context.cookies() if c["name"] == "__Host-topi_sign_in"], "the form's cookie is dropped"


def test_settings_link_what_exists_and_are_keyboard_reachable(page, url):
    page.goto(f"{url}/settings")
    for link in ["Account", "Two-factor authentication", "Authorized apps", "Follows"]:
        assert page.get_by_role("link", name=link).first.is_visible(), link
    tab_reaches(page, "a[href='/oauth/authorized_applications']")
    tab_reaches(page, "button:has-text('Sign out')")
    csv = page.context.request.get(f"{url}/settings/exports/follows.csv")
    assert csv.status == 200 and csv.headers["content-type"] == "text/csv"
    assert csv.text().startswith("Account address,Show boosts")
    assert requests.get(f"{url}/settings/exports/follows.csv", timeout=30).status_code == 401, "not without the session"

    page.goto(f"{url}/auth/edit")
    check_page(page)
    assert "ADMIN_PASSWORD" in page.locator("main").inner_text(), "how the password is changed"
    screenshot(page, "account")


def test_every_form_refuses_a_post_without_its_token(url):
    cookie = sign_in_over_http(url)
    settings = get_with(url, cookie, "/settings")
    assert settings.status_code == 200
    token = hidden(settings.text, "authenticity_token")
    own_id = re.search(r'action="/settings/sessions/(\d+)"', get_with(url, cookie, "/auth/edit").text).group(1)
    app, api_token = app_and_token(url, "CSRF probe")
    forms = ["/auth/sign_out", f"/settings/sessions/{own_id}", "/settings/sessions/others",
             "/settings/otp_authentication", "/settings/two_factor_authentication_methods/disable",
             "/oauth/authorized_applications", "/oauth/authorized_applications/1"]
    for path in forms:
        for data, origin in [({}, None), ({"authenticity_token": "forged"}, None),
                             ({"authenticity_token": token}, "https://evil.example")]:
            headers = {"Cookie": cookie, **({"Origin": origin} if origin else {})}
            refused = requests.post(url + path, data={"_method": "delete", **data}, headers=headers,
                                    allow_redirects=False, timeout=30)
            assert refused.status_code == 403, (path, data, origin, refused.status_code)
            assert "authenticity token" in refused.text
    assert get_with(url, cookie, "/settings").status_code == 200, "still signed in"
    me = requests.get(f"{url}/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {api_token}"}, timeout=30)
    assert me.status_code == 200, "the app still holds its token"
    sign_in_form = requests.post(f"{url}/auth/sign_in", data={"password": PASSWORD}, allow_redirects=False, timeout=30)
    assert sign_in_form.status_code == 403 and "Set-Cookie" not in sign_in_form.headers
    assert requests.get(f"{url}/auth/sign_in", timeout=30).headers["Cache-Control"] == "no-store"


def test_another_devices_session_is_listed_and_revoked(page, url):
    device = f"{OTHER_DEVICE} #2"
    other = sign_in_over_http(url, device)
    page.goto(f"{url}/auth/edit")
    assert device in page.locator("table").inner_text()
    assert "(this browser)" in page.locator("table").inner_text()
    check_page(page)
    page.get_by_role("button", name=f"Revoke the session of {device}", exact=True).click()
    page.wait_for_load_state()
    assert page.url == f"{url}/auth/edit"
    assert get_with(url, other, "/settings").status_code == 303, "the other device is signed out"
    assert page.goto(f"{url}/settings").url == f"{url}/settings", "this one is not"


def test_revoking_an_app_closes_its_access(page, url):
    app, token = app_and_token(url, "Revoked Reader")
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{url}/api/v1/accounts/verify_credentials", headers=bearer, timeout=30).status_code == 200
    page.goto(f"{url}/oauth/authorized_applications")
    card = page.locator(".card", has_text="Revoked Reader")
    assert "read" in card.inner_text() and "last used" in card.inner_text()
    check_page(page)
    screenshot(page, "authorized-apps")
    card.get_by_role("button", name="Revoke Revoked Reader").click()
    page.wait_for_load_state()
    assert page.locator(".card", has_text="Revoked Reader").count() == 0
    assert requests.get(f"{url}/api/v1/accounts/verify_credentials", headers=bearer, timeout=30).status_code == 401


@pytest.fixture
def two_factor(page, url):
    """Turns TOTP on through the setup page: the secret, the recovery codes, and the step used.
    Turned off again afterwards, even when the test failed, with a recovery code over HTTP."""
    page.goto(f"{url}/settings/two_factor_authentication_methods")
    page.get_by_role("link", name="Set up two-factor authentication").click()
    page.wait_for_load_state()
    check_page(page)
    assert page.locator(".qr svg").count() == 1, "the QR code is inline SVG"
    assert page.get_by_role("img", name="QR code of the setup key").is_visible()
    screenshot(page, "two-factor-setup")
    secret = page.locator("#otp-secret").inner_text().strip()
    step = step_now()
    page.get_by_label("The code your app shows now").fill(totp(secret, step))
    page.get_by_role("button", name="Enable").click()
    page.wait_for_load_state()
    codes = [c.strip() for c in page.locator("ol.recovery-codes code").all_inner_texts()]
    assert len(codes) == 10, page.content()
    check_page(page)
    screenshot(page, "two-factor-recovery-codes")
    state = {"secret": secret, "codes": codes, "step": step}
    yield state
    form = requests.get(f"{url}/auth/sign_in", timeout=30)
    asked = requests.post(f"{url}/auth/sign_in", allow_redirects=False, timeout=30,
                          headers={"Cookie": set_cookie(form, "__Host-topi_sign_in")},
                          data={"authenticity_token": hidden(form.text, "authenticity_token"), "password": PASSWORD})
    if asked.status_code == 200:  # the code is asked for: still on, as the test failed before turning it off
        pending = set_cookie(asked, "__Host-topi_session")
        done = requests.post(f"{url}/auth/sign_in", allow_redirects=False, timeout=30, headers={"Cookie": pending},
                             data={"authenticity_token": hidden(asked.text, "authenticity_token"), "otp_attempt": codes[-1]})
        cookie = set_cookie(done, "__Host-topi_session")
        page_html = get_with(url, cookie, "/settings/two_factor_authentication_methods").text
        requests.post(f"{url}/settings/two_factor_authentication_methods/disable", headers={"Cookie": cookie}, timeout=30,
                      data={"authenticity_token": hidden(page_html, "authenticity_token"), "otp_attempt": codes[-2]})


def sign_in_with_second_factor(page, url: str, code: str) -> None:
    sign_in_in_browser(page, url)
    assert page.url == f"{url}/auth/sign_in", "the code is asked for"
    field = page.get_by_label("Two-factor code")
    assert field.evaluate("e => e === document.activeElement"), "the code field has the focus"
    field.fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()


def test_two_factor_guards_sign_in_the_consent_page_and_the_password_grant(page, url, two_factor):
    secret, codes, step = two_factor["secret"], two_factor["codes"], two_factor["step"]

    app = requests.post(f"{url}/api/v1/apps", timeout=30, data={"client_name": "Bot", "redirect_uris": OOB, "scopes": "read"}).json()
    refused = password_grant(url, app)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant", refused.text
    assert "Two-factor authentication" in refused.json()["error_description"]

    sign_out_in_browser(page)
    sign_in_with_second_factor(page, url, totp(secret, step))
    assert page.get_by_role("alert").inner_text() == "Invalid two-factor code or recovery code.", "a used step is refused"
    check_page(page)
    screenshot(page, "sign-in-two-factor")
    page.get_by_label("Two-factor code").fill(totp(secret, step + 1))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()
    assert page.url == f"{url}/settings"

    sign_out_in_browser(page)
    sign_in_with_second_factor(page, url, codes[0])
    assert page.url == f"{url}/settings", "a recovery code signs in"
    sign_out_in_browser(page)
    sign_in_with_second_factor(page, url, codes[0])
    assert page.get_by_role("alert").is_visible(), "only once"
    page.get_by_label("Two-factor code").fill(codes[1].upper())
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()
    assert page.url == f"{url}/settings"

    # The consent page asks for the code with the password; step + 1 was used, so wait for step + 1
    # to come, after which step + 2 is within the drift window.
    while step_now() < step + 1:
        time.sleep(0.5)
    page.goto(f"{url}/oauth/authorize?response_type=code&client_id={app['client_id']}&redirect_uri={OOB}&scope=read")
    check_page(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Two-factor code").fill("000000" if totp(secret, step + 2) != "000000" else "111111")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").inner_text() == "Invalid password or two-factor code."
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Two-factor code").fill(totp(secret, step + 2))
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_selector("#code")
    screenshot(page, "authorize-two-factor")
    code = page.locator("#code").inner_text().strip()
    token = requests.post(f"{url}/oauth/token", timeout=30, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": OOB,
        "client_id": app["client_id"], "client_secret": app["client_secret"]})
    assert token.status_code == 200, token.text

    page.goto(f"{url}/settings/two_factor_authentication_methods")
    assert "Recovery codes left: 8" in page.locator("main").inner_text()
    page.get_by_label("Two-factor code or recovery code").fill(codes[2])
    page.get_by_role("button", name="Disable two-factor authentication").click()
    page.wait_for_load_state()
    assert "Two-factor authentication is off" in page.locator("main").inner_text()
    assert password_grant(url, app).status_code == 200, "the password grant works again"
    no_errors(page)


def test_signing_out_ends_the_session(page, url):
    page.goto(f"{url}/settings")
    sign_out_in_browser(page)
    assert page.url == f"{url}/"
    assert not [c for c in page.context.cookies() if c["name"] == "__Host-topi_session"]
    page.goto(f"{url}/settings")
    assert page.url == f"{url}/auth/sign_in"
    no_errors(page)
