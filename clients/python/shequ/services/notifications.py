from __future__ import annotations

from typing import Iterable

from .._rpc import Service, Stream
from ..v1 import common_pb2, notifications_pb2 as pb, notifications_pb2_grpc as pb_grpc


class Notifications(Service):
    """Reminders and notices, kept until acknowledged."""

    stub = pb_grpc.NotificationsStub

    def list(self, *, recipient: str = "", role: str = "", unit: str = "",
             within_unit: bool = False, include_acked: bool = False, page_size: int = 0,
             page_token: str = "") -> pb.ListNotificationsResponse:
        """`unit` leaves out the role's notifications for other units; `within_unit` keeps
        those of the units under it in the registry too."""
        return self._unary("List", pb.ListNotificationsRequest(
            recipient=recipient, role=role, unit=unit, within_unit=within_unit,
            include_acked=include_acked,
            page=common_pb2.PageRequest(page_size=page_size, page_token=page_token)))

    def subscribe(self, *, recipient: str = "", roles: Iterable[str] = (), unit: str = "",
                  within_unit: bool = False) -> Stream[pb.Notification]:
        """The unacknowledged backlog for the recipient or roles (of `unit`, and with
        `within_unit` of the units under it, if given), then new ones live."""
        return self._stream("Subscribe", pb.SubscribeRequest(
            recipient=recipient, roles=list(roles), unit=unit, within_unit=within_unit))

    def ack(self, id: int, *, request_id: str = "") -> None:
        self._unary("Ack", pb.AckRequest(id=id, request_id=request_id))
