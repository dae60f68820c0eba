"""What makes the API safe to expose: same-site writes, a per-client rate
limit, security headers on every answer, and owner tokens.

- **Cross-site writes** (`SameSiteWrites`): a POST/PUT/PATCH/DELETE whose
  `Origin` (or, without one, `Referer`) names another site than the `Host`
  it was sent to is refused with 403, so a page elsewhere cannot make its
  visitors' browsers queue jobs. A request with neither header is let
  through: browsers always send `Origin` on a cross-site POST, and curl or a
  script sends neither (they carry no visitor's cookies or rights to abuse).
  `Sec-Fetch-Site: cross-site` is refused even without the other two.
  Only host and port are compared (a TLS proxy in front turns https into
  http); `WEB_ALLOWED_ORIGINS` adds other origins, e.g. a separate front end.
- **Rate limit** (`RateLimiter`): uploads and re-renders per client address
  in a sliding window (`WEB_RATE_LIMIT` per `WEB_RATE_WINDOW_S`), then 429
  with `Retry-After`. In memory: one process serves the API. The address is
  the one uvicorn reports, which honours `X-Forwarded-For` from the proxies
  in its `--forwarded-allow-ips` (127.0.0.1 by default), so a local reverse
  proxy does not make every visitor one client.
- **Headers** (`SECURITY_HEADERS`): a CSP with scripts and styles from this
  origin only (the page has no inline script or style), nosniff,
  frame-ancestors 'none' and X-Frame-Options DENY, no Referer to other sites.
- **Owner token**: made at upload and returned once; only its SHA-256 is
  stored. The share link can view; Apply, Cancel and delete need the token
  in `X-Owner-Token` (the creating browser keeps it in localStorage).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from urllib.parse import urlsplit

OWNER_HEADER = "x-owner-token"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class RateLimited(Exception):
    """Too many uploads or re-renders from one client (HTTP 429)."""

    def __init__(self, retry_after_s: int):
        super().__init__(f"Too many remixes from your address: wait {retry_after_s} s and try "
                         "again.")
        self.retry_after_s = retry_after_s


class RateLimiter:
    """At most `limit` hits per client in any `window_s` seconds (0 = no limit)."""

    def __init__(self, limit: int, window_s: float):
        self.limit, self.window_s = limit, window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, client: str, now: float | None = None) -> None:
        if self.limit <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                raise RateLimited(max(1, int(hits[0] + self.window_s - now + 0.999)))
            hits.append(now)
            if len(self._hits) > 10_000:  # forget clients that went quiet
                for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window_s]:
                    del self._hits[key]


def new_owner_token() -> tuple[str, str]:
    """(token for the client, hash for the store)."""
    token = secrets.token_urlsafe(32)
    return token, owner_hash(token)


def owner_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def is_owner(stored_hash: str | None, token: str | None) -> bool:
    if not stored_hash or not token:
        return False
    return hmac.compare_digest(stored_hash, owner_hash(token))


def _netloc(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    port = parts.port if parts.port is not None else (443 if parts.scheme == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


def _host_netloc(host: str, scheme: str) -> str:
    return _netloc(f"{scheme}://{host}") or host.lower()


def cross_site_reason(method: str, headers: dict[str, str], scheme: str,
                      allowed: tuple[str, ...]) -> str | None:
    """Why a request must be refused as cross-site, or None to let it through."""
    if method not in WRITE_METHODS:
        return None
    origin = headers.get("origin")
    source = origin if origin is not None else headers.get("referer")
    if source is None:
        if headers.get("sec-fetch-site") == "cross-site":
            return "the browser says it comes from another site"
        return None  # curl, scripts: no browser, nobody's rights to borrow
    seen = _netloc(source)
    if seen is None:
        return f"its origin {source[:60]!r} is not a web site"
    own = _host_netloc(headers.get("host", ""), scheme)
    if seen == own or seen in {_netloc(a) for a in allowed}:
        return None
    return f"it comes from {source[:60]!r}, not from this server"


class SecurityMiddleware:
    """ASGI middleware: refuses cross-site writes, adds the headers to every
    answer (streams included, which Starlette's BaseHTTPMiddleware would buffer)."""

    def __init__(self, app, allowed_origins: tuple[str, ...] = ()):
        self.app, self.allowed = app, tuple(allowed_origins)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        reason = cross_site_reason(scope["method"], headers, scope.get("scheme", "http"),
                                   self.allowed)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in names]
            await send(message)

        if reason is None:
            return await self.app(scope, receive, send_with_headers)
        body = json.dumps({"detail": f"Cross-site request refused: {reason}. Use the page "
                                     "this server serves, or a client without a browser."}).encode()
        await send_with_headers({"type": "http.response.start", "status": 403, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send_with_headers({"type": "http.response.body", "body": body})
