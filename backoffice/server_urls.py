"""The address of an outside server as a URL (`SMTP_URL`, `IMAP_URL`): scheme, host, port, user and password, read
one way for every adapter, and shown without the password."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

# This machine: the one place a password may travel unencrypted (a local test or catcher server).
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class ServerAddress:
    scheme: str
    host: str
    port: int
    username: str
    password: str
    folder: str = ""  # the URL's path, e.g. an IMAP folder

    @property
    def is_local(self) -> bool:
        return self.host in LOCAL_HOSTS

    def __str__(self) -> str:  # never the password, in logs or errors
        return f"{self.scheme}://{self.host}:{self.port}" + (f"/{self.folder}" if self.folder else "")


def parse_server_url(url: str, *, setting: str, default_ports: dict[str, int], error: type[Exception]) -> ServerAddress:
    """`scheme://user:pass@host:port/path` as its parts (user, password and path URL-decoded); raises `error` naming
    `setting` for a scheme not in `default_ports`, no host, or a bad port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in default_ports:
        schemes = [f"{name}://" for name in default_ports]
        raise error(f"{setting} must start with {', '.join(schemes[:-1])} or {schemes[-1]}")
    if not parts.hostname:
        raise error(f"{setting} names no host")
    try:
        port = parts.port or default_ports[scheme]
    except ValueError as problem:
        raise error(f"{setting} has a bad port: {problem}") from None
    return ServerAddress(
        scheme=scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.strip("/")),
    )
