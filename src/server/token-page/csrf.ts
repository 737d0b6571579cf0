import { randomBytes } from 'node:crypto';
import { equalBytes } from '../../lib/bytes';

/** The per-page nonce's cookie: set with each rendering of the page, compared with the form's copy on POST. */
export const NONCE_COOKIE = 'sealed_token_page_nonce';
export const NONCE_MAX_AGE_SECONDS = 60 * 60;
const NONCE = /^[A-Za-z0-9_-]{43}$/;

/** 32 random bytes, base64url: one per rendering of the page (form field and cookie), and one per CSP style nonce. */
export function newNonce(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Whether a POST comes from the page itself: its `Origin` names this server's own host and port
 * (browsers send Origin with every POST; a missing or `null` one is refused), and
 * `Sec-Fetch-Site`, when the browser sends it, says `same-origin`. The Web UI's origin is refused
 * too: it is another origin, even when it is the same site.
 */
export function isSameOriginPost(requestUrl: string, origin: string | undefined, fetchSite: string | undefined): boolean {
  if (fetchSite !== undefined && fetchSite !== 'same-origin') return false;
  if (origin === undefined || origin === 'null') return false;
  let from: URL;
  try {
    from = new URL(origin);
  } catch {
    return false;
  }
  // Host and port only: behind a TLS proxy the server sees http while the browser's Origin says https.
  return (from.protocol === 'http:' || from.protocol === 'https:') && from.host === new URL(requestUrl).host;
}

/** The form's nonce equals the cookie's (double submit), compared in constant time. */
export function nonceMatches(fromForm: string | undefined, fromCookie: string | undefined): boolean {
  if (fromForm === undefined || fromCookie === undefined || !NONCE.test(fromForm) || !NONCE.test(fromCookie)) return false;
  return equalBytes(Buffer.from(fromForm), Buffer.from(fromCookie));
}
