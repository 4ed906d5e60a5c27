import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

export interface StoredEvent {
  seq: number;
  /** The event's type, with the deployment prefix: the subject without the scope after the version (`….v1`). */
  subject: string;
  /** The subject it was published on: its type, then its scope (organisation, ids). */
  scopedSubject: string;
  msgId: string | undefined;
  payload: Record<string, unknown>;
}

/**
 * Reads every message a stream holds (tests only: to assert exactly which events were stored).
 * `natsUrl`: one server, or a cluster's separated by commas (as NATS_URL).
 */
export async function readStream(
  natsUrl: string,
  streamName: string,
  /** A user that may read the stream, when the server has users. */
  auth?: { user: string; password: string },
): Promise<StoredEvent[]> {
  const nc = await connect({ servers: natsUrl.split(','), ...(auth ? { user: auth.user, pass: auth.password } : {}) });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(streamName);
    const events: StoredEvent[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(streamName, { seq });
      if (!m) continue;
      events.push({
        seq,
        subject: typeOf(m.subject),
        scopedSubject: m.subject,
        msgId: m.header?.get('Nats-Msg-Id'),
        payload: m.json<Record<string, unknown>>(),
      });
    }
    return events;
  } finally {
    await nc.close();
  }
}

/** Every event type ends with its version (`v1`); what follows is the scope, made of ids. */
function typeOf(subject: string): string {
  const tokens = subject.split('.');
  const version = tokens.findLastIndex((t) => /^v\d+$/.test(t));
  return version < 0 ? subject : tokens.slice(0, version + 1).join('.');
}
