/** What the seat, workstation and container-session routes need (BillingDeps plus the cluster follow-up). */
import type { Clock } from "../../../lib/clock.js";
import type { ClusterFeed } from "../../cluster/feed.js";
import type { BillingDeps, Db } from "../../deps.js";
import type { SessionCluster } from "../../sessions/cluster.js";
import { sessionClusterFromConfig } from "../../sessions/key-rotation.js";
import { applyClusterFollowUp, type ClusterFollowUp } from "./cluster-follow-up.js";

export interface AccountRouteDeps {
  db: Db;
  clock: Clock;
  config: { publicBaseUrl: string };
  kube?: ClusterFeed | undefined;
  /** Applies a committed change to the cluster (never throws). */
  followUp(change: ClusterFollowUp, now: Date): Promise<void>;
}

export interface AccountRouteOptions {
  /** The ContainerSession client; undefined = from config (KUBECONFIG), null = none. */
  sessionCluster?: SessionCluster | null;
}

export function accountRouteDeps(deps: BillingDeps, options: AccountRouteOptions = {}): AccountRouteDeps {
  const sessions =
    options.sessionCluster === undefined
      ? sessionClusterFromConfig(deps)
      : (options.sessionCluster ?? undefined);
  return {
    db: deps.db,
    clock: deps.clock,
    config: deps.config,
    kube: deps.kube,
    followUp: (change, now) =>
      applyClusterFollowUp({ db: deps.db, logger: deps.logger, kube: deps.kube, sessions, now }, change),
  };
}
