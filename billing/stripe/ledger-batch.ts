/**
 * Ledger rows of events billing does not act on, written together (ADR 0290): a row that arrives while an
 * INSERT is in flight waits for it and goes, with every other row that arrived meanwhile, in the next
 * one — group commit (lib/group-commit.ts), so a burst of deliveries costs one statement per batch and a
 * lone delivery is written at once. Each delivery is answered only after its row committed; `ON CONFLICT
 * DO NOTHING RETURNING id` tells which ids were new, so a redelivery is still a duplicate. One id twice in a
 * batch: the second waits for the next statement, where it is a duplicate.
 */
import { GroupCommit } from "../../lib/group-commit.js";
import type { Db } from "../deps.js";

export interface IgnoredEventRow {
  id: string;
  type: string;
  createdAt: Date;
  processedAt: Date;
  objectId: string | null;
}

const INSERT_SQL = `
INSERT INTO stripe_events (id, type, created_at, processed_at, object_id, outcome)
SELECT e.id, e.type, e.created_at, e.processed_at, e.object_id, 'ignored'
  FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[])
       AS e(id, type, created_at, processed_at, object_id)
ON CONFLICT (id) DO NOTHING
RETURNING id`;

export class IgnoredEventLedger {
  private readonly batches: GroupCommit<IgnoredEventRow, boolean>;

  constructor(db: Db) {
    this.batches = new GroupCommit({
      keyOf: (row) => row.id,
      write: async (rows) => {
        const result = await db.query<{ id: string }>(INSERT_SQL, [
          rows.map((r) => r.id),
          rows.map((r) => r.type),
          rows.map((r) => r.createdAt),
          rows.map((r) => r.processedAt),
          rows.map((r) => r.objectId),
        ]);
        const inserted = new Set(result.rows.map((r) => r.id));
        return rows.map((r) => inserted.has(r.id));
      },
    });
  }

  /** Resolves true once the row is committed, false when the id was already in the ledger. */
  record(row: IgnoredEventRow): Promise<boolean> {
    return this.batches.submit(row);
  }
}

const ledgers = new WeakMap<Db, IgnoredEventLedger>();

/** The one batcher of a database (every webhook request of a replica shares it). */
export function ignoredEventLedger(db: Db): IgnoredEventLedger {
  let ledger = ledgers.get(db);
  if (!ledger) {
    ledger = new IgnoredEventLedger(db);
    ledgers.set(db, ledger);
  }
  return ledger;
}
