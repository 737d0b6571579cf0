import { createHash } from 'node:crypto';
import { equalBytes } from '../../lib/bytes';
import { sealedError } from '../../errors';
import { toGrant, type Principal } from './principal';

/**
 * One token of static-token mode (local use): who it is and what it may see.
 *
 * @example
 * ```ts
 * const oncall: StaticToken = { token: process.env.ONCALL_TOKEN!, subject: 'oncall', purposes: ['failure'], namespaces: '*' };
 * ```
 */
export interface StaticToken {
  token: string;
  subject: string;
  /** Purposes it may reveal; `'*'` for all. */
  purposes: readonly string[] | '*';
  /** Namespaces it may use; `'*'` for all. Default `'*'`. */
  namespaces?: readonly string[] | '*';
  /** May call `/encode`. Default false. */
  canEncode?: boolean;
}

// At least 16 characters of the RFC 6750 token68 alphabet, as a bearer header carries them.
const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{16,}$/;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Looks tokens up in constant time (compares SHA-256 digests of every configured token).
 * Tokens shorter than 16 characters, or with characters a bearer header cannot carry, are refused at
 * construction (SEALED_INVALID_OPTION).
 */
export class StaticTokenTable {
  private readonly entries: Array<{ digest: Buffer; principal: Principal }>;

  constructor(tokens: readonly StaticToken[]) {
    this.entries = tokens.map((entry) => {
      if (typeof entry.token !== 'string' || !TOKEN_PATTERN.test(entry.token)) {
        throw sealedError('SEALED_INVALID_OPTION', 'static codec-server tokens need 16 or more of A-Z a-z 0-9 . _ ~ + / = -');
      }
      return { digest: digest(entry.token), principal: principalOf(entry) };
    });
  }

  find(token: string): Principal | undefined {
    const wanted = digest(token);
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (equalBytes(entry.digest, wanted)) found = entry.principal;
    }
    return found;
  }
}

function principalOf(entry: StaticToken): Principal {
  return {
    subject: entry.subject,
    authenticated: true,
    purposes: toGrant(entry.purposes),
    namespaces: toGrant(entry.namespaces ?? '*'),
    canEncode: entry.canEncode === true,
  };
}
