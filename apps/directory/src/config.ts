import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '@jit/config';

export const directoryConfigSchema = baseConfigSchema.extend({
  DIRECTORY_PORT: z.coerce.number().int().min(1).max(65535).default(4001),
});
export type DirectoryConfig = z.infer<typeof directoryConfigSchema>;

export const loadDirectoryConfig = (env?: Record<string, string | undefined>): DirectoryConfig =>
  loadConfig(directoryConfigSchema, env);
