/**
 * The operator's typed gateway to Cloud Workstations (google.cloud.workstations.v1). Reconcile logic
 * calls this and never sees protos, gax operations or gRPC codes:
 *
 * - every call is a single RPC with a deadline and no client-side retries — the controller runtime owns
 *   backoff, so a failing call returns promptly as a classified GcpError;
 * - long-running operations are started and then checked with one GetOperation per call, never awaited;
 * - states are normalised to their enum names (gax decodes LRO results with numeric enums).
 */

import { type protos, v1 } from "@google-cloud/workstations";
import { credentials } from "@grpc/grpc-js";
import { GcpError, type GcpErrorKind, isGcpError, statusCodeName, toGcpError } from "./errors.js";
import { addMember, removeMember, WORKSTATION_USER_ROLE } from "./iam-policy.js";
import { useCompiledLroDecoders } from "./lro-decoders.js";
import { type OperationStatus, toOperationStatus } from "./operation-status.js";
import { fromProtoWorkstation, type GcpWorkstation } from "./workstation-shape.js";

export { WORKSTATION_USER_ROLE } from "./iam-policy.js";
export type { OperationStatus } from "./operation-status.js";
export type { GcpWorkstation, WorkstationState } from "./workstation-shape.js";

export interface WorkstationSpec {
  displayName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Per-workstation env of the container's entrypoint (Workstation.env); carries secrets: never logged. */
  env?: Record<string, string>;
}

export interface WorkstationsGateway {
  /** The workstation, or null when it does not exist. */
  get(name: string): Promise<GcpWorkstation | null>;
  /** All workstations of a workstation config (follows pages). */
  list(parentConfig: string): Promise<GcpWorkstation[]>;
  /**
   * Starts creating `parentConfig/workstations/id`. `alreadyExists` means a workstation with that id is
   * there (e.g. from a create whose response was lost): adopt it rather than create another.
   */
  create(
    parentConfig: string,
    id: string,
    spec: WorkstationSpec,
  ): Promise<{ operation: string } | { alreadyExists: true; name: string }>;
  /**
   * Replaces the workstation's per-workstation env (UpdateWorkstation, update mask `env`). The running
   * container keeps the env it started with: the change takes effect at the next start.
   */
  setEnv(name: string, env: Record<string, string>): Promise<{ operation: string }>;
  /** Starts starting the workstation; with `etag`, only if it is unchanged (else a `conflict` GcpError). */
  start(name: string, etag?: string): Promise<{ operation: string }>;
  stop(name: string, etag?: string): Promise<{ operation: string }>;
  /** Starts deleting the workstation; `done` when it does not exist (nothing left to delete). */
  delete(name: string, etag?: string): Promise<{ operation: string } | { done: true }>;
  /** One GetOperation: whether the operation finished, and how. */
  getOperation(operation: string): Promise<OperationStatus>;
  /**
   * Operations still running on workstation `name` (ListOperations of its location, matched on the
   * metadata's target). Finds what an operator that died between starting an operation and recording it
   * left in flight (docs/adr/0127).
   */
  pendingOperations(name: string): Promise<OperationStatus[]>;
  /** E-mail addresses holding roles/workstations.user on the workstation (`user:` members only). */
  listUsers(name: string): Promise<string[]>;
  /** Grants roles/workstations.user to `email` (IAM read-modify-write; no write if already granted). */
  grantUser(name: string, email: string): Promise<void>;
  /** Removes `email` from roles/workstations.user (no write if absent). */
  revokeUser(name: string, email: string): Promise<void>;
  close(): Promise<void>;
}

/** One finished RPC: method, gRPC status name (OK on success), the error kind when it failed, latency. */
export type WorkstationsCallObserver = (call: {
  method: string;
  code: string;
  kind?: GcpErrorKind;
  seconds: number;
}) => void;

export interface WorkstationsGatewayOptions {
  /** Host of the API; default workstations.googleapis.com. */
  apiEndpoint?: string;
  port?: number;
  /** Plain-text gRPC without credentials: only for the local fake. */
  insecure?: boolean;
  projectId?: string;
  /** Deadline of each RPC. Default 30 s. */
  callTimeoutMs?: number;
  /** IAM read-modify-write attempts when the policy changes underneath (ABORTED). Default 5. */
  iamAttempts?: number;
  /** Told about every RPC (the operator's coditect_workstations_api_* metrics). */
  observer?: WorkstationsCallObserver;
  /** Use this client instead of constructing one (e.g. the fake's client()). Not closed by close(). */
  client?: v1.WorkstationsClient;
}

type RawWorkstation = protos.google.cloud.workstations.v1.IWorkstation;
type Client = v1.WorkstationsClient;
type IamPolicy = Awaited<ReturnType<Client["getIamPolicy"]>>[0];
type IBinding = NonNullable<IamPolicy["bindings"]>[number];
// The IAM and operations mixins type their requests as generated classes; plain objects are what they take.
type IamRequest = Parameters<Client["getIamPolicy"]>[0];
type SetIamRequest = Parameters<Client["setIamPolicy"]>[0];
type OperationRequest = Parameters<Client["getOperation"]>[0];
type ListOperationsRequest = Parameters<Client["listOperationsAsync"]>[0];

export function createWorkstationsGateway(options: WorkstationsGatewayOptions = {}): WorkstationsGateway {
  const ownsClient = !options.client;
  const client =
    options.client ??
    new v1.WorkstationsClient({
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
      ...(options.port ? { port: options.port } : {}),
      ...(options.projectId ? { projectId: options.projectId } : {}),
      ...(options.insecure ? { sslCreds: credentials.createInsecure() } : {}),
    });
  useCompiledLroDecoders(client);
  // retry: null switches off gax's own retries (up to 10 minutes for reads on UNAVAILABLE).
  const callOptions = { timeout: options.callTimeoutMs ?? 30_000, retry: null };
  const iamAttempts = options.iamAttempts ?? 5;

  const observe = options.observer ?? (() => {});
  async function call<T>(what: string, resource: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await run();
      observe({ method: what, code: "OK", seconds: seconds() });
      return result;
    } catch (error) {
      const failure = toGcpError(error, what, resource);
      observe({ method: what, code: statusCodeName(failure.code), kind: failure.kind, seconds: seconds() });
      throw failure;
    }
  }

  async function lro(
    what: string,
    name: string,
    run: () => Promise<[{ name?: string | null }, ...unknown[]]>,
  ) {
    const [operation] = await call(what, name, run);
    if (!operation.name) throw new GcpError(13, what, name, "the API returned an operation without a name");
    return { operation: operation.name };
  }

  /**
   * The policy `listUsers` just read, per workstation, for the grant or revoke that usually follows it
   * (a reconciler reads the holders, then changes them): the write's etag makes it a compare-and-swap,
   * so a policy changed meanwhile gives ABORTED and the loop below re-reads — saving the second read is
   * safe. Used once, only for a write, only within IAM_REUSE_MS; bounded in size.
   */
  const recentPolicies = new Map<string, { policy: IamPolicy; at: number }>();
  const rememberPolicy = (name: string, policy: IamPolicy) => {
    if (!policy.etag || policy.etag.length === 0) return; // without an etag a write would overwrite blindly
    recentPolicies.delete(name);
    recentPolicies.set(name, { policy, at: performance.now() });
    if (recentPolicies.size > IAM_REUSE_MAX) recentPolicies.delete(recentPolicies.keys().next().value!);
  };
  const takeRecentPolicy = (name: string): IamPolicy | undefined => {
    const recent = recentPolicies.get(name);
    recentPolicies.delete(name);
    return recent && performance.now() - recent.at <= IAM_REUSE_MS ? recent.policy : undefined;
  };

  async function updateUsers(
    name: string,
    email: string,
    change: (bindings: IBinding[], role: string, member: string) => IBinding[] | null,
  ): Promise<void> {
    const member = userMember(name, email);
    let reused = takeRecentPolicy(name);
    for (let attempt = 1; ; attempt++) {
      const [policy] = reused
        ? [reused]
        : await call("getIamPolicy", name, () =>
            client.getIamPolicy({ resource: name } as IamRequest, callOptions),
          );
      const bindings = change(policy.bindings ?? [], WORKSTATION_USER_ROLE, member);
      if (bindings === null && reused) {
        // "Nothing to do" is never decided on a remembered policy: without a write no etag checks it.
        reused = undefined;
        attempt -= 1;
        continue;
      }
      reused = undefined;
      if (bindings === null) return; // already as wanted: no write, no etag churn
      try {
        await call("setIamPolicy", name, () =>
          client.setIamPolicy(
            { resource: name, policy: { ...policy, bindings } } as SetIamRequest,
            callOptions,
          ),
        );
        return;
      } catch (error) {
        if (!isGcpError(error, "conflict") || attempt >= iamAttempts) throw error;
      }
    }
  }

  return {
    async get(name) {
      try {
        const [raw] = await call("getWorkstation", name, () => client.getWorkstation({ name }, callOptions));
        return fromProtoWorkstation(raw);
      } catch (error) {
        if (isGcpError(error, "notFound")) return null;
        throw error;
      }
    },

    async list(parentConfig) {
      const [items] = await call("listWorkstations", parentConfig, () =>
        client.listWorkstations({ parent: parentConfig }, { ...callOptions, autoPaginate: true }),
      );
      return items.map((raw) => fromProtoWorkstation(raw));
    },

    async create(parentConfig, id, spec) {
      const name = `${parentConfig}/workstations/${id}`;
      const workstation: RawWorkstation = {
        displayName: spec.displayName ?? "",
        labels: spec.labels ?? {},
        annotations: spec.annotations ?? {},
        env: spec.env ?? {},
      };
      try {
        return await lro("createWorkstation", name, () =>
          client.createWorkstation({ parent: parentConfig, workstationId: id, workstation }, callOptions),
        );
      } catch (error) {
        if (isGcpError(error, "alreadyExists")) return { alreadyExists: true as const, name };
        throw error;
      }
    },

    setEnv: (name, env) =>
      lro("updateWorkstation", name, () =>
        client.updateWorkstation({ workstation: { name, env }, updateMask: { paths: ["env"] } }, callOptions),
      ),

    start: (name, etag) =>
      lro("startWorkstation", name, () => client.startWorkstation({ name, etag: etag ?? "" }, callOptions)),

    stop: (name, etag) =>
      lro("stopWorkstation", name, () => client.stopWorkstation({ name, etag: etag ?? "" }, callOptions)),

    async delete(name, etag) {
      try {
        return await lro("deleteWorkstation", name, () =>
          client.deleteWorkstation({ name, etag: etag ?? "" }, callOptions),
        );
      } catch (error) {
        if (isGcpError(error, "notFound")) return { done: true as const };
        throw error;
      }
    },

    async getOperation(operation) {
      const [raw] = await call("getOperation", operation, () =>
        client.getOperation({ name: operation } as OperationRequest, callOptions),
      );
      return toOperationStatus(operation, raw);
    },

    async pendingOperations(name) {
      const location = name.split("/").slice(0, 4).join("/");
      return call("listOperations", location, async () => {
        const pending: OperationStatus[] = [];
        // No server-side filter: its syntax is not documented for this API, and an unknown one is an error.
        const request = { name: location } as ListOperationsRequest;
        for await (const raw of client.listOperationsAsync(request, {
          ...callOptions,
          autoPaginate: false,
        })) {
          if (raw.done || !raw.name) continue;
          const status = toOperationStatus(raw.name, raw);
          if (status.target === name) pending.push(status);
        }
        return pending;
      });
    },

    async listUsers(name) {
      const [policy] = await call("getIamPolicy", name, () =>
        client.getIamPolicy({ resource: name } as IamRequest, callOptions),
      );
      rememberPolicy(name, policy);
      const binding = (policy.bindings ?? []).find((b) => b.role === WORKSTATION_USER_ROLE);
      return (binding?.members ?? [])
        .filter((m) => m.startsWith("user:"))
        .map((m) => m.slice("user:".length));
    },

    grantUser: (name, email) => updateUsers(name, email, addMember),
    revokeUser: (name, email) => updateUsers(name, email, removeMember),

    async close() {
      if (ownsClient) await client.close();
    },
  };
}

/** How long a policy read by listUsers may serve the next grant/revoke's first attempt, and how many are kept. */
const IAM_REUSE_MS = 10_000;
const IAM_REUSE_MAX = 1_000;

const EMAIL = /^[^\s@:]+@[^\s@:]+\.[^\s@:]+$/;

function userMember(workstation: string, email: string): string {
  if (!EMAIL.test(email)) {
    throw new GcpError(3, "setIamPolicy", workstation, `user "${email}" is not an e-mail address`);
  }
  return `user:${email}`;
}
