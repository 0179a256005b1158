from __future__ import annotations

import time

from .._rpc import Service, Stream, to_json
from ..errors import ShequError
from ..v1 import common_pb2, instances_pb2 as pb, instances_pb2_grpc as pb_grpc

ENDED = ("completed", "cancelled", "failed")


class Instances(Service):
    """Workflow instances: start, look up, cancel, message, watch."""

    stub = pb_grpc.InstancesStub

    def start(self, definition_id: str, variables: dict | None = None, *, business_key: str = "",
              unit: str = "", version: int = 0, request_id: str = "") -> pb.StartResponse:
        return self._unary("Start", pb.StartRequest(
            definition_id=definition_id, version=version, business_key=business_key, unit=unit,
            variables=to_json(variables), request_id=request_id))

    def get(self, id: int) -> pb.Instance:
        return self._unary("Get", pb.GetInstanceRequest(id=id))

    def list(self, *, definition_id: str = "", state: str = "", business_key: str = "",
             unit: str = "", page_size: int = 0,
             page_token: str = "") -> pb.ListInstancesResponse:
        return self._unary("List", pb.ListInstancesRequest(
            definition_id=definition_id, state=state, business_key=business_key, unit=unit,
            page=common_pb2.PageRequest(page_size=page_size, page_token=page_token)))

    def cancel(self, id: int, reason: str = "", *, request_id: str = "") -> None:
        self._unary("Cancel", pb.CancelRequest(id=id, reason=reason, request_id=request_id))

    def publish_message(self, name: str, correlation: str, variables: dict | None = None, *,
                        ttl_ms: int = 0, request_id: str = "") -> pb.PublishMessageResponse:
        return self._unary("PublishMessage", pb.PublishMessageRequest(
            name=name, correlation=correlation, variables=to_json(variables), ttl_ms=ttl_ms,
            request_id=request_id))

    def watch(self, instance_id: int = 0, after_seq: int = 0) -> Stream[pb.Event]:
        """Events of one instance (all when 0): stored ones after `after_seq`, then live."""
        return self._stream("Watch", pb.WatchRequest(instance_id=instance_id,
                                                     after_seq=after_seq))

    def history(self, instance_id: int, after_seq: int = 0, limit: int = 0) -> list[pb.Event]:
        return list(self._unary("History", pb.HistoryRequest(
            instance_id=instance_id, after_seq=after_seq, limit=limit)).events)

    def wait_ended(self, instance_id: int, timeout: float = 30.0) -> pb.Instance:
        """Watches the instance until it ends; returns it. TimeoutError if it does not."""
        deadline = time.monotonic() + timeout
        with self.watch(instance_id) as events:
            while True:
                inst = self.get(instance_id)  # after the watch opened: no end can slip by
                if inst.state in ENDED:
                    return inst
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"instance {instance_id} still {inst.state}")
                try:
                    event = events.next(timeout=left)
                    while not event.type.startswith("instance."):
                        event = events.next(timeout=max(0.0, deadline - time.monotonic()))
                except StopIteration:
                    raise ShequError(f"the watch of instance {instance_id} ended") from None
