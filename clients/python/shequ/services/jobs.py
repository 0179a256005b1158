from __future__ import annotations

from typing import Iterable

from .._rpc import Service, Stream, to_json
from ..v1 import jobs_pb2 as pb, jobs_pb2_grpc as pb_grpc


class Jobs(Service):
    """Raw job calls. Most integrations want `client.worker(...)` instead."""

    stub = pb_grpc.JobsStub

    def activation_request(self, types: Iterable[str], worker: str, *, max_jobs: int = 0,
                           timeout_ms: int = 0, long_poll_ms: int = 0) -> pb.ActivateRequest:
        return pb.ActivateRequest(types=list(types), worker=worker, max_jobs=max_jobs,
                                  timeout_ms=timeout_ms, long_poll_ms=long_poll_ms)

    def activate(self, types: Iterable[str], worker: str, *, wait_for_ready: bool = False,
                 **options) -> Stream[pb.Job]:
        """Jobs of `types` as they become due, each locked to you for `timeout_ms`.
        wait_for_ready: while the daemon is unreachable, wait for it instead of failing."""
        request = self.activation_request(types, worker, **options)
        return Stream(self.open_activation(request, wait_for_ready=wait_for_ready),
                      has_token=bool(self._client.token))

    def open_activation(self, request: pb.ActivateRequest, *, wait_for_ready: bool = False):
        """The raw gRPC call (an iterator of Job that can be cancelled), for worker loops."""
        return self._stub.Activate(request, metadata=self._client.metadata,
                                   wait_for_ready=wait_for_ready)

    def complete(self, job_id: int, variables: dict | None = None, *,
                 request_id: str = "", attempt: int = 0) -> None:
        """attempt: the job's attempt being answered; once the job was handed out again
        (its lock expired) that answer is refused with FailedPrecondition. 0: not checked."""
        self._unary("Complete", pb.CompleteJobRequest(
            job_id=job_id, variables=to_json(variables), request_id=request_id,
            attempt=attempt))

    def fail(self, job_id: int, error: str, *, retries_left: int = -1,
             request_id: str = "", attempt: int = 0) -> pb.FailJobResponse:
        """retries_left -1 lets the engine count down (retry with back-off, then an
        incident); 0 raises the incident now. attempt: as in complete()."""
        return self._unary("Fail", pb.FailJobRequest(
            job_id=job_id, error=error, retries_left=retries_left, request_id=request_id,
            attempt=attempt))
