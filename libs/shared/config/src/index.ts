import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The bus key every process uses when none is configured: tests and development only. It is
 * public (it is in this file), so it proves nothing; production refuses it.
 */
export const DEVELOPMENT_BUS_KEY = 'development-bus-key-known-to-everyone-never-use-in-production';

/** The admin key `npm start` (scripts/start.mjs) uses when none is set: printed, so never secret. */
export const DEVELOPMENT_ADMIN_API_KEY = 'dev-admin-key-change-me';

/**
 * Settings every service shares. Each service extends this with its own keys and reads the
 * result once at start: nothing else in the code touches `process.env`.
 */
export const baseConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    HOST: z.string().default('127.0.0.1'),
    DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/jit'),
    /** One NATS server, or a cluster's servers separated by commas: the client moves between them. */
    NATS_URL: z
      .string()
      .default('nats://127.0.0.1:4222')
      .refine(isNatsServerList, "one NATS server (nats://host:4222), or a cluster's separated by commas (nats://a:4222,nats://b:4222)"),
    /**
     * How many nodes of a JetStream cluster hold each stream the services create: 1 for a single
     * server, 3 for a 3-node cluster (which then keeps every acknowledged event with a node down).
     * A stream that exists with another count is changed at start.
     */
    NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
    /** The service's NATS user and password (docs/nats-permissions.md): both, or neither for a server without users. */
    NATS_USER: z.string().optional(),
    NATS_PASSWORD: z.string().optional(),
    /**
     * Where NATS delivers this service's replies (JetStream answers, publish acks, RPC answers). A
     * prefix of its own, e.g. `_INBOX_directory`, lets the service's NATS user subscribe to
     * `_INBOX_directory.>` only: with `_INBOX.>` it could read every reply on the server, other
     * services' included.
     */
    NATS_INBOX_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only (one subject token)')
      .default('_INBOX'),
    /**
     * Prepended to every stream name and subject, so that several copies of the system (a test run
     * beside a developer's `npm start`) share one NATS server without hearing each other.
     */
    NATS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, _ and - only')
      .default(''),
    /**
     * The secrets every service shares and NATS does not hold (comma-separated): the first
     * authenticates events and seals requests and answers, every one is accepted (rotation).
     * Unset outside production: a development key, with a warning at start.
     */
    BUS_KEYS: z
      .string()
      .transform((value) => value.split(',').map((key) => key.trim()))
      .pipe(z.array(z.string().min(32, 'each key needs at least 32 random characters (e.g. openssl rand -hex 32)')).min(1))
      .optional(),
    BOOTSTRAP_ADMIN_API_KEY: z.string().min(16, 'use at least 16 characters').optional(),
    /**
     * /ready answers 503 when a consumed stream's lag (messages in the stream not yet applied) is
     * above this and stays above it for READY_LAG_WAIT_MS: a consumer that is stuck, not one
     * working through a burst.
     */
    READY_MAX_LAG: z.coerce.number().int().min(0).default(100),
    READY_LAG_WAIT_MS: z.coerce.number().int().min(0).max(10_000).default(500),
    /**
     * Outbox rows published more than this many days ago are deleted, hourly: the stream holds
     * the events, and the rows are kept a while only to look at. Unpublished rows stay.
     */
    OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(1).default(7),
    /**
     * The reverse proxies in front of the service, as addresses or CIDRs separated by commas (or
     * `loopback`, `linklocal`, `uniquelocal`). Only a request whose peer is one of them has its
     * client address read from X-Forwarded-For; by default none is trusted and the client address
     * is the socket's, since anyone can send that header.
     */
    TRUSTED_PROXIES: z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((entry) => entry.trim())
          .filter((entry) => entry !== ''),
      )
      .refine((entries) => entries.every(isProxyAddress), 'addresses or CIDRs (e.g. 10.0.0.5, 10.1.0.0/16), comma-separated'),
  })
  .refine((config) => (config.NATS_USER === undefined) === (config.NATS_PASSWORD === undefined), {
    message: 'NATS_USER and NATS_PASSWORD go together: set both, or neither',
    path: ['NATS_USER'],
  })
  // The key `npm start` prints is public: in production it would make anyone an administrator.
  .refine((config) => config.NODE_ENV !== 'production' || config.BOOTSTRAP_ADMIN_API_KEY !== DEVELOPMENT_ADMIN_API_KEY, {
    message: `the development key "${DEVELOPMENT_ADMIN_API_KEY}" is public: set a secret of your own in production (e.g. openssl rand -hex 32)`,
    path: ['BOOTSTRAP_ADMIN_API_KEY'],
  });
export type BaseConfig = z.infer<typeof baseConfigSchema>;

/**
 * The rules of a service that talks over NATS, for its schema's `superRefine`. In production it
 * refuses an anonymous bus (anyone on it could read and answer its requests) and runs only with
 * a bus key of its own.
 */
export function productionBus(config: BaseConfig, ctx: z.RefinementCtx): void {
  if (config.NODE_ENV !== 'production') return;
  if (config.NATS_USER === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['NATS_USER'],
      message: "required when NODE_ENV=production, with NATS_PASSWORD: the service's own NATS user (docs/nats-permissions.md)",
    });
  }
  if (config.BUS_KEYS === undefined || config.BUS_KEYS.includes(DEVELOPMENT_BUS_KEY)) {
    ctx.addIssue({
      code: 'custom',
      path: ['BUS_KEYS'],
      message: 'required when NODE_ENV=production: a secret of your own, at least 32 random characters, the same for every service',
    });
  }
}

/**
 * What a development start should say out loud: the conveniences that make its bus open to
 * anyone who can reach it. Empty in production (the schema refuses them) and in tests.
 */
export function insecureBusWarning(config: BaseConfig): string | undefined {
  if (config.NODE_ENV !== 'development') return undefined;
  const lines = [
    ...(config.BUS_KEYS === undefined || config.BUS_KEYS[0] === DEVELOPMENT_BUS_KEY
      ? ['- BUS_KEYS is the public development key: anyone can forge or read messages between services.']
      : []),
    ...(config.NATS_USER === undefined
      ? ['- NATS_USER is not set: the service connects anonymously; anyone who reaches NATS can read and publish on it.']
      : []),
  ];
  if (lines.length === 0) return undefined;
  return [
    '',
    '****************************************************************************************',
    '*  DEVELOPMENT BUS: NOT FOR PRODUCTION',
    ...lines.map((line) => `*  ${line}`),
    '*  Set BUS_KEYS (openssl rand -hex 32) and a NATS user per service',
    '*  (docs/nats-permissions.md); NODE_ENV=production refuses to start without them.',
    '****************************************************************************************',
  ].join('\n');
}

export class ConfigError extends Error {}

/** Validates the environment against a schema and says exactly which variables are wrong. */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined> = process.env): z.infer<S> {
  // Empty strings mean "unset": docker-compose and shells often pass VAR= for an absent value.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Parses a boolean environment value the way people write them. */
export const envBoolean = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/** NATS_URL: nats:// or tls:// URLs (or host:port), comma-separated, none empty. */
function isNatsServerList(value: string): boolean {
  const servers = value.split(',').map((server) => server.trim());
  return servers.every((server) => {
    try {
      const url = new URL(server.includes('://') ? server : `nats://${server}`);
      return ['nats:', 'tls:'].includes(url.protocol) && url.hostname !== '' && url.pathname === '';
    } catch {
      return false;
    }
  });
}

/** An address, a CIDR, or one of the names proxy-addr (behind Fastify's and Express's trust settings) knows. */
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', bits, ...extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra.length > 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n <= (family === 4 ? 32 : 128);
}
