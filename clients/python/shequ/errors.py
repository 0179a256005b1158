"""Exceptions raised by the client: one class per gRPC status code the daemon uses.

Every failed call raises a ShequError subclass carrying the gRPC `code` and the daemon's
`message` (for INVALID_ARGUMENT it names the field at fault)."""

from __future__ import annotations

import grpc


class ShequError(Exception):
    """Base class: any call the daemon (or the connection to it) refused."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str, code: grpc.StatusCode | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"


class InvalidArgument(ShequError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(ShequError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(ShequError):
    code = grpc.StatusCode.ALREADY_EXISTS


class Unauthenticated(ShequError):
    """No token, or one the daemon does not accept (expired, revoked, malformed); the message
    says why."""

    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(ShequError):
    """Who you are is known, but the call is not yours to make; the message names the rule."""

    code = grpc.StatusCode.PERMISSION_DENIED


class FailedPrecondition(ShequError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhausted(ShequError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(ShequError):
    """The daemon cannot be reached, or its store refuses writes. Safe to retry with the same
    request_id."""

    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceeded(ShequError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class Cancelled(ShequError):
    code = grpc.StatusCode.CANCELLED


_BY_CODE = {
    cls.code: cls
    for cls in (InvalidArgument, NotFound, AlreadyExists, Unauthenticated, PermissionDenied,
                FailedPrecondition, ResourceExhausted, Unavailable, DeadlineExceeded, Cancelled)
}


NO_TOKEN_HINT = "no token was sent: pass token= or set SHEQU_TOKEN"


def from_rpc_error(err: grpc.RpcError, *, has_token: bool = True) -> ShequError:
    """The ShequError for a failed gRPC call. has_token=False: the call carried no token, which
    an UNAUTHENTICATED message then says."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    message = (err.details() if hasattr(err, "details") else None) or str(err)
    if code == grpc.StatusCode.UNAUTHENTICATED and not has_token:
        message = f"{message} ({NO_TOKEN_HINT})"
    cls = _BY_CODE.get(code)
    return cls(message) if cls else ShequError(message, code)
