interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Many small writes as one statement (group commit): a call that arrives while a batch is on its
 * way waits and goes with the others in the next one. Alone, a call waits for nothing; under load a
 * batch holds whatever arrived during the previous round trip, so the database does one statement
 * per round trip instead of one per call.
 *
 * `write` gets the items in arrival order and answers one result per item, in the same order. If it
 * fails, every call of that batch fails with its error; the next batch is unaffected.
 */
export class GroupCommit<I, O> {
  private queue: Waiting<I, O>[] = [];
  private writing = false;
  private draining: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly maxBatch = 500,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.writing) this.draining = this.drain();
    });
  }

  /** Resolves once every call submitted so far is written or failed (e.g. before shutdown). */
  settled(): Promise<void> {
    return this.draining;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.write(batch.map((w) => w.item));
        if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
        batch.forEach((w, i) => w.resolve(results[i]));
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    this.writing = false;
  }
}
