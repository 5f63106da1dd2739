/**
 * The sessions API's view of the cluster: create a ContainerSession (under the license row lock), merge-
 * patch its status subresource (heartbeats: no generation change), and find the Workstation a workstation
 * container belongs to. Absent a cluster (no KUBECONFIG) sessions live in Postgres only.
 */
import {
  type ContainerSession,
  ContainerSessionResource,
  type ContainerSessionStatus,
  type License,
  LicenseResource,
  type Workstation,
  WorkstationResource,
} from "../../crds/types.js";
import { API_GROUP_VERSION } from "../../lib/domain.js";
import type { ResourceClient } from "../../lib/kube/client.js";
import { isConflict, isNotFound } from "../../lib/kube/errors.js";
import { isWorkstationIdLabelValue, WORKSTATION_ID_LABEL } from "../../lib/workstation-credential.js";
import { billingKubeClient, type KubeClientSource } from "../cluster/kube-client.js";
import {
  LICENSE_ID_LABEL,
  licenseResourceName,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
} from "../cluster/projection.js";
import { DEFAULT_KUBE_RETRY, type KubeRetryPolicy, withKubeRetry } from "./kube-retry.js";

export const SESSION_ID_LABEL = "coditect.ai/session-id";

/** A merge patch of the status: a field set to null is removed. */
export type SessionStatusPatch = { [K in keyof ContainerSessionStatus]?: ContainerSessionStatus[K] | null };

export interface SessionCluster {
  /** Creates the resource and writes its initial status. */
  createSession(
    resource: ContainerSession & { metadata: { name: string; namespace: string } },
    status: ContainerSessionStatus,
  ): Promise<void>;
  /** Merge-patches the status; returns the status after the patch, or null when the resource is gone. */
  patchSessionStatus(
    namespace: string,
    name: string,
    status: SessionStatusPatch,
  ): Promise<ContainerSessionStatus | null>;
  /** Deletes a session resource (cleanup of a resource whose admission rolled back); 404 is fine. */
  deleteSession(namespace: string, name: string): Promise<void>;
  /** Merge-patches annotations (metadata only: no generation change); a missing resource is ignored. */
  annotateSession(namespace: string, name: string, annotations: Record<string, string>): Promise<void>;
  /** spec.licenseId of a License resource, or null when it does not exist. */
  licenseIdOf(namespace: string, licenseName: string): Promise<string | null>;
  /**
   * The one Workstation labelled WORKSTATION_ID_LABEL=`id` whose status.externalRef ends in `id`; null
   * when none is, or more than one (ambiguous: never guess). Exact match only (ADR 0150).
   */
  findWorkstation(id: string): Promise<Workstation | null>;
}

export function sessionResourceName(sessionId: string): string {
  return `cs-${sessionId.toLowerCase()}`;
}

export interface SessionResourceInput {
  sessionId: string;
  licenseId: string;
  organization: string;
  containerId: string;
  containerType: "docker" | "workstation";
  hostname?: string | null;
  ip?: string | null;
  maxUsers: number;
}

/** The ContainerSession resource for a new session (pure). */
export function sessionResourceFor(
  input: SessionResourceInput,
): ContainerSession & { metadata: { name: string; namespace: string } } {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: ContainerSessionResource.kind,
    metadata: {
      name: sessionResourceName(input.sessionId),
      namespace: input.organization,
      labels: {
        [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
        [LICENSE_ID_LABEL]: input.licenseId,
        [SESSION_ID_LABEL]: input.sessionId,
      },
    },
    spec: {
      sessionId: input.sessionId,
      licenseRef: { name: licenseResourceName(input.licenseId) },
      containerId: input.containerId,
      containerType: input.containerType,
      ...(input.hostname ? { hostname: input.hostname } : {}),
      ...(input.ip ? { ip: input.ip } : {}),
      maxUsers: input.maxUsers,
    },
  };
}

export class KubeSessionCluster implements SessionCluster {
  readonly #sessions: ResourceClient<ContainerSession>;
  readonly #licenses: ResourceClient<License>;
  readonly #workstations: ResourceClient<Workstation>;
  readonly #retry: KubeRetryPolicy;

  /** Every call is retried within `retry`'s budget, then fails as ClusterUnavailable (503). */
  constructor(kube: KubeClientSource, retry: Partial<KubeRetryPolicy> = {}) {
    const client = billingKubeClient(kube);
    this.#sessions = client.resource<ContainerSession>(ContainerSessionResource);
    this.#licenses = client.resource<License>(LicenseResource);
    this.#workstations = client.resource<Workstation>(WorkstationResource);
    this.#retry = { ...DEFAULT_KUBE_RETRY, ...retry };
  }

  #call<T>(what: string, call: () => Promise<T>): Promise<T> {
    return withKubeRetry(what, call, this.#retry);
  }

  async createSession(
    resource: ContainerSession & { metadata: { name: string; namespace: string } },
    status: ContainerSessionStatus,
  ): Promise<void> {
    const { namespace, name } = resource.metadata;
    try {
      await this.#call("create ContainerSession", () => this.#sessions.create(resource));
    } catch (error) {
      // The name is the session id's: an existing one is this session's (an attempt whose answer was lost).
      if (!isConflict(error)) throw error;
    }
    // The status subresource ignores status on create; write it separately.
    await this.patchSessionStatus(namespace, name, status);
  }

  async patchSessionStatus(
    namespace: string,
    name: string,
    status: SessionStatusPatch,
  ): Promise<ContainerSessionStatus | null> {
    try {
      const stored = await this.#call("patch ContainerSession status", () =>
        this.#sessions.patchStatus(namespace, name, { status }, "merge"),
      );
      return stored.status ?? {};
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async deleteSession(namespace: string, name: string): Promise<void> {
    // A 404 is "already gone": delete() answers false for it.
    await this.#call("delete ContainerSession", () => this.#sessions.delete(namespace, name));
  }

  async annotateSession(namespace: string, name: string, annotations: Record<string, string>): Promise<void> {
    try {
      await this.#call("annotate ContainerSession", () =>
        this.#sessions.patch(namespace, name, { metadata: { annotations } }, "merge"),
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async licenseIdOf(namespace: string, licenseName: string): Promise<string | null> {
    const license = await this.#call("read License", () => this.#licenses.get(namespace, licenseName));
    return license?.spec?.licenseId ?? null;
  }

  async findWorkstation(id: string): Promise<Workstation | null> {
    // Not a possible label value: no workstation has it (and the selector would be refused as malformed).
    if (!isWorkstationIdLabelValue(id)) return null;
    // The API server filters by the label: one small answer however many workstations exist, and no
    // match on names or other fields a caller could guess.
    const list = await this.#call("list Workstations", () =>
      this.#workstations.list({ labelSelector: `${WORKSTATION_ID_LABEL}=${id}` }),
    );
    const matches = list.items.filter((ws) => ws.status?.externalRef?.split("/").pop() === id);
    return matches.length === 1 ? matches[0]! : null;
  }
}
