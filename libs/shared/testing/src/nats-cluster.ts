import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { eventually } from './eventually';
import { jetStreamBlock, listening, natsServerBin } from './nats-server';
import { freePort } from './test-env';

/** What a node's configuration is made of: its name, its three listeners and its peers' routes. */
export interface NatsClusterNodeConfig {
  /** `server_name`: unique in the cluster; STREAM.INFO names the leader by it. */
  serverName: string;
  clusterName: string;
  /** host:port for clients, for the monitoring endpoint (/healthz) and for the other nodes. */
  clientListen: string;
  monitorListen: string;
  routeListen: string;
  /** Every node's route address (this node's own included: nats-server skips itself). */
  routes: readonly string[];
  /** The JetStream block (store directory, fsync policy): jetStreamBlock(). */
  jetstream: string;
  /** Users and permissions, as PrivateNatsServer takes them (docs/nats-permissions.md's block). */
  config?: string;
}

/**
 * A cluster node's nats-server configuration. deploy/nats-cluster/ holds the docker-compose
 * nodes' files, written in the same shape (a spec starts them with the binary).
 */
export function natsClusterNodeConfig(node: NatsClusterNodeConfig): string {
  return [
    `server_name: ${node.serverName}`,
    `listen: ${node.clientListen}`,
    `http: ${node.monitorListen}`,
    node.jetstream.trimEnd(),
    'cluster {',
    `  name: ${node.clusterName}`,
    `  listen: ${node.routeListen}`,
    `  routes: [${node.routes.map((route) => `nats-route://${route}`).join(', ')}]`,
    '}',
    node.config ?? '',
    '',
  ].join('\n');
}

/** One node of a NatsCluster: its own client, route and monitoring ports and store directory. */
export class NatsClusterNode {
  private child?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'jit-nats-cluster-'));
  clientPort = 0;
  routePort = 0;
  monitorPort = 0;

  constructor(readonly name: string) {}

  get url(): string {
    return `nats://127.0.0.1:${this.clientPort}`;
  }

  /** True while its process runs (started, and neither killed nor stopped since). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  private get logFile(): string {
    return join(this.dir, 'nats-server.log');
  }

  /** What the node has logged so far (elections, catch-up, errors). */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  async allocatePorts(): Promise<void> {
    this.clientPort ||= await freePort();
    this.routePort ||= await freePort();
    this.monitorPort ||= await freePort();
  }

  /**
   * Starts the process (again) with the same ports and store: a restart keeps what it stored.
   * With `configFile` (a deployment's node file), that file runs as it is, and only what must
   * differ on loopback is given on the command line, which nats-server lets win: addresses,
   * ports and routes. The store directory cannot be (nats-server refuses -sd beside a store_dir),
   * so the file and those it includes run from copies whose `store_dir` line names the node's own.
   */
  async start(options: {
    clusterName: string;
    routes: readonly string[];
    config?: string;
    configFile?: string;
    env?: Record<string, string>;
  }): Promise<void> {
    if (this.running) return;
    const bin = natsServerBin();
    const store = join(this.dir, 'store');
    let args: string[];
    if (options.configFile) {
      args = [
        '-c',
        copyWithStore(options.configFile, join(this.dir, 'conf'), store),
        '-a',
        '127.0.0.1',
        '-p',
        String(this.clientPort),
        '-m',
        String(this.monitorPort),
        '--cluster',
        `nats://127.0.0.1:${this.routePort}`,
        '--routes',
        options.routes.map((route) => `nats-route://${route}`).join(','),
      ];
    } else {
      const file = join(this.dir, 'nats.conf');
      writeFileSync(
        file,
        natsClusterNodeConfig({
          serverName: this.name,
          clusterName: options.clusterName,
          clientListen: `127.0.0.1:${this.clientPort}`,
          monitorListen: `127.0.0.1:${this.monitorPort}`,
          routeListen: `127.0.0.1:${this.routePort}`,
          routes: options.routes,
          jetstream: jetStreamBlock(store, bin),
          config: options.config,
        }),
      );
      args = ['-c', file];
    }
    const child = spawn(bin, [...args, '-l', this.logFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    this.child = child;
    // What it says before its log file is open (a configuration it refuses).
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    await eventually(
      () => {
        if (child.exitCode !== null) throw new Error(`nats-server ${this.name} exited at start: ${stderr}${this.log().slice(-2000)}`);
        return listening(this.clientPort);
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  }

  /** /healthz: 200 once the node's JetStream is current (meta leader known, its streams caught up). */
  async healthy(): Promise<boolean> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.monitorPort}/healthz`, { signal: AbortSignal.timeout(1000) });
      return response.ok;
    } catch {
      return false;
    }
  }

  /** kill -9: a crash, nothing flushed or handed over. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM: a clean shutdown (the node steps down from what it leads and closes its store). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Copies a configuration file, and the files it includes (one level, as deploy/nats-cluster's
 * include deploy/nats.conf), under `into` at the same relative places, each `store_dir` line
 * pointing at `store`; answers the copy's path.
 */
function copyWithStore(file: string, into: string, store: string): string {
  const withStore = (text: string) =>
    text.replace(/^(\s*)store_dir:.*$/m, (_, indent: string) => `${indent}store_dir: ${JSON.stringify(store)}`);
  const text = readFileSync(file, 'utf8');
  const copy = join(into, 'node', basename(file));
  mkdirSync(dirname(copy), { recursive: true });
  for (const [, included] of text.matchAll(/^\s*include\s+["']?([^"'\s]+)["']?\s*$/gm)) {
    const target = resolve(dirname(copy), included);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, withStore(readFileSync(resolve(dirname(file), included), 'utf8')));
  }
  writeFileSync(copy, withStore(text));
  return copy;
}

export interface NatsClusterOptions {
  /** Users and permissions, as PrivateNatsServer takes them; every node gets the same. */
  config?: string;
  /**
   * Instead of a generated configuration: each node's file of a deployment (deploy/nats-cluster/),
   * run as it is but for addresses, ports, store and routes. Its nodes are named as the file says
   * (`server_name`), so give `names` too.
   */
  configFiles?: readonly string[];
  /** With `configFiles`: each node's server_name, as its file sets it. */
  names?: readonly string[];
  /** Environment for the servers (the passwords a deployment's file reads from it). */
  env?: Record<string, string>;
  /** A user that may call the JetStream API (STREAM.INFO), when `config` requires one (and its inbox prefix, if it has its own). */
  admin?: { user: string; password: string; inboxPrefix?: string };
  /** 3 by default. */
  size?: number;
}

/**
 * A JetStream cluster of the test's own on loopback (3 nodes by default): each node has private
 * client, route and monitoring ports and its own store directory, and runs the same binary as
 * PrivateNatsServer with the same fsync policy. A test can crash (kill -9), stop and restart any
 * node and ask which node leads a stream.
 */
export class NatsCluster {
  readonly nodes: NatsClusterNode[];
  readonly name = `jit-test-${Math.random().toString(16).slice(2, 8)}`;

  constructor(private readonly options: NatsClusterOptions = {}) {
    const size = options.configFiles?.length ?? options.size ?? 3;
    this.nodes = Array.from({ length: size }, (_, i) => new NatsClusterNode(options.names?.[i] ?? `n${i + 1}`));
  }

  /** Every node's client URL, as a client is given them (a list it reconnects across). */
  get urls(): string[] {
    return this.nodes.map((node) => node.url);
  }

  /** The same, comma-separated: NATS_URL for the services. */
  get url(): string {
    return this.urls.join(',');
  }

  node(name: string): NatsClusterNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name} in the cluster (nodes: ${this.nodes.map((n) => n.name).join(', ')})`);
    return node;
  }

  /** Starts every node and waits until the cluster has elected its JetStream meta leader. */
  async start(): Promise<void> {
    for (const node of this.nodes) await node.allocatePorts();
    await Promise.all(this.nodes.map((node) => this.startNode(node)));
    await this.waitHealthy();
  }

  private startNode(node: NatsClusterNode): Promise<void> {
    return node.start({
      clusterName: this.name,
      routes: this.nodes.map((n) => `127.0.0.1:${n.routePort}`),
      config: this.options.config,
      configFile: this.options.configFiles?.[this.nodes.indexOf(node)],
      env: this.options.env,
    });
  }

  /** Restarts a killed or stopped node (same ports, same store) and waits until it is current. */
  async restart(node: NatsClusterNode, timeoutMs = 30_000): Promise<void> {
    await this.startNode(node);
    await eventually(
      async () => {
        if (!(await node.healthy())) throw new Error(`node ${node.name} is not current yet (/healthz)`);
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** Every running node answers /healthz 200. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await eventually(
      async () => {
        for (const node of this.nodes.filter((n) => n.running)) {
          if (!(await node.healthy())) throw new Error(`node ${node.name} is not healthy (/healthz)`);
        }
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /**
   * The server name of the node that leads stream `stream` (its full name, prefix included), from
   * `$JS.API.STREAM.INFO`'s cluster.leader; undefined while it has none (an election, no quorum)
   * or no running node answers.
   */
  async streamLeader(stream: string, timeoutMs = 1000): Promise<string | undefined> {
    const info = await this.streamInfo(stream, timeoutMs);
    return info?.cluster?.leader;
  }

  /** The running node that leads `stream`, waiting up to `timeoutMs` for an election to settle. */
  async leaderNode(stream: string, timeoutMs = 10_000): Promise<NatsClusterNode> {
    return eventually(
      async () => {
        const leader = await this.streamLeader(stream);
        const node = this.nodes.find((n) => n.name === leader && n.running);
        if (!node) throw new Error(`stream ${stream} has no leader among the running nodes (STREAM.INFO says ${leader ?? 'none'})`);
        return node;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** STREAM.INFO's answer, asked of the running nodes; undefined when none answers in time. */
  async streamInfo(stream: string, timeoutMs = 1000): Promise<StreamClusterInfo | undefined> {
    const servers = this.nodes.filter((n) => n.running).map((n) => n.url);
    if (servers.length === 0) return undefined;
    const admin = this.options.admin;
    const nc = await connect({
      servers,
      timeout: timeoutMs,
      ...(admin ? { user: admin.user, pass: admin.password } : {}),
      ...(admin?.inboxPrefix ? { inboxPrefix: admin.inboxPrefix } : {}),
    }).catch(() => undefined);
    if (!nc) return undefined;
    try {
      const msg = await nc.request(`$JS.API.STREAM.INFO.${stream}`, undefined, { timeout: timeoutMs });
      const info = msg.json<StreamClusterInfo & { error?: { description: string } }>();
      if (info.error) return undefined;
      return info;
    } catch {
      return undefined;
    } finally {
      await nc.close();
    }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.destroy()));
  }
}

/** The parts of a STREAM.INFO answer a cluster test reads. */
export interface StreamClusterInfo {
  config: { name: string; num_replicas: number };
  state: { messages: number; first_seq: number; last_seq: number };
  cluster?: {
    name?: string;
    leader?: string;
    replicas?: { name: string; current: boolean; offline?: boolean; active: number; lag?: number }[];
  };
}
