'use strict';
const { Service } = require('../rpc');

/** A role as given to put(): 'leading-group', ['roster-migration', expiresAtMs], or a RoleGrant. */
function roleGrant(role) {
  if (typeof role === 'string') return { role, expiresAtMs: 0 };
  if (Array.isArray(role)) return { role: role[0], expiresAtMs: role[1] || 0 };
  return role;
}

/** Principals (people and department systems: name, roles, unit scope) and their API tokens
 * (docs/security.md). Managing them is for administrators; whoami() for anyone. */
class Principals extends Service {
  constructor(client) {
    super(client, 'Principals');
  }

  /** Creates or updates a principal: its name, or an object of its fields (roles as role names,
   * [role, expiresAtMs] pairs or RoleGrants).
   *   await client.principals.put({ name: 'wang.li', roles: ['street-office'], unit: 'bh.whl' }); */
  put(principal, { reason = '', requestId = '' } = {}) {
    const p = typeof principal === 'string' ? { name: principal } : { ...principal };
    p.kind = p.kind || 'person';
    p.roles = (p.roles || []).map(roleGrant);
    return this._unary('Put', { principal: p, reason, requestId });
  }

  /** Every principal, or those scoped to `unit` / holding `role`. */
  async list({ unit = '', role = '' } = {}) {
    return (await this._unary('List', { unit, role })).principals;
  }

  /** Issues an API token for `principal`; expiresIn is a duration (P90D; '' = the daemon's
   * default). The answer's `secret` is the token to send, and this answer is the only place it
   * is ever shown: store it now. */
  createToken(principal, { description = '', expiresIn = '', requestId = '' } = {}) {
    return this._unary('CreateToken', { principal, description, expiresIn, requestId });
  }

  /** The tokens of `principal` ('' = everyone's, for administrators); no secrets. */
  async listTokens(principal = '', { includeRevoked = false } = {}) {
    return (await this._unary('ListTokens', { principal, includeRevoked })).tokens;
  }

  /** Revokes the token at once: calls with it are refused, the streams it opened closed. */
  async revokeToken(id, { reason = '', requestId = '' } = {}) {
    return (await this._unary('RevokeToken', { id, reason, requestId })).token;
  }

  /** Who the daemon takes this client for: name, roles, unit, and `via`. */
  whoami() {
    return this._unary('WhoAmI', {});
  }
}

module.exports = Principals;
