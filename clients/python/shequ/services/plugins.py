from __future__ import annotations

import json

from .._rpc import Service, to_json
from ..v1 import plugins_pb2 as pb, plugins_pb2_grpc as pb_grpc


class Plugins(Service):
    """The department plugins the daemon loaded from its plugins_dir: their status, what they
    contribute (job types, operations, checklist templates, ledger fields, ...), and calls of
    their named operations (docs/api.md, "Plugins")."""

    stub = pb_grpc.PluginsStub

    def list(self) -> list[pb.PluginStatus]:
        """Every plugin by name, with its state (loaded, isolated, restarting, failed) and
        isolation (inprocess, isolated, remote); `last_error` says why one failed."""
        return list(self._unary("List", pb.ListPluginsRequest()).plugins)

    def describe(self, name: str) -> pb.DescribePluginResponse:
        """`status` and `plugin` (a shequ.plugin.v1.Descriptor, empty until the plugin first
        loaded); NotFound for an unknown name."""
        return self._unary("Describe", pb.DescribePluginRequest(name=name))

    def invoke(self, name: str, operation: str, input: dict | str | None = None,
               request_id: str | None = None) -> dict:
        """Calls the plugin's named operation (e.g. "validate-ledger") with `input`, a JSON
        object (a dict, or its text); returns the output object. NotFound: no such plugin or
        operation; Unavailable: the plugin is restarting or failed; InvalidArgument: it refused
        the input. `request_id` is passed to the plugin as its idempotency key."""
        resp = self._unary("Invoke", pb.InvokePluginRequest(
            plugin=name, operation=operation, input=to_json(input), request_id=request_id or ""))
        return json.loads(resp.output) if resp.output else {}
