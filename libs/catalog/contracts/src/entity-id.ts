import { z } from 'zod';

/** SAML core 8.3.6: an entity identifier is a URI of at most 1024 characters. */
export const MAX_ENTITY_ID_CHARS = 1024;

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
// Whitespace and control characters, and what XML 1.0 cannot carry at all (lone surrogates, U+FFFE, U+FFFF).
const FORBIDDEN = /[\p{White_Space}\p{Cc}\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u;

/**
 * Why `value` cannot be an SP's entity ID, or null when it can. The IdP sends it as the
 * assertion's <Audience> (xs:anyURI) and compares it byte for byte with the Issuer of the SP's
 * requests. SAML core 8.3.6 asks for a URI of at most 1024 characters, but several widely used
 * SPs expect a bare name (Box "box.net", Dropbox "Dropbox", Zoom "<vanity>.zoom.us", Google
 * "google.com"), which xs:anyURI accepts as a relative reference, so no scheme is required. What
 * is refused: whitespace (the schema collapses it, so the SP would compare another value),
 * control characters and what XML cannot carry, more than 1024 characters, and a scheme with
 * nothing after it. Checked where a value comes in (the catalog's API and SP metadata); events
 * and snapshots carry whatever was stored before the rule existed.
 */
export function entityIdProblem(value: string): string | null {
  if (value.length === 0) return 'must not be empty';
  const length = [...value].length;
  if (length > MAX_ENTITY_ID_CHARS) {
    return `must be at most ${MAX_ENTITY_ID_CHARS} characters (SAML core 8.3.6), this one has ${length}`;
  }
  const scheme = SCHEME.exec(value);
  if (scheme && value.length === scheme[0].length) return `has nothing after "${scheme[0]}"`;
  const forbidden = FORBIDDEN.exec(value);
  if (forbidden) {
    const code = forbidden[0].codePointAt(0) ?? 0;
    const name = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    const position = [...value.slice(0, forbidden.index)].length + 1;
    return `must not contain whitespace or control characters (${name} at character ${position})`;
  }
  return null;
}

/** An SP entity ID as the catalog accepts it: surrounding whitespace trimmed, then `entityIdProblem`. */
export const SpEntityId = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    const problem = entityIdProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
