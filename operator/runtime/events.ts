/**
 * Records core/v1 Events about objects — once per transition, not once per retry. Each event belongs to
 * a "slot" of an object (for example its Ready condition); an event whose reason and message equal the
 * last one recorded for that slot is dropped. A failing reconcile that retries fifty times therefore
 * explains itself once, and a status write that failed after its event was sent does not send it again.
 *
 * Emission is fire-and-forget (as client-go's broadcaster): a failing Events API never fails a
 * reconcile. `flush()` waits for pending writes at shutdown.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Clock } from "../../lib/clock.js";
import type { KubeClient } from "../../lib/kube/client.js";
import { EventResource } from "../../lib/kube/resources.js";
import { describe } from "./informer.js";
import type { KubeObject } from "./kube.js";

export interface EventSpec {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** Where events go; the Kubernetes sink below, or a collecting one in unit tests. */
export interface EventSink {
  create(namespace: string, event: object): Promise<void>;
  /** Merge patch of an existing Event (event series update their count); a 404 is a KubeApiError (isNotFound). */
  patch?(namespace: string, name: string, body: object): Promise<void>;
}

/** Events through the API server; every request waits for the client's rate limit when it has one. */
export function kubeEventSink(kube: KubeClient): EventSink {
  const events = kube.resource<KubeObject>(EventResource);
  return {
    async create(namespace, body) {
      const event = body as KubeObject;
      await events.create({ ...event, metadata: { ...event.metadata, namespace } });
    },
    async patch(namespace, name, body) {
      await events.patch(namespace, name, body);
    },
  };
}

/** How many (object, slot) pairs are remembered; the oldest are forgotten first. */
const MAX_REMEMBERED = 50_000;

export class EventRecorder {
  readonly #last = new Map<string, string>();
  readonly #pending = new Set<Promise<void>>();

  constructor(
    private readonly sink: EventSink,
    /** Reported as source.component / reportingController. */
    private readonly component: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly onEmit?: (reason: string) => void,
  ) {}

  /**
   * Emits `event` about `obj` unless it repeats the last event of the same slot. Returns whether it was
   * emitted.
   */
  record(obj: KubeObject, slot: string, event: EventSpec): boolean {
    const meta = obj.metadata ?? {};
    const id = `${meta.uid ?? `${meta.namespace}/${meta.name}`}/${slot}`;
    const signature = `${event.type}/${event.reason}/${event.message}`;
    if (this.#last.get(id) === signature) return false;
    this.#last.delete(id); // re-insert so Map order is recency order
    this.#last.set(id, signature);
    if (this.#last.size > MAX_REMEMBERED) this.#last.delete(this.#last.keys().next().value!);

    const now = this.clock.now().toISOString();
    const namespace = meta.namespace ?? "default";
    const body = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${meta.name}.${randomBytes(8).toString("hex")}`, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: meta.name,
        namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
      type: event.type,
      reason: event.reason,
      message: event.message.slice(0, 1024),
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.onEmit?.(event.reason);
    const write = this.sink.create(namespace, body).then(
      () => undefined,
      (error) => this.logger.warn({ err: describe(error), reason: event.reason }, "could not record Event"),
    );
    this.#pending.add(write);
    void write.finally(() => this.#pending.delete(write));
    return true;
  }

  /** Forgets an object's slots (after it is gone), so a re-created object with the same name starts fresh. */
  forget(obj: KubeObject): void {
    const prefix = `${obj.metadata?.uid ?? `${obj.metadata?.namespace}/${obj.metadata?.name}`}/`;
    for (const id of this.#last.keys()) if (id.startsWith(prefix)) this.#last.delete(id);
  }

  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }
}
