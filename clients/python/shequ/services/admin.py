from __future__ import annotations

from .._rpc import Service
from ..v1 import admin_pb2 as pb, admin_pb2_grpc as pb_grpc


class Admin(Service):
    stub = pb_grpc.AdminStub

    def advance_clock(self, by: str = "", *, to_ms: int = 0) -> pb.AdvanceClockResponse:
        """Moves a --fake-clock daemon's clock (`by`: PT1H, P3D, 2wd; or to `to_ms`) and fires
        what came due; FailedPrecondition on a real clock."""
        return self._unary("AdvanceClock", pb.AdvanceClockRequest(by=by, to_ms=to_ms))

    def stats(self) -> pb.StatsResponse:
        return self._unary("Stats", pb.StatsRequest())
