import { z } from 'zod';
import { baseConfigSchema, loadConfig, productionBus } from '@jit/config';

const DEV_KEY_ENCRYPTION_KEY = 'dev-only-key-encryption-key-change-me-0123456789';

export const idpConfigSchema = baseConfigSchema
  .extend({
    IDP_PORT: z.coerce.number().int().min(1).max(65535).default(4000),
    /** Public base URL: entity IDs, SSO and metadata URLs are built from it. */
    IDP_BASE_URL: z.url().default('http://localhost:4000'),
    /** Encrypts signing keys at rest (AES-256-GCM under a key derived from this secret). */
    IDP_KEY_ENCRYPTION_KEY: z.string().min(32, 'use at least 32 random characters').default(DEV_KEY_ENCRYPTION_KEY),
    /**
     * Keys the persistent NameID (an HMAC of application and user ids), so that rotating
     * IDP_KEY_ENCRYPTION_KEY changes no SP's NameIDs. Unset, it is IDP_KEY_ENCRYPTION_KEY, which
     * keyed them before this variable existed (see nameIdSecretOf); required in production.
     */
    IDP_NAMEID_SECRET: z.string().min(32, 'use at least 32 random characters').optional(),
    /** How long an SSO may wait for the read model to catch up before it answers 503. */
    IDP_FRESHNESS_WAIT_MS: z.coerce.number().int().min(0).max(5000).default(50),
    IDP_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(3600).default(120),
    IDP_SESSION_IDLE_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .default(30 * 60),
    IDP_SESSION_ABSOLUTE_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .default(8 * 60 * 60),
    /**
     * Failed sign-ins allowed per source address and per browser session within
     * IDP_LOGIN_THROTTLE_SECONDS; past either, the login page answers 429 without asking the directory.
     * The per-session default stays above the directory's DIRECTORY_LOCKOUT_THRESHOLD (5), so a
     * person who mistypes is told the directory's short backoff, not this longer wait.
     */
    IDP_LOGIN_FAILURES_PER_SOURCE: z.coerce.number().int().min(1).default(30),
    IDP_LOGIN_FAILURES_PER_SESSION: z.coerce.number().int().min(1).default(10),
    IDP_LOGIN_THROTTLE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    /**
     * Wrong second-factor codes allowed per person (then their second step is locked) and per
     * browser session within IDP_MFA_THROTTLE_SECONDS.
     */
    IDP_MFA_FAILURES_PER_USER: z.coerce.number().int().min(1).default(5),
    IDP_MFA_FAILURES_PER_SESSION: z.coerce.number().int().min(1).default(5),
    IDP_MFA_THROTTLE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    /**
     * How long a verification (the sign-in, or "Confirm it's you") lets the person add or remove
     * a factor or make new recovery codes without another.
     */
    IDP_REVERIFY_SECONDS: z.coerce.number().int().min(1).max(3_600).default(300),
    /** How long a browser may take from the start of a sign-in to entering its password. */
    IDP_PENDING_SESSION_SECONDS: z.coerce.number().int().min(30).max(86_400).default(600),
    /** Sessions waiting for a sign-in kept at once, by all instances together; past this the oldest is dropped. */
    IDP_MAX_PENDING_SESSIONS: z.coerce.number().int().min(1).default(10_000),
    IDP_RELAY_STATE_MAX_BYTES: z.coerce.number().int().min(80).max(8192).default(1024),
    /** A scheduled signing key must be announced in metadata at least this long before it signs. */
    IDP_KEY_ROTATION_MIN_NOTICE_SECONDS: z.coerce
      .number()
      .int()
      .min(0)
      .default(24 * 60 * 60),
    /**
     * After a switch the retired certificate stays in metadata this long, never signing again: a
     * response signed just before the switch, still on its way through a browser, verifies at an
     * SP that refreshed its metadata just after it. At most 90 days.
     */
    IDP_KEY_ROTATION_GRACE_SECONDS: z.coerce.number().int().min(0).max(7_776_000).default(86_400),
    /**
     * How long an instance trusts its in-memory copy of an organisation's keys before reading
     * them again: a rotation scheduled through another instance is seen within this.
     */
    IDP_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
    /**
     * The admin console's public URL: the IdP serves it as a SAML SP of every organisation
     * (entity ID, ACS and SLO under it, read-model/console-application.ts) and shows admins its tile.
     */
    CONSOLE_URL: z
      .url()
      .default('http://localhost:4003')
      .transform((url) => url.replace(/\/+$/, '')),
    /**
     * The certificate (PEM; `\n` for line breaks is accepted) the console signs its SAML requests
     * with. Unset, the console's LogoutRequests cannot be verified and the IdP refuses them
     * (slo_not_authenticated); sign-in works either way.
     */
    CONSOLE_SIGNING_CERTIFICATE: z
      .string()
      .optional()
      .transform((pem) => (pem === undefined || pem.trim() === '' ? undefined : pem.replace(/\\n/g, '\n'))),
  })
  .refine((c) => c.NODE_ENV !== 'production' || c.IDP_KEY_ENCRYPTION_KEY !== DEV_KEY_ENCRYPTION_KEY, {
    path: ['IDP_KEY_ENCRYPTION_KEY'],
    message: 'set a secret of your own in production',
  })
  .refine((c) => c.NODE_ENV !== 'production' || c.IDP_NAMEID_SECRET !== undefined, {
    path: ['IDP_NAMEID_SECRET'],
    message:
      'set it in production; an existing deployment keeps its persistent NameIDs by setting it to the current IDP_KEY_ENCRYPTION_KEY once, after which the two may change independently',
  })
  // The console's assertions carry who is an administrator: in production they go over TLS, except
  // to a console on this machine (the Docker Compose demo at http://localhost:4003).
  .refine((c) => c.NODE_ENV !== 'production' || c.CONSOLE_URL.startsWith('https://') || isLoopbackUrl(c.CONSOLE_URL), {
    path: ['CONSOLE_URL'],
    message: 'use an https:// URL in production (http is accepted only for localhost)',
  })
  .superRefine(productionBus);
export type IdpConfig = z.infer<typeof idpConfigSchema>;

function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

export const loadIdpConfig = (env?: Record<string, string | undefined>): IdpConfig => loadConfig(idpConfigSchema, env);

export const IDP_CONFIG = Symbol('IDP_CONFIG');

/**
 * The secret that keys persistent NameIDs. Before IDP_NAMEID_SECRET existed they were keyed by
 * IDP_KEY_ENCRYPTION_KEY: when it is unset (development only) that value is used still, so no
 * existing NameID changes, and `warn` is told that rotating the KEK would change them.
 */
export function nameIdSecretOf(config: IdpConfig, warn: (message: string) => void): string {
  if (config.IDP_NAMEID_SECRET !== undefined) return config.IDP_NAMEID_SECRET;
  warn(
    'IDP_NAMEID_SECRET is not set: persistent NameIDs are keyed by IDP_KEY_ENCRYPTION_KEY as before, so changing that key would change them. Set IDP_NAMEID_SECRET to the current IDP_KEY_ENCRYPTION_KEY to keep them and make the two independent.',
  );
  return config.IDP_KEY_ENCRYPTION_KEY;
}
