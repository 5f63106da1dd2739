/**
 * What the cluster says about workstations, for the admin list (GET /v1/admin/workstations): one list of
 * billing-managed Workstation resources (billing may list workstations: components/control-plane/rbac.ts),
 * keyed by namespace/name. Postgres says which workstations exist; the resource's status says how they are.
 */
import type { Workstation, WorkstationStatus } from "../../crds/types.js";
import { WorkstationResource } from "../../crds/types.js";
import { MANAGED_BY_BILLING, MANAGED_BY_LABEL } from "../../lib/domain.js";
import type { ResourceClient } from "../../lib/kube/client.js";
import { loadKubeCredentials } from "../cluster/credentials.js";
import { billingKubeClient, type KubeClientSource } from "../cluster/kube-client.js";
import type { BillingDeps } from "../deps.js";

export interface WorkstationStatusReader {
  /** Status by `namespace/name` of every billing-managed Workstation resource (absent = no resource). */
  list(): Promise<Map<string, WorkstationView>>;
}

/** The part of a status an admin needs (never the operation in flight or internal bookkeeping). */
export interface WorkstationView {
  phase: string | null;
  state: string | null;
  host: string | null;
  accessUrl: string | null;
  accessGrantedTo: string | null;
  user: string | null;
  desiredState: string | null;
}

export function workstationView(resource: Workstation): WorkstationView {
  const status: WorkstationStatus = resource.status ?? {};
  return {
    phase: status.phase ?? null,
    state: status.state ?? null,
    host: status.host ?? null,
    accessUrl: status.accessUrl ?? null,
    accessGrantedTo: status.accessGrantedTo ?? null,
    user: resource.spec?.user ?? null,
    desiredState: resource.spec?.desiredState ?? null,
  };
}

export class KubeWorkstationStatus implements WorkstationStatusReader {
  readonly #workstations: ResourceClient<Workstation>;
  constructor(kube: KubeClientSource) {
    this.#workstations = billingKubeClient(kube).resource<Workstation>(WorkstationResource);
  }

  async list(): Promise<Map<string, WorkstationView>> {
    const views = new Map<string, WorkstationView>();
    let continueToken: string | undefined;
    do {
      const page = await this.#workstations.list({
        labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_BILLING}`,
        limit: 500,
        ...(continueToken ? { continue: continueToken } : {}),
      });
      for (const item of page.items) {
        views.set(`${item.metadata?.namespace}/${item.metadata?.name}`, workstationView(item));
      }
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return views;
  }
}

/** Billing's Kubernetes credentials (as the cluster feed's), or undefined when billing runs without a cluster. */
export function workstationStatusFromConfig(deps: Pick<BillingDeps, "config" | "kube">) {
  if (!deps.kube) return undefined;
  const credentials = loadKubeCredentials(deps.config.kubernetes);
  return credentials.source === "none" ? undefined : new KubeWorkstationStatus(credentials.connection);
}
