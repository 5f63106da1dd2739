/**
 * Feeds license state to the cluster: each license row is mirrored as a License resource in its
 * organization's namespace (created if missing), and each provisioned workstation as a Workstation resource:
 * created when absent; when present, only spec.user (the assignee, issue 16) and spec.desiredState are
 * converged to the row (a merge patch of those fields: the operator and admins own the rest); deleted once
 * its row's delete_after has passed (a workstation removed from the subscription, ADR 0230).
 * Postgres is the source of truth; every call re-reads it, so calls are idempotent and safe to retry.
 */

import type { Logger } from "pino";
import { type License, LicenseResource, type Workstation, WorkstationResource } from "../../crds/types.js";
import { type Clock, systemClock } from "../../lib/clock.js";
import type { KubeClient, ResourceClient } from "../../lib/kube/client.js";
import { retryOnConflict } from "../../lib/kube/conflict.js";
import { isConflict, isNotFound } from "../../lib/kube/errors.js";
import type { KubeObject } from "../../lib/kube/objects.js";
import { NamespaceResource } from "../../lib/kube/resources.js";
import { USER_LABEL } from "../../lib/user-label.js";
import type { Db } from "../deps.js";
import type { LicenseRow } from "../licenses/row.js";
import { billingKubeClient, type KubeClientSource } from "./kube-client.js";
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

export class KubeClusterFeed implements ClusterFeed {
  readonly #kube: KubeClient;
  readonly #licenses: ResourceClient<License>;
  readonly #workstations: ResourceClient<Workstation>;
  readonly #namespaces: ResourceClient<KubeObject>;
  readonly #db: Db;
  readonly #log: Logger;
  readonly #knownNamespaces = new Set<string>();
  readonly #clock: Clock;

  constructor(kube: KubeClientSource, db: Db, logger: Logger, clock: Clock = systemClock) {
    this.#kube = billingKubeClient(kube);
    this.#licenses = this.#kube.resource<License>(LicenseResource);
    this.#workstations = this.#kube.resource<Workstation>(WorkstationResource);
    this.#namespaces = this.#kube.resource<KubeObject>(NamespaceResource);
    this.#db = db;
    this.#log = logger.child({ component: "cluster-feed" });
    this.#clock = clock;
  }

  /** The client the feed writes with (its owner closes it: the test harness on stop). */
  get client(): KubeClient {
    return this.#kube;
  }

  async listWorkstations(namespace?: string): Promise<Workstation[]> {
    const list = await this.#workstations.list({
      ...(namespace ? { namespace } : {}),
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
    });
    return list.items;
  }

  async ping(): Promise<void> {
    await this.#licenses.list({ limit: 1 });
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
      if (!isNotFound(err)) throw err;
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
    // Already gone (404) is fine: delete() answers false.
    await this.#licenses.delete(organization, desired.metadata.name);
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
    const listed = await this.#licenses.list({ labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}` });
    for (const item of listed.items) {
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
      kube: this.#kube,
      log: this.#log,
      syncLicense: (id) => this.syncLicense(id),
      now: this.#clock.now(),
      forgetNamespaces: () => this.#knownNamespaces.clear(),
    });
  }

  async #ensureNamespace(name: string): Promise<void> {
    if (this.#knownNamespaces.has(name)) return;
    if (!(await this.#namespaces.get(undefined, name))) {
      try {
        await this.#namespaces.create({
          apiVersion: "v1",
          kind: "Namespace",
          metadata: {
            name,
            labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, "coditect.ai/organization": name },
          },
        });
        this.#log.info({ namespace: name }, "created organization namespace");
      } catch (createErr) {
        if (!isConflict(createErr)) throw createErr;
      }
    }
    this.#knownNamespaces.add(name);
  }

  async #upsertLicense(row: LicenseRow): Promise<void> {
    const desired = licenseResourceFor(row);
    const { namespace, name } = desired.metadata;
    try {
      // A 409 (changed concurrently: another replica, a retried webhook) re-reads and writes again.
      await retryOnConflict(async () => {
        let existing = await this.#licenses.get(namespace, name);
        if (!existing) {
          try {
            await this.#licenses.create(desired);
            return;
          } catch (err) {
            if (!isConflict(err)) throw err;
          }
          // Created concurrently: converge what the other writer stored.
          existing = await this.#licenses.get(namespace, name);
          if (!existing) throw new Error(`License ${namespace}/${name} was created and deleted concurrently`);
        }
        const labels = existing.metadata?.labels;
        const labelsMatch = Object.entries(desired.metadata.labels ?? {}).every(
          ([k, v]) => labels?.[k] === v,
        );
        if (labelsMatch && JSON.stringify(existing.spec) === JSON.stringify(desired.spec)) return;
        await this.#licenses.replace({
          ...existing,
          metadata: { ...existing.metadata, labels: { ...labels, ...desired.metadata.labels } },
          spec: desired.spec,
        });
      }, MAX_CONFLICT_RETRIES);
    } catch (err) {
      if (!isConflict(err)) throw err;
      throw new Error(
        `License ${namespace}/${name} kept conflicting after ${MAX_CONFLICT_RETRIES} attempts; the periodic resync retries`,
        { cause: err },
      );
    }
  }

  async #deleteWorkstation(row: ProvisionedWorkstationRow): Promise<void> {
    if (await this.#workstations.delete(row.namespace, row.name)) {
      this.#log.info({ workstation: `${row.namespace}/${row.name}` }, "deleted a removed Workstation");
    }
  }

  /**
   * Creates the Workstation when absent; when present, patches spec.user / spec.desiredState (and the user
   * label) to the row when they differ. A JSON merge patch of just those fields: it cannot conflict with
   * the operator's status writes, and `null` removes spec.user (unassigned).
   */
  async #convergeWorkstation(row: ProvisionedWorkstationRow): Promise<void> {
    const desired = workstationResourceFor(row);
    const { namespace, name } = desired.metadata;
    const existing = await this.#workstations.get(namespace, name);
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
      await this.#workstations.patch(
        namespace,
        name,
        {
          metadata: { labels: { [USER_LABEL]: wantLabel ?? null } },
          spec: { user: wantUser ?? null, desiredState: desired.spec.desiredState },
        },
        "merge",
      );
      this.#log.info(
        { workstation: `${desired.metadata.namespace}/${desired.metadata.name}`, user: wantUser ?? null },
        "converged Workstation assignment",
      );
      return;
    }
    try {
      await this.#workstations.create(desired);
      this.#log.info(
        { workstation: `${desired.metadata.namespace}/${desired.metadata.name}` },
        "created Workstation",
      );
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
}
