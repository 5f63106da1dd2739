// The gateway with the real v1 client against the fake Cloud Workstations API over gRPC: no mocks.
import { createHash } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeWorkstations, startFakeWorkstations } from "../../test-support/fake-workstations/index.js";
import { GcpError } from "./errors.js";
import { workstationName } from "./naming.js";
import { createWorkstationsGateway, type OperationStatus, type WorkstationsGateway } from "./workstations.js";

process.env.METADATA_SERVER_DETECTION = "none";

const CLUSTER = "projects/p1/locations/us-central1/workstationClusters/c1";
const CONFIG = `${CLUSTER}/workstationConfigs/standard`;

let fake: FakeWorkstations;
let gateway: WorkstationsGateway;
let sequence = 0;

beforeAll(async () => {
  fake = await startFakeWorkstations({ operationPollsToComplete: 2 });
  fake.seed({ clusters: [{ name: CLUSTER }], configs: [{ name: CONFIG }] });
  gateway = createWorkstationsGateway({
    apiEndpoint: fake.endpoint.host,
    port: fake.endpoint.port,
    insecure: true,
    projectId: "p1",
  });
});
afterAll(async () => {
  await gateway.close();
  await fake.stop();
});
beforeEach(() => {
  fake.faults.reset();
  fake.state.setOperationPollsToComplete(2);
});

function nextId(): string {
  sequence += 1;
  return `gw-${sequence}`;
}

async function settle(operation: string): Promise<Extract<OperationStatus, { done: true }>> {
  for (let polls = 0; polls < 50; polls++) {
    const result = await gateway.getOperation(operation);
    if (result.done) return result;
  }
  throw new Error(`operation ${operation} did not finish within 50 polls`);
}

async function created(): Promise<string> {
  const id = nextId();
  const result = await gateway.create(CONFIG, id, {});
  if (!("operation" in result)) throw new Error("expected a new workstation");
  await settle(result.operation);
  return workstationName(CONFIG, id);
}

async function rejection(promise: Promise<unknown>): Promise<GcpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GcpError) return error;
    throw error;
  }
  throw new Error("expected a GcpError");
}

describe("workstations gateway", () => {
  it("get returns null for a missing workstation", async () => {
    expect(await gateway.get(workstationName(CONFIG, "missing"))).toBeNull();
  });

  it("create starts an operation; one getOperation is one poll; the result has enum names", async () => {
    const id = nextId();
    const result = await gateway.create(CONFIG, id, {
      displayName: "Alice",
      labels: { "coditect-namespace": "acme" },
      annotations: { "coditect.ai/workstation": "acme/alice" },
    });
    if (!("operation" in result)) throw new Error("expected an operation");
    const before = fake.state.calls("GetOperation");
    expect(await gateway.getOperation(result.operation)).toEqual({
      name: result.operation,
      done: false,
      verb: "create",
      target: workstationName(CONFIG, id),
    });
    expect(fake.state.calls("GetOperation")).toBe(before + 1);
    const done = await gateway.getOperation(result.operation);
    expect(done.done).toBe(true);
    if (!done.done) return;
    expect(done.error).toBeUndefined();
    // The LRO response arrives with a numeric enum (4); the gateway names it.
    expect(done.workstation).toMatchObject({ name: workstationName(CONFIG, id), state: "STATE_STOPPED" });
    const fetched = await gateway.get(workstationName(CONFIG, id));
    expect(fetched).toMatchObject({
      state: "STATE_STOPPED",
      reconciling: false,
      displayName: "Alice",
      labels: { "coditect-namespace": "acme" },
      annotations: { "coditect.ai/workstation": "acme/alice" },
    });
    expect(fetched?.createTime).toBeInstanceOf(Date);
    expect(fetched?.host).toBeUndefined();
  });

  it("create of an existing id signals alreadyExists so the caller adopts it", async () => {
    const name = await created();
    const id = name.split("/").at(-1)!;
    expect(await gateway.create(CONFIG, id, {})).toEqual({ alreadyExists: true, name });
    expect(fake.state.workstations().filter((w) => w.name === name)).toHaveLength(1);
  });

  it("a create whose response was lost is adopted by the retry, never duplicated", async () => {
    const id = nextId();
    fake.faults.loseNextResponse("CreateWorkstation", 1);
    const lost = await rejection(gateway.create(CONFIG, id, {}));
    expect(lost.kind).toBe("retryable");
    expect(await gateway.create(CONFIG, id, {})).toEqual({
      alreadyExists: true,
      name: workstationName(CONFIG, id),
    });
    expect(fake.state.workstations().filter((w) => w.name.endsWith(`/${id}`))).toHaveLength(1);
  });

  it("start and stop progress through getOperation; running has a host", async () => {
    const name = await created();
    const start = await gateway.start(name);
    expect((await gateway.get(name))?.state).toBe("STATE_STARTING");
    const started = await settle(start.operation);
    expect(started.workstation).toMatchObject({ state: "STATE_RUNNING", host: expect.stringContaining(".") });
    expect((await gateway.get(name))?.host).toBe(started.workstation?.host);
    const stopped = await settle((await gateway.stop(name)).operation);
    expect(stopped.workstation?.state).toBe("STATE_STOPPED");
    expect(stopped.workstation?.host).toBeUndefined();
  });

  it("a stale etag is a conflict: retryable after a re-read", async () => {
    const name = await created();
    const stale = (await gateway.get(name))!.etag;
    await settle((await gateway.start(name, stale)).operation);
    const error = await rejection(gateway.stop(name, stale));
    expect(error).toMatchObject({
      kind: "conflict",
      code: status.ABORTED,
      retryable: true,
      call: "stopWorkstation",
    });
    expect(error.message).toContain(name);
    const fresh = (await gateway.get(name))!.etag;
    await settle((await gateway.stop(name, fresh)).operation);
  });

  it("delete returns an operation, then done once the workstation is gone", async () => {
    const name = await created();
    const result = await gateway.delete(name);
    if (!("operation" in result)) throw new Error("expected an operation");
    await settle(result.operation);
    expect(await gateway.get(name)).toBeNull();
    expect(await gateway.delete(name)).toEqual({ done: true });
  });

  it("a failed operation is reported done with its classified error", async () => {
    const name = await created();
    const start = await gateway.start(name);
    const removal = await gateway.delete(name);
    if ("operation" in removal) await settle(removal.operation);
    const result = await settle(start.operation);
    expect(result.error).toBeInstanceOf(GcpError);
    expect(result.error?.kind).toBe("conflict");
    expect(result.error?.message).toContain(`start operation ${start.operation} on ${name} failed: ABORTED`);
    expect(result.workstation).toBeUndefined();
  });

  it("getOperation of an unknown operation is a notFound error", async () => {
    const error = await rejection(gateway.getOperation("projects/p1/locations/us-central1/operations/gone"));
    expect(error.kind).toBe("notFound");
  });

  it("list returns the config's workstations", async () => {
    const name = await created();
    const listed = await gateway.list(CONFIG);
    expect(listed.map((w) => w.name)).toContain(name);
    expect(listed.every((w) => w.state === "STATE_STOPPED" || w.state.startsWith("STATE_"))).toBe(true);
  });
});

describe("gateway IAM", () => {
  it("grant and revoke round-trip roles/workstations.user, keeping other members", async () => {
    const name = await created();
    await gateway.grantUser(name, "alice@example.com");
    await gateway.grantUser(name, "bob@example.com");
    expect(await gateway.listUsers(name)).toEqual(["alice@example.com", "bob@example.com"]);
    await gateway.revokeUser(name, "alice@example.com");
    expect(fake.state.iamMembers(name)).toEqual(["user:bob@example.com"]);
    await gateway.revokeUser(name, "bob@example.com");
    expect(await gateway.listUsers(name)).toEqual([]);
  });

  it("does not write when the policy already says so", async () => {
    const name = await created();
    await gateway.grantUser(name, "carol@example.com");
    const writes = fake.state.calls("SetIamPolicy");
    await gateway.grantUser(name, "Carol@Example.com");
    await gateway.revokeUser(name, "dave@example.com");
    expect(fake.state.calls("SetIamPolicy")).toBe(writes);
  });

  it("re-reads and retries when the policy changed underneath (ABORTED), a bounded number of times", async () => {
    const name = await created();
    fake.faults.failNext("SetIamPolicy", 2, status.ABORTED);
    await gateway.grantUser(name, "erin@example.com");
    expect(fake.state.iamMembers(name)).toEqual(["user:erin@example.com"]);

    fake.faults.failNext("SetIamPolicy", 5, status.ABORTED);
    const reads = fake.state.calls("GetIamPolicy");
    const error = await rejection(gateway.grantUser(name, "frank@example.com"));
    expect(error.kind).toBe("conflict");
    expect(fake.state.calls("GetIamPolicy") - reads).toBe(5);
    expect(fake.state.iamMembers(name)).not.toContain("user:frank@example.com");
  });

  it("a grant right after listUsers writes with the policy just read: one read, one write", async () => {
    const name = await created();
    const reads = fake.state.calls("GetIamPolicy");
    const writes = fake.state.calls("SetIamPolicy");
    expect(await gateway.listUsers(name)).toEqual([]);
    await gateway.grantUser(name, "gina@example.com");
    expect(fake.state.calls("GetIamPolicy") - reads).toBe(1);
    expect(fake.state.calls("SetIamPolicy") - writes).toBe(1);
    expect(fake.state.iamMembers(name)).toEqual(["user:gina@example.com"]);
  });

  it("a policy changed after listUsers is not overwritten: the write's etag fails, the grant re-reads", async () => {
    const name = await created();
    const other = createWorkstationsGateway({ client: fake.client() });
    expect(await gateway.listUsers(name)).toEqual([]);
    await other.grantUser(name, "hal@example.com"); // someone else, between our read and our write
    await gateway.grantUser(name, "iris@example.com");
    expect(fake.state.iamMembers(name)).toEqual(["user:hal@example.com", "user:iris@example.com"]);
    await other.close();
  });

  it("'already granted' is never concluded from a remembered policy", async () => {
    const name = await created();
    const other = createWorkstationsGateway({ client: fake.client() });
    await gateway.grantUser(name, "jo@example.com");
    expect(await gateway.listUsers(name)).toEqual(["jo@example.com"]);
    await other.revokeUser(name, "jo@example.com"); // removed after our read
    await gateway.grantUser(name, "jo@example.com");
    expect(fake.state.iamMembers(name)).toEqual(["user:jo@example.com"]);
    await other.close();
  });

  it("rejects a non-e-mail user without calling the API", async () => {
    const name = await created();
    const calls = fake.state.calls();
    const error = await rejection(gateway.grantUser(name, "not an email"));
    expect(error).toMatchObject({ kind: "terminal", code: status.INVALID_ARGUMENT });
    expect(error.message).toContain("not an email");
    expect(fake.state.calls()).toBe(calls);
  });

  it("IAM on a missing workstation is notFound", async () => {
    const error = await rejection(gateway.grantUser(workstationName(CONFIG, "missing"), "a@example.com"));
    expect(error.kind).toBe("notFound");
  });
});

describe("gateway error mapping", () => {
  it.each([
    { code: status.UNAVAILABLE, kind: "retryable" },
    { code: status.RESOURCE_EXHAUSTED, kind: "retryable" },
    { code: status.INTERNAL, kind: "retryable" },
    { code: status.PERMISSION_DENIED, kind: "terminal" },
    { code: status.INVALID_ARGUMENT, kind: "terminal" },
  ])(
    "$code from the API becomes a $kind GcpError after exactly one call (no client retries)",
    async ({ code, kind }) => {
      const name = await created();
      fake.faults.failNext("GetWorkstation", 1, code);
      const calls = fake.state.calls("GetWorkstation");
      const error = await rejection(gateway.get(name));
      expect(error).toMatchObject({ code, kind, call: "getWorkstation", resource: name });
      expect(fake.state.calls("GetWorkstation")).toBe(calls + 1);
      expect((await gateway.get(name))?.name).toBe(name);
    },
  );

  it("FAILED_PRECONDITION (start while stopping) is terminal", async () => {
    const name = await created();
    await settle((await gateway.start(name)).operation);
    await gateway.stop(name);
    const error = await rejection(gateway.start(name));
    expect(error).toMatchObject({ kind: "terminal", code: status.FAILED_PRECONDITION, terminal: true });
  });

  it("a call slower than its deadline is DEADLINE_EXCEEDED, retryable", async () => {
    const impatient = createWorkstationsGateway({ client: fake.client(), callTimeoutMs: 50 });
    fake.faults.setLatency(1_000);
    const error = await rejection(impatient.get(workstationName(CONFIG, "slow")));
    expect(error).toMatchObject({ kind: "retryable", code: status.DEADLINE_EXCEEDED });
  });
});

describe("per-workstation env (the workstation credential, ADR 0150)", () => {
  it("create sets it, setEnv replaces it (UpdateWorkstation with update mask env); reads give digests only", async () => {
    const id = nextId();
    const result = await gateway.create(CONFIG, id, { env: { CODITECT_WORKSTATION_CREDENTIAL: "first" } });
    if (!("operation" in result)) throw new Error("expected a new workstation");
    await settle(result.operation);
    const name = workstationName(CONFIG, id);
    expect(fake.state.workstation(name)?.env).toEqual({ CODITECT_WORKSTATION_CREDENTIAL: "first" });
    const digest = (value: string) => createHash("sha256").update(value).digest("hex");
    expect((await gateway.get(name))?.envSha256).toEqual({
      CODITECT_WORKSTATION_CREDENTIAL: digest("first"),
    });

    const before = fake.state.calls("UpdateWorkstation");
    await settle((await gateway.setEnv(name, { CODITECT_WORKSTATION_CREDENTIAL: "second" })).operation);
    expect(fake.state.calls("UpdateWorkstation")).toBe(before + 1);
    expect(fake.state.workstation(name)?.env).toEqual({ CODITECT_WORKSTATION_CREDENTIAL: "second" });
    const read = await gateway.get(name);
    expect(read?.envSha256).toEqual({ CODITECT_WORKSTATION_CREDENTIAL: digest("second") });
    expect(JSON.stringify(read)).not.toContain("second");
  });
});
