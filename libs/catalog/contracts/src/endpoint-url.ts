/**
 * The rule for an SP endpoint the IdP sends a browser to (an ACS URL, the SLO URL), in one
 * place for both sides (SECURITY.md, "Where the assertion goes"): the catalog applies it at
 * registration, the IdP again when it renders. Parsed with the WHATWG URL parser; https, or
 * http only for localhost / 127.0.0.1; no credentials, no fragment, nothing an HTML attribute
 * or a log line could be confused by. The string is stored exactly as given, because the IdP
 * compares it byte for byte.
 * Returns the reason it is refused, or null when it is acceptable.
 */
export function acsUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.protocol === 'http:') {
    if (url.hostname !== 'localhost' && url.hostname !== '127.0.0.1') {
      return 'must use https (http is allowed only for localhost and 127.0.0.1)';
    }
  } else if (url.protocol !== 'https:') {
    return `must use https, not ${url.protocol.replace(':', '')}`;
  }
  if (url.username || url.password) return 'must not contain a user name or password';
  if (value.includes('#')) return 'must not contain a fragment (#)';
  if (/[\s<>"'`\\]/.test(value)) return 'must not contain spaces, quotes, backslashes or angle brackets';
  return null;
}

/** The IdP's re-check when it renders: the same rule, as a yes or no. */
export function renderableUrl(value: string): boolean {
  return acsUrlProblem(value) === null;
}
