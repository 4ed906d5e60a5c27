import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { eventually, freePort, NatsClusterNode, PrivateNatsServer, startService, type ServiceProcess } from '@jit/testing';
import { PrivatePostgres } from './private-postgres';
import { TcpRelay } from './tcp-relay';

export type ServiceName = 'directory' | 'catalog' | 'idp';

export const BOOTSTRAP_KEY = 'chaos-bootstrap-admin-key-0123456789';

const PORT_VARIABLE: Record<ServiceName, string> = { directory: 'DIRECTORY_PORT', catalog: 'CATALOG_PORT', idp: 'IDP_PORT' };

/**
 * NATS as the run sees it: one private server, or a 3-node JetStream cluster. Either way each
 * service instance reaches it through relays of its own (see TcpRelay), one per node.
 */
export interface NatsTopology {
  readonly kind: 'single' | 'cluster';
  /** Node names, for the nemesis (one, `nats`, for a single server). */
  readonly nodes: string[];
  /** The client port of a node. */
  portOf(node: string): number;
  start(): Promise<void>;
  kill(node: string): Promise<void>;
  /** Starts a killed node again (same port and store) and waits until it serves. */
  restart(node: string): Promise<void>;
  destroy(): Promise<void>;
}

export class SingleNats implements NatsTopology {
  readonly kind = 'single';
  readonly nodes = ['nats'];
  private readonly server = new PrivateNatsServer();
  portOf(): number {
    return this.server.port;
  }
  start(): Promise<void> {
    return this.server.start();
  }
  kill(): Promise<void> {
    return this.server.kill();
  }
  restart(): Promise<void> {
    return this.server.start();
  }
  destroy(): Promise<void> {
    return this.server.destroy();
  }
}

/**
 * A 3-node JetStream cluster on loopback (NatsClusterNode from @jit/testing), each node with
 * `no_advertise`: a client then knows only the addresses it was given (the relays), never the
 * nodes' own, so a partition through the relays cannot be walked around. The nodes' configuration
 * is @jit/testing's, with the cluster block given again with that one setting (nats-server takes
 * the later block).
 */
export class ClusterNats implements NatsTopology {
  readonly kind = 'cluster';
  private readonly members = ['n1', 'n2', 'n3'].map((name) => new NatsClusterNode(name));
  private readonly clusterName = `jit-chaos-${randomBytes(3).toString('hex')}`;
  readonly nodes = this.members.map((n) => n.name);

  private node(name: string): NatsClusterNode {
    const node = this.members.find((n) => n.name === name);
    if (!node) throw new Error(`no NATS node ${name}`);
    return node;
  }

  portOf(node: string): number {
    return this.node(node).clientPort;
  }

  private get routes(): string[] {
    return this.members.map((n) => `127.0.0.1:${n.routePort}`);
  }

  private startNode(node: NatsClusterNode): Promise<void> {
    const unadvertised = [
      'cluster {',
      `  name: ${this.clusterName}`,
      `  listen: 127.0.0.1:${node.routePort}`,
      `  routes: [${this.routes.map((r) => `nats-route://${r}`).join(', ')}]`,
      '  no_advertise: true',
      '}',
    ].join('\n');
    return node.start({ clusterName: this.clusterName, routes: this.routes, config: unadvertised });
  }

  private async healthy(nodes: NatsClusterNode[]): Promise<void> {
    await eventually(
      async () => {
        for (const node of nodes) if (!(await node.healthy())) throw new Error(`NATS node ${node.name} is not current (/healthz)`);
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  }

  async start(): Promise<void> {
    for (const node of this.members) await node.allocatePorts();
    await Promise.all(this.members.map((node) => this.startNode(node)));
    await this.healthy(this.members);
  }

  kill(node: string): Promise<void> {
    return this.node(node).kill();
  }

  async restart(name: string): Promise<void> {
    const node = this.node(name);
    await this.startNode(node);
    await this.healthy([node]);
  }

  /** The node leading `stream` now (the nemesis prefers it: the hardest node to lose), from STREAM.INFO. */
  async leaderOf(stream: string): Promise<string | undefined> {
    const servers = this.members.filter((n) => n.running).map((n) => n.url);
    const nc = await connect({ servers, timeout: 1000 }).catch(() => undefined);
    if (!nc) return undefined;
    try {
      const info = (await nc.request(`$JS.API.STREAM.INFO.${stream}`, undefined, { timeout: 1000 })).json<{
        cluster?: { leader?: string };
      }>();
      return info.cluster?.leader;
    } catch {
      return undefined;
    } finally {
      await nc.close();
    }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.members.map((node) => node.destroy()));
  }
}

/** One process of a service: its port, its relays to NATS, and a restart with the same configuration. */
export class Instance {
  private child?: ServiceProcess;
  private generation = 0;
  /** The load balancer's view: the last health checks answered /ready 200. */
  ready = false;
  paused = false;

  constructor(
    readonly service: ServiceName,
    readonly port: number,
    /** One relay per NATS node, in the topology's node order. */
    readonly relays: TcpRelay[],
    private readonly env: Record<string, string>,
    private readonly logDir: string,
  ) {}

  get name(): string {
    return `${this.service}@${this.port}`;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(until: 'ready' | 'live'): Promise<void> {
    this.generation += 1;
    this.child = await startService(
      this.service,
      this.port,
      { ...this.env, [PORT_VARIABLE[this.service]]: String(this.port) },
      { until, timeoutMs: 90_000 },
    );
  }

  /** kill -9, then waits for the exit; what it printed goes to the run's log directory. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    this.ready = false;
    this.paused = false;
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await child.stop();
    this.saveLog();
  }

  pause(): void {
    if (!this.child?.pid) return;
    process.kill(this.child.pid, 'SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (!this.child?.pid) return;
    process.kill(this.child.pid, 'SIGCONT');
    this.paused = false;
  }

  saveLog(): void {
    if (this.child) writeFileSync(join(this.logDir, `${this.service}-${this.port}-${this.generation}.log`), this.child.output());
  }

  async stop(): Promise<void> {
    if (this.paused) this.resume();
    await this.child?.stop();
    this.saveLog();
    this.ready = false;
  }
}

export interface SystemOptions {
  instances: Record<ServiceName, number>;
  nats: 'single' | 'cluster';
  /** Where the services' logs go. */
  logDir: string;
  /** Extra environment for every service. */
  env?: Record<string, string>;
}

/**
 * Everything a chaos run starts: a private PostgreSQL, private NATS (one server or a cluster), and
 * several instances of the directory, the catalog and the IdP on private ports, each reaching NATS
 * through relays of its own.
 */
export class ChaosSystem {
  readonly postgres = new PrivatePostgres();
  readonly nats: NatsTopology;
  readonly instances: Instance[] = [];
  private readonly busKey = randomBytes(32).toString('hex');

  constructor(private readonly options: SystemOptions) {
    this.nats = options.nats === 'cluster' ? new ClusterNats() : new SingleNats();
    mkdirSync(options.logDir, { recursive: true });
  }

  of(service: ServiceName): Instance[] {
    return this.instances.filter((i) => i.service === service);
  }

  /** The address every IdP instance answers for (its entity IDs and SSO URLs): the first instance's, behind "one address". */
  get idpBaseUrl(): string {
    return this.of('idp')[0]?.url ?? '';
  }

  async start(): Promise<void> {
    await this.postgres.init();
    // The database does not exist yet: the instances create it, as a first deployment's would.
    await Promise.all([this.postgres.start(), this.nats.start()]);
    const ports: Record<ServiceName, number[]> = { directory: [], catalog: [], idp: [] };
    for (const service of ['directory', 'catalog', 'idp'] as const)
      for (let i = 0; i < this.options.instances[service]; i++) ports[service].push(await freePort());
    const first = (service: ServiceName) => `http://127.0.0.1:${ports[service][0]}`;
    const common: Record<string, string> = {
      DATABASE_URL: this.postgres.url('jit_chaos'),
      NATS_PREFIX: 'chaos',
      BOOTSTRAP_ADMIN_API_KEY: BOOTSTRAP_KEY,
      BUS_KEYS: this.busKey,
      HOST: '127.0.0.1',
      IDP_BASE_URL: first('idp'),
      IDP_URL: first('idp'),
      DIRECTORY_URL: first('directory'),
      CATALOG_URL: first('catalog'),
      CONSOLE_URL: 'http://127.0.0.1:4003',
      // Every browser of the run comes from 127.0.0.1: per-source sign-in throttles would count them as one.
      IDP_LOGIN_FAILURES_PER_SOURCE: '1000000',
      DIRECTORY_SOURCE_LIMIT_PER_MINUTE: '100000',
      // A cluster keeps each stream on every node, so the loss of any one loses nothing.
      ...(this.nats.kind === 'cluster' ? { NATS_STREAM_REPLICAS: String(this.nats.nodes.length) } : {}),
      ...this.options.env,
    };
    for (const service of ['directory', 'catalog', 'idp'] as const) {
      for (const port of ports[service]) {
        const relays: TcpRelay[] = [];
        for (const node of this.nats.nodes) {
          const relay = new TcpRelay(await freePort(), () => ({ host: '127.0.0.1', port: this.nats.portOf(node) }));
          await relay.start();
          relays.push(relay);
        }
        const env = { ...common, NATS_URL: relays.map((r) => r.url).join(',') };
        this.instances.push(new Instance(service, port, relays, env, this.options.logDir));
      }
    }
    // The directory first: it creates the default organisation the others ask it about.
    await Promise.all(this.of('directory').map((i) => i.start('ready')));
    await Promise.all([...this.of('catalog'), ...this.of('idp')].map((i) => i.start('ready')));
    for (const instance of this.instances) instance.ready = true;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.instances.map((i) => i.stop()));
    for (const relay of this.instances.flatMap((i) => i.relays)) relay.stop();
    await Promise.allSettled([this.nats.destroy(), this.postgres.destroy()]);
  }
}
