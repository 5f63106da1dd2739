// The compiled LRO decoders against the fake Cloud Workstations over gRPC (real v1 client, no mocks): a
// create/start answered through them carries the same workstation and metadata as through gax's own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeWorkstations, startFakeWorkstations } from "../../test-support/fake-workstations/index.js";
import { useCompiledLroDecoders } from "./lro-decoders.js";

process.env.METADATA_SERVER_DETECTION = "none";

const CLUSTER = "projects/p1/locations/us-central1/workstationClusters/c1";
const CONFIG = `${CLUSTER}/workstationConfigs/standard`;

let fake: FakeWorkstations;

beforeAll(async () => {
  fake = await startFakeWorkstations({ operationPollsToComplete: 0 });
  fake.seed({ clusters: [{ name: CLUSTER }], configs: [{ name: CONFIG }] });
});
afterAll(async () => {
  await fake.stop();
});

/** What a client hands back for a create then a start of workstation `id` (finished at once by the fake). */
async function createAndStart(compiled: boolean, id: string) {
  const client = fake.client();
  const original = client.descriptors.longrunning.createWorkstation!.responseDecoder;
  if (compiled) useCompiledLroDecoders(client);
  const replaced = client.descriptors.longrunning.createWorkstation!.responseDecoder !== original;
  const [created] = await client.createWorkstation({
    parent: CONFIG,
    workstationId: id,
    workstation: { labels: { owner: id } },
  });
  const [started] = await client.startWorkstation({ name: `${CONFIG}/workstations/${id}` });
  const shape = (op: typeof created | typeof started) => {
    const result = op.result as { name?: string; state?: unknown; labels?: Record<string, string> } | null;
    const metadata = op.metadata as { target?: string; verb?: string } | null;
    return {
      done: op.done,
      name: result?.name?.replace(id, "ID"),
      state: result?.state,
      labels: { ...result?.labels, owner: result?.labels?.owner?.replace(id, "ID") },
      target: metadata?.target?.replace(id, "ID"),
      verb: metadata?.verb,
    };
  };
  return { replaced, created: shape(created), started: shape(started) };
}

describe("useCompiledLroDecoders", () => {
  it("replaces the Workstation LRO decoders and decodes answers as gax's reflection decoders do", async () => {
    const viaGax = await createAndStart(false, "lro-gax");
    const compiled = await createAndStart(true, "lro-compiled");
    expect(viaGax.replaced).toBe(false);
    expect(compiled.replaced).toBe(true);
    expect(compiled.created).toEqual(viaGax.created);
    expect(compiled.started).toEqual(viaGax.started);
    expect(compiled.created).toMatchObject({ done: true, name: `${CONFIG}/workstations/ID`, verb: "create" });
    expect(compiled.started.verb).toBe("start");
    expect(compiled.started.state).toEqual(viaGax.started.state);
    expect(compiled.started.state).not.toBeUndefined();
  });
});
