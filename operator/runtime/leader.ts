/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection with a LeaseLock:
 *
 * - acquire: create the Lease if missing; take it if it is ours, unheld, or expired (renewTime +
 *   leaseDurationSeconds in the past); every write is a replace carrying the resourceVersion read, so two
 *   candidates racing for an expired lease cannot both win (the loser gets 409 Conflict);
 * - renew every `retryPeriodMs`; if no renewal succeeded within `renewDeadlineMs`, leadership is lost and
 *   `onLost` runs (the process must stop reconciling at once);
 * - release on graceful shutdown: clear holderIdentity so a successor need not wait for expiry.
 *
 * Times are read from the injected clock; the lease's own times are what other candidates compare.
 */
import type { Logger } from "pino";
import type { Clock } from "../../lib/clock.js";
import type { KubeClient, ResourceClient } from "../../lib/kube/client.js";
import { isConflict } from "../../lib/kube/errors.js";
import type { KubeObject } from "../../lib/kube/objects.js";
import { LeaseResource } from "../../lib/kube/resources.js";
import { describe } from "./informer.js";

/** coordination.k8s.io/v1 Lease: the fields leader election reads and writes (times are MicroTime strings). */
export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string | undefined;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeaderElectionOptions {
  kubeClient: KubeClient;
  namespace: string;
  /** Lease name, e.g. coditect-operator. */
  name: string;
  /** Unique per process (pod name + random suffix). */
  identity: string;
  clock: Clock;
  logger: Logger;
  /** Default 15 s / 10 s / 2 s, as controller-runtime. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onLost?: () => void;
}

export class LeaderElector {
  readonly #leases: ResourceClient<Lease>;
  readonly #o: Required<Omit<LeaderElectionOptions, "onLost">> & Pick<LeaderElectionOptions, "onLost">;
  #leading = false;
  #stopped = false;
  #lastRenew = 0;
  #timer?: NodeJS.Timeout;
  #wake?: () => void;
  #renewing?: Promise<void>;
  #acquiring?: Promise<boolean>;

  constructor(options: LeaderElectionOptions) {
    this.#o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...options };
    if (this.#o.renewDeadlineMs >= this.#o.leaseDurationMs) {
      throw new Error(
        `leader election: renewDeadlineMs (${this.#o.renewDeadlineMs}) must be below leaseDurationMs (${this.#o.leaseDurationMs})`,
      );
    }
    this.#leases = options.kubeClient.resource<Lease>(LeaseResource);
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  get identity(): string {
    return this.#o.identity;
  }

  /** Tries until the lease is ours (resolves true) or `release()`/`abandon()` is called (resolves false). */
  acquire(): Promise<boolean> {
    this.#acquiring = this.#acquire();
    return this.#acquiring;
  }

  async #acquire(): Promise<boolean> {
    while (!this.#stopped) {
      try {
        if (await this.#tryAcquireOrRenew()) {
          this.#leading = true;
          // release() was called while the winning write was in flight: it will hand the lease back.
          if (this.#stopped) return false;
          this.#o.logger.info({ lease: this.#o.name, identity: this.#o.identity }, "became leader");
          this.#scheduleRenew();
          return true;
        }
      } catch (error) {
        this.#o.logger.warn({ err: describe(error), lease: this.#o.name }, "lease acquire attempt failed");
      }
      await this.#sleep(this.#o.retryPeriodMs);
    }
    return false;
  }

  /** Stops renewing and, if leading, releases the lease so a successor can take over at once. */
  async release(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#acquiring;
    await this.#renewing;
    if (!this.#leading) return;
    this.#leading = false;
    try {
      const lease = await this.#leases.get(this.#o.namespace, this.#o.name);
      if (!lease || lease.spec?.holderIdentity !== this.#o.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1 };
      await this.#leases.replace(lease);
      this.#o.logger.info({ lease: this.#o.name }, "released the lease");
    } catch (error) {
      this.#o.logger.warn(
        { err: describe(error) },
        "could not release the lease; successors wait for expiry",
      );
    }
  }

  /** Stops renewing without releasing, as a crashed process would (for crash tests). */
  abandon(): void {
    this.#stopped = true;
    this.#leading = false;
    clearTimeout(this.#timer);
    this.#wake?.();
  }

  #scheduleRenew(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#renewing = this.#renew();
    }, this.#o.retryPeriodMs);
    this.#timer.unref();
  }

  async #renew(): Promise<void> {
    try {
      if (await this.#tryAcquireOrRenew()) return this.#scheduleRenew();
      this.#o.logger.error({ lease: this.#o.name }, "another holder took the lease");
    } catch (error) {
      if (this.#o.clock.now().getTime() - this.#lastRenew < this.#o.renewDeadlineMs) {
        this.#o.logger.warn({ err: describe(error) }, "lease renewal failed; retrying");
        return this.#scheduleRenew();
      }
      this.#o.logger.error({ err: describe(error) }, "lease not renewed within the renew deadline");
    }
    if (this.#stopped) return;
    this.#leading = false;
    this.#stopped = true;
    this.#o.onLost?.();
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace, identity } = this.#o;
    const now = this.#o.clock.now();
    const nowIso = toMicroTime(now);
    const durationSeconds = Math.max(1, Math.round(this.#o.leaseDurationMs / 1000));
    const lease = await this.#leases.get(namespace, name);
    if (!lease) {
      const body: Lease = {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name, namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: nowIso,
          renewTime: nowIso,
          leaseTransitions: 0,
        },
      };
      try {
        await this.#leases.create(body);
      } catch (createError) {
        if (isConflict(createError)) return false; // someone else created it first
        throw createError;
      }
      this.#lastRenew = now.getTime();
      return true;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity;
    const renewedAt = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = renewedAt + (spec.leaseDurationSeconds ?? 0) * 1000 <= now.getTime();
    if (holder && holder !== identity && !expired) return false;
    const takingOver = holder !== identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      renewTime: nowIso,
      ...(takingOver ? { acquireTime: nowIso, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    try {
      await this.#leases.replace(lease);
    } catch (error) {
      if (isConflict(error)) return false; // lost a race: someone renewed or took it meanwhile
      throw error;
    }
    this.#lastRenew = now.getTime();
    return true;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Leases carry MicroTime (RFC 3339 with microseconds). */
function toMicroTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
