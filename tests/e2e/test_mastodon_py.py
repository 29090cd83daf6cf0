"""A real client library against Topi: Mastodon.py (password login, code login, basic calls).

Mastodon.py's HTTP traffic goes through CheckedSession, so every response it gets is also
schema-checked. Its OAuth URLs are plain http here, hence allow_http=True (a documented option
for testing); no part of the library is patched.
"""

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonIllegalArgumentError, MastodonNotFoundError, MastodonUnauthorizedError

from client import CheckedSession
from oauth_flow import code_on_page, login_form_or_fail, submit_login
from settings import OOB, PASSWORD, TITLE, USERNAME

SCOPES = ["read", "write", "follow"]


@pytest.fixture
def session(server, spec):
    with CheckedSession(server.url, spec) as s:
        yield s


@pytest.fixture
def registered(server, session):
    """(client_id, client_secret) from Mastodon.create_app."""
    return Mastodon.create_app("Topi e2e (Mastodon.py)", scopes=SCOPES, api_base_url=server.url, session=session)


def new_client(server, session, registered, **kwargs):
    client_id, client_secret = registered
    return Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server.url, session=session,
                    ratelimit_method="throw", **kwargs)


def test_create_app_returns_credentials(registered):
    client_id, client_secret = registered
    assert client_id and client_secret and client_id != client_secret


def test_password_login_then_verify_credentials_and_instance(server, session, registered):
    mastodon = new_client(server, session, registered, version_check_mode="created")
    assert mastodon.retrieve_mastodon_version(fail_hard=True) == "4.3.0"
    assert mastodon.verify_minimum_version("4.3.0", cached=True)

    token = mastodon.log_in(USERNAME, PASSWORD, scopes=SCOPES, allow_http=True)
    assert token

    me = mastodon.account_verify_credentials()
    assert me.username == USERNAME and me.acct == USERNAME
    assert me.source.privacy in ("public", "unlisted", "private", "direct")

    instance = mastodon.instance()
    assert instance.title == TITLE
    assert instance.version.startswith("4.3.0 (compatible; Topi")
    v1 = mastodon.instance_v1()
    assert v1.uri == server.host
    assert v1.urls.streaming_api


def test_everyday_calls(server, session, registered):
    mastodon = new_client(server, session, registered)
    mastodon.log_in(USERNAME, PASSWORD, scopes=SCOPES, allow_http=True)
    me = mastodon.account_verify_credentials()

    assert mastodon.account(me.id).username == USERNAME
    assert mastodon.account_lookup(USERNAME).id == me.id
    updated = mastodon.account_update_credentials(note="Set by Mastodon.py", fields=[("Library", "Mastodon.py")])
    assert updated.source.note == "Set by Mastodon.py"
    assert [(f.name, f.value) for f in updated.source.fields] == [("Library", "Mastodon.py")]
    assert mastodon.account_verify_credentials().source.note == "Set by Mastodon.py"
    prefs = mastodon.preferences()
    assert prefs["posting:default:visibility"] in ("public", "unlisted", "private", "direct")
    assert mastodon.custom_emojis() == []
    assert isinstance(mastodon.instance_peers(), list)
    assert mastodon.app_verify_credentials().name == "Topi e2e (Mastodon.py)"
    with pytest.raises(MastodonNotFoundError):
        mastodon.account("999999999999999999")


def test_revoke_access_token(server, session, registered):
    mastodon = new_client(server, session, registered)
    mastodon.log_in(USERNAME, PASSWORD, scopes=SCOPES, allow_http=True)
    mastodon.account_verify_credentials()
    mastodon.revoke_access_token(allow_http=True)
    with pytest.raises(MastodonUnauthorizedError):
        mastodon.account_verify_credentials()


def test_wrong_password_login_fails(server, session, registered):
    mastodon = new_client(server, session, registered)
    with pytest.raises(MastodonIllegalArgumentError):
        mastodon.log_in(USERNAME, "not-the-password", scopes=SCOPES, allow_http=True)


def test_code_login_through_the_authorize_page(server, session, registered, spec):
    mastodon = new_client(server, session, registered)
    url = mastodon.auth_request_url(redirect_uris=OOB, scopes=SCOPES, allow_http=True)
    with CheckedSession(server.url, spec) as browser:
        page = browser.get(url, allow_redirects=False)
        form = login_form_or_fail(page)
        result = submit_login(browser, form, username=USERNAME, password=PASSWORD)
        code = code_on_page(result)
    assert code, f"no code shown after logging in through {url}"
    mastodon.log_in(code=code, redirect_uri=OOB, scopes=SCOPES, allow_http=True)
    assert mastodon.account_verify_credentials().username == USERNAME
