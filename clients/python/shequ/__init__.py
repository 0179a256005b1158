"""Python client for shequd (gRPC API shequ.v1).

    import shequ
    client = shequ.Client("127.0.0.1:7070", token=my_token)   # or $SHEQU_TOKEN

Messages are the classes generated from proto/ into shequ.v1 (clients/python/generate.sh).
See docs/integration.md."""

try:
    from .v1 import common_pb2 as _generated  # noqa: F401
except ImportError as exc:  # pragma: no cover - a checkout without the build step
    raise ImportError("shequ.v1 is generated from proto/: run clients/python/generate.sh "
                      "(or build with CMake)") from exc

from ._rpc import Stream, variables
from .client import Client, identity_metadata, token_metadata
from .errors import (AlreadyExists, Cancelled, DeadlineExceeded, FailedPrecondition,
                     InvalidArgument, NotFound, PermissionDenied, ResourceExhausted, ShequError,
                     Unauthenticated, Unavailable)
from .worker import Job, JobError, Worker

__all__ = [
    "Client", "Worker", "Job", "JobError", "Stream", "variables", "identity_metadata",
    "token_metadata", "ShequError", "InvalidArgument", "NotFound", "AlreadyExists",
    "Unauthenticated", "PermissionDenied",
    "FailedPrecondition", "ResourceExhausted", "Unavailable", "DeadlineExceeded", "Cancelled",
]
