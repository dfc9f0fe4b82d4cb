"""A small Web Push service for the tests, on 127.0.0.1 over real TLS (a
throwaway certificate, made with openssl as bench/topology.py makes nginx's;
the sender trusts it through REQUESTS_CA_BUNDLE, as an operator would a
private CA). It keeps every request it gets, and tells what a phone would
read from one: the VAPID token checked against the key it names, and the
aes128gcm body decrypted with the subscription's private key."""

import base64
import json
import os
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import jwt as vapid_jwt


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: it is its own CA."""
    cert, key = folder / "push.crt", folder / "push.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@dataclass
class Phone:
    """What a browser keeps of a subscription: its ECDH key pair and auth
    secret (made here in Python, or in the browser with WebCrypto)."""

    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @classmethod
    def new(cls) -> "Phone":
        return cls(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    @classmethod
    def from_jwk(cls, jwk: dict, auth: str) -> "Phone":
        d = int.from_bytes(unb64url(jwk["d"]), "big")
        return cls(ec.derive_private_key(d, ec.SECP256R1()), unb64url(auth))

    @property
    def p256dh(self) -> str:
        return b64url(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def subscription_json(self, endpoint: str) -> dict:
        keys = {"p256dh": self.p256dh, "auth": b64url(self.auth)}
        return {"endpoint": endpoint, "expirationTime": None, "keys": keys}

    def decrypt(self, body: bytes) -> bytes:
        return http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    def vapid(self) -> tuple[dict, str]:
        """The VAPID claims, after checking the JWT's ES256 signature with
        the public key the header names (raises if it does not verify), and
        that key."""
        scheme, _, params = self.headers["authorization"].partition(" ")
        assert scheme == "vapid", scheme
        parts = dict(part.strip().split("=", 1) for part in params.split(","))
        header = json.loads(unb64url(parts["t"].split(".")[0]))
        assert header == {"typ": "JWT", "alg": "ES256"}, header
        return vapid_jwt.decode(parts["t"], parts["k"]), parts["k"]


@dataclass
class PushService:
    url: str
    ca_file: Path
    received: list[Received] = field(default_factory=list)
    # path -> HTTP status to answer with (201 unless told)
    answers: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def endpoint(self, name: str) -> str:
        return f"{self.url}/push/{name}"

    def for_path(self, name: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == f"/push/{name}"]

    def clear(self) -> None:
        with self.lock:
            self.received.clear()


def start(folder: Path) -> tuple[PushService, ThreadingHTTPServer]:
    cert, key = make_certificate(folder)
    holder: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            service: PushService = holder["service"]
            with service.lock:
                service.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
            status = service.answers.get(self.path, 201)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    service = PushService(url=f"https://127.0.0.1:{server.server_address[1]}", ca_file=cert)
    holder["service"] = service
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return service, server
