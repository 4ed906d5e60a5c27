import { z } from 'zod';
import { baseConfigSchema, loadConfig, productionBus } from '@jit/config';

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
  })
  .superRefine(productionBus);
export type DirectoryConfig = z.infer<typeof directoryConfigSchema>;

export const loadDirectoryConfig = (env?: Record<string, string | undefined>): DirectoryConfig => loadConfig(directoryConfigSchema, env);
