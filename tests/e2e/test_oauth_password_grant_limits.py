"""Failed password logins are rate-limited (CLIENT-COMPAT: "rate-limited on failures").

Runs against its own server (rate_limit_server) so the main server's owner is never locked out.
"""

from client import CheckedSession, describe, expect_error, expect_ok, expect_oauth_error
from helpers import register_app
from settings import PASSWORD, USERNAME

WRONG_ATTEMPTS = 10


def password_grant(api, app, password):
    return api.post("/oauth/token", token=None, data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": USERNAME, "password": password, "scope": "read"})


def test_password_grant_locks_out_after_repeated_wrong_passwords(rate_limit_server, spec):
    with CheckedSession(rate_limit_server.url, spec) as api:
        app = register_app(api, name="brute force")
        # the limiter is not hair-trigger: the first failure is an ordinary invalid_grant
        expect_oauth_error(password_grant(api, app, "wrong-0"), 400, "invalid_grant")
        statuses = [400]
        for i in range(1, WRONG_ATTEMPTS):
            resp = password_grant(api, app, f"wrong-{i}")
            assert resp.status_code in (400, 429), describe(resp)
            if resp.status_code == 400:
                expect_oauth_error(resp, 400, "invalid_grant")
            statuses.append(resp.status_code)

        # even the right password is refused now, and no token is handed out
        resp = password_grant(api, app, PASSWORD)
        body = expect_error(resp, 429)
        assert "access_token" not in body, f"token issued during lock-out after {statuses}: {describe(resp)}"

        # the lock-out is about logins, not the whole server
        expect_ok(api.get("/api/v1/instance"))
