#!/usr/bin/env python3
"""Smoke checks of the interop peers, without Topi: snac2 <-> Fedify oracle, snac2 <-> snac2.

    .venv/bin/python tests/e2e/peers_smoke.py [-v] [--slow]

Starts a Fedify oracle and two snac2 instances (bob, carol) on free loopback ports, runs the
checks below and prints one line per check (PASS / FAIL, and NOTE for observed peer behaviour
that is not a requirement). Exit status 1 when a check failed. --slow adds the retry check
(snac re-delivers after its inbox answered 500; takes about a minute). Install the peers first
with `scripts/setup.sh test`. It lives beside peers.py and helpers.py, which it imports (a script's
own directory is on the import path); pytest does not collect it (no `test_` prefix).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import traceback
import uuid

from helpers import wait_for
from peers import DRAFT, RFC9421, FedifyOracle, SnacPeer, activity_type, node22_available, snac_binary

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = AS + "#Public"
results: list[tuple[str, str, str]] = []
verbose = False


def check(name: str):
    def run(fn):
        start = time.monotonic()
        try:
            note = fn()
            results.append(("PASS", name, note or ""))
        except Exception as exc:  # noqa: BLE001
            detail = traceback.format_exc() if verbose else f"{type(exc).__name__}: {exc}"
            results.append(("FAIL", name, detail))
        status, _, detail = results[-1]
        print(f"{status} {name} ({time.monotonic() - start:.1f}s){' - ' + detail if detail else ''}", flush=True)
        return fn
    return run


def note(text: str) -> None:
    results.append(("NOTE", text, ""))
    print(f"NOTE {text}", flush=True)


def main() -> int:
    global verbose
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--slow", action="store_true", help="also the retry-after-500 check")
    args = parser.parse_args()
    verbose = args.verbose
    if snac_binary() is None or not node22_available():
        print("snac2 or the Fedify oracle is missing: run scripts/setup.sh test", file=sys.stderr)
        return 2

    oracle = FedifyOracle(verbose=verbose)
    bob = SnacPeer("bob", server_config={"queue_retry_minutes": 1} if args.slow else None)
    carol = SnacPeer("carol")
    started = []
    try:
        for peer in (oracle, bob, carol):
            t = time.monotonic()
            peer.start()
            started.append(peer)
            print(f"started {peer!r} in {time.monotonic() - t:.1f}s", flush=True)
        run_checks(oracle, bob, carol, args.slow)
    finally:
        for peer in reversed(started):
            peer.stop()
        if any(s == "FAIL" for s, _, _ in results):
            for peer in (oracle, bob, carol):
                print(f"--- log of {peer!r}: {peer.log_path}")
    failed = sum(1 for s, _, _ in results if s == "FAIL")
    passed = sum(1 for s, _, _ in results if s == "PASS")
    print(f"\n{passed} passed, {failed} failed")
    return 1 if failed else 0


def run_checks(oracle: FedifyOracle, bob: SnacPeer, carol: SnacPeer, slow: bool) -> None:
    o_actor = oracle.actor_url()

    @check("Fedify signed GET of snac's actor (draft-cavage, RFC 9421, unsigned)")
    def _():
        for spec in (DRAFT, RFC9421, "none"):
            r = oracle.get(bob.actor_url, spec=spec)
            assert r["status"] == 200, r
            assert r["body"]["id"] == bob.actor_url and r["body"]["publicKey"]["id"] == bob.key_id, r["body"]
        return f"content-type {r['headers'].get('content-type')!r}"

    @check("snac fetches the Fedify actor by WebFinger (acct:oracle@127.0.0.1:PORT over http)")
    def _():
        assert bob.webfinger(oracle.handle()) == o_actor

    @check("Fedify -> snac: signed Follow (draft-cavage) is accepted, Accept comes back verified")
    def _():
        follow = {"@context": AS, "id": f"{o_actor}#follows/{uuid.uuid4()}", "type": "Follow",
                  "actor": o_actor, "object": bob.actor_url}
        r = oracle.send(bob.inbox, follow, spec=DRAFT)
        assert r["status"] in (200, 202), r
        wait_for(lambda: o_actor in bob.followers(), 20, message="oracle among bob's followers")
        accept = oracle.wait_received(lambda e: activity_type(e) == "Accept")
        assert accept["verified"] is True, accept["error"]
        assert accept["spec"] == DRAFT and accept["key_id"] == bob.key_id, accept
        assert any(n["type"] == "Follow" and n["actor"] == o_actor for n in bob.notifications())
        sig = accept["headers"]["signature"]
        return (f"snac answered {r['status']}; Accept to {accept['path']}; "
                f"signed headers: {sig.split('headers=')[1].split(',')[0]}")

    @check("Fedify -> snac: Follow signed with RFC 9421 (observed)")
    def _():
        imp = oracle.actor_url("impostor")
        follow = {"@context": AS, "id": f"{imp}#follows/{uuid.uuid4()}", "type": "Follow",
                  "actor": imp, "object": bob.actor_url}
        r = oracle.send(bob.inbox, follow, spec=RFC9421, key="impostor")
        time.sleep(4)
        accepted = imp in bob.followers()
        note(f"snac 2.75 and an RFC 9421-signed Follow: HTTP {r['status']}, "
             f"{'followed' if accepted else 'dropped later (bad signature header in its log)'}")

    @check("Fedify -> snac: tampered deliveries (observed)")
    def _():
        post = bob.note("a post to like")["uri"]
        outcomes = []
        for tamper in ("digest", "body", "signature", "date_stale"):
            like = {"@context": AS, "id": f"{o_actor}#likes/{tamper}", "type": "Like",
                    "actor": o_actor, "object": post}
            r = oracle.send(bob.inbox, like, tamper=tamper)
            outcomes.append((tamper, r["status"]))
        like = {"@context": AS, "id": f"{o_actor}#likes/impostor", "type": "Like", "actor": o_actor, "object": post}
        outcomes.append(("impostor key", oracle.send(bob.inbox, like, key="impostor")["status"]))
        time.sleep(4)
        liked = [n["msg"]["id"].split("/")[-1] for n in bob.notifications() if n["type"] == "Like"]
        note(f"snac 2.75 inbox statuses for tampered Likes: {outcomes}; Likes it kept: {liked}")

    @check("snac -> Fedify: bob's public note reaches the oracle's shared inbox, Fedify verifies it")
    def _():
        status = bob.note("hello Fedify from snac")
        bob.flush()
        entry = oracle.wait_received(lambda e: activity_type(e) == "Create"
                                     and e["activity"]["object"].get("id") == status["uri"])
        assert entry["verified"] is True, entry["error"]
        return f"to {entry['path']}, content {entry['activity']['object']['content']!r}"

    @check("snac -> Fedify: bob follows the oracle, Fedify's signed Accept confirms it (keys fetched signed)")
    def _():
        oracle.mode(key_fetch="signed")
        bob.follow(oracle.handle())
        bob.flush()
        entry = oracle.wait_received(lambda e: activity_type(e) == "Follow" and e["activity"]["actor"] == bob.actor_url)
        assert entry["verified"] is True, entry["error"]
        bob.flush()
        wait_for(lambda: bob.following().get(o_actor) == "accepted", 20, message="bob's follow accepted")
        sent = [x for x in oracle.sent() if x["reason"] == "auto-accept"]
        assert sent and sent[-1]["status"] == 202, sent
        followers = oracle.get(f"{o_actor}/followers", spec="none")["body"]["orderedItems"]
        assert bob.actor_url in followers, followers
        oracle.mode(key_fetch="unsigned")

    @check("Fedify -> snac: an Accept signed with RFC 9421 (observed)")
    def _():
        imp = oracle.actor_url("impostor")
        oracle.mode(accept_spec=RFC9421)
        try:
            bob.follow(imp)
            bob.flush()
            oracle.wait_received(lambda e: activity_type(e) == "Follow" and e["activity"]["object"] == imp)
            time.sleep(1)
            bob.flush()
            time.sleep(1)
            note(f"snac 2.75 and an RFC 9421-signed Accept: bob's follow of the impostor is "
                 f"{bob.following().get(imp)}")
        finally:
            oracle.mode(accept_spec=DRAFT)

    @check("Fedify verify-request replays a captured snac request")
    def _():
        entry = next(e for e in oracle.received() if e["verified"] and e["key_id"] == bob.key_id)
        url = oracle.url + entry["path"]
        ok = oracle.verify_request("POST", url, entry["headers"], entry["body"])
        assert ok["verified"] is True, ok
        bad = oracle.verify_request("POST", url, entry["headers"], entry["body"] + " ")
        assert bad["verified"] is False and "digest" in bad["error"], bad
        return f"tampered body: {bad['error'][:80]}"

    @check("Fedify FEP-8b32 proof: sign, verify, tamper, impostor key")
    def _():
        obj = {"@context": AS, "id": f"{o_actor}/notes/1", "type": "Note", "attributedTo": o_actor,
               "content": "proof test", "to": [PUBLIC]}
        create = {"@context": AS, "id": f"{o_actor}/creates/1", "type": "Create", "actor": o_actor,
                  "object": obj, "to": [PUBLIC]}
        for mode in ("raw", "fedify"):
            signed = oracle.sign_proof(create, mode=mode)
            assert signed["proof"]["cryptosuite"] == "eddsa-jcs-2022", signed
            assert oracle.verify_proof(signed)["verified"] is True, (mode, signed)
        tampered = {**signed, "object": {**signed["object"], "content": "changed"}}
        assert oracle.verify_proof(tampered)["verified"] is False
        forged = oracle.sign_proof(create, key="impostor")
        res = oracle.verify_proof(forged)
        assert res["verified"] is False and res["proofs"][0]["verified"] is True, res
        return "impostor proof: valid signature, not the actor's key -> not verified"

    @check("snac <-> snac: carol and bob follow each other (signed Follow / Accept)")
    def _():
        carol.follow(bob.handle)
        bob.follow(carol.actor_url)
        carol.flush()
        bob.flush()
        wait_for(lambda: carol.following().get(bob.actor_url) == "accepted", 30, message="carol -> bob accepted")
        wait_for(lambda: bob.following().get(carol.actor_url) == "accepted", 30, message="bob -> carol accepted")
        assert carol.actor_url in bob.followers() and bob.actor_url in carol.followers()

    @check("snac <-> snac: note, reply, like, boost, edit, unlike, unboost, delete")
    def _():
        t0 = time.monotonic()
        post = bob.note("bob's post for carol")["uri"]
        bob.flush()
        wait_for(lambda: carol.object(post), 30, message="bob's post at carol")
        latency = time.monotonic() - t0
        reply = carol.reply(post, f"@{bob.handle} nice post")["uri"]
        carol.like(post)
        carol.boost(post)
        carol.flush()
        wait_for(lambda: {"Like", "Announce"} <= {n["type"] for n in bob.notifications()
                                                if n.get("objid") == post}, 30, message="Like and Announce at bob")
        wait_for(lambda: bob.object(reply), 30, message="carol's reply at bob")
        assert carol.actor_url in bob.likes(post) and carol.actor_url in bob.announces(post)
        assert bob.object(reply)["inReplyTo"] == post
        carol.edit(reply, "edited reply")
        carol.unlike(post)
        carol.unboost(post)
        carol.flush()
        wait_for(lambda: "edited reply" in bob.object(reply)["content"], 30, message="edit at bob")
        wait_for(lambda: carol.actor_url not in bob.likes(post), 30, message="unlike at bob")
        wait_for(lambda: bob.log_lines(r"Unboost for " + re.escape(post)), 30, message="unboost at bob")
        undos = [d["activity"]["object"]["type"] for d in bob.inbox_deliveries()
                 if isinstance(d["activity"], dict) and d["activity"].get("type") == "Undo"]
        assert {"Like", "Announce"} <= set(undos), undos
        carol.delete(reply)
        carol.flush()
        wait_for(lambda: (bob.object(reply) or {}).get("type") in (None, "Tombstone"), 30, message="delete at bob")
        return f"first delivery visible after {latency:.1f}s"

    @check("snac <-> snac: unfollow (Undo Follow)")
    def _():
        carol.unfollow(bob.actor_url)
        carol.flush()
        wait_for(lambda: carol.actor_url not in bob.followers(), 30, message="carol gone from bob's followers")
        assert bob.actor_url not in carol.following()

    if slow:
        @check("snac retries a delivery after the Fedify inbox answered 500 (queue_retry_minutes=1)")
        def _():
            oracle.mode(inbox_status=500)
            status = bob.note("while the oracle is down")
            bob.flush()
            wait_for(lambda: any(e.get("status") == 500 for e in oracle.received()), 20, message="a 500")
            oracle.mode(inbox_status=None)
            t0 = time.monotonic()
            entry = oracle.wait_received(lambda e: e.get("status") == 202 and activity_type(e) == "Create"
                                         and e["activity"]["object"].get("id") == status["uri"], timeout=180)
            assert entry["verified"] is True
            return f"re-delivered {time.monotonic() - t0:.0f}s after recovery"


if __name__ == "__main__":
    sys.exit(main())
