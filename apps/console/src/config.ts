import { z } from 'zod';
import { baseConfigSchema, loadConfig, productionBus } from '@jit/config';

const DEV_SESSION_SECRET = 'console-dev-session-secret-change-me';

const baseUrl = z
  .url({ protocol: /^https?$/ })
  // A trailing slash would give ".../" + "/saml/acs"; the ACS URL must match what the IdP has byte for byte.
  .transform((u) => u.replace(/\/+$/, ''));

const pem = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.replace(/\\n/g, '\n')));

export const consoleConfigSchema = baseConfigSchema
  .extend({
    CONSOLE_PORT: z.coerce.number().int().min(0).max(65535).default(4003),
    /** Public base URL: the console's SAML entity ID and ACS are built from it, and the IdP knows it by the same value. */
    CONSOLE_URL: baseUrl.default('http://localhost:4003'),
    /** Where the browser meets the IdP (SSO, SLO) and where the console reads the IdP's metadata. */
    IDP_URL: baseUrl.default('http://localhost:4000'),
    /** Where the console forwards /api/directory, /api/catalog and /api/idp. */
    DIRECTORY_URL: baseUrl.default('http://localhost:4001'),
    CATALOG_URL: baseUrl.default('http://localhost:4002'),
    /**
     * The organisation `/auth/login` signs in to when no `?organization=` is given. Unset, the
     * organisation of BOOTSTRAP_ADMIN_API_KEY (the directory's default), asked of the directory;
     * without either, the sign-in link must name one (as the IdP's portal link does).
     */
    CONSOLE_DEFAULT_ORGANIZATION_ID: z.uuid().optional(),
    /** Signs the session cookie. */
    CONSOLE_SESSION_SECRET: z.string().min(32, 'use at least 32 random characters (openssl rand -hex 32)').default(DEV_SESSION_SECRET),
    /**
     * The console's own SAML signing key and certificate (PEM; `\n` escapes accepted), both or
     * neither. With them, Sign out sends the IdP a signed LogoutRequest (Single Logout; the IdP
     * must know the certificate as CONSOLE_SIGNING_CERTIFICATE). Without them, Sign out ends the
     * console session and takes the person to the IdP's own sign-out page.
     */
    CONSOLE_SAML_SIGNING_KEY: pem,
    CONSOLE_SAML_SIGNING_CERTIFICATE: pem,
    /** The built SPA (index.html and assets/); unset, dist/apps/console-web, else apps/console-web/dist. */
    CONSOLE_WEB_DIR: z.string().min(1).optional(),
    /** Sign-ins, refusals and admin changes older than this are deleted from the activity log. */
    ACTIVITY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  })
  .refine((c) => c.NODE_ENV !== 'production' || c.CONSOLE_SESSION_SECRET !== DEV_SESSION_SECRET, {
    path: ['CONSOLE_SESSION_SECRET'],
    message: 'required when NODE_ENV=production: a secret of your own (openssl rand -hex 32)',
  })
  .refine((c) => (c.CONSOLE_SAML_SIGNING_KEY === undefined) === (c.CONSOLE_SAML_SIGNING_CERTIFICATE === undefined), {
    path: ['CONSOLE_SAML_SIGNING_CERTIFICATE'],
    message: 'set both CONSOLE_SAML_SIGNING_KEY and CONSOLE_SAML_SIGNING_CERTIFICATE, or neither',
  })
  .superRefine(productionBus);
export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;

export const loadConsoleConfig = (env?: Record<string, string | undefined>): ConsoleConfig => loadConfig(consoleConfigSchema, env);

export const CONSOLE_CONFIG = Symbol('CONSOLE_CONFIG');
