from __future__ import annotations

from typing import Iterable, Union

from .._rpc import Service
from ..v1 import principals_pb2 as pb, principals_pb2_grpc as pb_grpc

# A role as given to put(): "leading-group", ("roster-migration", expires_at_ms), a RoleGrant or
# its fields as a dict.
Role = Union[str, tuple, dict, pb.RoleGrant]


def role_grant(role: Role) -> pb.RoleGrant:
    if isinstance(role, pb.RoleGrant):
        return role
    if isinstance(role, str):
        return pb.RoleGrant(role=role)
    if isinstance(role, dict):
        return pb.RoleGrant(**role)
    name, expires_at_ms = role
    return pb.RoleGrant(role=name, expires_at_ms=expires_at_ms)


class Principals(Service):
    """Principals (people and department systems: name, roles, unit scope) and their API
    tokens (docs/security.md). Managing them is for administrators; whoami() for anyone."""

    stub = pb_grpc.PrincipalsStub

    def put(self, principal: str | dict | pb.Principal, *, roles: Iterable[Role] | None = None,
            unit: str | None = None, kind: str | None = None, display_name: str | None = None,
            disabled: bool | None = None, reason: str = "",
            request_id: str = "") -> pb.Principal:
        """Creates or updates a principal. principal: its name, a Principal, or its fields as a
        dict (roles may be plain role names there too); the keyword fields override.

            client.principals.put("wang.li", roles=["street-office"], unit="bh.whl",
                                  display_name="王力", reason="new clerk")
            client.principals.put("zhou", roles=[("roster-migration", until_ms)])
        """
        if isinstance(principal, pb.Principal):
            p = pb.Principal()
            p.CopyFrom(principal)
        elif isinstance(principal, dict):
            fields = dict(principal)
            given_roles = fields.pop("roles", ())
            p = pb.Principal(**fields)
            p.roles.extend(role_grant(r) for r in given_roles)
        else:
            p = pb.Principal(name=principal, kind="person")
        if roles is not None:
            del p.roles[:]
            p.roles.extend(role_grant(r) for r in roles)
        for field, value in (("unit", unit), ("kind", kind), ("display_name", display_name),
                             ("disabled", disabled)):
            if value is not None:
                setattr(p, field, value)
        return self._unary("Put", pb.PutPrincipalRequest(principal=p, reason=reason,
                                                          request_id=request_id))

    def list(self, *, unit: str = "", role: str = "") -> list[pb.Principal]:
        """Every principal, or those scoped to `unit` / holding `role`."""
        return list(self._unary("List", pb.ListPrincipalsRequest(unit=unit, role=role))
                    .principals)

    def create_token(self, principal: str, *, description: str = "", expires_in: str = "",
                     request_id: str = "") -> pb.CreateTokenResponse:
        """Issues an API token for `principal`; expires_in is a duration (P90D; "" = the
        daemon's default). The answer's `secret` is the token to send, and this answer is the
        only place it is ever shown: store it now. `token` describes it (id, expiry)."""
        return self._unary("CreateToken", pb.CreateTokenRequest(
            principal=principal, description=description, expires_in=expires_in,
            request_id=request_id))

    def list_tokens(self, principal: str = "", *,
                    include_revoked: bool = False) -> list[pb.Token]:
        """The tokens of `principal` ("" = everyone's, for administrators); no secrets."""
        return list(self._unary("ListTokens", pb.ListTokensRequest(
            principal=principal, include_revoked=include_revoked)).tokens)

    def revoke_token(self, id: str, *, reason: str = "", request_id: str = "") -> pb.Token:
        """Revokes the token at once: calls with it are refused and the streams it opened are
        closed."""
        return self._unary("RevokeToken", pb.RevokeTokenRequest(
            id=id, reason=reason, request_id=request_id)).token

    def whoami(self) -> pb.Principal:
        """Who the daemon takes this client for: name, roles, unit, and `via` (how the call
        was authenticated)."""
        return self._unary("WhoAmI", pb.WhoAmIRequest())
