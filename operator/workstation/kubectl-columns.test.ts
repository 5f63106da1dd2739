/**
 * What `kubectl get` shows for Workstations and Licenses (issue 12 item 14), with real kubectl against the
 * API test server and the operator driving the fake Cloud Workstations: STATE is a readable word (Running,
 * or why there is no workstation), the Workstation billing projects carries its user as a label that `-l`
 * selects on, and past instants print as ages.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workstationResourceFor } from "../../billing/cluster/projection.js";
import { WorkstationResource } from "../../crds/types.js";
import { eventually, type Harness, startHarness, TEST_POLICY } from "../testing/harness.js";

let h: Harness;
let home: string;

function kubectl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: join(home, "kubeconfig") };
    execFile("kubectl", args, { env, timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`kubectl ${args.join(" ")}: ${stderr}`)) : resolve(stdout),
    );
  });
}

/** Rows of a kubectl table as objects keyed by the header words (by column position: cells may be empty). */
function table(text: string): Record<string, string>[] {
  const [header, ...rows] = text.trimEnd().split("\n");
  const starts = [...header!.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index }));
  return rows.map((row) =>
    Object.fromEntries(
      starts.map((c, i) => [c.name, row.slice(c.at, starts[i + 1]?.at ?? row.length).trim()]),
    ),
  );
}

beforeAll(async () => {
  h = await startHarness();
  await h.startOperator({ policy: { ...TEST_POLICY, observeIntervalMs: 300 } });
  home = mkdtempSync(join(tmpdir(), "kubectl-columns-"));
  h.kube.writeKubeconfig(join(home, "kubeconfig"));
}, 60_000);
afterAll(async () => {
  await h?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe("kubectl get", { timeout: 90_000 }, () => {
  it("shows Running (not STATE_RUNNING) and selects a user's Workstations with -l", async () => {
    const namespace = await h.tenant();
    const body = workstationResourceFor({
      name: "ws-alice",
      namespace,
      license_id: randomUUID(),
      tier: "standard",
      user_email: "Alice.Smith@Example.com",
      stripe_subscription_id: null,
      stripe_subscription_item_id: null,
      created_at: new Date(),
    });
    body.spec.licenseRef.name = "lic"; // the harness tenant's License
    await h.custom.createNamespacedCustomObject({ ...WorkstationResource, namespace, body });
    await eventually(
      "Running",
      async () => (await h.getWorkstation(namespace, "ws-alice"))?.status?.phase === "Running",
    );

    const rows = table(await kubectl("get", "ws", "-n", namespace));
    expect(rows).toEqual([expect.objectContaining({ NAME: "ws-alice", STATE: "Running", READY: "True" })]);
    const wide = table(await kubectl("get", "ws", "-n", namespace, "-o", "wide"));
    expect(wide[0]).toMatchObject({ "CLOUD-STATE": "STATE_RUNNING" });

    const mine = await kubectl(
      "get",
      "ws",
      "-A",
      "-l",
      "coditect.ai/user=alice.smith_at_example.com",
      "-o",
      "name",
    );
    expect(mine.trim()).toBe("workstation.coditect.ai/ws-alice");
    const others = await kubectl(
      "get",
      "ws",
      "-A",
      "-l",
      "coditect.ai/user=bob_at_example.com",
      "-o",
      "name",
    );
    expect(others.trim()).toBe("");
  });

  it("explains a missing cloud workstation in STATE, and prints License dates as ages", async () => {
    const namespace = await h.tenant();
    await h.createWorkstation(namespace, "ws-orphan", { licenseRef: { name: "no-such-license" } });
    await eventually(
      "phase",
      async () => (await h.getWorkstation(namespace, "ws-orphan"))?.status?.phase === "WaitingForLicense",
    );
    expect(table(await kubectl("get", "ws", "-n", namespace))[0]).toMatchObject({
      STATE: "WaitingForLicense",
    });

    const lic = table(await kubectl("get", "lic", "-n", namespace))[0]!;
    // Past instants are `date` columns (an age); expiresAt lies in the future, which kubectl would print as
    // "<invalid>" in a date column, so it stays the timestamp.
    expect(lic.AGE).toMatch(/^\d+s$/);
    expect(lic.EXPIRES).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
