"""Failed logins on the HTML authorize form are rate-limited too, so brute force can't just move
from the password grant to the form. Runs against its own server (rate_limit_server)."""

from client import CheckedSession, describe
from helpers import register_app
from oauth_flow import find_login_form, issued_code, login_form_or_fail, open_authorize, submit_login
from settings import PASSWORD, USERNAME

CALLBACK = "https://app.example/cb"
WRONG_ATTEMPTS = 10


def test_login_form_locks_out_after_repeated_wrong_passwords(rate_limit_server, spec):
    with CheckedSession(rate_limit_server.url, spec) as browser:
        app = register_app(browser, name="form brute force", redirect_uris=CALLBACK, scopes="read")
        for i in range(WRONG_ATTEMPTS):
            page = open_authorize(browser, app, redirect_uri=CALLBACK, scope="read")
            if page.status_code == 429:
                break
            form = login_form_or_fail(page)
            resp = submit_login(browser, form, username=USERNAME, password=f"wrong-{i}")
            assert issued_code(resp) is None, describe(resp)
            assert resp.status_code in (200, 401, 403, 422, 429), describe(resp)

        page = open_authorize(browser, app, redirect_uri=CALLBACK, scope="read")
        if page.status_code == 429:
            return  # locked out before the form is even shown
        form = find_login_form(page)
        assert form is not None, describe(page)
        resp = submit_login(browser, form, username=USERNAME, password=PASSWORD)
        assert issued_code(resp) is None, f"logged in despite {WRONG_ATTEMPTS} failed attempts: {describe(resp)}"
        assert resp.status_code == 429, describe(resp)
