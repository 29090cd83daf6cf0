"""CSV export and import, byte-compatible with Mastodon, between two Topi servers and real peers.

Topi A (a server of this module's own) follows snac2's bob, blocks the Fedify oracle's impostor,
mutes bob, blocks two domains, bookmarks two posts and lists bob, and exports the six files
Mastodon's settings offer: they must be Mastodon's bytes (header rows, Ruby's quoting, `\\n`
line ends, `true`/`false`, addresses as user@domain, newest first). Topi B
(`own_federation_server`) imports them through the queue and ends up with the same social
graph: it follows bob for real (snac sees the follower), its Block reaches the oracle, and its
own exports hold the same rows. Then B imports the following file snac2 itself writes
(`snac export_csv`) and follows the Fedify oracle from it; a snac2 instance reads A's export
(`snac import_csv`); an overwrite undoes the follow the file leaves out; failed rows come back as
Mastodon's failures file.

The tests run in file order and build on each other (module-scoped servers and peers).
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

import budget
from client import CheckedSession, describe
from conftest import FEDERATION_VARS, _extra_server
from helpers import password_token, register_app, wait_for
from hostile_peer import HostilePeer, RsaKey
from settings import USERNAME

TIMEOUT = 60
FOLLOWING_HEADER = "Account address,Show boosts,Notify on new posts,Languages\n"
MUTES_HEADER = "Account address,Hide notifications\n"
FILENAMES = {
    "follows.csv": "following_accounts.csv",
    "blocks.csv": "blocked_accounts.csv",
    "mutes.csv": "muted_accounts.csv",
    "domain_blocks.csv": "blocked_domains.csv",
    "bookmarks.csv": "bookmarks.csv",
    "lists.csv": "lists.csv",
}


@pytest.fixture(scope="module")
def source_server():
    """Topi A: the server whose files are exported."""
    yield from _extra_server("importsource", FEDERATION_VARS, max_retries=2)


@pytest.fixture(scope="module")
def state() -> SimpleNamespace:
    return SimpleNamespace()


def session(server, spec) -> CheckedSession:
    api = CheckedSession(server.url, spec)
    api.token = password_token(api, register_app(api, name="e2e imports"))
    return api


@pytest.fixture(scope="module")
def alice_a(source_server, spec):
    with session(source_server, spec) as api:
        yield api


@pytest.fixture(scope="module")
def alice_b(own_federation_server, spec):
    with session(own_federation_server, spec) as api:
        yield api


def ok(resp, status: int = 200):
    assert resp.status_code == status, describe(resp)
    return resp.json_body


def eventually(predicate, message: str, *logs, timeout: float = TIMEOUT):
    try:
        return wait_for(predicate, timeout, interval=0.5, message=message)
    except AssertionError as exc:
        tails = [f"--- {getattr(p, 'log_path', p)}:\n{p.log_tail(20)}" for p in logs]
        raise AssertionError("\n".join([str(exc), *tails])) from None


def resolve(api, handle: str) -> dict:
    found = ok(api.get("/api/v2/search", params={"q": "@" + handle, "resolve": "true", "type": "accounts"}))
    matches = [a for a in found["accounts"] if a["acct"] == handle]
    assert matches, f"@{handle} did not resolve: {found}"
    return matches[0]


def relationship(api, account_id: str) -> dict:
    return ok(api.get("/api/v1/accounts/relationships", params={"id[]": account_id}))[0]


def export(api, name: str) -> str:
    resp = api.get(f"/settings/exports/{name}")
    assert resp.status_code == 200, describe(resp)
    assert resp.headers["Content-Type"] == "text/csv", resp.headers
    assert f'filename="{FILENAMES[name]}"' in resp.headers["Content-Disposition"], resp.headers
    assert "no-store" in resp.headers["Cache-Control"]
    return resp.content.decode("utf-8")


def upload(api, kind: str, data: str | bytes, mode: str = "merge", filename: str = "file.csv") -> dict:
    resp = api.post("/api/v1/topi/imports", data={"type": kind, "mode": mode},
                    files={"data": (filename, data, "text/csv")})
    return ok(resp)


def finished(api, import_id: str, *logs) -> dict:
    def done():
        body = ok(api.get(f"/api/v1/topi/imports/{import_id}"))
        return body if body["state"] == "finished" else None
    return eventually(done, f"import {import_id} did not finish", *logs)


def test_exports_are_mastodons_files_byte_for_byte(alice_a, source_server, own_federation_server, snac,
                                                   fedify_oracle, state):
    state.bob = snac.handle
    state.impostor = fedify_oracle.handle("impostor")
    alice_of_b = f"{USERNAME}@{own_federation_server.host}"
    bob = resolve(alice_a, state.bob)
    ok(alice_a.post(f"/api/v1/accounts/{bob['id']}/follow", data={"languages[]": ["en", "de"]}))
    eventually(lambda: relationship(alice_a, bob["id"])["following"], "snac did not accept A's follow",
               snac, source_server)
    # A follows B's alice too (after bob: newest first in the file).
    other = resolve(alice_a, alice_of_b)
    ok(alice_a.post(f"/api/v1/accounts/{other['id']}/follow"))
    eventually(lambda: relationship(alice_a, other["id"])["following"], "B did not accept A's follow",
               own_federation_server, source_server)
    impostor = resolve(alice_a, state.impostor)
    ok(alice_a.post(f"/api/v1/accounts/{impostor['id']}/block"))
    ok(alice_a.post(f"/api/v1/accounts/{bob['id']}/mute", data={"notifications": "false"}))
    for domain in ("spam.example", "junk.example"):
        ok(alice_a.post("/api/v1/domain_blocks", data={"domain": domain}))
    title = 'Friends, "close"'
    listed = ok(alice_a.post("/api/v1/lists", data={"title": title}))
    ok(alice_a.post(f"/api/v1/lists/{listed['id']}/accounts", data={"account_ids[]": [bob["id"]]}))
    own = ok(alice_a.post("/api/v1/statuses", data={"status": "a post of A's, to bookmark"}))
    note = snac.note("a post of bob's, to bookmark")
    snac.flush()
    found = ok(alice_a.get("/api/v2/search", params={"q": note["url"], "resolve": "true", "type": "statuses"}))
    bobs = found["statuses"][0]
    for status in (own, bobs):
        ok(alice_a.post(f"/api/v1/statuses/{status['id']}/bookmark"))
    state.own_uri, state.bob_uri = own["uri"], bobs["uri"]

    files = {name: export(alice_a, name) for name in FILENAMES}
    assert files["follows.csv"] == (FOLLOWING_HEADER + f"{alice_of_b},true,false,\n"
                                    + f'{state.bob},true,false,"en, de"\n')
    assert files["blocks.csv"] == f"{state.impostor}\n"
    assert files["mutes.csv"] == MUTES_HEADER + f"{state.bob},false\n"
    assert files["domain_blocks.csv"] == "spam.example\njunk.example\n"
    assert files["bookmarks.csv"] == f"{state.bob_uri}\n{state.own_uri}\n"
    assert files["lists.csv"] == f'"Friends, ""close""",{state.bob}\n'
    # `read:follows` reads follows and nothing else; no token reads nothing.
    follows_only = password_token(alice_a, register_app(alice_a, name="e2e exports"), "read:follows")
    assert alice_a.get("/settings/exports/follows.csv", token=follows_only).status_code == 200
    assert alice_a.get("/settings/exports/blocks.csv", token=follows_only).status_code == 403
    assert alice_a.get("/settings/exports/follows.csv", token=None).status_code == 401
    state.files = files


def test_a_second_topi_imports_the_files_and_follows_for_real(alice_b, own_federation_server, snac,
                                                             fedify_oracle, state):
    kinds = {"follows.csv": "following", "blocks.csv": "blocking", "mutes.csv": "muting",
             "domain_blocks.csv": "domain_blocking", "bookmarks.csv": "bookmarks", "lists.csv": "lists"}
    imports = {}
    for name, kind in kinds.items():
        started = upload(alice_b, kind, state.files[name], filename=FILENAMES[name])
        assert (started["type"], started["mode"], started["likely_mismatched"]) == (kind, "merge", False), started
        imports[name] = started
    done = {name: finished(alice_b, started["id"], own_federation_server, snac) for name, started in imports.items()}
    follows = done["follows.csv"]
    assert (follows["total_items"], follows["imported_items"], follows["failed_items"]) == (2, 1, 1), follows
    assert follows["failures"] == [{"line": 2, "data": {"acct": f"{USERNAME}@{own_federation_server.host}",
                                                        "show_reblogs": True, "notify": False},
                                    "error": "You cannot follow yourself"}]
    for name in ("blocks.csv", "mutes.csv", "domain_blocks.csv", "bookmarks.csv", "lists.csv"):
        assert done[name]["failed_items"] == 0 and done[name]["imported_items"] == done[name]["total_items"], done[name]

    # The follow is real: snac accepts it and lists B's alice as a follower.
    bob = resolve(alice_b, state.bob)
    eventually(lambda: relationship(alice_b, bob["id"])["following"], "B's imported follow was not accepted",
               own_federation_server, snac)
    assert f"{own_federation_server.url}/users/{USERNAME}" in snac.followers()
    rel = relationship(alice_b, bob["id"])
    assert (rel["languages"], rel["muting"], rel["muting_notifications"]) == (["en", "de"], True, False), rel
    # The Block reached the oracle, signed.
    eventually(lambda: any(r["activity"] and r["activity"].get("type") == "Block" and r["verified"]
                           for r in fedify_oracle.received()),
               "the oracle got no verified Block", own_federation_server)

    files = {name: export(alice_b, name) for name in FILENAMES}
    assert files["follows.csv"] == FOLLOWING_HEADER + f'{state.bob},true,false,"en, de"\n'
    for name in ("blocks.csv", "mutes.csv", "domain_blocks.csv", "lists.csv"):
        assert files[name] == state.files[name], name
    # Imported in the file's order, exported newest first: Mastodon's order too.
    assert files["bookmarks.csv"] == f"{state.own_uri}\n{state.bob_uri}\n"


def test_a_snac2_following_file_follows_the_fedify_oracle(alice_b, own_federation_server, snac,
                                                          fedify_oracle):
    snac.follow(fedify_oracle.handle())
    snac.flush()
    eventually(lambda: snac.following().get(fedify_oracle.actor_url()) == "accepted",
               "the oracle did not accept bob's follow", snac)
    snac.cli("export_csv")
    written = (snac.basedir / "user" / snac.user / "export" / "following_accounts.csv").read_text()
    assert written.startswith(FOLLOWING_HEADER), written
    assert fedify_oracle.host in written, written
    started = upload(alice_b, "following", written, filename="following_accounts.csv")
    finished(alice_b, started["id"], own_federation_server)
    oracle = resolve(alice_b, fedify_oracle.handle())
    eventually(lambda: relationship(alice_b, oracle["id"])["following"], "the oracle did not accept B's follow",
               own_federation_server)
    follows = [r["activity"] for r in fedify_oracle.received()
               if r["verified"] and (r["activity"] or {}).get("type") == "Follow"]
    assert any(a["actor"] == f"{own_federation_server.url}/users/{USERNAME}" for a in follows), follows


def test_snac2_reads_topis_following_file(snac_factory, snac, own_federation_server, state):
    carol = snac_factory("carol")
    import_dir = carol.basedir / "user" / carol.user / "import"
    import_dir.mkdir(parents=True, exist_ok=True)
    (import_dir / "following_accounts.csv").write_text(state.files["follows.csv"])
    carol.cli("import_csv")
    carol.flush()
    bob_actor = snac.webfinger(state.bob)
    eventually(lambda: set(carol.following()) >= {bob_actor, f"{own_federation_server.url}/users/{USERNAME}"},
               "snac did not follow the accounts of Topi's file", carol)


def test_overwrite_undoes_the_follow_the_file_leaves_out(alice_b, own_federation_server, snac, fedify_oracle,
                                                         state):
    file = FOLLOWING_HEADER + f"{fedify_oracle.handle()},false,false,\n"
    started = upload(alice_b, "following", file, mode="overwrite", filename="following_accounts.csv")
    assert started["mode"] == "overwrite"
    done = finished(alice_b, started["id"], own_federation_server)
    assert (done["imported_items"], done["failed_items"]) == (1, 0), done
    b_actor = f"{own_federation_server.url}/users/{USERNAME}"
    eventually(lambda: b_actor not in snac.followers(), "bob still lists B's alice after the overwrite",
               snac, own_federation_server)
    assert export(alice_b, "follows.csv") == FOLLOWING_HEADER + f"{fedify_oracle.handle()},false,false,\n"


def test_failed_rows_are_kept_and_come_back_as_mastodons_failures_file(alice_b, own_federation_server):
    file = "nobody@127.0.0.1:1\nnot an address\n"
    started = upload(alice_b, "blocking", file, filename="blocked_accounts.csv")
    done = finished(alice_b, started["id"], own_federation_server)
    assert (done["processed_items"], done["failed_items"]) == (2, 2), done
    errors = [f["error"] for f in done["failures"]]
    assert errors[0].startswith("nobody@127.0.0.1:1 could not be found") and "may answer later" in errors[0], errors
    assert "is not an account address" in errors[1], errors
    resp = alice_b.get(done["failures_url"])
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "text/csv", describe(resp)
    assert 'filename="blocked_accounts_failures.csv"' in resp.headers["Content-Disposition"]
    assert resp.content == file.encode()
    listed = ok(alice_b.get("/api/v1/topi/imports"))
    assert listed[0]["id"] == started["id"] and "failures" not in listed[0]
    # A file Mastodon would refuse is refused whole; GoToSocial's endpoint answers its way.
    refused = alice_b.post("/api/v1/topi/imports", data={"type": "domain_blocking"},
                           files={"data": ("f.csv", FOLLOWING_HEADER, "text/csv")})
    assert refused.status_code == 422 and "Incompatible" in refused.json_body["error"], describe(refused)
    gts = alice_b.post("/api/v1/import", data={"type": "mutes"}, files={"data": ("m.csv", "nobody@127.0.0.1:1\n")})
    assert (gts.status_code, gts.json_body) == (202, {"status": "accepted"}), describe(gts)


def webfinger_path(user: str, host: str) -> str:
    """The WebFinger query Topi sends: every character but letters and digits percent-encoded."""
    resource = "".join(c if c.isalnum() else f"%{ord(c):02X}" for c in f"acct:{user}@{host}")
    return f"/.well-known/webfinger?resource={resource}"


def queue_spent(server, since: int) -> list[budget.Spent]:
    """What each queue invocation of `server` spent after byte `since` of its log."""
    text = server.log_path.read_bytes()[since:].decode(errors="replace")
    return [s for s in budget.read_logs_text(text) if s.what.startswith("queue topi-federation")]


def settled(read, quiet: float = 2.0, timeout: float = 30.0):
    """`read()` once it has stopped changing for `quiet` seconds (log lines come after the work)."""
    last, since = read(), time.monotonic()
    deadline = since + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = read()
        if len(now) != len(last):
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


def test_what_a_hundred_rows_cost(alice_b, own_federation_server, capsys):
    """docs/free-plan.md's figures: a following file of 100 accounts never seen (each fetched,
    each sent a Follow), then a blocks and a mutes file of the same (now known) accounts."""
    with HostilePeer() as peer:
        key = RsaKey()
        users = [f"cost{n}" for n in range(100)]
        for user in users:
            actor = peer.person(user, key)
            peer.serve(webfinger_path(user, peer.host), {
                "subject": f"acct:{user}@{peer.host}",
                "links": [{"rel": "self", "type": "application/activity+json", "href": actor}],
            }, content_type="application/jrd+json")
        figures = {}
        for kind in ("following", "blocking", "muting"):
            since = own_federation_server.log_path.stat().st_size
            posts_before = len(peer.seen("POST"))
            file = "".join(f"{user}@{peer.host}\n" for user in users)
            upload_resp = alice_b.post("/api/v1/topi/imports", data={"type": kind},
                                       files={"data": ("f.csv", file, "text/csv")})
            started = ok(upload_resp)
            done = finished(alice_b, started["id"], own_federation_server)
            assert (done["imported_items"], done["failed_items"]) == (100, 0), done
            expected_posts = 0 if kind == "muting" else 100
            eventually(lambda: len(peer.seen("POST")) - posts_before >= expected_posts,
                       f"{kind}: the deliveries did not all arrive", own_federation_server)
            spent = settled(lambda: queue_spent(own_federation_server, since))
            upload_cost = budget.parse_server_timing(upload_resp.headers.get("Server-Timing", ""))
            figures[kind] = {
                "queue messages": len(spent),
                "worst statements": max(s.st for s in spent),
                "worst subrequests": max(s.fetch for s in spent),
                "rows written": sum(s.rows_written for s in spent) + upload_cost["d1"]["rows_written"],
                "rows read": sum(s.rows_read for s in spent) + upload_cost["d1"]["rows_read"],
                "upload statements": upload_cost["d1"]["st"],
            }
            assert all(s.st <= 45 and s.fetch <= 25 for s in spent), spent
    with capsys.disabled():
        print("\nper 100 rows:", figures)
