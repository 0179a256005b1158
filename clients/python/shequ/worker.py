"""A job worker: handlers per job type, run on a thread pool, fed by Jobs/Activate.

The loop reconnects with exponential back-off when the daemon goes away, and reports each
result with a request id derived from (worker, job, attempt), retried until the daemon answers:
a completion that committed before a connection dropped is answered again, never applied twice.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import grpc

from .errors import FailedPrecondition, NotFound, ShequError, from_rpc_error

log = logging.getLogger("shequ.worker")

# Codes after which the Activate stream is opened again; anything else stops the worker.
_RECONNECT = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
              grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}


class Job:
    """What a handler receives: the job's fields, with `variables` parsed."""

    __slots__ = ("id", "type", "instance_id", "node_id", "definition_id", "attempt",
                 "retries_left", "deadline_ms", "variables", "message")

    def __init__(self, message):
        self.message = message  # the shequ.v1.Job as received
        self.id = message.id
        self.type = message.type
        self.instance_id = message.instance_id
        self.node_id = message.node_id
        self.definition_id = message.definition_id
        self.attempt = message.attempt
        self.retries_left = message.retries_left
        self.deadline_ms = message.deadline_ms
        self.variables: dict = json.loads(message.variables) if message.variables else {}

    def __repr__(self) -> str:
        return f"Job(id={self.id}, type={self.type!r}, attempt={self.attempt})"


class JobError(Exception):
    """Raise from a handler to fail the job with control over retries: retries_left=0 raises
    an incident at once; -1 (any other exception) lets the engine retry with back-off."""

    def __init__(self, message: str, retries_left: int = -1):
        super().__init__(message)
        self.retries_left = retries_left


Handler = Callable[[Job], "dict | None"]


class Worker:
    """Serves job types with handlers:

        worker = client.worker("hr-archive")

        @worker("hr.archive")
        def archive(job):
            return {"archive_no": "A-1"}      # merged into the instance's variables

        worker.run()                          # until worker.stop() (e.g. from a signal handler)

    A handler that raises fails the job with the exception's message (the engine retries with
    back-off, then raises an incident). Handlers may run twice for one job (a lock that expired,
    a crash before the result was reported): use job.id as an idempotency key.

    concurrency: handlers running at once. timeout_ms: each job's lock (0 = daemon default,
    5 minutes). backoff/max_backoff: seconds between reconnection attempts. grace: seconds
    stop() keeps trying to report results of handlers that already ran."""

    def __init__(self, client, name: str, *, concurrency: int = 4, timeout_ms: int = 0,
                 backoff: float = 0.1, max_backoff: float = 5.0, grace: float = 10.0):
        self.client = client
        self.name = name
        self.concurrency = concurrency
        self.timeout_ms = timeout_ms
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.grace = grace
        self.handlers: dict[str, Handler] = {}
        self.completed = 0   # results the daemon accepted
        self.failed = 0      # handler failures reported with Jobs/Fail
        self.lost = 0        # results refused because the job was no longer ours
        self.reconnects = 0  # Activate streams reopened after an error
        self.report_retries = 0  # Complete/Fail calls repeated after a connection error
        self.error: ShequError | None = None  # what stopped the worker, if not stop()
        self._mu = threading.Lock()
        self._stopping = threading.Event()
        self._stopped_at = 0.0
        self._call = None
        self._thread: threading.Thread | None = None
        self._slots = threading.Semaphore(concurrency)
        self._pool: ThreadPoolExecutor | None = None

    def __call__(self, job_type: str) -> Callable[[Handler], Handler]:
        """Decorator: @worker("type") registers the function as that type's handler."""
        def register(fn: Handler) -> Handler:
            self.handle(job_type, fn)
            return fn
        return register

    def handle(self, job_type: str, fn: Handler) -> None:
        if self._thread is not None:
            raise RuntimeError("register handlers before the worker starts")
        self.handlers[job_type] = fn

    # ---- running

    def start(self) -> "Worker":
        """Runs the worker on a background thread; returns at once."""
        if not self.handlers:
            raise ValueError("no handlers registered")
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"shequ-{self.name}")
        self._thread = threading.Thread(target=self._loop, name=f"shequ-{self.name}", daemon=True)
        self._thread.start()
        return self

    def run(self) -> None:
        """Runs until stop() (from another thread or a signal handler); raises what stopped
        the worker otherwise."""
        self.start()
        while self._thread.is_alive():
            self._thread.join(0.2)  # short waits keep the main thread responsive to signals
        self._pool.shutdown(wait=True)
        if self.error is not None:
            raise self.error

    def stop(self, wait: bool = True) -> None:
        """Stops taking jobs and waits for the running handlers to finish and report. Jobs
        received but not started come back to a worker after their lock. From inside a
        handler, call stop(wait=False): waiting there would wait for the handler itself."""
        with self._mu:
            self._stopping.set()
            self._stopped_at = time.monotonic()
            if self._call is not None:
                self._call.cancel()
        if wait and self._thread is not None:
            if self._thread is not threading.current_thread():
                self._thread.join()
            self._pool.shutdown(wait=True)

    def _loop(self) -> None:
        delay = self.backoff
        request = self.client.jobs.activation_request(self.handlers, self.name,
                                                      timeout_ms=self.timeout_ms)
        while not self._stopping.is_set():
            with self._mu:
                if self._stopping.is_set():
                    break
                # wait_for_ready: while the daemon is away the call waits for the channel
                # (which keeps reconnecting with gRPC's back-off) instead of failing at once.
                self._call = self.client.jobs.open_activation(request, wait_for_ready=True)
            try:
                for message in self._call:
                    delay = self.backoff  # the connection works again
                    while not self._slots.acquire(timeout=0.2):
                        if self._stopping.is_set():
                            return
                    if self._stopping.is_set():
                        self._slots.release()
                        return
                    self._pool.submit(self._work, message)
            except grpc.RpcError as err:
                if self._stopping.is_set():
                    break
                if err.code() not in _RECONNECT:
                    self.error = from_rpc_error(err, has_token=bool(self.client.token))
                    log.error("worker %s stops: %s", self.name, self.error)
                    self._stopping.set()
                    break
                log.warning("worker %s: %s; reconnecting in %.1f s", self.name,
                            err.details(), delay)
                self._stopping.wait(delay)
                delay = min(delay * 2, self.max_backoff)
                with self._mu:
                    self.reconnects += 1

    def _work(self, message) -> None:
        try:
            job = Job(message)
            try:
                result = self.handlers[job.type](job)
            except Exception as exc:  # the handler's failure is the job's failure
                retries = exc.retries_left if isinstance(exc, JobError) else -1
                text = str(exc) or type(exc).__name__
                log.info("job %d (%s) failed: %s", job.id, job.type, text)
                self._report(job, "fail", lambda rid: self.client.jobs.fail(
                    job.id, text, retries_left=retries, request_id=rid, attempt=job.attempt))
            else:
                self._report(job, "complete", lambda rid: self.client.jobs.complete(
                    job.id, result, request_id=rid, attempt=job.attempt))
        except Exception:  # never let a pool thread die silently
            log.exception("worker %s: job %d", self.name, message.id)
        finally:
            self._slots.release()

    def _report(self, job: Job, kind: str, call: Callable[[str], Any]) -> None:
        # The same request id on every retry: the daemon answers a repeat with the first answer.
        request_id = f"{self.name}/{job.id}/{job.attempt}"
        delay = self.backoff
        while True:
            try:
                call(request_id)
            except (NotFound, FailedPrecondition) as err:
                # The lock expired and the job went elsewhere, or it was cancelled.
                log.warning("job %d: %s not accepted: %s", job.id, kind, err)
                with self._mu:
                    self.lost += 1
                return
            except ShequError as err:
                if err.code not in _RECONNECT or self._gave_up():
                    log.error("job %d: %s not reported: %s", job.id, kind, err)
                    with self._mu:
                        self.lost += 1
                    return
                with self._mu:
                    self.report_retries += 1
                time.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
                continue
            with self._mu:
                if kind == "complete":
                    self.completed += 1
                else:
                    self.failed += 1
            return

    def _gave_up(self) -> bool:
        return self._stopping.is_set() and time.monotonic() - self._stopped_at > self.grace
