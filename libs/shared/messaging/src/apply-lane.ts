const settle = (): void => undefined;

/**
 * The work on one stream's state in a consuming service: deliveries, and the checks between them
 * that must see no delivery in its handler (a resync, a stall check). Up to `width` deliveries run
 * at once; exclusive work starts once everything started before it has settled, and nothing
 * starts beside it. With a width of 1, each delivery waits for the one before it: stream order.
 *
 * The applied floor needs no order from this: it moves only over contiguous sequences that are
 * done (ConsumerProgress), whichever finished first.
 */
export class ApplyLane {
  /** Settles once the last exclusive work has (and whatever it waited for). */
  private barrier: Promise<void> = Promise.resolve();
  /** The deliveries started and not yet settled (each promise never rejects). */
  private readonly running = new Set<Promise<void>>();

  constructor(readonly width: number) {
    if (!Number.isInteger(width) || width < 1) throw new Error(`An apply lane is at least 1 wide, not ${width}`);
  }

  /**
   * Resolves when a delivery may start beside the ones running: no exclusive work queued or
   * running, and fewer than `width` running. The caller starts it (`start`) without awaiting
   * anything in between.
   */
  async free(): Promise<void> {
    for (;;) {
      const barrier = this.barrier;
      await barrier;
      // Exclusive work queued while we waited goes first.
      if (barrier !== this.barrier) continue;
      if (this.running.size < this.width) return;
      await Promise.race(this.running);
    }
  }

  /** Starts a delivery's work now (after `free`); the promise is its own outcome. */
  start<T>(work: () => Promise<T>): Promise<T> {
    const run = Promise.resolve().then(work);
    const settled = run.then(settle, settle);
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return run;
  }

  /**
   * Runs `work` beside the deliveries, however many run, once no exclusive work is queued or
   * running; exclusive work queued later waits for it. For work a caller is waiting on that must
   * not queue behind a full lane (an event applied from its producer's outbox for a decision).
   */
  async beside<T>(work: () => Promise<T>): Promise<T> {
    for (;;) {
      const barrier = this.barrier;
      await barrier;
      if (barrier === this.barrier) break;
    }
    return this.start(work);
  }

  /** Runs `work` alone: after everything started or queued before it, and before anything after it. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const before = Promise.all([this.barrier, ...this.running]);
    const run = before.then(work);
    this.barrier = run.then(settle, settle);
    return run;
  }

  /** Resolves once nothing runs or waits in the lane (work started meanwhile included). */
  async idle(): Promise<void> {
    for (;;) {
      const barrier = this.barrier;
      await Promise.all([barrier, ...this.running]);
      if (barrier === this.barrier && this.running.size === 0) return;
    }
  }
}
