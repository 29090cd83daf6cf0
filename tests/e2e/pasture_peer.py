"""fediverse-pasture on loopback, for test_pasture.py.

fediverse-pasture (PyPI `fediverse-pasture`, built on bovine) tests how a Fediverse application
shows what other servers send it: its "one actor" server publishes one actor, `/actor` (webfinger
`acct:actor@HOST`, an RSA key `/actor#main`), and its `ActivitySender` wraps each input of
`fediverse-pasture-inputs` in a `Note`, addresses it `to` Public and the target actor, wraps that in
a `Create` and POSTs it to the target's inbox, signed (draft-cavage, rsa-sha256 over `(request-target)
host date digest content-type`). Its `ActivityRunner` then asks an application adapter for the
object (pasture's own Mastodon adapter greps `/api/v1/timelines/public`); here the adapter is the
test's, reading Topi's Mastodon API through a `CheckedSession`.

- `PastureActor`: pasture's one-actor blueprints (actor, webfinger, inbox; generated images under
  `/images/`; the asset files the inputs refer to under `/assets/`) on a uvicorn server bound to
  127.0.0.1 on a free port (pasture's own `one_actor` command binds 0.0.0.0:2909), in a thread
  of its own. What arrives in its inbox is kept (`inbox`). `localize()` rewrites the inputs'
  `http://pasture-one-actor` (the docker host name pasture uses) to this server's URL.
- `PastureActor.run(target, examples, fetch)`: sends each example with pasture's `ActivityRunner`
  (one `Create` each, in order) and returns, per example, `{"activity", "object_id", "inbox":
  (status, body), "result"}`, `result` being what `fetch(object_id)` returned (None: not shown).
- `accept(follow)`: the actor accepts a Follow it received (pasture's actor never answers one).

fediverse-pasture-inputs 0.3.1 and later declare Python >= 3.13 and import `warnings.deprecated`
(new in 3.13); `load_inputs()` supplies typing_extensions' equivalent on older Pythons, so those
versions run here too when installed with `--ignore-requires-python`.
"""
from __future__ import annotations

import asyncio
import io
import json
import socket
import threading
import time
import warnings
from pathlib import Path
from typing import Callable

from helpers import free_port

PASTURE_HOST = "http://pasture-one-actor"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def load_inputs() -> dict:
    """fediverse_pasture_inputs.available: input-set name -> InputData (title, examples, ...)."""
    if not hasattr(warnings, "deprecated"):
        from typing_extensions import deprecated
        warnings.deprecated = deprecated  # type: ignore[attr-defined]
    import fediverse_pasture_inputs

    return fediverse_pasture_inputs.available


def inputs_version() -> str:
    from importlib.metadata import version

    return version("fediverse-pasture-inputs")


def _image(fmt: str, size=(40, 40), color=(120, 90, 60)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def write_assets(directory: Path, base: str) -> None:
    """The files the inputs link under /assets/ (pasture downloads its own set from codeberg;
    nothing leaves this machine here). Media files are small stand-ins: Topi links remote media,
    it does not fetch it. `does_not_exist.png` is missing on purpose."""
    actor = f"{base}/actor"
    for name, content in (("note1.jsonap", "One"), ("note2.jsonap", "Two")):
        note = {"@context": AS_CONTEXT, "type": "Note", "id": f"{base}/assets/{name}", "attributedTo": actor,
                "to": [PUBLIC], "content": content, "published": "2024-01-06T13:11:45Z"}
        (directory / name).write_text(json.dumps(note))
    emoji = {"@context": AS_CONTEXT, "id": f"{base}/assets/cow_emoji.jsonap", "type": "Emoji", "name": ":cow5:",
             "icon": {"type": "Image", "mediaType": "image/png", "url": f"{base}/assets/cow_emoji.png"}}
    (directory / "cow_emoji.jsonap").write_text(json.dumps(emoji))
    (directory / "cow.jpg").write_bytes(_image("JPEG", (100, 162)))
    for name in ("nlnet.png", "FediverseLogo.png", "cow_emoji.png"):
        (directory / name).write_bytes(_image("PNG"))
    (directory / "FediverseLogo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40"/></svg>')
    (directory / "sample.txt").write_text("A text document.\n")
    for name in ("cow_eating.mp4", "cow_eating_hd.mp4"):
        (directory / name).write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
    (directory / "cow_moo.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 16)


UNREACHABLE = f"http://127.0.0.1:{free_port()}/"  # nobody listens there


def localize(example, base: str):
    """`example` with pasture's host name replaced by `base` (http://127.0.0.1:PORT), and the one
    other host Topi dereferences (the `inReplyTo` "invalid uri", http://invalid.example/) by a
    closed loopback port: nothing is looked up off this machine."""
    text = json.dumps(example).replace(PASTURE_HOST, base).replace("http://invalid.example/", UNREACHABLE)
    return json.loads(text)


class PastureActor:
    def __init__(self, directory: Path) -> None:
        from fediverse_pasture.data_provider.generate import generate_one_actor
        from fediverse_pasture.server import BlueprintForActors, assets_blueprint_for_directory
        from fediverse_pasture.server.image_provider_blueprint import image_provider_blueprint
        from quart import Quart

        self.data = generate_one_actor()  # actor "actor", one RSA key "main"
        self.inbox: list[dict] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))  # loopback only, never 0.0.0.0
        self.port = self._sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.actor_id = f"{self.base}/actor"
        self.handle = f"actor@127.0.0.1:{self.port}"
        assets = directory / "assets"
        assets.mkdir(parents=True, exist_ok=True)
        write_assets(assets, self.base)

        async def on_inbox(data: dict) -> None:
            with self._lock:
                self.inbox.append(data)

        app = Quart("pasture_one_actor")
        app.register_blueprint(BlueprintForActors(actors=[self.data], on_inbox=on_inbox).blueprint)
        app.register_blueprint(image_provider_blueprint, url_prefix="/images")
        app.register_blueprint(assets_blueprint_for_directory(str(assets)))
        self._app = app
        self._server = None
        self._thread: threading.Thread | None = None

    # -- the server ---------------------------------------------------------------------------

    def __enter__(self) -> "PastureActor":
        import uvicorn

        config = uvicorn.Config(self._app, log_level="warning", lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name=f"pasture-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the pasture one-actor server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()

    def received(self, kind: str) -> list[dict]:
        with self._lock:
            return [a for a in self.inbox if a.get("type") == kind]

    # -- sending ------------------------------------------------------------------------------

    def _bovine(self):
        from fediverse_pasture.data_provider import bovine_actor_for_actor_data

        return bovine_actor_for_actor_data(self.actor_id, self.data)

    def accept(self, follow: dict, target_inbox: str) -> int:
        """POSTs the actor's Accept of `follow` (embedded) to `target_inbox`; the HTTP status."""
        async def go() -> int:
            import aiohttp
            from fediverse_pasture.runner import ActivitySender

            async with aiohttp.ClientSession() as session:
                bovine_actor, actor = self._bovine()
                await bovine_actor.init(session=session)
                sender = ActivitySender.for_actor(bovine_actor, actor)
                accept = sender.activity_factory.accept(follow, include_activity=True,
                                                        id=sender.make_id(activity=True)).build()
                response = await bovine_actor.client.post(target_inbox, json.dumps(accept))
                return response.status

        return asyncio.run(go())

    def run(self, target: str, examples: list[dict], fetch: Callable[[str], dict | None]) -> list[dict]:
        """Sends every example to `target` (an actor id) with pasture's ActivityRunner."""
        return asyncio.run(self._run(target, examples, fetch))

    async def _run(self, target: str, examples: list[dict], fetch) -> list[dict]:
        import aiohttp
        from fediverse_pasture.runner import ActivityRunner, ActivitySender
        from fediverse_pasture.types import ApplicationAdapterForLastActivity

        answers: list[tuple[int, str]] = []
        async with aiohttp.ClientSession() as session:
            bovine_actor, actor = self._bovine()
            await bovine_actor.init(session=session)
            client = bovine_actor.client
            signed_post = client.post

            async def recording_post(url, body, *args, **kwargs):
                # The inbox's answer, which pasture only logs (and raises on 4xx/5xx).
                response = await signed_post(url, body, *args, **kwargs)
                answers.append((response.status, await response.text()))
                return response

            client.post = recording_post
            sender = ActivitySender.for_actor(bovine_actor, actor)

            async def fetch_activity(object_id: str):
                return await asyncio.to_thread(fetch, object_id)

            adapter = ApplicationAdapterForLastActivity(
                actor_uri=target, application_name="mastodon", fetch_activity=fetch_activity)
            # Topi applies a Create before it answers: one look is enough, no polling.
            runner = ActivityRunner(sender, [adapter], wait_time=0.0, tries=1)
            results = []
            for example in examples:
                answers.clear()
                # As fediverse_pasture_inputs' ExampleTransformer builds them: the input's
                # properties over the skeleton Note.
                entry = await runner.run_for_modifier(lambda note, example=example: {**note, **example})
                results.append({
                    "activity": entry["activity"],
                    "object_id": sender.object_id,
                    "inbox": answers[-1] if answers else (None, "not sent"),
                    "result": entry["mastodon"],
                })
            return results
