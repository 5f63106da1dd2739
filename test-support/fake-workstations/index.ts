/**
 * A stateful fake of the Cloud Workstations API (google.cloud.workstations.v1) over gRPC, for tests and
 * the local sandbox. It serves the client package's own protos, so the real `WorkstationsClient` (and
 * the operator's gateway on top of it) is what talks to it. What it models and what it does not:
 * docs/fake-workstations.md.
 *
 * Test infrastructure: not used in production.
 */

import { v1 } from "@google-cloud/workstations";
import * as grpc from "@grpc/grpc-js";
import { type Clock, systemClock } from "../../lib/clock.js";
import { serveGrpc } from "../grpc-fake.js";
import { FakeWorkstationsBackend, type Handler } from "./backend.js";
import { FaultPlan, normaliseMethod } from "./faults.js";
import type { FleetResource } from "./fleet.js";
import { FakeStatusError } from "./names.js";
import type { OperationSnapshot } from "./operations.js";
import { loadServiceDefinitions } from "./protos.js";
import type { FakeWorkstationRecord } from "./workstation-store.js";

export type { FleetResource } from "./fleet.js";
export type { FakeWorkstationRecord, WorkstationStateName } from "./workstation-store.js";

export interface FakeWorkstationsOptions {
  /** Port to listen on (127.0.0.1); 0 or absent picks a free one. */
  port?: number;
  /** GetOperation polls before an operation completes; 0 completes operations immediately. Default 2. */
  operationPollsToComplete?: number;
  /** Source of create/update/expiry times. */
  clock?: Clock;
}

export interface SeedInput {
  clusters?: Array<{ name: string } & Partial<FleetResource>>;
  configs?: Array<{ name: string } & Partial<FleetResource>>;
}

export interface FleetInput {
  project?: string;
  location?: string;
  cluster?: string;
  configIds?: string[];
}

export interface SeededFleet {
  cluster: string;
  /** Config id → full config name. */
  configs: Record<string, string>;
}

export interface FakeWorkstations {
  endpoint: { host: string; port: number };
  /** A real WorkstationsClient pointed at the fake (insecure channel). Closed by stop(). */
  client(): v1.WorkstationsClient;
  faults: {
    /** The next `n` calls of `method` ("*" = any) fail with `code` and change nothing. */
    failNext(method: string, n: number, code: grpc.status): void;
    /** The next `n` calls of `method` take effect, but the caller receives `code` (default UNAVAILABLE). */
    loseNextResponse(method: string, n: number, code?: grpc.status): void;
    /** Delay every response by `ms`. */
    setLatency(ms: number): void;
    /** Clears queued faults and latency. */
    reset(): void;
  };
  state: {
    workstations(): FakeWorkstationRecord[];
    workstation(name: string): FakeWorkstationRecord | undefined;
    /** Calls received, in total or of one RPC (proto name, e.g. "CreateWorkstation"). */
    calls(method?: string): number;
    operations(): OperationSnapshot[];
    /** Completes every pending operation now. */
    completeAllOperations(): void;
    /** Members holding `role` in the IAM policy of `resource`. */
    iamMembers(resource: string, role?: string): string[];
    /** Simulates GCP stopping a RUNNING workstation after its idle timeout (no operation). */
    stopByIdleTimeout(name: string): void;
    setOperationPollsToComplete(polls: number): void;
  };
  /** Inserts ready clusters and configs (clusters first), bypassing the API. */
  seed(input: SeedInput): void;
  /**
   * Seeds one cluster with one config per id (default: the tiers standard, power, ai in
   * projects/coditect-local/locations/us-central1/workstationClusters/coditect-ws-cluster).
   */
  seedFleet(fleet?: FleetInput): SeededFleet;
  stop(): Promise<void>;
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeWorkstations(
  options: FakeWorkstationsOptions = {},
): Promise<FakeWorkstations> {
  let pollsToComplete = requirePolls(options.operationPollsToComplete ?? 2);
  const backend = new FakeWorkstationsBackend(options.clock ?? systemClock, () => pollsToComplete);
  const faults = new FaultPlan();
  const definitions = loadServiceDefinitions();
  const server = await serveGrpc(
    "fake workstations",
    [
      [definitions.workstations, toGrpc(backend.workstationsService(), faults)],
      [definitions.operations, toGrpc(backend.operationsService(), faults)],
      [definitions.iamPolicy, toGrpc(backend.iamService(), faults)],
    ],
    options.port,
  );
  const port = server.port;
  const clients: v1.WorkstationsClient[] = [];

  return {
    endpoint: { host: "127.0.0.1", port },
    client() {
      // v1 explicitly: the package's top-level WorkstationsClient is the v1beta one.
      const client = new v1.WorkstationsClient({
        apiEndpoint: "127.0.0.1",
        port,
        sslCreds: grpc.credentials.createInsecure(),
      });
      clients.push(client);
      return client;
    },
    faults: {
      failNext: (method, n, code) => faults.failNext(method, n, code),
      loseNextResponse: (method, n, code) => faults.loseNextResponse(method, n, code),
      setLatency: (ms) => {
        faults.latencyMs = ms;
      },
      reset: () => faults.reset(),
    },
    state: {
      workstations: () => backend.workstations.all(),
      workstation: (name) => (backend.workstations.has(name) ? backend.workstations.get(name) : undefined),
      calls: (method) => faults.calls(method),
      operations: () => backend.operations.snapshots(),
      completeAllOperations: () => backend.operations.completeAll(),
      iamMembers: (resource, role = "roles/workstations.user") => backend.iam.members(resource, role),
      stopByIdleTimeout: (name) => backend.workstations.stopByIdleTimeout(name),
      setOperationPollsToComplete: (polls) => {
        pollsToComplete = requirePolls(polls);
      },
    },
    seed(input) {
      for (const cluster of input.clusters ?? []) backend.clusters.seed(cluster.name, cluster);
      for (const config of input.configs ?? []) backend.configs.seed(config.name, config);
    },
    seedFleet(fleet = {}) {
      const cluster = `projects/${fleet.project ?? "coditect-local"}/locations/${fleet.location ?? "us-central1"}/workstationClusters/${fleet.cluster ?? "coditect-ws-cluster"}`;
      const ids = fleet.configIds ?? ["standard", "power", "ai"];
      const configs = Object.fromEntries(ids.map((id) => [id, `${cluster}/workstationConfigs/${id}`]));
      if (!backend.clusters.has(cluster)) backend.clusters.seed(cluster);
      for (const name of Object.values(configs)) backend.configs.seed(name);
      return { cluster, configs };
    },
    async stop() {
      await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
      await server.stop();
    },
  };
}

function requirePolls(polls: number): number {
  if (!Number.isInteger(polls) || polls < 0) {
    throw new Error(`operationPollsToComplete must be a non-negative integer, got ${polls}`);
  }
  return polls;
}

/** gRPC unary handlers around the backend's: counts calls, applies latency and injected faults. */
function toGrpc(handlers: Record<string, Handler>, faults: FaultPlan): grpc.UntypedServiceImplementation {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(handlers)) {
    implementation[method] = async (
      call: grpc.ServerUnaryCall<unknown, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      const fault = faults.take(normaliseMethod(method));
      if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
      if (fault && !fault.afterEffect) {
        callback({ code: fault.code, details: `injected fault on ${method}` });
        return;
      }
      let response: object;
      try {
        response = handler(call.request);
      } catch (error) {
        if (error instanceof FakeStatusError) callback({ code: error.code, details: error.message });
        else callback({ code: grpc.status.INTERNAL, details: `fake ${method} failed: ${String(error)}` });
        return;
      }
      if (fault) callback({ code: fault.code, details: `injected fault on ${method} after it took effect` });
      else callback(null, response);
    };
  }
  return implementation;
}
