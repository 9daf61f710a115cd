"""The web door's HTTP side: chatd's page, the WebSocket at ``/ws``, and the rules of both.

- **The page** is three files in the package (``static/``: HTML, an ES module, CSS), served as
  they are: no build step, nothing from another origin.
- **Every response** chatd renders carries a strict Content-Security-Policy and
  ``X-Content-Type-Options: nosniff``, and never a traceback.
- **The upgrade** is accepted only from the page's own origin, or from one ``--web-origin``
  allows: another site's page could otherwise chat in the name of a visitor's browser.  A
  request without an Origin header comes from a program, not a page, and is let through (a
  browser always sends one).  A plain GET on ``/ws`` gets a 400 that says what the path is for.
- **Behind a reverse proxy** named by ``--web-trusted-proxy``, a request is the client's that
  the proxy forwards (:mod:`~chatd.doors.web.forwarded`): ``getClientAddress`` and ``isSecure``
  say what the proxy said.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from twisted.internet.interfaces import IAddress
from twisted.logger import Logger
from twisted.web import pages, resource, server
from twisted.web.websocket import WebSocketResource

from chatd.core.hub import Hub
from chatd.core.logquota import LogQuota
from chatd.doors.connections import DoorConnections
from chatd.doors.fanout import Fanout
from chatd.doors.web import wire
from chatd.doors.web.door import WebDoor
from chatd.doors.web.forwarded import Forwarded, TrustedProxies, UnreadableForwarding

STATIC = Path(__file__).parent / "static"

#: What the page may load: its own files and its own WebSocket, nothing inline, no frames.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'; object-src 'none'"
)

_SECURITY_HEADERS = (
    (b"Content-Security-Policy", CONTENT_SECURITY_POLICY.encode()),
    (b"X-Content-Type-Options", b"nosniff"),
    (b"Referrer-Policy", b"no-referrer"),
    (b"Cache-Control", b"no-cache"),
)


class WebDoorFactory(DoorConnections[WebDoor]):
    """Builds a :class:`~chatd.doors.web.door.WebDoor` per WebSocket, and knows which are open.

    Its counts have the line door's names, so the metrics read both alike (a web "line" is a
    message).
    """

    def __init__(self, hub: Hub) -> None:
        # Broadcasts reach web readers as JSON frames, made once for all of them.
        super().__init__(hub, Fanout(hub.clock, encode=wire.encode, encode_marked=None))

    def buildProtocol(self, request: server.Request) -> WebDoor:
        forwarded: Forwarded | None = getattr(request, "forwarded", None)
        client = forwarded.client if forwarded is not None else None
        return self.opened(WebDoor(self, request, client))


class GuardedWebSocket(WebSocketResource):
    """``/ws``: the upgrade, for the page's own origin and the allowed ones only."""

    log = Logger()

    def __init__(self, factory: WebDoorFactory, origins: Iterable[str] = ()) -> None:
        super().__init__(factory)
        allowed = {origin.rstrip("/").lower() for origin in origins}
        self._any_origin = "*" in allowed
        self._origins = allowed - {"*"}

    def render_GET(self, request: server.Request) -> bytes | int:
        upgrade = request.getHeader("upgrade") or ""
        if upgrade.lower() != "websocket":
            return _plain(request, 400, "This is chatd's WebSocket; open / in a browser.\n")
        origin = request.getHeader("origin")
        if origin is not None and not self._allows(origin, request):
            self.log.info(
                "refused a WebSocket from {peer}: origin {origin} is not allowed",
                peer=request.getClientAddress(),
                origin=origin[:100],
            )
            return _plain(request, 403, "This origin may not use chatd's WebSocket.\n")
        return super().render_GET(request)

    def _allows(self, origin: str, request: server.Request) -> bool:
        origin = origin.rstrip("/").lower()
        if self._any_origin or origin in self._origins:
            return True
        host = request.getHeader("host")
        scheme = "https" if request.isSecure() else "http"
        return host is not None and origin == f"{scheme}://{host}".lower()


def _plain(request: server.Request, code: int, text: str) -> bytes:
    request.setResponseCode(code)
    request.setHeader("content-type", "text/plain; charset=utf-8")
    return text.encode()


class _Request(server.Request):
    """A request whose every response carries the security headers, and which is its client's
    when a trusted proxy forwards it."""

    #: What a trusted proxy said about this request; None if it came straight from its client.
    forwarded: Forwarded | None = None

    def process(self) -> None:
        for name, value in _SECURITY_HEADERS:
            self.setHeader(name, value)
        site: WebSite = self.channel.site  # type: ignore[attr-defined]
        self.forwarded = site.forwarded(self)
        super().process()

    def getClientAddress(self) -> IAddress:
        if self.forwarded is not None:
            return self.forwarded.client
        return super().getClientAddress()

    def isSecure(self) -> bool:
        if self.forwarded is not None and self.forwarded.secure is not None:
            return self.forwarded.secure
        return super().isSecure()


#: The page's files, by the name they are served under, and their media types.
ASSETS = {
    "": ("index.html", "text/html; charset=utf-8"),
    "app.js": ("app.js", "text/javascript; charset=utf-8"),
    "connection.js": ("connection.js", "text/javascript; charset=utf-8"),
    "style.css": ("style.css", "text/css; charset=utf-8"),
    "icon.svg": ("icon.svg", "image/svg+xml"),
}


class _Asset(resource.Resource):
    """One of the page's files, read once at start-up: they are a few kilobytes each."""

    def __init__(self, body: bytes, media_type: str) -> None:
        super().__init__()
        self._body = body
        self._type = media_type.encode()

    def render_GET(self, request: server.Request) -> bytes:
        request.setHeader(b"content-type", self._type)
        return self._body

    def getChild(self, path: bytes, request: server.Request) -> resource.IResource:
        return pages.notFound()


class _Root(resource.Resource):
    def getChild(self, path: bytes, request: server.Request) -> resource.IResource:
        return pages.notFound()


class WebSite(server.Site):
    """chatd's page at ``/`` and its WebSocket at ``/ws``."""

    requestFactory = _Request
    displayTracebacks = False
    noisy = False

    #: Not ``log``: that is the access log's method of Twisted's ``Site``.
    logger = Logger()

    def __init__(
        self,
        factory: WebDoorFactory,
        origins: Iterable[str] = (),
        proxies: TrustedProxies | None = None,
    ) -> None:
        root = _Root()
        for path, (name, media_type) in ASSETS.items():
            root.putChild(path.encode(), _Asset((STATIC / name).read_bytes(), media_type))
        root.putChild(b"ws", GuardedWebSocket(factory, origins))
        super().__init__(root)
        #: The door, for the service (shutdown) and the metrics.
        self.door = factory
        #: The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed.
        self.proxies = proxies or TrustedProxies()
        self._unreadable_logged = LogQuota(factory.hub.clock, "unreadable X-Forwarded-For headers")

    def stopFactory(self) -> None:
        super().stopFactory()
        self._unreadable_logged.stop()  # say now what was held back, rather than never

    def forwarded(self, request: server.Request) -> Forwarded | None:
        """What a trusted proxy said about ``request``: None if it came from anyone else, or
        from a proxy whose X-Forwarded-For cannot be read (logged; it counts as the proxy's)."""
        if not self.proxies:
            return None
        peer = request.client  # the TCP peer (Twisted's Request sets it when made)
        try:
            return self.proxies.forwarded(peer, request.requestHeaders)
        except UnreadableForwarding as unreadable:
            proxy = getattr(peer, "host", None)
            if self._unreadable_logged.allow(proxy):
                self.logger.warn(
                    "trusted proxy {proxy} sent an unreadable X-Forwarded-For ({why}): "
                    "counting the request as the proxy's",
                    proxy=proxy,
                    why=str(unreadable),
                )
            return None
