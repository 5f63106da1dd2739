/**
 * A controller: one work queue, N workers, one Reconciler — controller-runtime's shape. Watch events of
 * the primary kind (and mapped events of secondary kinds) only enqueue `namespace/name`; the reconciler
 * re-reads everything it needs (level-triggered). Results schedule the next pass:
 *
 * - `{}`                      → done; backoff history forgotten
 * - `{ requeueAfterMs: n }`   → again in n ms (0 = at once); `{ requeueAt: date }` → again at that time
 * - `{ requeue: true }`       → again after the rate limiter's delay
 * - thrown error              → again after the rate limiter's delay (per-key exponential, capped, forever)
 * - thrown TerminalError      → not retried until the object changes (the reconciler should also have
 *                               written a condition saying why)
 * - thrown SimulatedCrash     → the process "dies" (crash tests only)
 */
import type { Logger } from "pino";
import type { Clock } from "../../lib/clock.js";
import { isSimulatedCrash, type SimulatedCrash } from "./crash.js";
import { describe, type Informer } from "./informer.js";
import { type KubeObject, objectKey } from "./kube.js";
import type { OperatorMetrics, ReconcileResult as ResultLabel } from "./metrics.js";
import { defaultRateLimiter, type RateLimiterOptions } from "./rate-limit.js";
import { WorkQueue } from "./workqueue.js";

export interface ReconcileResult {
  requeueAfterMs?: number;
  requeueAt?: Date;
  requeue?: boolean;
}

export interface Reconciler {
  reconcile(key: string): Promise<ReconcileResult | undefined>;
}

/** An error retrying cannot fix (e.g. an invalid spec). Not requeued; the next change of the object is. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TerminalError";
  }
}

/** Update filter: true when the change may matter to the reconciler. */
export type UpdatePredicate<T extends KubeObject> = (oldObj: T, newObj: T) => boolean;

/**
 * The default filter: a new generation (spec), deletion starting, or a change of labels, annotations or
 * finalizers. Status-only writes — almost always the operator's own — are skipped.
 */
export function specOrMetadataChanged(oldObj: KubeObject, newObj: KubeObject): boolean {
  const a = oldObj.metadata ?? {};
  const b = newObj.metadata ?? {};
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    !sameJson(a.labels, b.labels) ||
    !sameJson(a.annotations, b.annotations) ||
    !sameJson(a.finalizers, b.finalizers)
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** A secondary kind whose changes enqueue primary objects (e.g. a License → its Workstations). */
export interface Watch<S extends KubeObject> {
  informer: Informer<S>;
  /** Keys of the primary objects to reconcile when `obj` changes. */
  map(obj: S): string[];
  shouldReconcile?: UpdatePredicate<S>;
}

export interface ControllerSpec<T extends KubeObject> {
  /** Metric label and log field, e.g. "workstation". */
  name: string;
  /** The primary kind. */
  for: Informer<T>;
  // biome-ignore lint/suspicious/noExplicitAny: watches of different kinds share one list
  watches?: Watch<any>[];
  reconciler: Reconciler;
  /** Concurrent reconciles. Default 4. */
  workers?: number;
  shouldReconcile?: UpdatePredicate<T>;
  rateLimiter?: RateLimiterOptions;
}

export class Controller<T extends KubeObject> {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #workers: Promise<void>[] = [];
  #started = false;

  constructor(
    private readonly spec: ControllerSpec<T>,
    clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: OperatorMetrics,
    private readonly onCrash: (crash: SimulatedCrash) => void,
  ) {
    this.name = spec.name;
    this.queue = new WorkQueue(
      clock,
      defaultRateLimiter(clock, spec.rateLimiter),
      metrics.queueObserver(spec.name),
    );
  }

  /** Subscribes to the informers, enqueues everything already cached, and starts the workers. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const { spec } = this;
    const enqueue = (obj: KubeObject) => this.queue.add(objectKey(obj));
    const changed = spec.shouldReconcile ?? specOrMetadataChanged;
    spec.for.addHandler({
      onAdd: enqueue,
      onUpdate: (oldObj, newObj) => changed(oldObj, newObj) && enqueue(newObj),
      onDelete: enqueue,
      onResync: enqueue,
    });
    for (const watch of spec.watches ?? []) {
      const mapped = (obj: KubeObject) => {
        for (const key of watch.map(obj)) this.queue.add(key);
      };
      const watchChanged = watch.shouldReconcile ?? specOrMetadataChanged;
      watch.informer.addHandler({
        onAdd: mapped,
        onUpdate: (oldObj: KubeObject, newObj: KubeObject) => watchChanged(oldObj, newObj) && mapped(newObj),
        onDelete: mapped,
      });
    }
    for (const obj of spec.for.list()) enqueue(obj);
    const workers = spec.workers ?? 4;
    this.metrics.maxConcurrentReconciles.set({ controller: this.name }, workers);
    for (let i = 0; i < workers; i++) this.#workers.push(this.#work());
  }

  /** Stops taking keys and waits for in-flight reconciles to finish (the drain). */
  async stop(): Promise<void> {
    await this.queue.shutDown();
    await Promise.all(this.#workers);
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.#process(key);
    }
  }

  async #process(key: string): Promise<void> {
    const labels = { controller: this.name };
    const started = performance.now();
    this.metrics.activeWorkers.inc(labels);
    let result: ResultLabel = "success";
    try {
      const outcome = (await this.spec.reconciler.reconcile(key)) ?? {};
      if (outcome.requeueAt) {
        this.queue.forget(key);
        this.queue.addAt(key, outcome.requeueAt);
        result = "requeue_after";
      } else if (outcome.requeueAfterMs !== undefined) {
        this.queue.forget(key);
        this.queue.addAfter(key, outcome.requeueAfterMs);
        result = outcome.requeueAfterMs > 0 ? "requeue_after" : "requeue";
      } else if (outcome.requeue) {
        this.queue.addRateLimited(key);
        result = "requeue";
      } else {
        this.queue.forget(key);
      }
    } catch (error) {
      if (isSimulatedCrash(error)) {
        this.onCrash(error);
        return;
      }
      result = "error";
      this.metrics.reconcileErrors.inc(labels);
      if (error instanceof TerminalError) {
        this.metrics.terminalErrors.inc(labels);
        this.queue.forget(key);
        this.logger.error({ controller: this.name, key, err: describe(error) }, "terminal reconcile error");
      } else {
        this.queue.addRateLimited(key);
        this.logger.warn(
          { controller: this.name, key, err: describe(error), retries: this.queue.retries(key) },
          "reconcile failed; will retry with backoff",
        );
      }
    } finally {
      this.metrics.activeWorkers.dec(labels);
      this.metrics.reconcileTime.observe(labels, (performance.now() - started) / 1000);
      this.metrics.reconcileTotal.inc({ ...labels, result });
      this.queue.done(key);
    }
  }
}
