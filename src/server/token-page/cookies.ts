import type { ResolvedTokenPage } from './options';

/** The cookie attributes one response uses: they depend on whether the page was reached over https. */
export interface CookieAttributes {
  path: string;
  secure: boolean;
  sameSite: 'Strict' | 'Lax' | 'None';
}

/** True when the request reached the server over https, directly or through a TLS proxy that says so. */
export function requestIsHttps(url: string, forwardedProto: string | undefined): boolean {
  if (new URL(url).protocol === 'https:') return true;
  return forwardedProto?.split(',')[0]?.trim().toLowerCase() === 'https';
}

/**
 * The token cookie's attributes: `SameSite=None` only with `Secure` (browsers drop it otherwise);
 * by default `Strict` over http (same-site Web UI, e.g. both on localhost) and `None` over https.
 */
export function tokenCookieAttributes(page: ResolvedTokenPage, https: boolean): CookieAttributes {
  const secure = page.secure ?? https;
  const sameSite = page.sameSite ?? (secure ? 'None' : 'Strict');
  return { path: page.basePath, secure: secure || sameSite === 'None', sameSite };
}

/** A `Set-Cookie` value: host-only (no Domain), HttpOnly, with the given attributes; `maxAge` 0 deletes it. */
export function setCookie(name: string, value: string, attributes: CookieAttributes, maxAgeSeconds: number): string {
  const parts = [`${name}=${value}`, `Path=${attributes.path}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', `SameSite=${attributes.sameSite}`];
  if (attributes.secure) parts.push('Secure');
  return parts.join('; ');
}

/** The value of the first cookie called `name` in a `Cookie` header (browsers send the longest Path first). */
export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  if (cookieHeader === undefined) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}
