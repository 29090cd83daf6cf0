"""A Web Push service on loopback, for tests: it records what Topi POSTs, decrypts it with an
independent implementation (`http_ece`, PyPI) using the subscriber's private key, and verifies
the VAPID token (ES256, RFC 8292) against the server key Topi published. `answers[name]` lists
the status codes to give an endpoint, in order (then 201)."""
from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Subscriber:
    """A phone: its key pair and auth secret, as it registers them."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = b"0123456789abcdef"

    @property
    def p256dh(self) -> str:
        return b64(self.private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))

    @property
    def auth_b64(self) -> str:
        return b64(self.auth)


def verify_vapid(jwt: str, server_key: str, audience: str) -> dict:
    """The claims of a VAPID token whose ES256 signature verifies under `server_key`."""
    header, claims, signature = jwt.split(".")
    assert json.loads(unb64(header)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64(signature)
    assert len(raw) == 64, "ES256 signatures are r||s"
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(server_key))
    try:
        public.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as error:
        raise AssertionError("the VAPID signature does not verify under the server key") from error
    decoded = json.loads(unb64(claims))
    assert decoded["aud"] == audience, decoded
    return decoded


class PushService:
    def __init__(self):
        self.received: list[dict] = []
        self.answers: dict[str, list[int]] = {}
        self.lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with service.lock:
                    service.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    planned = service.answers.get(self.path.rsplit("/", 1)[-1])
                    status = planned.pop(0) if planned else 201
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def start(self) -> "PushService":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def to(self, name: str) -> list[dict]:
        with self.lock:
            return [r for r in self.received if r["path"] == f"/push/{name}"]


def decrypt(message: dict, subscriber: Subscriber, server_key: str, audience: str) -> dict:
    """The payload of one received push, after checking its VAPID authorization."""
    headers = {k.lower(): v for k, v in message["headers"].items()}
    encoding = headers["content-encoding"]
    if encoding == "aes128gcm":
        scheme, params = headers["authorization"].split(" ", 1)
        assert scheme == "vapid"
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        assert fields["k"] == server_key
        verify_vapid(fields["t"], server_key, audience)
        plain = http_ece.decrypt(message["body"], private_key=subscriber.private_key, auth_secret=subscriber.auth, version="aes128gcm")
    else:
        assert encoding == "aesgcm", encoding
        scheme, jwt = headers["authorization"].split(" ", 1)
        assert scheme == "WebPush"
        crypto_key = dict(part.split("=", 1) for part in headers["crypto-key"].split(";"))
        assert crypto_key["p256ecdsa"] == server_key
        verify_vapid(jwt, server_key, audience)
        salt = unb64(headers["encryption"].split("=", 1)[1])
        plain = http_ece.decrypt(message["body"], salt=salt, dh=unb64(crypto_key["dh"]), private_key=subscriber.private_key,
                                 auth_secret=subscriber.auth, version="aesgcm")
    return json.loads(plain)
