from __future__ import annotations

import os
from typing import Iterable

import grpc

from .errors import Unavailable
from .services import SERVICES
from .services.admin import Admin
from .services.definitions import Definitions
from .services.incidents import Incidents
from .services.instances import Instances
from .services.jobs import Jobs
from .services.notifications import Notifications
from .services.plugins import Plugins
from .services.principals import Principals
from .services.recruitment import Recruitment
from .services.reviews import Reviews
from .services.tasks import Tasks
from .services.workforce import Workforce

# Reconnect quickly after a daemon restart (gRPC's default back-off starts at 1 s and grows
# to 2 min); the worker loop adds its own back-off on top.
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.max_receive_message_length", 16 << 20),
]


def identity_metadata(user: str = "", roles: str | Iterable[str] = (),
                      unit: str = "") -> tuple[tuple[str, str], ...]:
    """x-shequ-user / x-shequ-roles (comma-separated) / x-shequ-unit; empty ones are left out.
    Only a daemon in development mode (`auth: headers`, loopback only) believes them."""
    if not isinstance(roles, str):
        roles = ",".join(roles)
    pairs = (("x-shequ-user", user), ("x-shequ-roles", roles), ("x-shequ-unit", unit))
    return tuple((k, v) for k, v in pairs if v)


def token_metadata(token: str) -> tuple[tuple[str, str], ...]:
    """`authorization: Bearer <token>`, or nothing for an empty token."""
    return (("authorization", f"Bearer {token}"),) if token else ()


def is_loopback(address: str) -> bool:
    """Whether `address` (host:port) names this machine: 127.x.y.z, [::1], localhost, or a
    unix: socket."""
    if address.startswith("unix:"):
        return True
    host = address.rsplit(":", 1)[0] if ":" in address else address
    host = host.removeprefix("ipv4:").removeprefix("ipv6:").strip("[]")
    return host.startswith("127.") or host in ("localhost", "::1")


def _read(path: str | None) -> bytes | None:
    if not path:
        return None
    with open(path, "rb") as f:
        return f.read()


def channel_credentials(*, ca_file: str | None = None, cert_file: str | None = None,
                        key_file: str | None = None) -> grpc.ChannelCredentials:
    """TLS credentials: the CA that signed the daemon's certificate (None: the system's roots),
    and for mTLS a client certificate and its key (PEM files)."""
    if bool(cert_file) != bool(key_file):
        raise ValueError("cert_file and key_file go together (mTLS): give both or neither")
    return grpc.ssl_channel_credentials(root_certificates=_read(ca_file),
                                        private_key=_read(key_file),
                                        certificate_chain=_read(cert_file))


class Client:
    """A connection to shequd, speaking as one caller.

        client = Client("shequd.district.example:7070", token=os.environ["SHEQU_TOKEN"],
                        ca_file="/etc/shequ/ca.pem")
        client.instances.start("vacancy-approval", {"posts": 2, "vacancies": 3})

    token: the API token, sent as `authorization: Bearer <token>` with every call (streams and
    workers included); None reads $SHEQU_TOKEN. tls: None means TLS when a TLS option is given
    or the address is not loopback, plaintext for 127.0.0.1 / localhost; True or False forces
    it. ca_file: the CA of the daemon's certificate (default: the system's roots); cert_file
    and key_file: a client certificate for mTLS; server_name: the name the daemon's certificate
    must carry when it differs from the address's host. Each TLS option defaults to
    $SHEQU_CA, $SHEQU_CERT, $SHEQU_KEY, $SHEQU_SERVER_NAME.

    user, roles, unit: the x-shequ-* identity metadata, believed only by a daemon in
    development mode (`auth: headers`). Calls time out after `timeout` seconds (streams
    never). Every failure raises a shequ.ShequError subclass."""

    definitions: Definitions
    instances: Instances
    tasks: Tasks
    jobs: Jobs
    incidents: Incidents
    notifications: Notifications
    admin: Admin
    workforce: Workforce
    plugins: Plugins
    recruitment: Recruitment
    reviews: Reviews
    principals: Principals

    def __init__(self, address: str = "127.0.0.1:7070", *, token: str | None = None,
                 tls: bool | None = None, ca_file: str | None = None,
                 cert_file: str | None = None, key_file: str | None = None,
                 server_name: str | None = None, user: str = "",
                 roles: str | Iterable[str] = (), unit: str = "", timeout: float | None = 30.0,
                 channel: grpc.Channel | None = None):
        self.address = address
        self.timeout = timeout
        self.token = os.environ.get("SHEQU_TOKEN", "") if token is None else token
        self.metadata = token_metadata(self.token) + identity_metadata(user, roles, unit)
        self._owns_channel = channel is None
        self.tls: bool | None = None  # as connected; None on a channel given by the caller
        if channel is None:
            channel = self._connect(tls, ca_file or os.environ.get("SHEQU_CA"),
                                    cert_file or os.environ.get("SHEQU_CERT"),
                                    key_file or os.environ.get("SHEQU_KEY"),
                                    server_name or os.environ.get("SHEQU_SERVER_NAME"))
        self.channel = channel
        for name, service in SERVICES.items():
            setattr(self, name, service(self))

    def _connect(self, tls: bool | None, ca_file: str | None, cert_file: str | None,
                 key_file: str | None, server_name: str | None) -> grpc.Channel:
        if tls is None:
            tls = bool(ca_file or cert_file or key_file or server_name) or \
                not is_loopback(self.address)
        self.tls = tls
        if not tls:
            return grpc.insecure_channel(self.address, options=_CHANNEL_OPTIONS)
        options = list(_CHANNEL_OPTIONS)
        if server_name:
            options.append(("grpc.ssl_target_name_override", server_name))
        credentials = channel_credentials(ca_file=ca_file, cert_file=cert_file,
                                          key_file=key_file)
        return grpc.secure_channel(self.address, credentials, options=options)

    def as_caller(self, *, token: str = "", user: str = "", roles: str | Iterable[str] = (),
                  unit: str = "") -> "Client":
        """The same connection, speaking as someone else: with another token, or (development
        mode) other x-shequ-* metadata. Nothing is inherited: no token means none."""
        return Client(self.address, token=token, user=user, roles=roles, unit=unit,
                      timeout=self.timeout, channel=self.channel)

    def worker(self, name: str, **options) -> "Worker":
        """A job worker named `name`; see shequ.Worker for the options."""
        from .worker import Worker
        return Worker(self, name, **options)

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Waits until the channel is connected; Unavailable if it is not within `timeout`."""
        try:
            grpc.channel_ready_future(self.channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise Unavailable(f"{self.address} not reachable within {timeout} s") from None

    def close(self) -> None:
        if self._owns_channel:
            self.channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
