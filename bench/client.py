"""A small HTTPS client that behaves like one person's browser towards Crest:
its own cookies, its own keep-alive connection, CSRF tokens from the cookie,
an Origin and Referer on every POST (Django checks them over HTTPS), and
optionally its own source address on the loopback network (127.0.0.2,
127.0.0.3, ...) so the proxy sees different clients.

Standard library only (http.client), so hundreds of them run in threads.
"""

import http.client
import json as jsonlib
import re
import ssl
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlparse

# Failures of the connection itself (as opposed to an HTTP answer): the caller
# may retry; the client reconnects on its next request.
NETWORK_ERRORS = (OSError, http.client.HTTPException)


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return jsonlib.loads(self.body)


@dataclass
class Browser:
    base_url: str
    ssl_context: ssl.SSLContext | None = None
    source_ip: str | None = None
    timeout: float = 30
    cookies: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parsed = urlparse(self.base_url)
        self.scheme, self.host, self.port = parsed.scheme, parsed.hostname, parsed.port
        self.origin = f"{parsed.scheme}://{parsed.netloc}"
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            source = (self.source_ip, 0) if self.source_ip else None
            if self.scheme == "https":
                self._conn = http.client.HTTPSConnection(
                    self.host, self.port, timeout=self.timeout, context=self.ssl_context, source_address=source
                )
            else:
                self._conn = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout, source_address=source
                )
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None) -> Response:
        all_headers = {"Accept": "text/html,application/json", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method not in ("GET", "HEAD"):
            all_headers.setdefault("Origin", self.origin)
            all_headers.setdefault("Referer", f"{self.origin}{path}")
        start = time.perf_counter()
        try:
            conn = self._connection()
            conn.request(method, path, body=body, headers=all_headers)
            raw = conn.getresponse()
            data = raw.read()
        except NETWORK_ERRORS:
            self.close()
            raise
        if raw.getheader("Connection", "").lower() == "close":
            self.close()
        self._store_cookies(raw.headers)
        return Response(raw.status, raw.headers, data, time.perf_counter() - start)

    def _store_cookies(self, headers: http.client.HTTPMessage) -> None:
        for header in headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or (morsel.value == "" and morsel["expires"]):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_form(self, path: str, data: dict) -> Response:
        """A form POST with Django's CSRF token from the csrftoken cookie."""
        fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}
        return self.request(
            "POST", path, body=urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def post_json(self, path: str, payload) -> Response:
        """A JSON POST as the phone's fetch() sends it: the CSRF token in X-CSRFToken."""
        return self.request(
            "POST", path, body=jsonlib.dumps(payload).encode(),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
            },
        )

    def sign_in(self, username: str, password: str, *, path: str = "/accounts/login/") -> Response:
        """Open the sign-in page (for its CSRF cookie) and submit it. A
        successful sign-in answers 302; a wrong password 200 with the form."""
        page = self.get(path)
        if page.status != 200:
            return page
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        data = {"username": username, "password": password}
        if match:
            data["csrfmiddlewaretoken"] = match[1].decode()
        return self.post_form(path, data)


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """Verifies the server against `ca_file` (the topology's throwaway
    certificate), as a phone verifies a real one."""
    return ssl.create_default_context(cafile=ca_file)
