import type { CookieSerializeOptions } from '@fastify/cookie';

/**
 * The session cookie. Under https it takes the `__Host-` prefix, which browsers accept only with
 * Secure, Path=/ and no Domain: a sibling subdomain or a plain-http page cannot plant or shadow it.
 */
export function sessionCookie(baseUrl: string): { name: string; options: CookieSerializeOptions } {
  const https = baseUrl.startsWith('https:');
  return {
    name: https ? '__Host-jit_idp_session' : 'jit_idp_session',
    options: { path: '/', httpOnly: true, sameSite: 'lax', secure: https },
  };
}
