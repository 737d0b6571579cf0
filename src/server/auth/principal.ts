/**
 * A set of names, or `'*'` for every name (the same spelling as in configuration).
 *
 * @example
 * ```ts
 * const purposes: Grant = new Set(['contact', 'failure']);
 * const namespaces: Grant = '*';
 * ```
 */
export type Grant = ReadonlySet<string> | '*';

/** Who is calling the codec server and what they may do. */
export interface Principal {
  /** Token subject, or `anonymous`. Goes into the audit log. */
  subject: string;
  authenticated: boolean;
  /** Purposes whose sealed fields this caller may see. */
  purposes: Grant;
  /** Namespaces this caller may decode or encode in. */
  namespaces: Grant;
  /** May call `/encode` (seal pending payloads, e.g. when the Web UI starts a workflow). */
  canEncode: boolean;
}

/** `'*'` grants all; a list grants those names. */
export function toGrant(names: readonly string[] | '*'): Grant {
  return names === '*' ? '*' : new Set(names);
}

/** The caller without credentials: sees the purposes an operator chose to show anyone (default none). */
export function anonymousPrincipal(purposes: readonly string[]): Principal {
  return { subject: 'anonymous', authenticated: false, purposes: new Set(purposes), namespaces: '*', canEncode: false };
}

/** May this caller act in `namespace`? A caller limited to some namespaces must name one. */
export function mayUseNamespace(principal: Principal, namespace: string | undefined): boolean {
  if (principal.namespaces === '*') return true;
  return namespace !== undefined && principal.namespaces.has(namespace);
}
