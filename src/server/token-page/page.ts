import type { Principal } from '../auth/principal';

/** What the page says about the token cookie this browser sent. */
export type StoredToken = { state: 'none' } | { state: 'accepted'; principal: Principal } | { state: 'refused' } | { state: 'unchecked' };

export interface PageView {
  stored: StoredToken;
  /** A fixed sentence about the last POST; never request content. */
  notice?: { tone: 'ok' | 'error'; text: string };
  /** The per-page nonce carried by both forms. */
  nonce: string;
  /** The CSP nonce of the one inline style. */
  styleNonce: string;
  /** `/` or the basePath. */
  basePath: string;
  /** What to enter as the Web UI's codec endpoint, e.g. `http://localhost:8888`. */
  endpoint: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] as string);
}

function grantText(grant: Principal['purposes'], none: string): string {
  if (grant === '*') return 'all';
  return grant.size === 0 ? none : [...grant].sort().join(', ');
}

function storedText(stored: StoredToken): string {
  switch (stored.state) {
    case 'none':
      return 'No token is stored in this browser: the Web UI shows sealed fields as placeholders.';
    case 'accepted': {
      const { subject, purposes, namespaces } = stored.principal;
      return `A token is stored in this browser for <strong>${escapeHtml(subject)}</strong>: purposes ${escapeHtml(grantText(purposes, 'none'))}; namespaces ${escapeHtml(grantText(namespaces, 'none'))}.`;
    }
    case 'refused':
      return 'A token is stored in this browser, but the codec server no longer accepts it (expired or revoked). Paste a new one or clear it.';
    case 'unchecked':
      return 'A token is stored in this browser; the codec server could not check it just now (identity provider unreachable).';
  }
}

const STYLE = [
  'body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}',
  'label{display:block;font-weight:600;margin:1rem 0 .25rem}',
  'input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}',
  'button{margin-top:.75rem;padding:.4rem 1rem;font:inherit}',
  '.notice{padding:.5rem .75rem;border-radius:4px}.ok{background:#e6f4ea}.error{background:#fce8e6}',
  'code{background:#f1f3f4;padding:0 .2rem}',
].join('');

/**
 * The token page's HTML: a status line, a form to paste a token and one to clear it. No script,
 * no external resource, no token: the password field is always empty.
 */
export function renderPage(view: PageView): string {
  const base = view.basePath === '/' ? '' : view.basePath;
  const nonceField = `<input type="hidden" name="nonce" value="${escapeHtml(view.nonce)}">`;
  const notice = view.notice === undefined ? '' : `<p class="notice ${view.notice.tone}" role="alert">${escapeHtml(view.notice.text)}</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>Codec server token</title>
<style nonce="${escapeHtml(view.styleNonce)}">${STYLE}</style>
</head>
<body>
<main>
<h1>Codec server token</h1>
${notice}
<p id="status" role="status">${storedText(view.stored)}</p>
<form method="post" action="${escapeHtml(base)}/token" autocomplete="off">
${nonceField}
<label for="token">Bearer token</label>
<input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required maxlength="4096">
<button type="submit">Store in this browser</button>
</form>
<form method="post" action="${escapeHtml(base)}/token/clear">
${nonceField}
<button type="submit">Clear the stored token</button>
</form>
<p>The token is kept in an HttpOnly cookie for this host: no page script can read it, and this
server never shows it again. In the Temporal Web UI, open the Codec Server settings,
set the endpoint to <code>${escapeHtml(view.endpoint)}</code> and turn on
<em>Include cross-origin credentials</em>. Open the Web UI on the same host name as this page
(both <code>localhost</code>, or both <code>127.0.0.1</code>).</p>
</main>
</body>
</html>
`;
}
