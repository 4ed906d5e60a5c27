import { All, Controller, Inject, Logger, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DomainError, ErrorCode } from '@jit/service';
import { CONSOLE_CONFIG, type ConsoleConfig } from '../config';
import { endSession } from '../session/console-session';
import { requireSession } from '../session/session.guard';

/** The largest body the console forwards (its parser refuses larger with 413). */
export const PROXY_BODY_LIMIT = '1mb';
const TIMEOUT_MS = 30_000;
/** What the browser may say to a service; everything else (cookies above all) stays here. */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept'] as const;
const RETURNED_RESPONSE_HEADERS = ['content-type', 'content-disposition'] as const;
const SERVICES = ['directory', 'catalog', 'idp'] as const;
type Service = (typeof SERVICES)[number];

/**
 * `/api/{directory,catalog,idp}/<path>` → the service's `/<path>` with the signed-in person's
 * token as `authorization: Bearer`. Only the services' APIs (`v1/...`) and SAML tools
 * (`saml2/...`) are reachable; the answer's status, type and body come back as they are.
 */
@ApiExcludeController()
@Controller('api')
export class ProxyController {
  private readonly logger = new Logger(ProxyController.name);
  private readonly targets: Record<Service, string>;

  constructor(@Inject(CONSOLE_CONFIG) config: ConsoleConfig) {
    this.targets = { directory: config.DIRECTORY_URL, catalog: config.CATALOG_URL, idp: config.IDP_URL };
  }

  @All(':service/*path')
  async forward(@Req() req: Request, @Res() res: Response): Promise<void> {
    const service = req.params.service as string;
    if (!(SERVICES as readonly string[]).includes(service)) {
      throw new DomainError(ErrorCode.NotFound, `No service "${service}" behind the console: /api/directory, /api/catalog or /api/idp`);
    }
    const session = requireSession(req);
    const target = this.targetUrl(service as Service, req.originalUrl);
    const headers: Record<string, string> = { authorization: `Bearer ${session.token}` };
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const body = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body : undefined;
    let answer: globalThis.Response;
    try {
      answer = await fetch(target, {
        method: req.method,
        headers,
        body: body && req.method !== 'GET' && req.method !== 'HEAD' ? new Uint8Array(body) : undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : 'not reachable';
      this.logger.warn(`The ${service} service did not answer ${req.method} ${new URL(target).pathname}: ${String(error)}`);
      throw new DomainError(ErrorCode.DependencyUnavailable, `The ${service} service is ${reason}; try again shortly`);
    }
    if (answer.status === 401) {
      // The token expired or was revoked (the person suspended, their role taken away): signed out here too.
      await answer.body?.cancel();
      await endSession(req);
      res.status(401).json({ statusCode: 401, error: 'Unauthorized', message: 'Your session has ended: sign in again' });
      return;
    }
    res.status(answer.status);
    for (const name of RETURNED_RESPONSE_HEADERS) {
      const value = answer.headers.get(name);
      if (value !== null) res.setHeader(name, value);
    }
    res.setHeader('cache-control', 'no-store');
    res.end(Buffer.from(await answer.arrayBuffer()));
  }

  /** The service's URL for a console path, or 404 for a path outside `v1/` and `saml2/`. */
  private targetUrl(service: Service, originalUrl: string): string {
    const prefix = `/api/${service}/`;
    const rest = originalUrl.slice(prefix.length);
    const at = rest.indexOf('?');
    const path = at < 0 ? rest : rest.slice(0, at);
    const query = at < 0 ? '' : rest.slice(at);
    const segments = path.split('/');
    const safe = segments.every((segment) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return false;
      }
      // Dot segments would be resolved by the URL parser, taking the path outside v1/.
      return decoded !== '.' && decoded !== '..' && !decoded.includes('\\');
    });
    if (!safe || !['v1', 'saml2'].includes(segments[0] ?? '') || segments.length < 2) {
      throw new DomainError(ErrorCode.NotFound, `Only the ${service} service's v1/ and saml2/ paths are reachable through the console`);
    }
    return `${this.targets[service]}/${path}${query}`;
  }
}
