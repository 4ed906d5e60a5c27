import { Controller, Get, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { ApiKeyGuard, PageOf, ZodParam, ZodQuery, ZodResponse, notFound } from '@jit/service';
import { CONNECTORS, ConnectorView, SUPPORTED_FUNCTIONALITY, connectorView } from './connector';

const SUPPORTS_ALIASES: Record<string, (typeof SUPPORTED_FUNCTIONALITY)[number]> = {
  sso: 'SSO',
  jit: 'JIT Provisioning',
  'jit provisioning': 'JIT Provisioning',
  slo: 'SLO',
};

const ConnectorQuery = z.object({
  search: z.string().trim().max(100).optional(),
  supports: z
    .string()
    .transform((s) => SUPPORTS_ALIASES[s.toLowerCase()])
    .refine((s) => s !== undefined, `one of: ${Object.keys(SUPPORTS_ALIASES).join(', ')}`)
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const ConnectorPage = PageOf(ConnectorView).meta({ id: 'ConnectorPage' });
export type ConnectorPage = z.infer<typeof ConnectorPage>;

/** A connector's slug (`saml2`, `slack`, ...): the same for every organisation. */
const ConnectorIdParam = z.string().min(1).max(64);

@Controller('v1/connectors')
@UseGuards(ApiKeyGuard)
export class ConnectorsController {
  @Get()
  @ZodResponse(200, ConnectorPage)
  list(@ZodQuery(ConnectorQuery) query: z.infer<typeof ConnectorQuery>): ConnectorPage {
    const needle = query.search?.toLowerCase();
    const matching = CONNECTORS.filter(
      (c) =>
        (!needle || c.name.toLowerCase().includes(needle) || c.id.includes(needle)) &&
        (!query.supports || c.supportedFunctionality.includes(query.supports)),
    );
    return {
      items: matching.slice(query.offset, query.offset + query.limit).map(connectorView),
      total: matching.length,
    };
  }

  @Get(':id')
  @ZodResponse(200, ConnectorView)
  get(@ZodParam('id', ConnectorIdParam) id: string): ConnectorView {
    const connector = CONNECTORS.find((c) => c.id === id);
    if (!connector) throw notFound('Connector', id);
    return connectorView(connector);
  }
}
