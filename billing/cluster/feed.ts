/**
 * Feeds license state to the cluster: each license row is mirrored as a License resource in its
 * organization's namespace (created if missing), and each provisioned workstation as a Workstation resource:
 * created when absent; when present, only spec.user (the assignee, issue 16) and spec.desiredState are
 * converged to the row (a merge patch of those fields: the operator and admins own the rest); deleted once
 * its row's delete_after has passed (a workstation removed from the subscription, ADR 0230).
 * Postgres is the source of truth; every call re-reads it, so calls are idempotent and safe to retry.
 */

import type { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import * as k8s from "@kubernetes/client-node";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { LicenseResource, type Workstation, WorkstationResource } from "../../crds/types.js";
import { type Clock, systemClock } from "../../lib/clock.js";
import { httpStatus } from "../../lib/kube-errors.js";
import { USER_LABEL } from "../../lib/user-label.js";
import type { Db } from "../deps.js";
import type { LicenseRow } from "../licenses/row.js";
import {
  LICENSE_ID_LABEL,
  licenseResourceFor,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  type ProvisionedWorkstationRow,
  WORKSTATION_ROW_SELECT,
  workstationResourceFor,
} from "./projection.js";
import { repairLosses } from "./repair.js";

/** What the rest of billing (and the sessions API) may ask of the cluster. */
export interface ClusterFeed {
  /** Makes the License resource (and the license's Workstation resources) match Postgres. */
  syncLicense(licenseId: string): Promise<void>;
  /** Deletes the License resource of a purged license (its Workstations are left to the operator). */
  removeLicense(licenseId: string, organization: string): Promise<void>;
  /** Syncs every license and deletes billing-managed License resources whose row no longer exists. */
  resyncAll(): Promise<ResyncReport>;
  /** Throws when the Kubernetes API is unreachable (used by /readyz). */
  ping(): Promise<void>;
  /**
   * The cheap loss check (cluster/watchdog.ts): lists what billing projects (Licenses, Workstations, live
   * ContainerSessions) and recreates whatever Postgres holds that the cluster lost.
   */
  repairLosses(): Promise<RepairReport>;
  /** Billing-managed Workstation resources with their status (the account API's live state, ready emails). */
  listWorkstations(namespace?: string): Promise<Workstation[]>;
}

export interface RepairReport {
  licenses: number;
  workstations: number;
  sessions: number;
  failed: number;
}

export interface ResyncReport {
  synced: number;
  removed: number;
  failed: number;
}

const MAX_CONFLICT_RETRIES = 5;
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export class KubeClusterFeed implements ClusterFeed {
  readonly #custom: CustomObjectsApi;
  readonly #core: CoreV1Api;
  readonly #db: Db;
  readonly #log: Logger;
  readonly #knownNamespaces = new Set<string>();
  readonly #clock: Clock;

  constructor(kubeConfig: KubeConfig, db: Db, logger: Logger, clock: Clock = systemClock) {
    this.#custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    this.#core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.#db = db;
    this.#log = logger.child({ component: "cluster-feed" });
    this.#clock = clock;
  }

  async listWorkstations(namespace?: string): Promise<Workstation[]> {
    const query = {
      group: WorkstationResource.group,
      version: WorkstationResource.version,
      plural: WorkstationResource.plural,
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
    };
    const list = (
      namespace
        ? await this.#custom.listNamespacedCustomObject({ ...query, namespace })
        : await this.#custom.listClusterCustomObject(query)
    ) as { items?: Workstation[] };
    return list.items ?? [];
  }

  async ping(): Promise<void> {
    await this.#custom.listClusterCustomObject({
      group: LicenseResource.group,
      version: LicenseResource.version,
      plural: LicenseResource.plural,
      limit: 1,
    });
  }

  async syncLicense(licenseId: string): Promise<void> {
    const row = (await this.#db.query<LicenseRow>("SELECT * FROM licenses WHERE id = $1", [licenseId]))
      .rows[0];
    if (!row) return;
    await this.#ensureNamespace(row.organization);
    try {
      await this.#upsertLicense(row);
    } catch (err) {
      // 404 on create: the namespace was deleted behind our cache; recreate it and try once more.
      if (httpStatus(err) !== 404) throw err;
      this.#knownNamespaces.delete(row.organization);
      await this.#ensureNamespace(row.organization);
      await this.#upsertLicense(row);
    }
    const workstations = await this.#db.query<ProvisionedWorkstationRow>(
      `${WORKSTATION_ROW_SELECT} WHERE w.license_id = $1 ORDER BY w.name`,
      [licenseId],
    );
    const now = this.#clock.now();
    for (const ws of workstations.rows) {
      if (ws.delete_after && ws.delete_after.getTime() <= now.getTime()) await this.#deleteWorkstation(ws);
      else await this.#convergeWorkstation(ws);
    }
  }

  async removeLicense(licenseId: string, organization: string): Promise<void> {
    const desired = licenseResourceFor({ id: licenseId, organization } as LicenseRow);
    try {
      await this.#custom.deleteNamespacedCustomObject({
        ...this.#licenseApi(organization),
        name: desired.metadata.name,
      });
    } catch (err) {
      if (httpStatus(err) !== 404) throw err;
    }
  }

  async resyncAll(): Promise<ResyncReport> {
    const report: ResyncReport = { synced: 0, removed: 0, failed: 0 };
    const ids = (await this.#db.query<{ id: string }>("SELECT id FROM licenses ORDER BY id")).rows.map(
      (r) => r.id,
    );
    for (const id of ids) {
      try {
        await this.syncLicense(id);
        report.synced += 1;
      } catch (err) {
        report.failed += 1;
        this.#log.warn({ err, licenseId: id }, "license resync failed; the next resync retries");
      }
    }
    const known = new Set(ids);
    const listed = (await this.#custom.listClusterCustomObject({
      group: LicenseResource.group,
      version: LicenseResource.version,
      plural: LicenseResource.plural,
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
    })) as { items?: { metadata?: { namespace?: string; labels?: Record<string, string> } }[] };
    for (const item of listed.items ?? []) {
      const id = item.metadata?.labels?.[LICENSE_ID_LABEL];
      const namespace = item.metadata?.namespace;
      if (!id || !namespace || known.has(id)) continue;
      await this.removeLicense(id, namespace);
      report.removed += 1;
    }
    return report;
  }

  async repairLosses(): Promise<RepairReport> {
    return repairLosses({
      db: this.#db,
      custom: this.#custom,
      log: this.#log,
      syncLicense: (id) => this.syncLicense(id),
      now: this.#clock.now(),
      forgetNamespaces: () => this.#knownNamespaces.clear(),
    });
  }

  #licenseApi(namespace: string) {
    return {
      group: LicenseResource.group,
      version: LicenseResource.version,
      plural: LicenseResource.plural,
      namespace,
    };
  }

  async #ensureNamespace(name: string): Promise<void> {
    if (this.#knownNamespaces.has(name)) return;
    try {
      await this.#core.readNamespace({ name });
    } catch (err) {
      if (httpStatus(err) !== 404) throw err;
      try {
        await this.#core.createNamespace({
          body: {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: {
              name,
              labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, "coditect.ai/organization": name },
            },
          },
        });
        this.#log.info({ namespace: name }, "created organization namespace");
      } catch (createErr) {
        if (httpStatus(createErr) !== 409) throw createErr;
      }
    }
    this.#knownNamespaces.add(name);
  }

  async #upsertLicense(row: LicenseRow): Promise<void> {
    const desired = licenseResourceFor(row);
    const api = this.#licenseApi(desired.metadata.namespace);
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      let existing:
        | { metadata: Record<string, unknown> & { labels?: Record<string, string> }; spec: unknown }
        | undefined;
      try {
        existing = await this.#custom.getNamespacedCustomObject({ ...api, name: desired.metadata.name });
      } catch (err) {
        if (httpStatus(err) !== 404) throw err;
      }
      try {
        if (!existing) {
          await this.#custom.createNamespacedCustomObject({ ...api, body: desired });
          return;
        }
        const labelsMatch = Object.entries(desired.metadata.labels ?? {}).every(
          ([k, v]) => existing.metadata.labels?.[k] === v,
        );
        if (labelsMatch && JSON.stringify(existing.spec) === JSON.stringify(desired.spec)) return;
        await this.#custom.replaceNamespacedCustomObject({
          ...api,
          name: desired.metadata.name,
          body: {
            ...existing,
            metadata: {
              ...existing.metadata,
              labels: { ...existing.metadata.labels, ...desired.metadata.labels },
            },
            spec: desired.spec,
          },
        });
        return;
      } catch (err) {
        // 409: created or changed concurrently (another replica, a retried webhook); re-read and retry.
        if (httpStatus(err) !== 409) throw err;
      }
    }
    throw new Error(
      `License ${desired.metadata.namespace}/${desired.metadata.name} kept conflicting after ${MAX_CONFLICT_RETRIES} attempts; the periodic resync retries`,
    );
  }

  #workstationApi(namespace: string) {
    return {
      group: WorkstationResource.group,
      version: WorkstationResource.version,
      plural: WorkstationResource.plural,
      namespace,
    };
  }

  async #deleteWorkstation(row: ProvisionedWorkstationRow): Promise<void> {
    try {
      await this.#custom.deleteNamespacedCustomObject({
        ...this.#workstationApi(row.namespace),
        name: row.name,
      });
      this.#log.info({ workstation: `${row.namespace}/${row.name}` }, "deleted a removed Workstation");
    } catch (err) {
      if (httpStatus(err) !== 404) throw err;
    }
  }

  /**
   * Creates the Workstation when absent; when present, patches spec.user / spec.desiredState (and the user
   * label) to the row when they differ. A JSON merge patch of just those fields: it cannot conflict with
   * the operator's status writes, and `null` removes spec.user (unassigned).
   */
  async #convergeWorkstation(row: ProvisionedWorkstationRow): Promise<void> {
    const desired = workstationResourceFor(row);
    const api = this.#workstationApi(desired.metadata.namespace);
    let existing: Workstation | undefined;
    try {
      existing = (await this.#custom.getNamespacedCustomObject({
        ...api,
        name: desired.metadata.name,
      })) as Workstation;
    } catch (err) {
      if (httpStatus(err) !== 404) throw err;
    }
    if (existing) {
      const wantUser = desired.spec.user;
      const wantLabel = desired.metadata.labels?.[USER_LABEL];
      if (
        existing.spec.user === wantUser &&
        (existing.spec.desiredState ?? "Running") === desired.spec.desiredState &&
        existing.metadata?.labels?.[USER_LABEL] === wantLabel
      ) {
        return;
      }
      await this.#custom.patchNamespacedCustomObject(
        {
          ...api,
          name: desired.metadata.name,
          body: {
            metadata: { labels: { [USER_LABEL]: wantLabel ?? null } },
            spec: { user: wantUser ?? null, desiredState: desired.spec.desiredState },
          },
        },
        mergePatch,
      );
      this.#log.info(
        { workstation: `${desired.metadata.namespace}/${desired.metadata.name}`, user: wantUser ?? null },
        "converged Workstation assignment",
      );
      return;
    }
    try {
      await this.#custom.createNamespacedCustomObject({ ...api, body: desired });
      this.#log.info(
        { workstation: `${desired.metadata.namespace}/${desired.metadata.name}` },
        "created Workstation",
      );
    } catch (err) {
      if (httpStatus(err) !== 409) throw err;
    }
  }
}
