import { connect } from '@nats-io/transport-node';
import { Logger } from '@nestjs/common';
import { DEVELOPMENT_BUS_KEY } from '@jit/config';
import { headers, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import {
  jetstream,
  jetstreamManager,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
} from '@nats-io/jetstream';
import {
  eventSubject,
  type EventContract,
  type PayloadOf,
  type RequestOf,
  type ResponseOf,
  type RpcContract,
  type StreamContract,
} from './contract';
import { BusNaming } from './naming';
import { BusUnavailableError, ContractViolationError, RpcRemoteError } from './errors';
import { ReplyMux } from './reply-mux';
import { BUS_AUTH_HEADER, BusSeal, isSealed, type BusRefusal } from './bus-seal';

export interface BusOptions {
  /** NATS_URL: one server, or a cluster's servers separated by commas (the client moves between them). */
  servers: string;
  prefix: string;
  /** The service's name: the NATS connection name and the durable consumers' name stem. */
  service: string;
  publishTimeoutMs?: number;
  /** The service's NATS user; without one, the server must accept clients without credentials. */
  user?: string;
  password?: string;
  /** Where replies to this connection arrive (nats.js `inboxPrefix`); `_INBOX` by default. */
  inboxPrefix?: string;
  /**
   * BUS_KEYS: the secrets every service shares and NATS does not hold. The first authenticates
   * and seals what this process sends, every one is accepted on what it receives (rotation).
   * Without: DEVELOPMENT_BUS_KEY.
   */
  keys?: readonly string[];
  /**
   * NATS_STREAM_REPLICAS: how many nodes of a JetStream cluster hold each stream this service
   * creates (1 for a single server; 3 for a 3-node cluster, which then loses nothing acknowledged
   * with one node down). An existing stream is brought to it at start.
   */
  replicas?: number;
}

/** NATS_URL's servers: one, or a cluster's, separated by commas. */
export function natsServers(url: string): string[] {
  return url
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
}

const REFUSAL_REASONS: Record<BusRefusal, string> = {
  missing: 'it is not authenticated with the bus key',
  'unknown-key': 'it was made with a bus key this service does not hold (do all services have the same BUS_KEYS?)',
  forged: 'its authentication does not verify (forged or altered)',
};

/** Why a message was refused, for a log line. */
export function refusalReason(refusal: BusRefusal): string {
  return REFUSAL_REASONS[refusal];
}

/** A request a responder received, opened: its JSON body, and how to answer it. */
export interface ReceivedRequest {
  data: Uint8Array;
  respond(reply: RpcReply): void;
}

/** What a request/reply answer looks like on the wire. */
export type RpcReply = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeJson(data: Uint8Array): unknown {
  return JSON.parse(decoder.decode(data));
}

/**
 * Our one door to NATS: JetStream for durable events, core NATS for request/reply. Contracts
 * are checked on the way out as well as on the way in, so a producer bug fails at its source.
 */
export class NatsBus {
  readonly naming: BusNaming;
  /** Authenticates and seals what this process sends, checks and opens what it receives. */
  readonly seal: BusSeal;
  private readonly log = new Logger(NatsBus.name);
  /** When each kind of refusal was last logged: a flood of forgeries must not flood the log. */
  private readonly refusalsLogged = new Map<string, number>();
  /** The JetStream API's subject prefix: `$JS.API`, or another for a JetStream domain. */
  private readonly apiPrefix: string;
  private readonly replies: ReplyMux;
  /** False from a lost connection until the client is connected again (to any server of the list). */
  private connected = true;
  /** The streams this service produces (ensureStream): /ready checks they can take writes. */
  private readonly producedStreams: StreamContract[] = [];

  private constructor(
    readonly connection: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly options: BusOptions,
  ) {
    this.naming = new BusNaming(options.prefix);
    this.apiPrefix = jsm.getOptions().apiPrefix ?? '$JS.API';
    this.replies = new ReplyMux(connection, options.inboxPrefix);
    this.seal = new BusSeal(options.keys ?? [DEVELOPMENT_BUS_KEY]);
    this.followStatus().catch((error: unknown) => this.log.error(`Stopped following the NATS connection's status: ${describe(error)}`));
  }

  /** Connection changes, logged once each: with a cluster, a lost server is followed by another. */
  private async followStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.log.warn(`Lost the connection to NATS ${status.server}: reconnecting (to any server of NATS_URL)`);
      } else if (status.type === 'reconnect') {
        this.connected = true;
        this.log.log(`Connected to NATS again, through ${status.server}`);
      }
    }
  }

  static async connect(options: BusOptions): Promise<NatsBus> {
    const nc = await connect({
      // A cluster's nodes, tried in a random order (nats.js's default): processes spread over them.
      servers: natsServers(options.servers),
      name: options.service,
      // Forever: a service without NATS answers 503 with a reason, and comes back by itself.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // A server that is down (a killed node) closes the socket and is left at once; one that
      // hangs (paused, cut off) is found by pings: two unanswered at 5 s apart, not the 2-minute
      // default, and the client moves to another node of the cluster.
      pingInterval: 5_000,
      maxPingOut: 2,
      // Without this, nats.js builds two Error objects (stack traces) for every request and
      // publish before it knows whether anything failed: a tenth of the IdP's CPU per sign-in.
      // Failures still carry their message and cause; our callers wrap them with context.
      noAsyncTraces: true,
      ...(options.user === undefined ? {} : { user: options.user, pass: options.password }),
      // nats.js's own requests and JetStream's consumers take it from here, our reply mux too.
      ...(options.inboxPrefix === undefined ? {} : { inboxPrefix: options.inboxPrefix }),
    });
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc, { timeout: options.publishTimeoutMs ?? 2000 });
    return new NatsBus(nc, js, jsm, options);
  }

  get service(): string {
    return this.options.service;
  }

  isConnected(): boolean {
    return this.connected && !this.connection.isClosed() && !this.connection.isDraining();
  }

  /** The streams this service produces (those it called ensureStream for). */
  get produces(): readonly StreamContract[] {
    return this.producedStreams;
  }

  /**
   * For a consumer: the stream is there, created by its producer. One that is missing is created
   * with the producer's configuration (so that the services can start in any order), unless this
   * service's NATS user may not (a least-privilege user never may change another service's
   * stream): then it waits for the producer, up to `waitMs`. An existing stream is left as it is.
   */
  async ensureStreamExists(stream: StreamContract, waitMs = 60_000): Promise<void> {
    const config = this.streamConfig(stream);
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        await this.jsm.streams.info(config.name);
        return;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      try {
        this.refuseReplicasOnSingleServer(config);
        await this.createStream(config);
        return;
      } catch (error) {
        if (!/Permissions Violation/i.test(String(error))) throw error;
        if (Date.now() > deadline)
          throw new Error(`stream ${config.name} does not exist, and this NATS user may not create it: start its producer`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /**
   * Creates the stream, or brings its configuration up to date (its number of replicas
   * included); safe to call at every start.
   */
  async ensureStream(stream: StreamContract): Promise<void> {
    const config = this.streamConfig(stream);
    if (!this.producedStreams.includes(stream)) this.producedStreams.push(stream);
    this.refuseReplicasOnSingleServer(config);
    let current: number | undefined;
    try {
      current = (await this.jsm.streams.info(config.name)).config.num_replicas;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (current === undefined) {
      await this.createStream(config);
    } else {
      let held: number;
      try {
        held = (await this.jsm.streams.update(config.name, config)).config.num_replicas;
      } catch (error) {
        if (current === config.num_replicas) throw error;
        throw new Error(
          `stream ${config.name} has ${current} replica(s) and NATS_STREAM_REPLICAS asks for ${config.num_replicas}, which NATS refused ` +
            `(${describe(error)}). A cluster holds at most one replica per node: set NATS_STREAM_REPLICAS to what the servers in ` +
            `NATS_URL can hold, or change the stream yourself: nats stream edit ${config.name} --replicas ${config.num_replicas}`,
          { cause: error },
        );
      }
      if (held !== current) this.log.warn(`Stream ${config.name}: replicas changed from ${current} to ${held} (NATS_STREAM_REPLICAS)`);
    }
  }

  /**
   * A single server refuses to create a stream with more than one replica, and takes the change
   * of an existing one while it keeps one copy: either way the operator would not get what
   * NATS_STREAM_REPLICAS asks for, so the service says so before it starts.
   */
  private refuseReplicasOnSingleServer(config: ReturnType<NatsBus['streamConfig']>): void {
    if (config.num_replicas <= 1 || this.connection.info?.cluster) return;
    throw new Error(
      `NATS_STREAM_REPLICAS=${config.num_replicas} needs a JetStream cluster, and the server this service reached ` +
        `(${this.connection.getServer()}) is a single server, which keeps one copy of stream ${config.name}: point NATS_URL ` +
        `at the cluster's nodes (comma-separated), or set NATS_STREAM_REPLICAS=1`,
    );
  }

  private streamConfig(stream: StreamContract) {
    return {
      name: this.naming.stream(stream.name),
      subjects: stream.subjects.map((s) => this.naming.subject(s)),
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      // Outbox ids are Nats-Msg-Id values: a relay re-publish inside this window is dropped.
      duplicate_window: 10 * 60 * 1_000_000_000,
      max_age: 0,
      num_replicas: this.options.replicas ?? 1,
    };
  }

  private async createStream(config: ReturnType<NatsBus['streamConfig']>): Promise<void> {
    try {
      await this.jsm.streams.add(config);
    } catch (error) {
      // Another instance may have created it meanwhile.
      if (!/already in use|exists/i.test(String(error))) throw error;
    }
  }

  /** Publishes an event and resolves once JetStream has stored it. */
  async publish<C extends EventContract>(contract: C, payload: PayloadOf<C>, msgId: string): Promise<PubAck> {
    const checked = contract.schema.safeParse(payload);
    if (!checked.success) {
      throw new ContractViolationError(
        contract.subject,
        checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      );
    }
    return this.publishEncoded(eventSubject(contract, checked.data), encodeJson(checked.data), msgId);
  }

  /**
   * The JetStream publish protocol, sent through our reply mux (js.publish costs an Error per
   * call): the message with its Nats-Msg-Id (JetStream drops a repeat within the stream's
   * duplicate window), answered by the stream's PubAck or an API error.
   */
  async publishEncoded(subject: string, data: Uint8Array, msgId: string): Promise<PubAck> {
    let ack: { stream?: string; seq?: number; duplicate?: boolean; domain?: string; error?: { code: number; description: string } };
    try {
      const wireSubject = this.naming.subject(subject);
      const h = headers();
      h.set('Nats-Msg-Id', msgId);
      // The same bytes for a re-publish of the same outbox row: deduplication is unaffected.
      h.set(BUS_AUTH_HEADER, this.seal.eventTag(wireSubject, data));
      ack = decodeJson((await this.replies.request(wireSubject, data, this.options.publishTimeoutMs ?? 2000, h)).data) as typeof ack;
    } catch (error) {
      throw new BusUnavailableError(`NATS JetStream did not acknowledge ${subject}: ${describe(error)}`, error);
    }
    if (ack.error || !ack.stream || ack.seq === undefined) {
      throw new BusUnavailableError(
        `NATS JetStream did not acknowledge ${subject}: ${ack.error?.description ?? 'no stream in the answer'}`,
        ack.error,
      );
    }
    return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate ?? false, domain: ack.domain };
  }

  /**
   * Calls a request/reply handler of another service; remote domain errors come back as
   * RpcRemoteError. The request is sealed (nobody else on the bus reads it) and only an answer
   * sealed for it is taken: a forged one is dropped and the wait goes on for the real one.
   */
  async request<C extends RpcContract>(contract: C, request: RequestOf<C>, timeoutMs = 2000): Promise<ResponseOf<C>> {
    const subject = this.naming.subject(contract.subject);
    const plaintext = encodeJson(request);
    let sealed: Uint8Array = new Uint8Array();
    let opened: Uint8Array | undefined;
    const accept = (answer: Msg): boolean => {
      const result = this.seal.openReply(answer.subject, sealed, answer.data);
      if (typeof result === 'string') {
        this.refused(`an answer on ${contract.subject}`, result);
        return false;
      }
      opened = result;
      return true;
    };
    let raw: unknown;
    try {
      await this.replies.request(
        subject,
        (reply) => (sealed = this.seal.sealRequest(subject, reply, plaintext)),
        timeoutMs,
        undefined,
        accept,
      );
      raw = decodeJson(opened ?? new Uint8Array());
    } catch (error) {
      throw new BusUnavailableError(`No answer on ${contract.subject}: ${describe(error)}`, error);
    }
    const reply = raw as RpcReply;
    if (!reply.ok) throw new RpcRemoteError(reply.error.code, reply.error.message);
    const parsed = contract.response.safeParse(reply.data);
    if (!parsed.success) {
      throw new ContractViolationError(
        contract.subject,
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      );
    }
    return parsed.data as ResponseOf<C>;
  }

  /**
   * A responder's side of `request`: opens a request received for `contract`, or refuses it
   * (undefined). A sealed request is answered sealed for it; one that does not open gets no
   * answer. A plain request is answered only on a contract that accepts plain requests (a feed
   * without the bus key); elsewhere it is told, in plain, that it must be sealed.
   */
  receiveRequest(contract: RpcContract, msg: Msg): ReceivedRequest | undefined {
    const reply = msg.reply;
    if (!reply) return undefined;
    if (isSealed(msg.data)) {
      const opened = this.seal.openRequest(msg.subject, reply, msg.data);
      if (typeof opened === 'string') {
        this.refused(`a request on ${contract.subject}`, opened);
        return undefined;
      }
      return { data: opened.plaintext, respond: (answer) => msg.respond(this.seal.sealReply(reply, opened.nonce, encodeJson(answer))) };
    }
    if (contract.acceptsPlain) return { data: msg.data, respond: (answer) => msg.respond(encodeJson(answer)) };
    this.refused(`a request on ${contract.subject}`, 'missing');
    msg.respond(
      encodeJson({
        ok: false,
        error: { code: 'UNAUTHENTICATED', message: 'requests on this subject must be sealed with the bus key (BUS_KEYS)' },
      } satisfies RpcReply),
    );
    return undefined;
  }

  /** Checks an event received on `subject` (as on the wire); undefined when it is authentic. */
  verifyEvent(subject: string, data: Uint8Array, msgHeaders: MsgHdrs | undefined): BusRefusal | undefined {
    return this.seal.verifyEvent(subject, data, msgHeaders?.get(BUS_AUTH_HEADER) || undefined);
  }

  /** Logs a refused request or answer, at most once per 10 s for each kind. */
  private refused(what: string, refusal: BusRefusal): void {
    const kind = `${what}|${refusal}`;
    const now = Date.now();
    if ((this.refusalsLogged.get(kind) ?? 0) > now - 10_000) return;
    this.refusalsLogged.set(kind, now);
    this.log.warn(`Refused ${what}: ${REFUSAL_REASONS[refusal]} (logged at most every 10 s)`);
  }

  /** The sequence of the newest message in a stream (0 when empty). */
  async lastSequence(stream: StreamContract): Promise<number> {
    return (await this.streamBounds(stream)).last;
  }

  /**
   * Whether the connected nats-server answers `lastSequenceMatching` cheaply: 2.11 and later look
   * a wildcard filter up in their subject tree (0.2 ms at 200,000 subjects here); 2.9 scans every
   * subject the stream holds (200-270 ms at 200,000 subjects, on the server's CPU). Scoped
   * freshness checks use it only where it is cheap, and wait for the whole stream elsewhere
   * (exact, unscoped; docs/decisions/0009). 2.10 is not measured, so not trusted.
   */
  scopedLookups(): boolean {
    const match = /^(\d+)\.(\d+)\./.exec(this.connection.info?.version ?? '');
    if (!match) return false;
    const [major, minor] = [Number(match[1]), Number(match[2])];
    return major > 2 || (major === 2 && minor >= SCOPED_LOOKUPS_SINCE_MINOR);
  }

  /**
   * The sequence of the newest message in a stream on a subject matching `filter` (without the
   * deployment prefix; wildcards allowed), 0 when there is none. JetStream's STREAM.MSG.GET with
   * `last_by_subj`, answered by the stream's leader (a direct get may be answered by a replica
   * that is behind, which would weaken the freshness proof). nats-server 2.9 answers it too, but
   * looks a wildcard up through every subject the stream holds; 2.10+ through a subject tree.
   */
  async lastSequenceMatching(stream: StreamContract, filter: string): Promise<number> {
    const name = this.naming.stream(stream.name);
    const msg = await this.replies.request(
      `${this.apiPrefix}.STREAM.MSG.GET.${name}`,
      encodeJson({ last_by_subj: this.naming.subject(filter) }),
      this.options.publishTimeoutMs ?? 2000,
    );
    const answer = decodeJson(msg.data) as { error?: { code: number; err_code?: number; description: string }; message?: { seq: number } };
    if (answer.error?.err_code === NO_MESSAGE_FOUND) return 0;
    if (answer.error || !answer.message)
      throw new Error(`stream ${name}: ${answer.error?.description ?? 'no message in the STREAM.MSG.GET answer'}`);
    return answer.message.seq;
  }

  /**
   * The oldest and newest sequence the stream holds. A trimmed or purged stream starts above 1;
   * an empty one reports first = last + 1.
   *
   * In a cluster only the stream's leader knows its last acknowledged sequence. While the stream
   * has no leader (an election, or too few nodes for a quorum) another replica answers with its
   * own state, which may lack acknowledged messages: that answer is refused, so that the
   * freshness check and /ready fail closed until a leader is back.
   */
  async streamBounds(stream: StreamContract): Promise<{ first: number; last: number }> {
    const { name, info } = await this.streamInfo(stream);
    if (info.cluster && !info.cluster.leader)
      throw new Error(`stream ${name} has no leader in the NATS cluster (an election, or too few nodes up)`);
    return { first: info.state.first_seq, last: info.state.last_seq };
  }

  /**
   * Resolves when the stream can acknowledge a write now: it answers, and in a cluster its leader
   * hears from a quorum of its replicas. A leader left alone keeps its title for about 10 s (NATS's
   * lost-quorum interval) and still answers STREAM.INFO, listing the dead replicas as current: the
   * time since each was last heard from tells them apart (the leader hears from a live one every
   * second).
   */
  async assertWritable(stream: StreamContract): Promise<void> {
    const { name, info } = await this.streamInfo(stream);
    if (!info.cluster) return;
    if (!info.cluster.leader) throw new Error(`stream ${name} has no leader in the NATS cluster (an election, or too few nodes up)`);
    const replicas = info.cluster.replicas ?? [];
    const size = replicas.length + 1;
    const heard = 1 + replicas.filter((r) => r.current && !r.offline && (r.active ?? 0) < REPLICA_SILENCE_NS).length;
    const quorum = Math.floor(size / 2) + 1;
    if (heard < quorum) {
      throw new Error(
        `stream ${name}'s leader hears from ${heard} of its ${size} replicas (itself included), and a write needs ${quorum}: too few NATS nodes up`,
      );
    }
  }

  /**
   * The JetStream API's STREAM.INFO request, sent directly: the freshness check makes one per
   * stream for nearly every sign-in under load, and jsm.streams.info() costs a third more CPU
   * around the same request (option checks, response wrapping). The answer is the same JSON.
   */
  private async streamInfo(stream: StreamContract): Promise<{ name: string; info: StreamInfoAnswer }> {
    const name = this.naming.stream(stream.name);
    const msg = await this.replies.request(`${this.apiPrefix}.STREAM.INFO.${name}`, undefined, this.options.publishTimeoutMs ?? 2000);
    const info = decodeJson(msg.data) as Partial<StreamInfoAnswer> & { error?: { code: number; description: string } };
    if (info.error || !info.state) throw new Error(`stream ${name}: ${info.error?.description ?? 'no state in the STREAM.INFO answer'}`);
    return { name, info: info as StreamInfoAnswer };
  }

  async close(): Promise<void> {
    if (this.connection.isClosed()) return;
    // Draining lets answers already on their way arrive (it drains the mux's subscription too).
    await this.connection.drain();
    this.replies.failWaiting();
  }
}

/** nats-server 2.<this> is the first whose wildcard last-by-subject lookups are measured cheap (see scopedLookups). */
const SCOPED_LOOKUPS_SINCE_MINOR = 11;

/** JetStream's error code for "no message found" (JSNoMessageFoundErr), beside 10059 for a missing stream. */
const NO_MESSAGE_FOUND = 10037;

/** What this module reads of a STREAM.INFO answer. */
interface StreamInfoAnswer {
  state: { first_seq: number; last_seq: number };
  /** In a cluster: the leader, and the other replicas as the leader sees them. */
  cluster?: { leader?: string; replicas?: { name: string; current: boolean; offline?: boolean; active?: number }[] };
}

/**
 * A replica the leader has not heard from for this long (nanoseconds) is taken for gone: the
 * leader's heartbeat is every second, so three missed in a row. NATS itself waits 10 s.
 */
const REPLICA_SILENCE_NS = 3_000_000_000;

function isNotFound(error: unknown): boolean {
  return /not found/i.test(String(error)) || (error as { code?: number | string }).code === 404;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
