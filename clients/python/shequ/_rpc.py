"""Plumbing shared by the services: metadata, error translation, server streams."""

from __future__ import annotations

import json
import os
import queue
import threading
from typing import Any, Callable, Generic, Iterator, TypeVar

import grpc

from .errors import Cancelled, ShequError, from_rpc_error

T = TypeVar("T")


def to_json(variables: dict | str | None) -> str:
    """Variables travel as JSON text whose root is an object; "" means none."""
    if variables is None:
        return ""
    if isinstance(variables, str):
        return variables
    return json.dumps(variables, ensure_ascii=False)


def variables(message: Any) -> dict:
    """The `variables` (or `data`) JSON field of a message, parsed: {} when empty."""
    text = getattr(message, "variables", None)
    if text is None:
        text = getattr(message, "data", "")
    return json.loads(text) if text else {}


def unary(method: Callable, request: Any, metadata, timeout: float | None, *,
          has_token: bool = True) -> Any:
    try:
        return method(request, metadata=metadata, timeout=timeout)
    except grpc.RpcError as err:
        raise from_rpc_error(err, has_token=has_token) from None


class Stream(Generic[T]):
    """A server stream: iterate it (blocking), or take the next item with a timeout.

    A reader thread drains the call into a queue, so `next(timeout=...)` can give up without
    cancelling the call. `cancel()` (or leaving a `with` block) ends it; iteration then stops
    quietly. A stream that fails raises the ShequError when the failure is reached."""

    _END = object()

    def __init__(self, call, *, has_token: bool = True):
        self._call = call
        self._has_token = has_token
        self._items: queue.Queue = queue.Queue()
        self._cancelled = False
        self._error: ShequError | None = None
        self._done = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for item in self._call:
                self._items.put(item)
        except grpc.RpcError as err:
            if not (self._cancelled and err.code() == grpc.StatusCode.CANCELLED):
                self._error = from_rpc_error(err, has_token=self._has_token)
        self._items.put(self._END)

    def next(self, timeout: float | None = None) -> T:
        """The next item. Raises TimeoutError after `timeout` seconds without one,
        StopIteration when the stream ended, the ShequError when it failed."""
        if self._done:
            raise StopIteration
        try:
            item = self._items.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no stream item within {timeout} s") from None
        if item is self._END:
            self._done = True
            if self._error is not None and not self._cancelled:
                raise self._error
            raise StopIteration
        return item

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        return self.next()

    def cancel(self) -> None:
        self._cancelled = True
        self._call.cancel()

    def __enter__(self) -> "Stream[T]":
        return self

    def __exit__(self, *exc) -> None:
        self.cancel()


def csv_text(csv: "str | bytes | os.PathLike") -> str:
    """CSV given as text (a str), its UTF-8 bytes, or a file (a pathlib.Path), as text."""
    if isinstance(csv, (bytes, bytearray)):
        return bytes(csv).decode("utf-8")
    if isinstance(csv, str):
        return csv
    with open(csv, encoding="utf-8") as f:
        return f.read()


def message(cls, value):
    """A message of `cls` from itself or a dict of its fields (nested messages as dicts)."""
    return value if isinstance(value, cls) else cls(**value)


class Service:
    """Base of the per-service wrappers: each sets `stub` to its generated stub class."""

    stub: type = None  # type: ignore[assignment]

    def __init__(self, client):
        self._client = client
        self._stub = self.stub(client.channel)

    def _unary(self, method: str, request: Any, timeout: float | None = None) -> Any:
        return unary(getattr(self._stub, method), request, self._client.metadata,
                     timeout if timeout is not None else self._client.timeout,
                     has_token=bool(self._client.token))

    def _stream(self, method: str, request: Any) -> Stream:
        # No deadline: streams live until cancelled or the daemon ends them.
        return Stream(getattr(self._stub, method)(request, metadata=self._client.metadata),
                      has_token=bool(self._client.token))


__all__ = ["Service", "Stream", "ShequError", "Cancelled", "message", "to_json", "variables",
           "unary"]
