"""Moving accounts, both directions, with snac2 as the other side (it sends and follows `Move`).

In: snac user olga moves to Topi's owner (who lists her as an alias first); her follower fan, on
another snac instance, receives the `Move`, checks it against the owner's `alsoKnownAs`, and
follows the owner: olga's followers arrive as follows. Out: the owner moves to a second Topi's owner
(who lists the first as an alias); fan, now a follower of the owner, receives Topi's `Move` and
follows the new account. Aliases and the move are made on the moving page (`/settings/migration`)
in Chromium, the refusals through the API. The module has a server of its own: the owner ends up
moved."""
from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests

from browser import page, screenshot  # noqa: F401 (the fixture)
from client import CheckedSession
from conftest import FEDERATION_VARS, _extra_server
from helpers import password_token, register_app, wait_for
from test_sign_in import check_page, sign_in_in_browser

TIMEOUT = 45


@pytest.fixture(scope="module")
def topi(own_federation_server, spec):
    with CheckedSession(own_federation_server.url, spec) as api:
        api.token = password_token(api, register_app(api, name="moves"), "read write follow")
        yield api


@pytest.fixture(scope="module")
def snacs(snac_factory) -> SimpleNamespace:
    return SimpleNamespace(olga=snac_factory("olga"), fan=snac_factory("fan"))


@pytest.fixture(scope="module")
def new_home(spec):
    """Where the owner moves to: a second Topi, its owner also alice."""
    for server in _extra_server("movedestination", FEDERATION_VARS, max_retries=2):
        with CheckedSession(server.url, spec) as api:
            api.token = password_token(api, register_app(api, name="new home"), "read write follow")
            yield api


@pytest.fixture(scope="module")
def owner_actor(own_federation_server) -> str:
    return f"{own_federation_server.url}/users/alice"


def me(topi) -> dict:
    resp = topi.get("/api/v1/accounts/verify_credentials")
    assert resp.status_code == 200, resp.text
    return resp.json_body


def follower_accts(topi) -> set[str]:
    resp = topi.get(f"/api/v1/accounts/{me(topi)['id']}/followers", params={"limit": 80})
    assert resp.status_code == 200, resp.text
    return {account["acct"] for account in resp.json_body}


def flush_until(predicate, *peers, message: str):
    def step():
        for peer in peers:
            peer.flush(timeout=10)
        return predicate()
    assert wait_for(step, timeout=TIMEOUT, interval=1), message + "\n" + "\n".join(p.log_tail(30) for p in peers)


def moving_page(page, url: str) -> None:
    page.goto(f"{url}/settings/migration")
    if "/auth/sign_in" in page.url:
        sign_in_in_browser(page, url)
        page.goto(f"{url}/settings/migration")
    check_page(page)


def test_moving_in_brings_the_old_accounts_followers(topi, owner_actor, snacs, page):
    olga, fan = snacs.olga, snacs.fan
    fan.follow(olga.actor_url)
    flush_until(lambda: olga.followers() == [fan.actor_url], fan, olga, message="fan follows olga")

    refused = topi.post("/api/v1/topi/aliases", data={"acct": "not an address"})
    assert refused.status_code == 422 and "error" in refused.json_body
    moving_page(page, topi.base_url)
    page.get_by_label("Handle of the old account").fill(olga.handle)
    page.get_by_role("button", name="Create alias").click()
    page.wait_for_load_state()
    assert "The alias was saved." in page.get_by_role("status").inner_text()
    assert page.get_by_role("link", name=olga.actor_url).is_visible()
    actor = requests.get(owner_actor, headers={"Accept": "application/activity+json"}, timeout=10).json()
    assert olga.actor_url in actor["alsoKnownAs"], actor.get("alsoKnownAs")

    # snac checks a Move against the new actor in its cache and never fetches it: a follower
    # must have seen the owner's actor since the alias was added (here, asked for it).
    fan.cli("actor", owner_actor)
    olga.cli("alias", owner_actor)
    olga.cli("migrate")
    flush_until(lambda: fan.handle in follower_accts(topi), olga, fan,
                message="fan, olga's follower, follows the owner after olga's Move")
    flush_until(lambda: fan.following().get(owner_actor) == "accepted", fan,
                message="the owner accepts fan's follow")
    assert olga.actor_url not in fan.following(), "snac unfollows the account that moved"
    notifications = topi.get("/api/v1/notifications", params={"types[]": "follow"}).json_body
    assert any(n["account"]["acct"] == fan.handle for n in notifications), notifications

    moving_page(page, topi.base_url)
    page.get_by_role("button", name=f"Remove the alias {olga.actor_url}").click()
    page.wait_for_load_state()
    assert "The alias was removed." in page.get_by_role("status").inner_text()
    assert topi.get("/api/v1/topi/aliases").json()["aliases"] == []


def test_moving_out_takes_the_followers_along(topi, owner_actor, new_home, snacs, page):
    """To another Topi: snac 2.75 never publishes `alsoKnownAs` (its `alias` only names where
    its own account moves), so it cannot be the new account."""
    fan = snacs.fan
    assert fan.handle in follower_accts(topi), "the previous test made fan a follower"
    new_actor = f"{new_home.base_url}/users/alice"
    new_acct = f"alice@{urlsplit(new_home.base_url).netloc}"

    not_yet = topi.post("/api/v1/topi/migration", data={"acct": new_acct})
    assert not_yet.status_code == 422 and "alias" in not_yet.json_body["error"], not_yet.text
    moving_page(page, topi.base_url)
    page.get_by_label("Handle of the new account").fill(new_acct)
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Move followers").click()
    page.wait_for_load_state()
    assert "must first list" in page.get_by_role("alert").inner_text()
    assert me(topi).get("moved") is None

    listed = new_home.post("/api/v1/topi/aliases", data={"acct": owner_actor})
    assert listed.status_code == 200, listed.text
    # snac reads the new actor from its cache (see above): fan looks at the new account first.
    fan.cli("actor", new_actor)
    page.get_by_label("Handle of the new account").fill(new_acct)
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Move followers").click()
    page.wait_for_load_state()
    assert "being moved" in page.get_by_role("status").inner_text()
    assert f"This account has moved to {new_home.base_url}/@alice" in page.locator("main").inner_text()
    screenshot(page, "settings-moving")
    account = me(topi)
    assert account["moved"]["url"] == f"{new_home.base_url}/@alice", account.get("moved")
    actor = requests.get(owner_actor, headers={"Accept": "application/activity+json"}, timeout=10).json()
    assert actor["movedTo"] == new_actor

    flush_until(lambda: fan.handle in follower_accts(new_home), fan,
                message="fan follows the new account after the owner's Move")
    flush_until(lambda: fan.following().get(new_actor) == "accepted", fan,
                message="the new account accepts fan's follow")
    assert owner_actor not in fan.following(), "fan unfollows the account that moved"
