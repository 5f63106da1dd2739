/**
 * The manager owns what all controllers share: one informer per kind, the Events recorder, metrics, the
 * probe server and leader election. Adding a reconciler for a new kind takes three lines
 * (docs/operator.md, "Adding a controller"):
 *
 *   const sessions = manager.informer(manager.client<ContainerSession>(ContainerSessionResource));
 *   manager.addController({ name: "containersession", for: sessions, reconciler: new SessionReconciler(...) });
 *   await manager.start();
 *
 * Lifecycle: `start()` starts informers and the probe server, then (in the background) waits for the
 * lease and starts the controllers. `stop()` is the graceful path: stop informers, drain workers, flush
 * Events, release the lease. `crash()` is what a SimulatedCrash triggers: everything stops, nothing is
 * released or written, as if the process had died.
 */
import type { Logger } from "pino";
import type { Clock } from "../../lib/clock.js";
import type { KubeClient } from "../../lib/kube/client.js";
import { stripForCache } from "./cache-transform.js";
import { Controller, type ControllerSpec } from "./controller.js";
import type { SimulatedCrash } from "./crash.js";
import { EventSeriesRecorder } from "./event-series.js";
import { EventRecorder, type EventSink, kubeEventSink } from "./events.js";
import { ProbeServer } from "./http.js";
import { Informer, type InformerOptions } from "./informer.js";
import type { KubeObject, ResourceClient, ResourceRef } from "./kube.js";
import { LeaderElector } from "./leader.js";
import { OperatorMetrics } from "./metrics.js";

export interface ManagerOptions {
  /**
   * The process's one Kubernetes client (lib/kube): every informer, write, Event and Lease request shares
   * its keep-alive connections and its QPS/burst rate limit (OPERATOR_KUBE_QPS/BURST, ADR 0262). The
   * caller owns it (closes it after stop()).
   */
  kubeClient: KubeClient;
  clock: Clock;
  logger: Logger;
  /** Events' source.component. Default coditect-operator. */
  component?: string;
  /** Lease settings; false runs without election (tests, single-replica dev). */
  leaderElection:
    | false
    | {
        namespace: string;
        name: string;
        identity: string;
        leaseDurationMs?: number;
        renewDeadlineMs?: number;
        retryPeriodMs?: number;
      };
  /** Port of /healthz, /readyz, /metrics; undefined = no probe server, 0 = any free port. */
  probePort?: number;
  /** /healthz fails when an informer has not heard from the API server for this long. Default 2 × relist. */
  watchSilenceMs?: number;
  /** Informer relist period. Default 10 minutes. */
  relistPeriodMs?: number;
  /** Override the Events destination (defaults to the Kubernetes API). */
  eventSink?: EventSink;
  /** The metrics registry owner; main.ts creates it first so the Workstations gateway can feed it. */
  metrics?: OperatorMetrics;
  /** Called when leadership is lost or a SimulatedCrash kills the manager (main exits the process). */
  onFatal?: (reason: string) => void;
}

export class Manager {
  readonly metrics: OperatorMetrics;
  readonly events: EventRecorder;
  /** Events about many objects at once, one per (object, reason) with a count (ADR 0261). */
  readonly eventSeries: EventSeriesRecorder;
  readonly #informers: Informer<KubeObject>[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: controllers of different kinds share one list
  readonly #controllers: Controller<any>[] = [];
  readonly #elector?: LeaderElector;
  #probe?: ProbeServer;
  #probePort?: number;
  #leading?: Promise<boolean>;
  #state: "new" | "running" | "stopped" | "crashed" = "new";

  constructor(private readonly options: ManagerOptions) {
    this.metrics = options.metrics ?? new OperatorMetrics();
    this.metrics.observeKubeClient(options.kubeClient);
    const sink = options.eventSink ?? kubeEventSink(options.kubeClient);
    this.events = new EventRecorder(
      sink,
      options.component ?? "coditect-operator",
      options.clock,
      options.logger,
      (reason) => this.metrics.eventsEmitted.inc({ reason }),
    );
    this.eventSeries = new EventSeriesRecorder(
      sink,
      options.component ?? "coditect-operator",
      options.clock,
      options.logger,
      { onWrite: (reason) => this.metrics.eventsEmitted.inc({ reason }) },
    );
    if (options.leaderElection) {
      this.#elector = new LeaderElector({
        ...options.leaderElection,
        kubeClient: options.kubeClient,
        clock: options.clock,
        logger: options.logger,
        onLost: () => this.#fatal("leadership lost"),
      });
    }
  }

  /** A typed client for `resource` on this manager's KubeClient (its connections and rate limit). */
  client<T extends KubeObject>(resource: ResourceRef): ResourceClient<T> {
    return this.options.kubeClient.resource<T>(resource);
  }

  /**
   * The shared informer for a kind (create each kind once, before start()). Its cache keeps only what
   * reconcilers read (`stripForCache`, ADR 0260) unless `options.transform` says otherwise.
   */
  informer<T extends KubeObject>(
    client: ResourceClient<T>,
    options: Pick<InformerOptions<T>, "indexBy" | "transform"> = {},
  ): Informer<T> {
    const informer = new Informer<T>({
      transform: options.transform ?? stripForCache,
      ...(options.indexBy ? { indexBy: options.indexBy } : {}),
      name: client.resource.plural,
      client,
      clock: this.options.clock,
      logger: this.options.logger,
      onRestart: () => this.metrics.informerRestarts.inc({ informer: client.resource.plural }),
      ...(this.options.relistPeriodMs ? { relistPeriodMs: this.options.relistPeriodMs } : {}),
    });
    this.#informers.push(informer as unknown as Informer<KubeObject>);
    return informer;
  }

  /** Registers a reconciler; it starts with the manager (after the lease is won). */
  addController<T extends KubeObject>(spec: ControllerSpec<T>): Controller<T> {
    this.metrics.initController(spec.name);
    const controller = new Controller<T>(
      spec,
      this.options.clock,
      this.options.logger,
      this.metrics,
      (crash) => this.crash(crash),
    );
    this.#controllers.push(controller);
    return controller;
  }

  /** The registered controllers (for diagnostics, tests and benchmarks). */
  // biome-ignore lint/suspicious/noExplicitAny: controllers of different kinds
  get controllers(): readonly Controller<any>[] {
    return this.#controllers;
  }

  /** The informers created so far (for diagnostics and tests). */
  get informers(): readonly Informer<KubeObject>[] {
    return this.#informers;
  }

  get probePort(): number | undefined {
    return this.#probePort;
  }

  get isLeader(): boolean {
    return this.#elector ? this.#elector.isLeader : this.#state === "running";
  }

  get state(): string {
    return this.#state;
  }

  /** Starts informers and probes; controllers start once leading (see `whenLeading`). */
  async start(): Promise<void> {
    if (this.#state !== "new") throw new Error(`manager cannot start from state ${this.#state}`);
    this.#state = "running";
    for (const informer of this.#informers) informer.start();
    if (this.options.probePort !== undefined) {
      this.#probe = new ProbeServer({
        port: this.options.probePort,
        registry: this.metrics.registry,
        liveness: { watches: () => this.#silentInformers() },
        readiness: { caches: () => this.#unsyncedInformers() },
      });
      this.#probePort = await this.#probe.start();
    }
    this.#leading = this.#lead();
  }

  /** Resolves true once controllers run, false if the manager stopped first. */
  whenLeading(): Promise<boolean> {
    return this.#leading ?? Promise.resolve(false);
  }

  async #lead(): Promise<boolean> {
    await Promise.all(this.#informers.map((i) => i.waitForSync(24 * 60 * 60_000)));
    if (this.#state !== "running") return false;
    if (this.#elector) {
      const won = await this.#elector.acquire();
      this.metrics.leaderStatus.set(
        { name: this.options.leaderElection ? this.options.leaderElection.name : "" },
        won ? 1 : 0,
      );
      if (!won || this.#state !== "running") return false;
    }
    for (const controller of this.#controllers) controller.start();
    this.options.logger.info({ controllers: this.#controllers.map((c) => c.name) }, "controllers started");
    return true;
  }

  /** Graceful shutdown: stop informers, drain workers, flush Events, release the lease, close probes. */
  async stop(): Promise<void> {
    if (this.#state !== "running") return;
    this.#state = "stopped";
    await Promise.all(this.#informers.map((i) => i.stop()));
    await Promise.all(this.#controllers.map((c) => c.stop()));
    await this.events.flush();
    await this.eventSeries.flush();
    await this.#elector?.release();
    await this.#probe?.stop();
    this.options.logger.info("operator stopped");
  }

  /** Abrupt stop, as a dying process: no lease release, no further writes. */
  crash(reason?: SimulatedCrash): void {
    if (this.#state !== "running") return;
    this.#state = "crashed";
    this.#elector?.abandon();
    this.eventSeries.stop();
    for (const controller of this.#controllers) void controller.queue.shutDown();
    for (const informer of this.#informers) void informer.stop();
    void this.#probe?.stop();
    this.options.logger.warn({ reason: reason?.message }, "operator crashed");
    this.options.onFatal?.(reason?.message ?? "crash");
  }

  #fatal(reason: string): void {
    this.options.logger.error({ reason }, "fatal: stopping");
    void this.stop().finally(() => this.options.onFatal?.(reason));
  }

  #silentInformers(): string | null {
    const limit = this.options.watchSilenceMs ?? 2 * (this.options.relistPeriodMs ?? 10 * 60_000);
    const now = this.options.clock.now().getTime();
    const silent = this.#informers.filter((i) => now - i.lastContact() > limit);
    return silent.length
      ? `no answer from the API server for over ${limit} ms on ${silent.map((i) => i.name).join(", ")}`
      : null;
  }

  #unsyncedInformers(): string | null {
    const unsynced = this.#informers.filter((i) => !i.hasSynced);
    return unsynced.length ? `caches not synced: ${unsynced.map((i) => i.name).join(", ")}` : null;
  }
}
