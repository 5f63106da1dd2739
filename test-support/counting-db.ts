/**
 * A billing `Db` over a pg.Pool that records the text of every statement sent — one entry per round trip,
 * transactions' BEGIN/COMMIT included — so tests and benchmarks can count what a request costs the
 * database (issue 13 §5: the shared rate limiter adds at most one round trip).
 */
import type pg from "pg";
import type { Db } from "../billing/deps.js";

export interface CountingDb {
  db: Db;
  /** Statements sent since the last reset, in order. */
  statements(): string[];
  reset(): void;
}

function textOf(query: unknown): string {
  if (typeof query === "string") return query;
  return String((query as { text?: unknown })?.text ?? "");
}

export function countingDb(pool: pg.Pool): CountingDb {
  let sent: string[] = [];
  const recorded =
    (query: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      sent.push(textOf(args[0]));
      return query(...args);
    };
  const db = {
    query: recorded(pool.query.bind(pool) as (...args: unknown[]) => unknown),
    // A view of the checked-out client, not a patch of it: pool.query uses the same clients internally,
    // and a patched client would count those statements twice.
    connect: async () => {
      const client = await pool.connect();
      const query = recorded(client.query.bind(client) as (...args: unknown[]) => unknown);
      return new Proxy(client, {
        get(target, property) {
          if (property === "query") return query;
          const value = Reflect.get(target, property, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    },
  } as unknown as Db;
  return {
    db,
    statements: () => [...sent],
    reset: () => {
      sent = [];
    },
  };
}
