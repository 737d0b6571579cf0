// The token page: a person on a laptop gives the Web UI a codec token through an HttpOnly cookie.
export { mountTokenPage } from './routes';
export {
  resolveTokenPage,
  withTokenPage,
  DEFAULT_TOKEN_COOKIE,
  type TokenPageOptions,
  type TokenPageHost,
  type ResolvedTokenPage,
} from './options';
