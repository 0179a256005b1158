from __future__ import annotations

from .._rpc import Service
from ..v1 import definitions_pb2 as pb, definitions_pb2_grpc as pb_grpc


class Definitions(Service):
    """Workflow definitions (YAML, see docs/workflows.md)."""

    stub = pb_grpc.DefinitionsStub

    def deploy(self, yaml: str, *, request_id: str = "") -> pb.DeployResponse:
        """Validates and stores a definition; a new version only when the text changed."""
        return self._unary("Deploy", pb.DeployRequest(yaml=yaml, request_id=request_id))

    def get(self, id: str, version: int = 0) -> pb.Definition:
        return self._unary("Get", pb.GetDefinitionRequest(id=id, version=version))

    def list(self) -> list[pb.Definition]:
        return list(self._unary("List", pb.ListDefinitionsRequest()).definitions)
