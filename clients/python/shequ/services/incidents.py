from __future__ import annotations

from .._rpc import Service, to_json
from ..v1 import common_pb2, incidents_pb2 as pb, incidents_pb2_grpc as pb_grpc


class Incidents(Service):
    stub = pb_grpc.IncidentsStub

    def list(self, *, state: str = "", instance_id: int = 0, page_size: int = 0,
             page_token: str = "") -> pb.ListIncidentsResponse:
        """Open incidents unless `state` says otherwise (resolved, closed)."""
        return self._unary("List", pb.ListIncidentsRequest(
            state=state, instance_id=instance_id,
            page=common_pb2.PageRequest(page_size=page_size, page_token=page_token)))

    def resolve(self, id: int, *, retries: int = 0, variables: dict | None = None,
                request_id: str = "") -> None:
        """Retries what failed (a job gets `retries` new attempts) after merging variables."""
        self._unary("Resolve", pb.ResolveIncidentRequest(
            id=id, retries=retries, variables=to_json(variables), request_id=request_id))
