/**
 * A list-then-watch cache of one resource kind that does not stop: client-node's own informer gives up on
 * any error other than 410, so this one is ours. The loop is client-go's reflector:
 *
 *   list → replace the cache (emitting add/update/delete for the differences) → watch from the list's
 *   resourceVersion → on a clean close, watch again from the last seen version → on 410 Gone, relist →
 *   on any other error, back off (exponential, jittered, capped) and relist → every `relistPeriodMs`,
 *   relist anyway (a safety sweep that also catches anything a watch may have missed).
 *
 * `lastContact()` is when the API server last answered (a list, a watch event — bookmarks included — or
 * the server's clean end of a watch); `/healthz` fails when it is too old. Lists and watches go through
 * lib/kube's ResourceClient (ADR 0313).
 */
import type { Logger } from "pino";
import type { Clock } from "../../lib/clock.js";
import { httpStatus } from "../../lib/kube/errors.js";
import type { Status } from "../../lib/kube/objects.js";
import { type KubeObject, objectKey, type ResourceClient } from "./kube.js";

export interface InformerHandler<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
  /** Called for every object after a periodic relist found it unchanged (the safety sweep). */
  onResync?(obj: T): void;
}

export interface InformerOptions<T extends KubeObject> {
  /** For logs and metrics, e.g. "workstations". */
  name: string;
  /** Lists and watches the kind across all namespaces (lib/kube; shares the process's connections). */
  client: ResourceClient<T>;
  clock: Clock;
  logger: Logger;
  /** Relist period (the safety sweep). Default 10 minutes. */
  relistPeriodMs?: number;
  /** First / maximum backoff after a failed list or watch. Default 250 ms / 30 s. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called after each failed list/watch (feeds coditect_informer_restarts_total). */
  onRestart?: () => void;
  /**
   * Applied to every object before it is cached (lists, watch events, observed writes), as
   * controller-runtime's cache transforms: keep only what reconcilers read (operator/runtime/cache-transform.ts).
   */
  transform?: (obj: T) => T;
  /**
   * A secondary index, as client-go's Indexer: `indexBy(obj)` names the bucket an object belongs to
   * (e.g. `namespace/licenseName`) and `byIndex(value)` returns that bucket without scanning the cache.
   */
  indexBy?: (obj: T) => string;
}

class GoneError extends Error {}

export class Informer<T extends KubeObject> {
  readonly name: string;
  readonly #cache = new Map<string, T>();
  /** index value → keys of the objects in that bucket (only with `indexBy`). */
  readonly #index = new Map<string, Set<string>>();
  readonly #handlers: InformerHandler<T>[] = [];
  readonly #options: InformerOptions<T>;
  #synced = false;
  #stopped = false;
  #lastContact: number;
  #abortWatch?: AbortController;
  /** Ends the watch in progress (set while one is open or connecting). */
  #endWatch?: () => void;
  #wake?: () => void;
  #running?: Promise<void>;
  /** Restarts after errors (for metrics and tests). */
  restarts = 0;
  /** Completed lists: the first, periodic relists, relists after 410 Gone and after errors. */
  lists = 0;
  /** Watches that ended with 410 Gone. */
  gone = 0;

  constructor(options: InformerOptions<T>) {
    this.name = options.name;
    this.#options = options;
    this.#lastContact = options.clock.now().getTime();
  }

  addHandler(handler: InformerHandler<T>): void {
    this.#handlers.push(handler);
  }

  /** The cached object with key `namespace/name`. */
  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  /** The cached objects whose `indexBy` value is `value` (empty without an index). */
  byIndex(value: string): T[] {
    const keys = this.#index.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const key of keys) {
      const obj = this.#cache.get(key);
      if (obj) out.push(obj);
    }
    return out;
  }

  get size(): number {
    return this.#cache.size;
  }

  /** True once the first list has filled the cache. */
  get hasSynced(): boolean {
    return this.#synced;
  }

  /** Epoch ms of the last answer from the API server. */
  lastContact(): number {
    return this.#lastContact;
  }

  /**
   * Records an object this process just wrote (the API server's response) so that the next reconcile
   * reads its own write even before the watch delivers it. Emits no event: the operator's own writes
   * must not trigger reconciles. Ignored if the cache already holds a newer version.
   */
  observeWrite(written: T): void {
    const obj = this.#transform(written);
    const key = objectKey(obj);
    const cached = this.#cache.get(key);
    if (cached && isOlder(obj.metadata?.resourceVersion, cached.metadata?.resourceVersion)) return;
    this.#set(key, obj, cached);
  }

  /** Forgets an object this process saw disappear (e.g. a 404 on write), without emitting an event. */
  observeDelete(key: string): void {
    this.#delete(key);
  }

  start(): void {
    if (this.#running) return;
    this.#running = this.#run();
  }

  /** Resolves when the first list has filled the cache (or the informer was stopped). */
  async waitForSync(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#synced && !this.#stopped) {
      if (Date.now() > deadline) throw new Error(`informer ${this.name} did not sync within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abortWatch?.abort();
    this.#endWatch?.();
    this.#wake?.();
    await this.#running;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      try {
        const listed = await this.#options.client.list();
        this.#touch();
        this.lists += 1;
        this.#replace(listed.items);
        this.#synced = true;
        failures = 0;
        await this.#watchUntilRelist(listed.metadata?.resourceVersion ?? "");
      } catch (error) {
        if (this.#stopped) break;
        if (error instanceof GoneError) {
          this.gone += 1;
          this.#options.logger.info({ informer: this.name }, "watch expired (410 Gone): relisting");
          continue;
        }
        failures += 1;
        this.restarts += 1;
        this.#options.onRestart?.();
        const delay = this.#backoff(failures);
        this.#options.logger.warn(
          { informer: this.name, err: describe(error), retryInMs: delay },
          "list/watch failed; restarting after backoff",
        );
        await this.#sleep(delay);
      }
    }
  }

  /** Watches from `resourceVersion`, re-watching after clean closes, until the relist period is over. */
  async #watchUntilRelist(resourceVersion: string): Promise<void> {
    const relistAt = this.#options.clock.now().getTime() + (this.#options.relistPeriodMs ?? 10 * 60_000);
    let version = resourceVersion;
    while (!this.#stopped && this.#options.clock.now().getTime() < relistAt) {
      version = await this.#watchOnce(version, relistAt);
    }
  }

  /** One watch request; resolves with the last seen resourceVersion when the stream ends cleanly. */
  #watchOnce(resourceVersion: string, relistAt: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      let version = resourceVersion;
      let settled = false;
      const abort = new AbortController();
      this.#abortWatch = abort;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        this.#endWatch = undefined;
        clearTimeout(relistTimer);
        abort.abort();
        if (error && !this.#stopped) reject(error);
        else resolve(version);
      };
      const relistTimer = setTimeout(
        () => finish(),
        Math.max(0, relistAt - this.#options.clock.now().getTime()),
      );
      relistTimer.unref();
      // stop() may come while the watch is still connecting: it must end this promise, not wait 10 minutes.
      this.#endWatch = () => finish();
      this.#options.client
        .watch({ resourceVersion, allowWatchBookmarks: true, signal: abort.signal }, (event) => {
          if (settled) return;
          this.#touch();
          if (event.type === "ERROR") {
            const status = event.object as Status;
            finish(
              status?.code === 410
                ? new GoneError()
                : new Error(`watch error ${status?.code}: ${status?.message}`),
            );
            return;
          }
          // BOOKMARK carries only a resourceVersion: remember it, change nothing in the cache.
          const object = this.#transform(event.object as T);
          if (object?.metadata?.resourceVersion) version = object.metadata.resourceVersion;
          if (event.type === "ADDED" || event.type === "MODIFIED") this.#upsert(object);
          else if (event.type === "DELETED") this.#remove(object);
        })
        .then(
          // The server ended the stream (or we aborted it): a clean close, watch again from `version`.
          () => {
            if (!settled) this.#touch();
            finish();
          },
          (error: unknown) => finish(httpStatus(error) === 410 ? new GoneError() : error),
        );
    });
  }

  #replace(listed: T[]): void {
    const seen = new Set<string>();
    for (const raw of listed) {
      const item = this.#transform(raw);
      const key = objectKey(item);
      seen.add(key);
      const old = this.#cache.get(key);
      if (old && old.metadata?.resourceVersion === item.metadata?.resourceVersion) {
        this.#set(key, item, old);
        this.#emit((h) => h.onResync?.(item));
      } else {
        this.#upsert(item);
      }
    }
    for (const [key, old] of this.#cache) if (!seen.has(key)) this.#remove(old);
  }

  #upsert(obj: T): void {
    const key = objectKey(obj);
    const old = this.#cache.get(key);
    this.#set(key, obj, old);
    if (!old) this.#emit((h) => h.onAdd?.(obj));
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
      this.#emit((h) => h.onUpdate?.(old, obj));
  }

  #remove(obj: T): void {
    const key = objectKey(obj);
    const old = this.#cache.get(key) ?? obj;
    this.#delete(key);
    this.#emit((h) => h.onDelete?.(old));
  }

  #transform(obj: T): T {
    return this.#options.transform && obj ? this.#options.transform(obj) : obj;
  }

  /** Stores `obj` under `key`, moving it between index buckets when its index value changed. */
  #set(key: string, obj: T, old: T | undefined): void {
    this.#cache.set(key, obj);
    const indexBy = this.#options.indexBy;
    if (!indexBy) return;
    const value = indexBy(obj);
    if (old) {
      const previous = indexBy(old);
      if (previous === value) return;
      this.#unindex(previous, key);
    }
    const bucket = this.#index.get(value);
    if (bucket) bucket.add(key);
    else this.#index.set(value, new Set([key]));
  }

  #delete(key: string): void {
    const old = this.#cache.get(key);
    this.#cache.delete(key);
    if (old && this.#options.indexBy) this.#unindex(this.#options.indexBy(old), key);
  }

  #unindex(value: string, key: string): void {
    const bucket = this.#index.get(value);
    bucket?.delete(key);
    if (bucket?.size === 0) this.#index.delete(value);
  }

  #emit(call: (h: InformerHandler<T>) => void): void {
    for (const handler of this.#handlers) {
      try {
        call(handler);
      } catch (error) {
        this.#options.logger.error({ informer: this.name, err: describe(error) }, "event handler threw");
      }
    }
  }

  #touch(): void {
    this.#lastContact = this.#options.clock.now().getTime();
  }

  #backoff(failures: number): number {
    const min = this.#options.minBackoffMs ?? 250;
    const max = this.#options.maxBackoffMs ?? 30_000;
    const base = Math.min(max, min * 2 ** (failures - 1));
    return Math.round(base / 2 + Math.random() * (base / 2)); // jitter keeps replicas from retrying in step
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Whether resourceVersion `a` is older than `b` (numeric when both are integers, as etcd's are). */
function isOlder(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}

export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
