/**
 * temporal-sealed-fields/server: Node only. The codec server for the Web UI and CLI.
 * @packageDocumentation
 */
export { createCodecServer, type CodecServer, type CodecServerOptions, type ListenOptions } from './server/codec-server';
export type { CodecAppOptions } from './server/app';
export type { AuthOptions } from './server/auth/authenticate';
export type { JwtAuthOptions, ClaimNames } from './server/auth/jwt';
export type { StaticToken } from './server/auth/static-tokens';
export type { CorsOptions } from './server/cors/cors';
export type { TokenPageOptions } from './server/token-page';
export type { LimitOptions } from './server/limits/limits';
export type { AuditEvent, AuditSink } from './server/audit/audit-log';
export type { CodecHttpErrorKind, CodecHttpErrorBody } from './server/http-errors/http-errors';
