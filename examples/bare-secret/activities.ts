import type { Secret } from '../../src';

/** Stands for an HTTP call to another service; the token is revealed only to build the header. */
export async function callProfileService(
  jwt: Secret<string>,
  path: string,
): Promise<{ status: number; path: string; authorized: boolean }> {
  const authorization = `Bearer ${jwt.reveal()}`;
  return { status: 200, path, authorized: authorization.split('.').length === 3 };
}

/** Receives a plain object whose `password` key the key rules sealed; gets it back opened. */
export async function checkLegacyLogin(login: { username: string; password: string }): Promise<boolean> {
  return login.username.length > 0 && login.password.length >= 8;
}
