import { z } from 'zod';
import { baseConfigSchema, loadConfig, productionBus } from '@jit/config';

export const catalogConfigSchema = baseConfigSchema
  .extend({
    CATALOG_PORT: z.coerce.number().int().min(1).max(65535).default(4002),
  })
  .superRefine(productionBus);
export type CatalogConfig = z.infer<typeof catalogConfigSchema>;

export const loadCatalogConfig = (env?: Record<string, string | undefined>): CatalogConfig => loadConfig(catalogConfigSchema, env);
