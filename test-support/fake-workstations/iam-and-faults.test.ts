// IAM, fault injection, clusters/configs: the real v1 client against the fake over gRPC, no mocks.

import type { v1 } from "@google-cloud/workstations";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeWorkstations, startFakeWorkstations } from "./index.js";

process.env.METADATA_SERVER_DETECTION = "none";

const LOCATION = "projects/p2/locations/europe-west1";
const CLUSTER = `${LOCATION}/workstationClusters/c2`;
const CONFIG = `${CLUSTER}/workstationConfigs/power`;
const ROLE = "roles/workstations.user";
const noRetry = { retry: null };

let fake: FakeWorkstations;
let client: v1.WorkstationsClient;
let sequence = 0;

beforeAll(async () => {
  fake = await startFakeWorkstations({ operationPollsToComplete: 0 });
  fake.seed({ clusters: [{ name: CLUSTER }], configs: [{ name: CONFIG }] });
  client = fake.client();
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.faults.reset();
  fake.state.setOperationPollsToComplete(0);
});

async function grpcError(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: number; details: string };
  }
  throw new Error("expected the call to fail");
}

async function workstation(): Promise<string> {
  sequence += 1;
  const id = `iam-${sequence}`;
  await client.createWorkstation({ parent: CONFIG, workstationId: id, workstation: {} });
  return `${CONFIG}/workstations/${id}`;
}

// The IAM mixin types requests as generated classes; plain objects are what it sends.
type GetRequest = Parameters<v1.WorkstationsClient["getIamPolicy"]>[0];
type SetRequest = Parameters<v1.WorkstationsClient["setIamPolicy"]>[0];
const getPolicy = (resource: string) => client.getIamPolicy({ resource } as GetRequest, noRetry);
const setPolicy = (resource: string, policy: object) =>
  client.setIamPolicy({ resource, policy } as SetRequest, noRetry);

describe("IAM policies", () => {
  it("read-modify-write with the etag round-trips a binding", async () => {
    const name = await workstation();
    const [empty] = await getPolicy(name);
    expect(empty.bindings).toEqual([]);
    expect(empty.etag?.length).toBeGreaterThan(0);
    const [written] = await setPolicy(name, {
      bindings: [{ role: ROLE, members: ["user:a@example.com"] }],
      etag: empty.etag,
    });
    expect(Buffer.from(written.etag!).equals(Buffer.from(empty.etag!))).toBe(false);
    const [read] = await getPolicy(name);
    expect(read.bindings).toEqual([expect.objectContaining({ role: ROLE, members: ["user:a@example.com"] })]);
    expect(fake.state.iamMembers(name)).toEqual(["user:a@example.com"]);
  });

  it("a stale etag is ABORTED and leaves the policy unchanged; an empty etag overwrites", async () => {
    const name = await workstation();
    const [first] = await getPolicy(name);
    await setPolicy(name, { bindings: [{ role: ROLE, members: ["user:a@example.com"] }], etag: first.etag });
    const stale = await grpcError(
      setPolicy(name, { bindings: [{ role: ROLE, members: ["user:b@example.com"] }], etag: first.etag }),
    );
    expect(stale.code).toBe(status.ABORTED);
    expect(stale.details).toContain("concurrent policy changes");
    expect(fake.state.iamMembers(name)).toEqual(["user:a@example.com"]);
    await setPolicy(name, { bindings: [{ role: ROLE, members: ["user:c@example.com"] }] });
    expect(fake.state.iamMembers(name)).toEqual(["user:c@example.com"]);
  });

  it("rejects invalid members and roles, and unknown resources", async () => {
    const name = await workstation();
    const member = await grpcError(
      setPolicy(name, { bindings: [{ role: ROLE, members: ["alice@example.com"] }] }),
    );
    expect(member.code).toBe(status.INVALID_ARGUMENT);
    expect(member.details).toContain("alice@example.com");
    const role = await grpcError(
      setPolicy(name, { bindings: [{ role: "owner", members: ["user:a@example.com"] }] }),
    );
    expect(role.code).toBe(status.INVALID_ARGUMENT);
    expect((await grpcError(getPolicy(`${CONFIG}/workstations/nobody`))).code).toBe(status.NOT_FOUND);
  });

  it("a deleted and re-created workstation starts with an empty policy", async () => {
    const name = await workstation();
    await setPolicy(name, { bindings: [{ role: ROLE, members: ["user:a@example.com"] }] });
    await client.deleteWorkstation({ name });
    await client.createWorkstation({
      parent: CONFIG,
      workstationId: name.split("/").at(-1)!,
      workstation: {},
    });
    expect((await getPolicy(name))[0].bindings).toEqual([]);
  });
});

describe("fault injection", () => {
  it("failNext fails exactly n calls of that method, changing nothing, then recovers", async () => {
    const name = await workstation();
    fake.faults.failNext("StartWorkstation", 2, status.UNAVAILABLE);
    for (let i = 0; i < 2; i++) {
      expect((await grpcError(client.startWorkstation({ name }, noRetry))).code).toBe(status.UNAVAILABLE);
    }
    expect(fake.state.workstation(name)?.state).toBe("STATE_STOPPED");
    await client.startWorkstation({ name }, noRetry);
    expect(fake.state.workstation(name)?.state).toBe("STATE_RUNNING");
  });

  it("'*' fails any method; method-specific faults are used first", async () => {
    const name = await workstation();
    fake.faults.failNext("*", 1, status.RESOURCE_EXHAUSTED);
    fake.faults.failNext("getWorkstation", 1, status.INTERNAL);
    expect((await grpcError(client.getWorkstation({ name }, noRetry))).code).toBe(status.INTERNAL);
    expect((await grpcError(client.getWorkstation({ name }, noRetry))).code).toBe(status.RESOURCE_EXHAUSTED);
    await client.getWorkstation({ name }, noRetry);
  });

  it("loseNextResponse applies the call but answers with an error", async () => {
    fake.faults.loseNextResponse("CreateWorkstation", 1);
    const error = await grpcError(
      client.createWorkstation({ parent: CONFIG, workstationId: "lost", workstation: {} }),
    );
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(fake.state.workstation(`${CONFIG}/workstations/lost`)).toBeDefined();
  });

  it("latency delays responses: a deadline shorter than it is exceeded", async () => {
    const name = await workstation();
    fake.faults.setLatency(1_000);
    const error = await grpcError(client.getWorkstation({ name }, { ...noRetry, timeout: 50 }));
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    fake.faults.setLatency(0);
    expect((await client.getWorkstation({ name }, { ...noRetry, timeout: 5_000 }))[0].name).toBe(name);
  });

  it("counts calls per RPC and in total", async () => {
    const total = fake.state.calls();
    const gets = fake.state.calls("GetWorkstation");
    const name = await workstation();
    await client.getWorkstation({ name });
    await client.getWorkstation({ name });
    expect(fake.state.calls("GetWorkstation")).toBe(gets + 2);
    expect(fake.state.calls("getWorkstation")).toBe(gets + 2);
    expect(fake.state.calls()).toBe(total + 3);
  });

  it("rejects a fault count that is not a positive integer", () => {
    expect(() => fake.faults.failNext("GetWorkstation", 0, status.UNAVAILABLE)).toThrow(/positive integer/);
  });
});

describe("clusters and configs", () => {
  it("creates, lists and deletes configs through the API", async () => {
    fake.state.setOperationPollsToComplete(1);
    const [operation] = await client.createWorkstationConfig({
      parent: CLUSTER,
      workstationConfigId: "ai",
      workstationConfig: { displayName: "AI", idleTimeout: { seconds: 1800 } },
    });
    expect(operation.done).toBe(false);
    const [done] = await operation.promise();
    expect(done).toMatchObject({ name: `${CLUSTER}/workstationConfigs/ai`, displayName: "AI" });
    const [config] = await client.getWorkstationConfig({ name: `${CLUSTER}/workstationConfigs/ai` });
    expect(config.idleTimeout?.seconds).toBe("1800");
    const [configs] = await client.listWorkstationConfigs({ parent: CLUSTER });
    expect(configs.map((c) => c.name!.split("/").at(-1))).toEqual(["ai", "power"]);
    const [deletion] = await client.deleteWorkstationConfig({ name: `${CLUSTER}/workstationConfigs/ai` });
    await deletion.promise();
    const missing = await grpcError(
      client.getWorkstationConfig({ name: `${CLUSTER}/workstationConfigs/ai` }, noRetry),
    );
    expect(missing.code).toBe(status.NOT_FOUND);
  });

  it("refuses to delete a config with workstations unless forced, which removes them", async () => {
    const config = `${CLUSTER}/workstationConfigs/doomed`;
    fake.seed({ configs: [{ name: config }] });
    await client.createWorkstation({ parent: config, workstationId: "child", workstation: {} });
    const refused = await grpcError(client.deleteWorkstationConfig({ name: config }));
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    await client.deleteWorkstationConfig({ name: config, force: true });
    expect(fake.state.workstation(`${config}/workstations/child`)).toBeUndefined();
  });

  it("reports clusters and NOT_FOUND parents", async () => {
    const [cluster] = await client.getWorkstationCluster({ name: CLUSTER });
    expect(cluster.name).toBe(CLUSTER);
    const [clusters] = await client.listWorkstationClusters({ parent: LOCATION });
    expect(clusters.map((c) => c.name)).toEqual([CLUSTER]);
    const error = await grpcError(
      client.createWorkstationConfig({
        parent: `${LOCATION}/workstationClusters/none`,
        workstationConfigId: "x",
        workstationConfig: {},
      }),
    );
    expect(error.code).toBe(status.NOT_FOUND);
  });

  it("seeding a config without its cluster is refused", () => {
    expect(() =>
      fake.seed({ configs: [{ name: `${LOCATION}/workstationClusters/ghost/workstationConfigs/x` }] }),
    ).toThrow(/seed its cluster/);
  });
});

describe("setup helpers", () => {
  it("seedFleet seeds one cluster with the tier configs", async () => {
    const fleet = fake.seedFleet({ project: "p2", location: "asia-east1" });
    expect(fleet.configs).toEqual({
      standard:
        "projects/p2/locations/asia-east1/workstationClusters/coditect-ws-cluster/workstationConfigs/standard",
      power:
        "projects/p2/locations/asia-east1/workstationClusters/coditect-ws-cluster/workstationConfigs/power",
      ai: "projects/p2/locations/asia-east1/workstationClusters/coditect-ws-cluster/workstationConfigs/ai",
    });
    const [configs] = await client.listWorkstationConfigs({ parent: fleet.cluster });
    expect(configs).toHaveLength(3);
  });

  it("refuses a negative or fractional number of polls", async () => {
    expect(() => fake.state.setOperationPollsToComplete(-1)).toThrow(/non-negative integer, got -1/);
    await expect(startFakeWorkstations({ operationPollsToComplete: 1.5 })).rejects.toThrow(/got 1.5/);
  });
});
