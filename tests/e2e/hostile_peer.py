"""A throw-away ActivityPub peer for the security tests (and the remote accounts of test_paging.py):
whatever documents a test puts on it, served by a threaded `http.server` on 127.0.0.1 (a free
port; another port is another host to Topi), and inbox POSTs signed the way Mastodon signs them.

- `RsaKey`: an RSA-2048 key pair (the `cryptography` package); `public_pem` is what an actor
  document publishes, `sign` is RSASSA-PKCS1-v1_5 over SHA-256.
- `HostilePeer`: `serve(path, document, content_type=..., status=...)` puts a JSON document (or
  a bare status) at a path; `serve_endless(path, chunk, repeat)` a chunked answer of no declared
  length (`streamed[path]`: how much of it got out) (an exact path with its query, else the path alone); `person(name,
  key)` serves a minimal Person at `/users/NAME` with the key `…/users/NAME#main-key`; `GET
  /out?to=URL` is an open redirect (302 to URL); POSTs to any path ending in `/inbox` get 202
  (or `inbox_status`).
  Every request is recorded (`requests`, `gets(path)`, `inbox_posts(path)`).
- `signed_post(url, activity, key_id, key)`: POST `activity` as application/activity+json with
  a draft-cavage `Signature` (rsa-sha256 over `(request-target) host date digest`) and a
  `Digest: SHA-256=…` header, like Mastodon does.
"""
from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

AP_JSON = "application/activity+json"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"


class RsaKey:
    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode()


def signed_post(url: str, activity: dict | bytes, key_id: str, key: RsaKey, timeout: float = 30) -> requests.Response:
    """POST `activity` to `url` signed (draft-cavage, rsa-sha256) by `key` under `key_id`."""
    body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    date = formatdate(usegmt=True)
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    signing_string = f"(request-target): post {target}\nhost: {parts.netloc}\ndate: {date}\ndigest: {digest}"
    signature = (f'keyId="{key_id}",algorithm="rsa-sha256",headers="(request-target) host date digest",'
                 f'signature="{key.sign(signing_string.encode())}"')
    headers = {"Host": parts.netloc, "Date": date, "Digest": digest, "Content-Type": AP_JSON,
               "Signature": signature, "User-Agent": "topi-e2e-hostile-peer"}
    return requests.post(url, data=body, headers=headers, timeout=timeout)


@dataclass
class Seen:
    method: str
    path: str  # with the query
    headers: dict
    body: bytes


@dataclass
class Route:
    status: int
    content_type: str | None = None
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    # Chunked, without Content-Length: `body` sent this many times (until the reader hangs up).
    repeat: int = 0


class HostilePeer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        # What inbox POSTs are answered: 202, or a failure a test sets (503: "down for now").
        self.inbox_status = 202
        # Bytes of body each streamed answer got out before its reader hung up, by path.
        self.streamed: dict[str, int] = {}
        self._lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _stream(self, route: Route) -> None:
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type or AP_JSON)
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
                sent = 0
                try:
                    for _ in range(route.repeat):
                        self.wfile.write(f"{len(route.body):x}\r\n".encode() + route.body + b"\r\n")
                        sent += len(route.body)
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:  # the reader hung up
                    pass
                with peer._lock:
                    peer.streamed[self.path] = peer.streamed.get(self.path, 0) + sent
                self.close_connection = True

            def _answer(self, route: Route) -> None:
                if route.repeat:
                    self._stream(route)
                    return
                self.send_response(route.status)
                if route.content_type:
                    self.send_header("Content-Type", route.content_type)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(route.body)
                self.close_connection = True

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with peer._lock:
                    peer.requests.append(Seen(self.command, self.path, dict(self.headers), body))
                self._answer(peer._route(self.command, self.path))

            do_GET = do_POST = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self.url_base = f"http://{self.host}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"hostile-peer-{self.port}", daemon=True)

    def __enter__(self) -> "HostilePeer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- what it serves ---------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.url_base + path

    def _route(self, method: str, path: str) -> Route:
        with self._lock:
            route = self.routes.get(path) or self.routes.get(urlsplit(path).path)
        if method == "POST":
            if not urlsplit(path).path.endswith("/inbox"):
                return Route(405)
            return Route(self.inbox_status, "application/json", b"{}")
        if route is not None:
            return route
        if urlsplit(path).path == "/out":
            to = parse_qs(urlsplit(path).query).get("to", [""])[0]
            return Route(302, headers={"Location": to}) if to else Route(400)
        return Route(404, "text/plain", b"not found")

    def serve_endless(self, path: str, chunk: bytes, repeat: int) -> str:
        """`chunk` sent `repeat` times as one chunked answer that declares no length."""
        with self._lock:
            self.routes[path] = Route(200, AP_JSON, chunk, repeat=repeat)
        return self.url(path)

    def serve(self, path: str, document: dict | None = None, *, content_type: str = AP_JSON,
              status: int = 200) -> str:
        body = json.dumps(document).encode() if document is not None else b""
        with self._lock:
            self.routes[path] = Route(status, content_type if document is not None else None, body)
        return self.url(path)

    def serve_text(self, path: str, body: str, content_type: str = "text/html; charset=utf-8") -> str:
        """`body` as it is (an HTML page, say) at `path`."""
        with self._lock:
            self.routes[path] = Route(200, content_type, body.encode())
        return self.url(path)

    def person_document(self, username: str, key: RsaKey, *, id: str | None = None, key_id: str | None = None,
                        **extra) -> dict:
        """A minimal Person `username` (its id `id`, by default `/users/USERNAME` here) publishing
        `key`; `extra` adds or replaces members (`name`, `summary`, ...)."""
        actor = id or self.url(f"/users/{username}")
        return {
            "@context": [AS_CONTEXT, "https://w3id.org/security/v1"],
            "id": actor, "type": "Person", "preferredUsername": username, "name": username,
            "inbox": f"{actor}/inbox", "followers": f"{actor}/followers",
            "publicKey": {"id": key_id or f"{actor}#main-key", "owner": actor, "publicKeyPem": key.public_pem},
            **extra,
        }

    def person(self, username: str, key: RsaKey, **extra) -> str:
        """Serves `person_document(username, key)` at /users/USERNAME; returns the actor id."""
        return self.serve(f"/users/{username}", self.person_document(username, key, **extra))

    # -- what it saw ------------------------------------------------------------------------------

    def seen(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests
                    if (method is None or r.method == method) and (path is None or r.path == path)]

    def gets(self, path: str) -> int:
        return len(self.seen("GET", path))

    def inbox_posts(self, path: str) -> list[Seen]:
        return self.seen("POST", path)

