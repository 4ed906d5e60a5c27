import { z } from 'zod';
import { baseConfigSchema, envBoolean, loadConfig } from '@jit/config';

export const JIT_MODES = ['create-only', 'create-or-update', 'link-by-email'] as const;
export type JitMode = (typeof JIT_MODES)[number];

/** What an application id may look like: it travels in a URL path and in RelayState (80 bytes at most). */
export const APP_ID_PATTERN = /^[A-Za-z0-9._~-]{1,64}$/;

const baseUrl = z
  .url({ protocol: /^https?$/ })
  // A trailing slash would give ".../" + "/saml/acs"; the ACS URL must match what the IdP has byte for byte.
  .transform((u) => u.replace(/\/+$/, ''));

/** A PEM value from the environment; `\n` for line breaks is accepted, empty is unset. */
const pem = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.replace(/\\n/g, '\n')));

// The NATS keys of the base schema are unused: the demo SP talks only HTTP and SAML.
export const demoSpConfigSchema = baseConfigSchema
  .extend({
    DEMO_SP_PORT: z.coerce.number().int().min(0).max(65535).default(4100),
    DEMO_SP_BASE_URL: baseUrl.default('http://localhost:4100'),
    DEMO_SP_IDP_URL: baseUrl.default('http://localhost:4000'),
    DEMO_SP_APP_ID: z.string().regex(APP_ID_PATTERN, 'letters, digits, . _ ~ - only (at most 64)').optional(),
    DEMO_SP_JIT_MODE: z.enum(JIT_MODES).default('create-or-update'),
    DEMO_SP_SESSION_SECRET: z.string().min(16, 'use at least 16 characters').default('demo-sp-dev-session-secret-change-me'),
    /**
     * Accept IdP-initiated sign-in: a Response that answers no request of this SP (no InResponseTo),
     * for the application whose IdP entity issued it, verified with that application's certificates.
     * Off by default: an unsolicited Response cannot be tied to anything this browser asked for.
     */
    DEMO_SP_IDP_INITIATED: envBoolean.default(false),
    /**
     * A key and certificate (PEM) to sign AuthnRequests and LogoutRequests with (HTTP-Redirect, RSA-SHA256);
     * the certificate is in the SP's metadata. The IdP honours an SP-initiated logout only when it is
     * signed with a certificate registered for the application, so without them the demo SP's Sign out
     * ends only its own session.
     */
    DEMO_SP_SIGNING_KEY: pem,
    DEMO_SP_SIGNING_CERTIFICATE: pem,
  })
  .refine((c) => (c.DEMO_SP_SIGNING_KEY === undefined) === (c.DEMO_SP_SIGNING_CERTIFICATE === undefined), {
    path: ['DEMO_SP_SIGNING_CERTIFICATE'],
    message: 'set both DEMO_SP_SIGNING_KEY and DEMO_SP_SIGNING_CERTIFICATE, or neither',
  });
export type DemoSpConfig = z.infer<typeof demoSpConfigSchema>;

export const loadDemoSpConfig = (env?: Record<string, string | undefined>): DemoSpConfig => loadConfig(demoSpConfigSchema, env);

/** The SP's SAML identity, derived from its public base URL. */
export interface SpEndpoints {
  entityId: string;
  acsUrl: string;
  /** Where the IdP sends the LogoutResponse (HTTP-Redirect). */
  sloUrl: string;
}

export const spEndpoints = (config: Pick<DemoSpConfig, 'DEMO_SP_BASE_URL'>): SpEndpoints => ({
  entityId: `${config.DEMO_SP_BASE_URL}/saml/metadata`,
  acsUrl: `${config.DEMO_SP_BASE_URL}/saml/acs`,
  sloUrl: `${config.DEMO_SP_BASE_URL}/saml/slo`,
});
