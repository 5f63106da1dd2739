/**
 * Events aggregated into one Event per (regarding object, type, reason) with a count — what client-go's
 * EventCorrelator does with similar events and events.k8s.io calls a series: revoking a License with
 * 5,000 live sessions records ONE Event on the License (reason LicenseRevoked, count 5,001: the
 * License's own transition and each session it ended), not 5,000 Events (ADR 0261). The first
 * occurrence creates the Event at once; later ones are counted in memory and written as a PATCH of
 * `count`, `lastTimestamp` and `message` (client-go's "(combined from similar events): <latest>") at most
 * once per `flushIntervalMs` per series. A series nobody added to for `seriesIdleMs` is closed; the next
 * occurrence starts a new Event.
 *
 * Like EventRecorder, writing is fire-and-forget: a failing Events API never fails a reconcile (the
 * occurrences stay counted and are written on the next flush).
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Clock } from "../../lib/clock.js";
import { isNotFound } from "../../lib/kube/errors.js";
import type { EventSink, EventSpec } from "./events.js";
import { describe } from "./informer.js";
import type { KubeObject } from "./kube.js";

/** The message prefix of an aggregated Event, as client-go's EventAggregator writes it. */
export const COMBINED_PREFIX = "(combined from similar events): ";

interface Series {
  regarding: KubeObject;
  spec: EventSpec;
  count: number;
  written: number;
  /** The Event's name once created. */
  name?: string;
  firstAt: string;
  lastAt: number;
  writing?: Promise<void>;
}

export interface EventSeriesOptions {
  /** At most one write per series per this interval. Default 1 s. */
  flushIntervalMs?: number;
  /** A series without occurrences for this long is closed. Default 10 minutes. */
  seriesIdleMs?: number;
  onWrite?: (reason: string) => void;
}

export class EventSeriesRecorder {
  readonly #series = new Map<string, Series>();
  readonly #pending = new Set<Promise<void>>();
  #timer?: NodeJS.Timeout;
  #stopped = false;
  readonly #flushIntervalMs: number;
  readonly #seriesIdleMs: number;

  constructor(
    private readonly sink: EventSink,
    private readonly component: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: EventSeriesOptions = {},
  ) {
    this.#flushIntervalMs = options.flushIntervalMs ?? 1_000;
    this.#seriesIdleMs = options.seriesIdleMs ?? 10 * 60_000;
  }

  /** Counts one occurrence of `spec.reason` about `regarding`; written within `flushIntervalMs`. */
  add(regarding: KubeObject, spec: EventSpec): void {
    const meta = regarding.metadata ?? {};
    const id = `${meta.uid ?? `${meta.namespace}/${meta.name}`}/${spec.type}/${spec.reason}`;
    const now = this.clock.now().getTime();
    let series = this.#series.get(id);
    if (series && now - series.lastAt > this.#seriesIdleMs && series.written === series.count) {
      this.#series.delete(id);
      series = undefined;
    }
    if (!series) {
      series = {
        regarding,
        spec,
        count: 0,
        written: 0,
        firstAt: new Date(now).toISOString(),
        lastAt: now,
      };
      this.#series.set(id, series);
    }
    series.count += 1;
    series.lastAt = now;
    series.spec = spec;
    // The first occurrence is written at once (a revocation shows in `kubectl get events` immediately);
    // the rest are coalesced by the timer.
    if (!series.name && !series.writing) this.#write(series);
    else this.#arm();
  }

  /** Occurrences counted but not yet written, across all series (for tests and shutdown). */
  get unwritten(): number {
    let n = 0;
    for (const s of this.#series.values()) n += s.count - s.written;
    return n;
  }

  /** A crashed process writes nothing more: pending counts are dropped. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Writes every pending count now and waits for the writes (shutdown, tests). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const series of this.#series.values()) {
      await series.writing;
      if (series.count > series.written) this.#write(series);
    }
    await Promise.all([...this.#pending]);
  }

  #arm(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick();
    }, this.#flushIntervalMs);
    this.#timer.unref();
  }

  #tick(): void {
    const now = this.clock.now().getTime();
    let more = false;
    for (const [id, series] of this.#series) {
      if (series.count > series.written) {
        if (series.writing) more = true;
        else this.#write(series);
      } else if (now - series.lastAt > this.#seriesIdleMs) this.#series.delete(id);
    }
    if (more) this.#arm();
  }

  #write(series: Series): void {
    if (this.#stopped) return;
    const count = series.count;
    const now = this.clock.now().toISOString();
    const message = (count > 1 ? `${COMBINED_PREFIX}${series.spec.message}` : series.spec.message).slice(
      0,
      1024,
    );
    const namespace = series.regarding.metadata?.namespace ?? "default";
    const write = (async () => {
      if (series.name && this.sink.patch) {
        try {
          await this.sink.patch(namespace, series.name, { count, lastTimestamp: now, message });
          return;
        } catch (error) {
          // Expired or deleted (Events have a TTL): start the Event again with the whole count.
          if (!isNotFound(error)) throw error;
        }
      }
      series.name = this.#eventName(series);
      await this.sink.create(namespace, this.#body(series, namespace, count, message, now));
    })().then(
      () => {
        series.written = Math.max(series.written, count);
        this.options.onWrite?.(series.spec.reason);
      },
      (error) =>
        this.logger.warn(
          { err: describe(error), reason: series.spec.reason },
          "could not record aggregated Event",
        ),
    );
    series.writing = write;
    this.#pending.add(write);
    void write.finally(() => {
      this.#pending.delete(write);
      if (series.writing === write) series.writing = undefined;
      if (series.count > series.written) this.#arm();
    });
  }

  #eventName(series: Series): string {
    return `${series.regarding.metadata?.name}.${randomBytes(8).toString("hex")}`;
  }

  #body(series: Series, namespace: string, count: number, message: string, now: string): object {
    const meta = series.regarding.metadata ?? {};
    return {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: series.name, namespace },
      involvedObject: {
        apiVersion: series.regarding.apiVersion,
        kind: series.regarding.kind,
        name: meta.name,
        namespace,
        uid: meta.uid,
      },
      type: series.spec.type,
      reason: series.spec.reason,
      message,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.component,
      firstTimestamp: series.firstAt,
      lastTimestamp: now,
      count,
    };
  }
}
