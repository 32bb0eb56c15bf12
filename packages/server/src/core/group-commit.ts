/**
 * Group commit: callers submit one item each and get its own result, while the items that arrive
 * during a flush are written together by the next one. Turns many small concurrent writes into a
 * few large ones without adding latency when the load is light (a lone item flushes at once).
 */
export class GroupCommit<I, O> {
  private queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private running = 0;

  /**
   * @param flush writes a batch and returns one result per item, in order
   * @param opts.maxBatch items per flush; opts.concurrency flushes in flight at once
   */
  constructor(
    private readonly flush: (items: I[]) => Promise<O[]>,
    private readonly opts: { maxBatch: number; concurrency: number } = { maxBatch: 500, concurrency: 2 },
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.opts.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.running += 1;
      this.flush(batch.map((b) => b.item))
        .then((results) => {
          if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
          batch.forEach((b, i) => b.resolve(results[i]!));
        })
        .catch((err) => batch.forEach((b) => b.reject(err)))
        .finally(() => {
          this.running -= 1;
          this.pump();
        });
    }
  }
}
