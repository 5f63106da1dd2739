// The real @google-cloud/workstations v1 client against the fake, over gRPC: no mocks.

import { protos, type v1 } from "@google-cloud/workstations";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeWorkstations, startFakeWorkstations } from "./index.js";

process.env.METADATA_SERVER_DETECTION = "none";

const LOCATION = "projects/p1/locations/us-central1";
const CLUSTER = `${LOCATION}/workstationClusters/c1`;
const CONFIG = `${CLUSTER}/workstationConfigs/standard`;
const noRetry = { retry: null };

let fake: FakeWorkstations;
let client: v1.WorkstationsClient;
let sequence = 0;

beforeAll(async () => {
  fake = await startFakeWorkstations({ operationPollsToComplete: 2 });
  fake.seed({ clusters: [{ name: CLUSTER }], configs: [{ name: CONFIG, displayName: "Standard" }] });
  client = fake.client();
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.faults.reset();
  fake.state.setOperationPollsToComplete(2);
});

/** A fresh workstation id per test, so tests do not share state. */
function nextId(): string {
  sequence += 1;
  return `ws-${sequence}`;
}

async function grpcError(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: number; details: string };
  }
  throw new Error("expected the call to fail");
}

async function poll(name: string) {
  const [operation] = await client.getOperation({ name } as protos.google.longrunning.GetOperationRequest);
  return operation;
}

function decodeWorkstation(operation: object) {
  const value = (operation as { response?: { value?: Uint8Array | null } | null }).response?.value;
  if (!value) throw new Error("operation has no response");
  return protos.google.cloud.workstations.v1.Workstation.decode(value);
}

/** Creates a workstation and polls its create operation to completion. */
async function createStopped(id = nextId()): Promise<string> {
  const [operation] = await client.createWorkstation({ parent: CONFIG, workstationId: id, workstation: {} });
  while (!(await poll(operation.name!)).done) {}
  return `${CONFIG}/workstations/${id}`;
}

async function runToCompletion(operationName: string) {
  for (;;) {
    const operation = await poll(operationName);
    if (operation.done) return operation;
  }
}

describe("workstation lifecycle", () => {
  it("create is a long-running operation that completes after the configured polls", async () => {
    const id = nextId();
    const name = `${CONFIG}/workstations/${id}`;
    const [operation] = await client.createWorkstation({
      parent: CONFIG,
      workstationId: id,
      workstation: {
        displayName: "Alice",
        labels: { tier: "standard" },
        annotations: { "coditect.ai/ws": "x" },
      },
    });
    expect(operation.done).toBe(false);
    const [during] = await client.getWorkstation({ name });
    expect(during).toMatchObject({ state: "STATE_STOPPED", reconciling: true, displayName: "Alice" });
    expect((await poll(operation.name!)).done).toBe(false);
    const finished = await poll(operation.name!);
    expect(finished.done).toBe(true);
    expect(decodeWorkstation(finished)).toMatchObject({ name, state: 4, reconciling: false });
    const [after] = await client.getWorkstation({ name });
    expect(after).toMatchObject({ state: "STATE_STOPPED", reconciling: false, labels: { tier: "standard" } });
    expect(after.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("the client's own LRO polling (operation.promise) works against the fake", async () => {
    const name = await createStopped();
    const [operation] = await client.startWorkstation({ name });
    const [result] = await operation.promise();
    expect(result.state).toBe(2); // LRO results decode enums as numbers
    expect(result.host).toBe(`${name.split("/").at(-1)}.c1.cloudworkstations.dev`);
  });

  it("start goes STARTING → RUNNING with a host; stop goes STOPPING → STOPPED without one", async () => {
    const name = await createStopped();
    const [start] = await client.startWorkstation({ name });
    const [starting] = await client.getWorkstation({ name });
    expect(starting).toMatchObject({ state: "STATE_STARTING", reconciling: true, host: "" });
    await runToCompletion(start.name!);
    const [running] = await client.getWorkstation({ name });
    expect(running).toMatchObject({ state: "STATE_RUNNING", reconciling: false });
    expect(running.host).toMatch(/\.cloudworkstations\.dev$/);
    expect(running.startTime?.seconds).toBeTruthy();

    const [stop] = await client.stopWorkstation({ name });
    expect((await client.getWorkstation({ name }))[0].state).toBe("STATE_STOPPING");
    await runToCompletion(stop.name!);
    const [stopped] = await client.getWorkstation({ name });
    expect(stopped).toMatchObject({ state: "STATE_STOPPED", host: "", reconciling: false });
  });

  it("every change issues a new etag; a stale etag is ABORTED and changes nothing", async () => {
    const name = await createStopped();
    const [before] = await client.getWorkstation({ name });
    const [start] = await client.startWorkstation({ name, etag: before.etag! });
    const [starting] = await client.getWorkstation({ name });
    expect(starting.etag).not.toBe(before.etag);
    await runToCompletion(start.name!);
    for (const call of [
      client.stopWorkstation({ name, etag: before.etag! }),
      client.deleteWorkstation({ name, etag: before.etag! }),
      client.updateWorkstation({
        workstation: { name, etag: before.etag!, displayName: "x" },
        updateMask: { paths: ["display_name"] },
      }),
    ]) {
      expect((await grpcError(call)).code).toBe(status.ABORTED);
    }
    expect((await client.getWorkstation({ name }))[0].state).toBe("STATE_RUNNING");
  });

  it("refuses start while stopping (FAILED_PRECONDITION); start on RUNNING is a no-op operation", async () => {
    const name = await createStopped();
    await runToCompletion((await client.startWorkstation({ name }))[0].name!);
    const noOp = await runToCompletion((await client.startWorkstation({ name }))[0].name!);
    expect(noOp.error).toBeFalsy();
    expect(decodeWorkstation(noOp).state).toBe(2);
    await client.stopWorkstation({ name });
    const error = await grpcError(client.startWorkstation({ name }));
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect(error.details).toContain("stop operation is in progress");
  });

  it("a repeated start while starting returns the same operation", async () => {
    const name = await createStopped();
    const [first] = await client.startWorkstation({ name });
    const [second] = await client.startWorkstation({ name });
    expect(second.name).toBe(first.name);
  });

  it("delete removes the workstation after its operation completes; then NOT_FOUND", async () => {
    const name = await createStopped();
    const [operation] = await client.deleteWorkstation({ name });
    const [deleting] = await client.getWorkstation({ name });
    expect(deleting.reconciling).toBe(true);
    expect(deleting.deleteTime?.seconds).toBeTruthy();
    await runToCompletion(operation.name!);
    expect((await grpcError(client.getWorkstation({ name }, noRetry))).code).toBe(status.NOT_FOUND);
    expect((await grpcError(client.deleteWorkstation({ name }))).code).toBe(status.NOT_FOUND);
    expect(fake.state.workstation(name)).toBeUndefined();
  });

  it("delete supersedes a pending start, whose operation then fails with ABORTED", async () => {
    const name = await createStopped();
    const [start] = await client.startWorkstation({ name });
    const [remove] = await client.deleteWorkstation({ name });
    await runToCompletion(remove.name!);
    const startResult = await runToCompletion(start.name!);
    expect(startResult.error?.code).toBe(status.ABORTED);
  });

  it("rejects duplicate ids, unknown configs, invalid ids and labels", async () => {
    const name = await createStopped();
    const id = name.split("/").at(-1)!;
    const duplicate = await grpcError(
      client.createWorkstation({ parent: CONFIG, workstationId: id, workstation: {} }),
    );
    expect(duplicate.code).toBe(status.ALREADY_EXISTS);
    const missingConfig = await grpcError(
      client.createWorkstation({
        parent: `${CLUSTER}/workstationConfigs/nope`,
        workstationId: "a1",
        workstation: {},
      }),
    );
    expect(missingConfig.code).toBe(status.NOT_FOUND);
    expect(missingConfig.details).toContain("workstationConfigs/nope");
    for (const workstationId of ["Upper", "1abc", "a_b", "ends-", "x".repeat(64)]) {
      const error = await grpcError(
        client.createWorkstation({ parent: CONFIG, workstationId, workstation: {} }),
      );
      expect(error.code, workstationId).toBe(status.INVALID_ARGUMENT);
    }
    const badLabel = await grpcError(
      client.createWorkstation({
        parent: CONFIG,
        workstationId: nextId(),
        workstation: { labels: { k: "Has.Dots" } },
      }),
    );
    expect(badLabel.code).toBe(status.INVALID_ARGUMENT);
    expect(badLabel.details).toContain("Has.Dots");
  });

  it("update changes only the fields in the mask and refuses output-only fields", async () => {
    const name = await createStopped();
    await runToCompletion(
      (
        await client.updateWorkstation({
          workstation: { name, labels: { a: "1" }, displayName: "ignored" },
          updateMask: { paths: ["labels"] },
        })
      )[0].name!,
    );
    const [updated] = await client.getWorkstation({ name });
    expect(updated.labels).toEqual({ a: "1" });
    expect(updated.displayName).toBe("");
    const error = await grpcError(
      client.updateWorkstation({ workstation: { name, host: "evil" }, updateMask: { paths: ["host"] } }),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
  });

  it("lists workstations page by page and refuses filters it does not model", async () => {
    const config = `${CLUSTER}/workstationConfigs/paged`;
    fake.seed({ configs: [{ name: config }] });
    fake.state.setOperationPollsToComplete(0);
    for (const id of ["p-a", "p-b", "p-c"]) {
      await client.createWorkstation({ parent: config, workstationId: id, workstation: {} });
    }
    const [firstPage, nextRequest] = await client.listWorkstations(
      { parent: config, pageSize: 2 },
      { autoPaginate: false },
    );
    expect(firstPage.map((w) => w.name!.split("/").at(-1))).toEqual(["p-a", "p-b"]);
    expect(nextRequest?.pageToken).toBeTruthy();
    const [all] = await client.listWorkstations({ parent: config });
    expect(all).toHaveLength(3);
    const error = await grpcError(client.listWorkstations({ parent: config, filter: "state=RUNNING" }));
    expect(error.code).toBe(status.UNIMPLEMENTED);
  });

  it("with zero polls to complete, operations are done in the first response", async () => {
    fake.state.setOperationPollsToComplete(0);
    const [operation] = await client.createWorkstation({
      parent: CONFIG,
      workstationId: nextId(),
      workstation: {},
    });
    expect(operation.done).toBe(true);
  });

  it("simulates GCP's idle stop: RUNNING → STOPPED with no operation", async () => {
    const name = await createStopped();
    await runToCompletion((await client.startWorkstation({ name }))[0].name!);
    const operationsBefore = fake.state.operations().length;
    fake.state.stopByIdleTimeout(name);
    const [stopped] = await client.getWorkstation({ name });
    expect(stopped).toMatchObject({ state: "STATE_STOPPED", host: "" });
    expect(fake.state.operations()).toHaveLength(operationsBefore);
    expect(() => fake.state.stopByIdleTimeout(name)).toThrow(/not RUNNING/);
  });

  it("issues access tokens only while running", async () => {
    const name = await createStopped();
    const refused = await grpcError(client.generateAccessToken({ workstation: name }));
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    await runToCompletion((await client.startWorkstation({ name }))[0].name!);
    const [token] = await client.generateAccessToken({ workstation: name, ttl: { seconds: 600 } });
    expect(token.accessToken).toMatch(/^[\w-]{20,}$/);
    const expiresIn = Number(token.expireTime!.seconds) * 1000 - Date.now();
    expect(expiresIn).toBeGreaterThan(500_000);
    expect(expiresIn).toBeLessThanOrEqual(600_000);
  });

  it("answers NOT_FOUND for unknown operations and INVALID_ARGUMENT for malformed names", async () => {
    expect((await grpcError(poll(`${LOCATION}/operations/nope`))).code).toBe(status.NOT_FOUND);
    const malformed = await grpcError(client.getWorkstation({ name: "workstations/x" }));
    expect(malformed.code).toBe(status.INVALID_ARGUMENT);
    expect(malformed.details).toContain("workstations/x");
  });
});
