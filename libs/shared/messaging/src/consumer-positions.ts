import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { describe } from './bus';
import { ConsumerPosition } from './consumer-position.entity';

/**
 * The durable copy of ConsumerProgress's floors. It is written after the fact, in the
 * background and coalesced (one UPSERT for many events), so the event path waits for no extra
 * write: the stored value may lag what is applied, never lead it. A lagging value costs at most
 * an unneeded resync after a restart; a leading one would hide a trim.
 */
@Injectable()
export class ConsumerPositions {
  private readonly logger = new Logger(ConsumerPositions.name);
  private readonly pending = new Map<string, number>();
  private writing?: Promise<void>;

  constructor(private readonly dataSource: DataSource) {}

  /** The stored floor, or null when this service never recorded one for the stream. */
  async load(stream: string): Promise<number | null> {
    const row = await this.dataSource.getRepository(ConsumerPosition).findOneBy({ stream });
    return row ? Number(row.appliedSeq) : null;
  }

  /** Records that everything up to `appliedSeq` is applied; written soon. */
  saveSoon(stream: string, appliedSeq: number): void {
    this.pending.set(stream, appliedSeq);
    this.writing ??= this.writePending();
  }

  /** Waits for the writes still on their way (the transport calls it when it closes). */
  async flush(): Promise<void> {
    await this.writing;
  }

  private async writePending(): Promise<void> {
    await new Promise((next) => setImmediate(next));
    for (;;) {
      const batch = [...this.pending];
      this.pending.clear();
      if (batch.length === 0) {
        this.writing = undefined;
        return;
      }
      for (const [stream, appliedSeq] of batch) {
        await this.dataSource
          .getRepository(ConsumerPosition)
          .upsert({ stream, appliedSeq: String(appliedSeq) }, ['stream'])
          .catch((error: unknown) => this.logger.warn(`Could not record the position of ${stream}: ${describe(error)}`));
      }
    }
  }
}
