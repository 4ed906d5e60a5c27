/**
 * How the deployment prefix (NATS_PREFIX) is applied: `p.` before subjects, `p_` before stream
 * names (stream names may not contain dots). An empty prefix leaves names as written.
 */
export class BusNaming {
  constructor(readonly prefix: string) {}

  subject(subject: string): string {
    return this.prefix ? `${this.prefix}.${subject}` : subject;
  }

  /** Strips the prefix from a subject received on the wire. */
  unprefixed(subject: string): string {
    const head = this.prefix ? `${this.prefix}.` : '';
    return head && subject.startsWith(head) ? subject.slice(head.length) : subject;
  }

  stream(name: string): string {
    return this.prefix ? `${this.prefix}_${name}` : name;
  }
}
