"""Live from the inbox: a peer's Like becomes a notification that reaches an open streaming
socket and, through Web Push (docs.joinmastodon.org/methods/push), phones. Topi's queue consumer
POSTs each push, encrypted and VAPID-signed, to a push service on loopback
(tests/e2e/push_service.py) that decrypts it with `http_ece` and checks the signature against
the `server_key` Topi published: RFC 8291 `aes128gcm` and the older `aesgcm`. Every JSON answer
is schema-checked. The module has a server of its own: other modules block and mute the Fedify
actor on the shared federation server."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from client import CheckedSession
from helpers import password_token, register_app, unique, wait_for
from push_service import PushService, Subscriber, decrypt


@pytest.fixture(scope="module")
def federation_server(own_federation_server):
    return own_federation_server


@pytest.fixture(scope="module")
def fed_owner(own_federation_server, spec):
    with CheckedSession(own_federation_server.url, spec) as api:
        api.token = password_token(api, register_app(api, name="live owner"), "read write follow push")
        yield api


@pytest.fixture(scope="module")
def push_service():
    service = PushService().start()
    yield service
    service.stop()


def subscribe(server, spec, push_service, name: str, *, standard: bool, alerts: dict | None = None):
    session = CheckedSession(server.url, spec)
    session.token = password_token(session, register_app(session, name=f"push {name}"), "read write push")
    phone = Subscriber()
    data = {"subscription[endpoint]": push_service.endpoint(name), "subscription[keys][p256dh]": phone.p256dh,
            "subscription[keys][auth]": phone.auth_b64, "subscription[standard]": "true" if standard else "false",
            "data[policy]": "all"}
    for kind, wanted in (alerts or {"favourite": True}).items():
        data[f"data[alerts][{kind}]"] = "true" if wanted else "false"
    created = session.post("/api/v1/push/subscription", data=data)
    assert created.status_code == 200, created.text
    return session, phone, created.json_body


def like(fedify_oracle, server, status: dict) -> None:
    activity = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Like", "actor": fedify_oracle.actor_url(),
                "id": f"{fedify_oracle.actor_url()}#likes/{unique('push')}", "object": status["uri"]}
    result = fedify_oracle.send(f"{server.url}/users/alice/inbox", activity)
    assert result["status"] == 202, result


def test_a_liked_post_is_pushed_to_both_encodings_and_decrypts(federation_server, fed_owner, fedify_oracle, push_service, spec):
    standard, standard_phone, entity = subscribe(federation_server, spec, push_service, "standard", standard=True)
    legacy, legacy_phone, _ = subscribe(federation_server, spec, push_service, "legacy", standard=False)
    quiet, _, _ = subscribe(federation_server, spec, push_service, "quiet", standard=True, alerts={"mention": True})
    assert entity["standard"] is True and entity["alerts"]["favourite"] is True and entity["alerts"]["mention"] is False
    server_key = entity["server_key"]
    assert server_key == standard.get("/api/v2/instance").json_body["configuration"]["vapid"]["public_key"]

    status = fed_owner.post("/api/v1/statuses", data={"status": "push this " + unique(), "visibility": "public"}).json_body
    like(fedify_oracle, federation_server, status)

    for name, session, phone in [("standard", standard, standard_phone), ("legacy", legacy, legacy_phone)]:
        messages = wait_for(lambda: push_service.to(name), timeout=30, message=f"a push to {name}")
        payload = decrypt(messages[0], phone, server_key, push_service.origin)
        assert payload["access_token"] == session.token
        assert payload["notification_type"] == "favourite"
        assert payload["body"] == status["content"].removeprefix("<p>").removesuffix("</p>")
        assert "favorited your post" in payload["title"]
        assert payload["preferred_locale"] == "en" and payload["icon"].startswith("http")
        notification = fed_owner.get(f"/api/v1/notifications/{payload['notification_id']}").json_body
        assert notification["type"] == "favourite" and notification["status"]["id"] == status["id"]
    assert push_service.to("quiet") == [], "a subscription that did not ask for favourites got one"
    quiet.close()


def test_failing_services_are_retried_and_gone_subscriptions_removed(federation_server, fed_owner, fedify_oracle, push_service, spec):
    flaky, flaky_phone, entity = subscribe(federation_server, spec, push_service, "flaky", standard=True)
    gone, _, _ = subscribe(federation_server, spec, push_service, "gone", standard=True)
    push_service.answers.update({"flaky": [503], "gone": [410]})
    status = fed_owner.post("/api/v1/statuses", data={"status": "retry this " + unique(), "visibility": "public"}).json_body
    like(fedify_oracle, federation_server, status)
    retried = wait_for(lambda: len(push_service.to("flaky")) >= 2 and push_service.to("flaky"), timeout=60, message="a retried push")
    assert decrypt(retried[-1], flaky_phone, entity["server_key"], push_service.origin)["notification_type"] == "favourite"
    wait_for(lambda: gone.get("/api/v1/push/subscription").status_code == 404, timeout=30, message="the gone subscription removed")
    assert len(push_service.to("gone")) == 1, "a 410 is not retried"
    flaky.close()
    gone.close()


def test_a_peers_like_reaches_the_owners_notification_stream(federation_server, fed_owner, fedify_oracle, spec):
    """Streaming from the inbox: a signed Like from Fedify becomes a `notification` frame on an
    open `user:notification` socket (the hub, a Durable Object, hears of it from the inbox's
    invocation)."""
    status = fed_owner.post("/api/v1/statuses", data={"status": "like this, from afar", "visibility": "public"}).json_body
    like = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{fedify_oracle.actor_url()}#likes/stream-{status['id']}",
            "type": "Like", "actor": fedify_oracle.actor_url(), "object": status["uri"]}

    async def scenario():
        url = federation_server.url.replace("http://", "ws://") + "/api/v1/streaming?stream=user:notification"
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(url, headers={"Authorization": f"Bearer {fed_owner.token}"}) as ws:
                result = await asyncio.to_thread(fedify_oracle.send, f"{federation_server.url}/users/alice/inbox", like)
                assert result["status"] == 202, result
                while True:
                    message = await ws.receive(timeout=15)
                    frame = json.loads(message.data)
                    if frame.get("event") == "notification":
                        return frame

    frame = asyncio.run(scenario())
    assert frame["stream"] == ["user:notification"]
    notification = json.loads(frame["payload"])
    spec.validate_component("Notification", notification)
    assert notification["type"] == "favourite"
    assert notification["status"]["id"] == status["id"]
    assert notification["account"]["url"] == fedify_oracle.actor_url() or notification["account"]["acct"] == fedify_oracle.handle()
