/**
 * Group commit: items submitted while one write is in flight wait for it and then go together in the next
 * write — so a burst costs one round trip per batch instead of one per item, and a lone item is written at
 * once (nothing waits when there is no burst). Each item resolves with its own result, only after the write
 * that carried it finished; a failed write rejects only the items of its batch, and the items that arrived
 * meanwhile are still written.
 *
 * One write may not be able to apply two items of the same key (one UPSERT cannot count one row twice, one
 * INSERT … ON CONFLICT cannot tell which of two equal ids was new): an item whose key is already in the
 * batch waits for the next write, in arrival order.
 *
 * Used by billing's per-IP charges (billing/http/shared-charge-batch.ts) and its ledger of ignored Stripe
 * events (billing/stripe/ledger-batch.ts), ADR 0290.
 */

export interface GroupCommitOptions<Item, Result> {
  /** Items of one key never share a write (see above). */
  keyOf: (item: Item) => string;
  /** Writes one batch; resolves with one result per item, in the batch's order. */
  write: (batch: readonly Item[]) => Promise<readonly Result[]>;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<Item, Result> {
  private waiting: Waiting<Item, Result>[] = [];
  private inFlight = false;

  constructor(private readonly options: GroupCommitOptions<Item, Result>) {}

  /** Resolves with the item's result once the write that carried it finished. */
  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.send();
    });
  }

  private send(): void {
    if (this.inFlight || this.waiting.length === 0) return;
    const batch: Waiting<Item, Result>[] = [];
    const later: Waiting<Item, Result>[] = [];
    const keys = new Set<string>();
    for (const w of this.waiting) {
      const key = this.options.keyOf(w.item);
      if (keys.has(key)) later.push(w);
      else {
        keys.add(key);
        batch.push(w);
      }
    }
    this.waiting = later;
    this.inFlight = true;
    let written: Promise<readonly Result[]>;
    try {
      written = this.options.write(batch.map((w) => w.item));
    } catch (error) {
      // A write that throws before returning its promise fails its batch like one that rejects.
      written = Promise.reject(error);
    }
    written
      .then(
        (results) => {
          if (results.length !== batch.length) {
            throw new Error(
              `group commit: the write returned ${results.length} results for a batch of ${batch.length}`,
            );
          }
          for (const [i, w] of batch.entries()) w.resolve(results[i] as Result);
        },
        (error: unknown) => {
          for (const w of batch) w.reject(error);
        },
      )
      .catch((error: unknown) => {
        for (const w of batch) w.reject(error);
      })
      .finally(() => {
        this.inFlight = false;
        this.send();
      });
  }
}
