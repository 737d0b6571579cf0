import { CodecHttpError } from '../http-errors/http-errors';

function cookieValue(cookieHeader: string | null, name: string): string | undefined {
  if (cookieHeader === null) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/**
 * Finds the caller's bearer token: the `Authorization: Bearer <token>` header, else the
 * named cookie (how the Web UI's "include credentials" option reaches the codec server).
 * A malformed Authorization header is refused, never ignored.
 */
export function readBearerToken(headers: Headers, cookieName: string | undefined): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization !== null) {
    const match = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)[ ]*$/i.exec(authorization);
    if (match === null) throw new CodecHttpError('unauthorized');
    return match[1] as string;
  }
  if (cookieName === undefined) return undefined;
  return cookieValue(headers.get('cookie'), cookieName);
}
