"""`min_id` and `since_id` on every paged list of the Mastodon API
(docs.joinmastodon.org/api/guidelines#pagination).

With `min_id=X&limit=N` Mastodon answers the N items immediately newer than X, newest first: the
page just above X, which a client asks for to page upwards or to fill a gap. With
`since_id=X&limit=N` it answers the N newest items above X, whatever lies between.

Each test puts five items in one list (0 the oldest, 4 the newest), reads the paging key of item 0
from the Link header of a one-item page (`rel="next"`, the `max_id` of the last item shown: a
list of follows, blocks, favourites, ... pages by its own rows, not by the ids it shows), and asks
for two items with each: `min_id` must give items 2 and 1, `since_id` items 4 and 3. It also
follows `rel="next"` from the newest two (`max_id`), which must give items 2 and 1.

Lists that only other accounts can fill (followers, blocks, notifications, favourited_by, ...)
get throw-away actors on a loopback peer (hostile_peer.HostilePeer) that sign their Follow, Like,
Announce and Accept. The module runs on a server of its own (`own_federation_server`): nothing
but what a test makes lies above its item 0, and the owner's lists are not shared with other
modules' tests.

Not covered, and why: `GET /api/v1/timelines/link` (statuses with a preview card for a URL; a
card needs a page fetched for it), `GET /api/v1/timelines/public?remote=true` (remote posts;
the same query as `local=true` with the other locality), `GET /api/v1/notifications/requests`
(always empty: every notification policy is `accept`). `GET /api/v1/lists` and
`/api/v1/featured_tags` are not paged; trends and search page by `offset`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest

from client import CheckedSession, describe, expect_ok
from helpers import d1_rows, link_params, own_account, password_token, post_status, register_app, unique
from hostile_peer import AS_CONTEXT, HostilePeer, RsaKey, signed_post
from settings import USERNAME

PUBLIC = AS_CONTEXT + "#Public"


class Remote:
    """Throw-away actors on a loopback peer, each a new remote account once it has spoken to
    Topi (a signed Follow of the owner)."""

    def __init__(self, server, peer: HostilePeer, alice: CheckedSession):
        self.server, self.peer, self.alice = server, peer, alice
        self.key = RsaKey()
        self.owner_uri = f"{server.url}/users/{USERNAME}"
        self._serial = itertools.count()

    def send(self, actor: str, kind: str, **members) -> None:
        activity = {"@context": AS_CONTEXT, "id": f"{actor}#{kind.lower()}/{next(self._serial)}", "type": kind,
                    "actor": actor, **members}
        resp = signed_post(f"{self.server.url}/inbox", activity, f"{actor}#main-key", self.key)
        assert resp.status_code == 202, (kind, resp.status_code, resp.text)

    def account_id(self, actor: str) -> str:
        rows = d1_rows(self.server, "SELECT CAST(id AS TEXT) AS id FROM accounts WHERE uri = ?", (actor,))
        assert len(rows) == 1, (actor, rows)
        return rows[0]["id"]

    def follower(self) -> str:
        """A new actor that follows the owner (a request while the owner is locked)."""
        actor = self.peer.person(unique("p"), self.key)
        self.send(actor, "Follow", object=self.owner_uri)
        return actor

    def followed(self) -> str:
        """A new actor the owner follows, the follow accepted."""
        actor = self.follower()
        expect_ok(self.alice.post(f"/api/v1/accounts/{self.account_id(actor)}/follow"))
        self.send(actor, "Accept", object={"type": "Follow", "actor": self.owner_uri, "object": actor})
        return actor

    def acted_on(self, action: str) -> str:
        """A new actor (a follower) that the owner blocks, mutes or endorses (`action`)."""
        actor = self.follower()
        expect_ok(self.alice.post(f"/api/v1/accounts/{self.account_id(actor)}/{action}"))
        return actor


@dataclass
class World:
    alice: CheckedSession
    me: dict
    remote: Remote


@pytest.fixture(scope="module")
def world(own_federation_server, spec) -> World:
    with CheckedSession(own_federation_server.url, spec) as alice, HostilePeer() as peer:
        alice.token = password_token(alice, register_app(alice, name="e2e paging"))
        yield World(alice, own_account(alice), Remote(own_federation_server, peer, alice))


@dataclass
class Listing:
    """One paged list: where it is, how to put item i in it and how to recognise an item."""
    path: str
    make: Callable[[int], str]  # puts item i in the list; returns what `identify` gives for it
    identify: Callable[[Any], str] = lambda item: item["id"]
    params: dict = field(default_factory=dict)
    entries: Callable[[Any], list] = lambda body: body  # the list in a response body
    cleanup: Callable[[], Any] | None = None  # undoes what the list needed (after the test)


def account_uri(account: dict) -> str:
    return account["uri"]


def status_of(alice: CheckedSession, i: int, **fields) -> str:
    return post_status(alice, unique(f"paged {i} "), **fields)["id"]


LISTINGS: dict[str, Callable[[World], Listing]] = {}


def listing(name: str):
    def register(factory: Callable[[World], Listing]):
        LISTINGS[name] = factory
        return factory
    return register


# -- statuses -------------------------------------------------------------------------------------


@listing("timelines/home")
def _(w: World) -> Listing:
    return Listing("/api/v1/timelines/home", lambda i: status_of(w.alice, i))


@listing("timelines/public")
def _(w: World) -> Listing:
    return Listing("/api/v1/timelines/public", lambda i: status_of(w.alice, i))


@listing("timelines/public?local=true")
def _(w: World) -> Listing:
    return Listing("/api/v1/timelines/public", lambda i: status_of(w.alice, i), params={"local": "true"})


@listing("timelines/tag/:hashtag")
def _(w: World) -> Listing:
    tag = unique("paged")
    return Listing(f"/api/v1/timelines/tag/{tag}", lambda i: post_status(w.alice, f"#{tag} {i}")["id"])


@listing("timelines/list/:id")
def _(w: World) -> Listing:
    """The owner's own posts, in a list of which the owner is a member."""
    created = expect_ok(w.alice.post("/api/v1/lists", data={"title": unique("paged ")}))
    expect_ok(w.alice.post(f"/api/v1/lists/{created['id']}/accounts", data={"account_ids[]": w.me["id"]}))
    return Listing(f"/api/v1/timelines/list/{created['id']}", lambda i: status_of(w.alice, i))


@listing("accounts/:id/statuses")
def _(w: World) -> Listing:
    return Listing(f"/api/v1/accounts/{w.me['id']}/statuses", lambda i: status_of(w.alice, i))


def interacted(w: World, i: int, action: str) -> str:
    status = status_of(w.alice, i)
    expect_ok(w.alice.post(f"/api/v1/statuses/{status}/{action}"))
    return status


@listing("favourites")
def _(w: World) -> Listing:
    return Listing("/api/v1/favourites", lambda i: interacted(w, i, "favourite"))


@listing("bookmarks")
def _(w: World) -> Listing:
    return Listing("/api/v1/bookmarks", lambda i: interacted(w, i, "bookmark"))


@listing("conversations")
def _(w: World) -> Listing:
    """Direct posts without a mention: each starts a conversation of the owner's own."""
    return Listing("/api/v1/conversations", lambda i: status_of(w.alice, i, visibility="direct"),
                   identify=lambda conversation: conversation["last_status"]["id"])


@listing("scheduled_statuses")
def _(w: World) -> Listing:
    at = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return Listing("/api/v1/scheduled_statuses", lambda i: status_of(w.alice, i, scheduled_at=at))


# -- notifications --------------------------------------------------------------------------------


@listing("notifications")
def _(w: World) -> Listing:
    """A follow notification per new follower."""
    return Listing("/api/v1/notifications", lambda i: w.remote.follower(),
                   identify=lambda notification: notification["account"]["uri"])


@listing("notifications v2 (grouped)")
def _(w: World) -> Listing:
    """As v1, with follows left ungrouped (`grouped_types[]` without follow): one group each."""
    def entries(body: dict) -> list:
        uris = {account["id"]: account["uri"] for account in body["accounts"]}
        return [uris[group["sample_account_ids"][0]] for group in body["notification_groups"]]
    return Listing("/api/v2/notifications", lambda i: w.remote.follower(), identify=lambda uri: uri,
                   params={"grouped_types[]": "favourite"}, entries=entries)


# -- accounts -------------------------------------------------------------------------------------


@listing("accounts/:id/followers")
def _(w: World) -> Listing:
    return Listing(f"/api/v1/accounts/{w.me['id']}/followers", lambda i: w.remote.follower(), identify=account_uri)


@listing("accounts/:id/following")
def _(w: World) -> Listing:
    return Listing(f"/api/v1/accounts/{w.me['id']}/following", lambda i: w.remote.followed(), identify=account_uri)


def set_locked(alice: CheckedSession, locked: bool) -> None:
    expect_ok(alice.patch("/api/v1/accounts/update_credentials", data={"locked": str(locked).lower()}))


@listing("follow_requests")
def _(w: World) -> Listing:
    """Follows of the owner while locked (unlocked after the test)."""
    set_locked(w.alice, True)
    return Listing("/api/v1/follow_requests", lambda i: w.remote.follower(), identify=account_uri,
                   cleanup=lambda: set_locked(w.alice, False))


@listing("blocks")
def _(w: World) -> Listing:
    return Listing("/api/v1/blocks", lambda i: w.remote.acted_on("block"), identify=account_uri)


@listing("mutes")
def _(w: World) -> Listing:
    return Listing("/api/v1/mutes", lambda i: w.remote.acted_on("mute"), identify=account_uri)


@listing("endorsements")
def _(w: World) -> Listing:
    return Listing("/api/v1/endorsements", lambda i: w.remote.acted_on("pin"), identify=account_uri)


@listing("lists/:id/accounts")
def _(w: World) -> Listing:
    """Members of a list: accounts the owner follows."""
    created = expect_ok(w.alice.post("/api/v1/lists", data={"title": unique("paged ")}))

    def member(i: int) -> str:
        actor = w.remote.followed()
        expect_ok(w.alice.post(f"/api/v1/lists/{created['id']}/accounts",
                               data={"account_ids[]": w.remote.account_id(actor)}))
        return actor
    return Listing(f"/api/v1/lists/{created['id']}/accounts", member, identify=account_uri)


@listing("statuses/:id/favourited_by")
def _(w: World) -> Listing:
    status = post_status(w.alice, unique("liked by many "))

    def liker(i: int) -> str:
        actor = w.remote.follower()
        w.remote.send(actor, "Like", object=status["uri"])
        return actor
    return Listing(f"/api/v1/statuses/{status['id']}/favourited_by", liker, identify=account_uri)


@listing("statuses/:id/reblogged_by")
def _(w: World) -> Listing:
    status = post_status(w.alice, unique("boosted by many "))

    def booster(i: int) -> str:
        actor = w.remote.follower()
        w.remote.send(actor, "Announce", object=status["uri"], to=[PUBLIC], cc=[f"{actor}/followers"])
        return actor
    return Listing(f"/api/v1/statuses/{status['id']}/reblogged_by", booster, identify=account_uri)


# -- other lists ----------------------------------------------------------------------------------


@listing("domain_blocks")
def _(w: World) -> Listing:
    def blocked(i: int) -> str:
        domain = f"{unique('paged')}.example"
        expect_ok(w.alice.post("/api/v1/domain_blocks", data={"domain": domain}))
        return domain
    return Listing("/api/v1/domain_blocks", blocked, identify=lambda domain: domain)


@listing("followed_tags")
def _(w: World) -> Listing:
    def followed(i: int) -> str:
        name = unique("paged")
        expect_ok(w.alice.post(f"/api/v1/tags/{name}/follow"))
        return name
    return Listing("/api/v1/followed_tags", followed, identify=lambda tag: tag["name"])


# -- the test -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LISTINGS)
def test_min_id_and_since_id(world: World, name: str):
    """min_id: the page just above an item, newest first; since_id: the newest items above it."""
    listing = LISTINGS[name](world)
    try:
        check_min_id_and_since_id(world, name, listing)
    finally:
        if listing.cleanup:
            listing.cleanup()


def check_min_id_and_since_id(world: World, name: str, listing: Listing) -> None:
    made: list[str] = []

    def page(**params) -> tuple[list, Any]:
        """The items of one page as their numbers (0-4), anything else as it is; the response."""
        resp = world.alice.get(listing.path, params={**listing.params, **params})
        assert resp.status_code == 200, describe(resp)
        found = [listing.identify(item) for item in listing.entries(resp.json_body)]
        return [made.index(x) if x in made else x for x in found], resp

    made.append(listing.make(0))
    newest, first = page(limit=1)
    assert newest == [0], f"{name}: item 0 must be the newest in the list"
    key = (link_params(first, "next") or {}).get("max_id")
    assert key, f"{name}: no Link rel=next with a max_id: {first.headers.get('Link')!r}"
    made.extend(listing.make(i) for i in range(1, 5))

    assert page(limit=5)[0] == [4, 3, 2, 1, 0], f"{name}: the five items, newest first"
    top, resp = page(limit=2)
    assert top == [4, 3], f"{name}: the newest two"
    older = link_params(resp, "next")
    assert older, f"{name}: no Link rel=next: {resp.headers.get('Link')!r}"
    got = {
        "min_id": page(min_id=key, limit=2)[0],
        "since_id": page(since_id=key, limit=2)[0],
        "max_id (Link next)": page(**older)[0],
    }
    assert got == {"min_id": [2, 1], "since_id": [4, 3], "max_id (Link next)": [2, 1]}, (
        f"{name}: with the key of item 0, min_id must give the two items just above it, newest first "
        f"(2, 1) and since_id the newest two (4, 3); the Link rel=next of the newest two must give "
        f"the next two down (2, 1)")
