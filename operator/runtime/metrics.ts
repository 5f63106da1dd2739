/**
 * Prometheus metrics under controller-runtime's names, so existing dashboards and alerts
 * (kube-prometheus, the controller-runtime Grafana boards) work unchanged. One registry per manager,
 * so tests can run several operators in one process.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { WorkstationsCallObserver } from "../gcp/workstations.js";
import type { QueueObserver } from "./workqueue.js";

export type ReconcileResult = "success" | "error" | "requeue" | "requeue_after";
export const RECONCILE_RESULTS: readonly ReconcileResult[] = ["success", "error", "requeue", "requeue_after"];

/** Every Cloud Workstations RPC the gateway (operator/gcp/workstations.ts) makes: the `method` label. */
export const WORKSTATIONS_API_METHODS = [
  "getWorkstation",
  "listWorkstations",
  "createWorkstation",
  "startWorkstation",
  "stopWorkstation",
  "deleteWorkstation",
  "getOperation",
  "getIamPolicy",
  "setIamPolicy",
] as const;
/** Failure kinds of operator/gcp/errors.ts that count as API errors (not notFound/alreadyExists facts). */
export const WORKSTATIONS_API_ERROR_KINDS = ["retryable", "terminal", "conflict"] as const;

export class OperatorMetrics {
  readonly registry = new Registry();

  readonly reconcileTotal = new Counter({
    name: "controller_runtime_reconcile_total",
    help: "Total number of reconciliations per controller",
    labelNames: ["controller", "result"] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: "controller_runtime_reconcile_errors_total",
    help: "Total number of reconciliation errors per controller",
    labelNames: ["controller"] as const,
    registers: [this.registry],
  });
  readonly terminalErrors = new Counter({
    name: "controller_runtime_terminal_reconcile_errors_total",
    help: "Total number of terminal reconciliation errors per controller",
    labelNames: ["controller"] as const,
    registers: [this.registry],
  });
  readonly reconcileTime = new Histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Length of time per reconciliation per controller",
    labelNames: ["controller"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly activeWorkers = new Gauge({
    name: "controller_runtime_active_workers",
    help: "Number of currently used workers per controller",
    labelNames: ["controller"] as const,
    registers: [this.registry],
  });
  readonly maxConcurrentReconciles = new Gauge({
    name: "controller_runtime_max_concurrent_reconciles",
    help: "Maximum number of concurrent reconciles per controller",
    labelNames: ["controller"] as const,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "workqueue_depth",
    help: "Current depth of workqueue",
    labelNames: ["name", "controller"] as const,
    registers: [this.registry],
  });
  readonly queueAdds = new Counter({
    name: "workqueue_adds_total",
    help: "Total number of adds handled by workqueue",
    labelNames: ["name", "controller"] as const,
    registers: [this.registry],
  });
  readonly queueLatency = new Histogram({
    name: "workqueue_queue_duration_seconds",
    help: "How long in seconds an item stays in workqueue before being requested",
    labelNames: ["name", "controller"] as const,
    buckets: [1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000],
    registers: [this.registry],
  });
  readonly workDuration = new Histogram({
    name: "workqueue_work_duration_seconds",
    help: "How long in seconds processing an item from workqueue takes",
    labelNames: ["name", "controller"] as const,
    buckets: [1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000],
    registers: [this.registry],
  });
  readonly queueRetries = new Counter({
    name: "workqueue_retries_total",
    help: "Total number of retries handled by workqueue",
    labelNames: ["name", "controller"] as const,
    registers: [this.registry],
  });
  readonly leaderStatus = new Gauge({
    name: "leader_election_master_status",
    help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master",
    labelNames: ["name"] as const,
    registers: [this.registry],
  });
  readonly informerRestarts = new Counter({
    name: "coditect_informer_restarts_total",
    help: "List/watch restarts after an error, per informer",
    labelNames: ["informer"] as const,
    registers: [this.registry],
  });
  readonly eventsEmitted = new Counter({
    name: "coditect_events_emitted_total",
    help: "Kubernetes Events emitted (after transition de-duplication), per reason",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });

  readonly workstationsApiCalls = new Counter({
    name: "coditect_workstations_api_calls_total",
    help: "Cloud Workstations API calls by RPC method and gRPC status code (OK, NOT_FOUND, UNAVAILABLE, …)",
    labelNames: ["method", "code"] as const,
    registers: [this.registry],
  });
  readonly workstationsApiErrors = new Counter({
    name: "coditect_workstations_api_errors_total",
    help: "Failed Cloud Workstations API calls by method and kind (retryable, terminal, conflict); zero-initialised",
    labelNames: ["method", "kind"] as const,
    registers: [this.registry],
  });
  readonly workstationsApiLatency = new Histogram({
    name: "coditect_workstations_api_call_duration_seconds",
    help: "Latency of Cloud Workstations API calls by method (each call is one RPC; LROs are polled, not awaited)",
    labelNames: ["method"] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor() {
    // Error series exist from the start (value 0), so rate() and alerts see a rise, not a series appearing.
    for (const method of WORKSTATIONS_API_METHODS) {
      for (const kind of WORKSTATIONS_API_ERROR_KINDS) this.workstationsApiErrors.inc({ method, kind }, 0);
    }
  }

  /** Zero-initialises one controller's reconcile series (called when the controller is added). */
  initController(controller: string): void {
    for (const result of RECONCILE_RESULTS) this.reconcileTotal.inc({ controller, result }, 0);
    this.reconcileErrors.inc({ controller }, 0);
    this.terminalErrors.inc({ controller }, 0);
    this.queueRetries.inc({ name: controller, controller }, 0);
    this.queueDepth.set({ name: controller, controller }, 0);
  }

  /**
   * coditect_kube_client_throttled_total: the Kubernetes client's requests that waited for its QPS/burst
   * budget (ADR 0262), read from the client at scrape time. A rising rate during a fan-out means the limit,
   * not the API server, paces the operator. Once per registry (several managers may share one).
   */
  observeKubeClient(client: { readonly throttled: number }): void {
    const name = "coditect_kube_client_throttled_total";
    if (this.registry.getSingleMetric(name)) return;
    let reported = 0;
    new Counter({
      name,
      help: "Kubernetes API requests that waited for the client's QPS/burst rate limit",
      registers: [this.registry],
      collect() {
        const now = client.throttled;
        if (now > reported) this.inc(now - reported);
        reported = now;
      },
    });
  }

  /** Feeds the coditect_workstations_api_* metrics from the gateway's calls. */
  workstationsCallObserver(): WorkstationsCallObserver {
    return ({ method, code, kind, seconds }) => {
      this.workstationsApiCalls.inc({ method, code });
      this.workstationsApiLatency.observe({ method }, seconds);
      if (kind && (WORKSTATIONS_API_ERROR_KINDS as readonly string[]).includes(kind)) {
        this.workstationsApiErrors.inc({ method, kind });
      }
    };
  }

  /** The QueueObserver feeding the workqueue_* metrics of one controller's queue. */
  queueObserver(controller: string): QueueObserver {
    const labels = { name: controller, controller };
    return {
      added: () => this.queueAdds.inc(labels),
      depth: (depth) => this.queueDepth.set(labels, depth),
      queued: (seconds) => this.queueLatency.observe(labels, seconds),
      worked: (seconds) => this.workDuration.observe(labels, seconds),
      retried: () => this.queueRetries.inc(labels),
    };
  }
}
