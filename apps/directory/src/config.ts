import { z } from 'zod';
import { baseConfigSchema, loadConfig, productionBus } from '@jit/config';

export const directoryConfigSchema = baseConfigSchema
  .extend({
    DIRECTORY_PORT: z.coerce.number().int().min(1).max(65535).default(4001),
    /** Consecutive wrong passwords (within 15 minutes) that lock an account. */
    DIRECTORY_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
    /** How long a locked account refuses password checks. */
    DIRECTORY_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    /** Rejected credential checks per minute from one source address, across all users. */
    DIRECTORY_SOURCE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(30),
  })
  .superRefine(productionBus);
export type DirectoryConfig = z.infer<typeof directoryConfigSchema>;

export const loadDirectoryConfig = (env?: Record<string, string | undefined>): DirectoryConfig => loadConfig(directoryConfigSchema, env);
