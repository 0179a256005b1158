from __future__ import annotations

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
from .services.recruitment import Recruitment
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
    """x-shequ-user / x-shequ-roles (comma-separated) / x-shequ-unit; empty ones are left out."""
    if not isinstance(roles, str):
        roles = ",".join(roles)
    pairs = (("x-shequ-user", user), ("x-shequ-roles", roles), ("x-shequ-unit", unit))
    return tuple((k, v) for k, v in pairs if v)


class Client:
    """A connection to shequd, speaking as one caller.

        client = Client("127.0.0.1:7070", user="wang", roles=["street-office"], unit="street-1")
        client.instances.start("vacancy-approval", {"posts": 2, "vacancies": 3})

    TLS is not enabled yet: the channel is plaintext. Calls time out after `timeout` seconds
    (streams never). Every failure raises a shequ.ShequError subclass."""

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

    def __init__(self, address: str = "127.0.0.1:7070", *, user: str = "",
                 roles: str | Iterable[str] = (), unit: str = "", timeout: float | None = 30.0,
                 channel: grpc.Channel | None = None):
        self.address = address
        self.timeout = timeout
        self.metadata = identity_metadata(user, roles, unit)
        self._owns_channel = channel is None
        self.channel = channel or grpc.insecure_channel(address, options=_CHANNEL_OPTIONS)
        for name, service in SERVICES.items():
            setattr(self, name, service(self))

    def as_caller(self, *, user: str = "", roles: str | Iterable[str] = (),
                  unit: str = "") -> "Client":
        """The same connection, speaking as someone else."""
        return Client(self.address, user=user, roles=roles, unit=unit, timeout=self.timeout,
                      channel=self.channel)

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
