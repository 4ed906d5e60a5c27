import { Inject, Injectable, type LoggerService } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import type { FastifyInstance } from 'fastify';
import pino, { type DestinationStream, type Logger as Pino } from 'pino';
import type { BaseConfig } from '@jit/config';

/** The service's one pino logger: Nest's Logger, the request log and the startup summary all write through it. */
export const SERVICE_LOGGER = Symbol('SERVICE_LOGGER');

/** Probes and scrapes every few seconds would drown the log. */
const UNLOGGED_PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * Nest's own start-up chatter (one line per module loaded and per route mapped, ~150 lines): kept
 * at debug, so that `LOG_LEVEL=debug` still shows it and the default start shows the summary only.
 */
const QUIET_NEST_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
  'NestMicroservice',
]);

export type LogSettings = Pick<BaseConfig, 'LOG_LEVEL' | 'NODE_ENV'>;

/** Where the log goes: standard output, unless a test reads it. */
export type LogDestination = DestinationStream;

/**
 * JSON lines (one object per line, for a log collector) except in development, where pino-pretty
 * prints one readable line each. pino-pretty is a development dependency: where it is not
 * installed the log stays JSON.
 */
export function createServiceLogger(service: string, settings: LogSettings, destination?: LogDestination): Pino {
  const options = { level: settings.LOG_LEVEL, base: { service } };
  const json = () => (destination ? pino(options, destination) : pino(options));
  if (settings.NODE_ENV !== 'development') return json();
  const pretty = loadPretty();
  if (!pretty) return json();
  return pino(
    options,
    pretty({
      ...(destination ? { destination } : {}),
      // Synchronous, in this thread: no worker to lose lines from when the process exits on a fatal error.
      sync: true,
      colorize: Boolean(process.stdout.isTTY),
      translateTime: 'SYS:HH:MM:ss.l',
      // What the message already says (the request line, the admin change) or a terminal does not need.
      ignore: 'pid,hostname,service,context,req,res,responseTime,reqId,actor,organizationId,action,target',
      // Any other fields stay on the line, as JSON.
      singleLine: true,
      messageFormat: '{if context}[{context}] {end}{msg}',
    }),
  );
}

type PrettyFactory = (options: Record<string, unknown>) => DestinationStream;

function loadPretty(): PrettyFactory | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('pino-pretty') as PrettyFactory;
  } catch {
    return undefined;
  }
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Nest's LoggerService over pino, so that `new Logger('Ctx').log(...)` anywhere in the code lands
 * in the same log as everything else, with its context as a field. It takes both Nest's calling
 * convention (`message, ...params, context`, `error(message, stack, context)`) and pino's
 * (`{ fields }, message`), as the code uses both.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const rest = [...params];
    // A Logger with a context appends it as the last argument.
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    if (level === 'info' && context !== undefined && QUIET_NEST_CONTEXTS.has(context)) level = 'debug';
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    const text = rest.find((p): p is string => typeof p === 'string');
    if (message instanceof Error) {
      this.pino[level]({ ...fields, err: message }, text ?? message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.pino[level]({ ...fields, ...(message as Record<string, unknown>) }, text);
    } else if (level === 'error' && text !== undefined) {
      // Nest's `error(message, stack)`.
      this.pino.error({ ...fields, stack: text }, String(message));
    } else {
      this.pino[level](fields, String(message));
    }
  }
}

/**
 * The URL as logged: the path, and the query's names without their values. Values carry what a
 * log must not keep: SAML messages (NameIDs), RelayState, and filters such as `?email=`.
 */
export function loggedUrl(url: string | undefined): string {
  const [path = '', query] = (url ?? '').split('?', 2);
  if (query === undefined) return path;
  const names = query
    .split('&')
    .filter(Boolean)
    .map((pair) => `${pair.split('=', 1)[0]}=…`);
  return names.length > 0 ? `${path}?${names.join('&')}` : path;
}

/**
 * One line per answered request (method, URL without query values, status, time, client address): never headers or
 * bodies, so no API key, cookie or password reaches the log. It hooks the HTTP framework itself,
 * like HttpMetrics, so that answers Nest never routes (404, 413) are logged too. Written straight
 * to the service's logger: pino-http made a child logger and ran its serializers for every
 * request, about 5% of the IdP's CPU per sign-in in a profile of bench:sso.
 */
@Injectable()
export class HttpLogging {
  constructor(
    @Inject(SERVICE_LOGGER) private readonly logger: Pino,
    host: HttpAdapterHost,
  ) {
    const adapter = host.httpAdapter;
    if (adapter.getType() === 'fastify') {
      const fastify = adapter.getInstance<FastifyInstance>();
      fastify.addHook('onResponse', (request, reply, done) => {
        this.answered(request.method, request.url, reply.statusCode, reply.elapsedTime, request.ip);
        done();
      });
      fastify.addHook('onRequestAbort', (request, done) => {
        this.aborted(request.method, request.url, request.ip);
        done();
      });
    } else if (adapter.getType() === 'express') {
      adapter.getInstance<{ use(fn: unknown): void }>().use((req: Request, res: Response, next: NextFunction) => {
        const started = performance.now();
        res.once('close', () => {
          if (res.writableFinished) this.answered(req.method, req.originalUrl, res.statusCode, performance.now() - started, req.ip);
          else this.aborted(req.method, req.originalUrl, req.ip);
        });
        next();
      });
    }
  }

  private answered(method: string, url: string, status: number, ms: number, ip: string | undefined): void {
    if (UNLOGGED_PATHS.has(url.split('?', 1)[0] ?? '')) return;
    const shown = loggedUrl(url);
    const responseTime = Math.round(ms);
    this.logger.info(
      { req: { method, url: shown, ip }, res: { statusCode: status }, responseTime },
      status >= 500 ? `${method} ${shown} ${status}` : `${method} ${shown} ${status} ${responseTime} ms`,
    );
  }

  /** The client went away before the answer was written. */
  private aborted(method: string, url: string, ip: string | undefined): void {
    if (UNLOGGED_PATHS.has(url.split('?', 1)[0] ?? '')) return;
    const shown = loggedUrl(url);
    this.logger.info({ req: { method, url: shown, ip } }, `${method} ${shown}: the client closed the connection before the answer`);
  }
}
