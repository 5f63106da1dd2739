/**
 * Fault injection and call accounting for the fake Cloud Workstations API. Method names are the proto
 * RPC names (`GetWorkstation`, `StartWorkstation`, `GetOperation`, `SetIamPolicy`, …); a lower-case
 * first letter is accepted too.
 *
 * Test infrastructure: not used in production.
 */
import { status } from "@grpc/grpc-js";

export interface InjectedFault {
  code: status;
  /** The call takes effect, then the caller still sees the error (a lost response). */
  afterEffect: boolean;
}

interface Queued {
  remaining: number;
  code: status;
  afterEffect: boolean;
}

export function normaliseMethod(method: string): string {
  return method === "*" ? method : method.charAt(0).toUpperCase() + method.slice(1);
}

export class FaultPlan {
  readonly #queued = new Map<string, Queued[]>();
  readonly #calls = new Map<string, number>();
  latencyMs = 0;

  /** The next `n` calls of `method` (or of any method, with "*") fail with `code` and change nothing. */
  failNext(method: string, n: number, code: status): void {
    this.#enqueue(method, { remaining: n, code, afterEffect: false });
  }

  /** The next `n` calls of `method` take effect, but the caller receives `code` (default UNAVAILABLE). */
  loseNextResponse(method: string, n: number, code: status = status.UNAVAILABLE): void {
    this.#enqueue(method, { remaining: n, code, afterEffect: true });
  }

  /** Counts the call and returns the fault it should suffer, if any (method-specific before "*"). */
  take(method: string): InjectedFault | undefined {
    this.#calls.set(method, (this.#calls.get(method) ?? 0) + 1);
    for (const key of [method, "*"]) {
      const queue = this.#queued.get(key);
      const head = queue?.[0];
      if (!queue || !head) continue;
      head.remaining -= 1;
      if (head.remaining <= 0) queue.shift();
      return { code: head.code, afterEffect: head.afterEffect };
    }
    return undefined;
  }

  calls(method?: string): number {
    if (method === undefined) return [...this.#calls.values()].reduce((a, b) => a + b, 0);
    return this.#calls.get(normaliseMethod(method)) ?? 0;
  }

  reset(): void {
    this.#queued.clear();
    this.latencyMs = 0;
  }

  #enqueue(method: string, fault: Queued): void {
    if (!Number.isInteger(fault.remaining) || fault.remaining < 1) {
      throw new Error(`fault count must be a positive integer, got ${fault.remaining}`);
    }
    const key = normaliseMethod(method);
    const queue = this.#queued.get(key) ?? [];
    queue.push(fault);
    this.#queued.set(key, queue);
  }
}
