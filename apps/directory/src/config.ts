import { z } from 'zod';
import { baseConfigSchema, loadConfig, productionBus } from '@jit/config';

/** The first administrator's password `npm start` (scripts/start.mjs) uses when none is set: printed, so never secret. */
export const DEVELOPMENT_ADMIN_PASSWORD = 'dev-admin-password-change-me';

export const directoryConfigSchema = baseConfigSchema
  .extend({
    DIRECTORY_PORT: z.coerce.number().int().min(1).max(65535).default(4001),
    /** Wrong passwords in a row for one account from one source address before that pair backs off. */
    DIRECTORY_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
    /** The pair's first backoff; each further wrong password from there doubles it. */
    DIRECTORY_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    /** The longest backoff the doubling reaches. */
    DIRECTORY_LOCKOUT_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3600),
    /** Wrong passwords per hour for one account across all sources, after which it refuses checks until the hour ends. */
    DIRECTORY_LOCKOUT_ACCOUNT_LIMIT_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(50),
    /** Rejected credential checks per minute from one source address, across all users. */
    DIRECTORY_SOURCE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(30),
    /**
     * The first administrator (a person), created in the default organisation when it has none
     * yet, and never changed afterwards. Both or neither; the same rules as a username and a
     * password of the admin API, the password longer.
     */
    BOOTSTRAP_ADMIN_USERNAME: z
      .string()
      .max(256)
      .regex(/^[^\s]+$/, 'no white space')
      .optional(),
    BOOTSTRAP_ADMIN_PASSWORD: z.string().min(12, 'use at least 12 characters').max(1024).optional(),
    /** Unset: `<username>@localhost`. */
    BOOTSTRAP_ADMIN_EMAIL: z.email().max(320).optional(),
  })
  .refine((config) => (config.BOOTSTRAP_ADMIN_USERNAME === undefined) === (config.BOOTSTRAP_ADMIN_PASSWORD === undefined), {
    message: 'BOOTSTRAP_ADMIN_USERNAME and BOOTSTRAP_ADMIN_PASSWORD go together: set both, or neither',
    path: ['BOOTSTRAP_ADMIN_USERNAME'],
  })
  // The password `npm start` prints is public: in production anyone could sign in as the administrator.
  .refine((config) => config.NODE_ENV !== 'production' || config.BOOTSTRAP_ADMIN_PASSWORD !== DEVELOPMENT_ADMIN_PASSWORD, {
    message: `the development password "${DEVELOPMENT_ADMIN_PASSWORD}" is public: set a secret of your own in production (e.g. openssl rand -base64 18)`,
    path: ['BOOTSTRAP_ADMIN_PASSWORD'],
  })
  .superRefine(productionBus);
export type DirectoryConfig = z.infer<typeof directoryConfigSchema>;

export const loadDirectoryConfig = (env?: Record<string, string | undefined>): DirectoryConfig => loadConfig(directoryConfigSchema, env);
