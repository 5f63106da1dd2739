/**
 * kubectl conformance: the real kubectl (1.32) against the API test server with the product's CRDs and
 * examples — client-side apply with validation on, printer columns, short names and category, `get -w`,
 * status patches, finalizers, `wait --for=condition=Ready`, `describe` with Events.
 * kubectl is required: this test FAILS (never skips) when it is missing, so CI notices.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "./fixtures/helpers.js";
import { type KubeApiServer, startKubeApiServer } from "./index.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const KUBECTL = process.env.KUBECTL ?? "kubectl";

let server: KubeApiServer;
let home: string;
let env: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(KUBECTL, args, { env, cwd: REPO, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const result = await kubectl(...args);
  if (result.code !== 0)
    throw new Error(`kubectl ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** Starts a long-running kubectl (get -w, wait) and collects its output. */
function background(...args: string[]): { output: () => string; exited: Promise<number> } {
  const child = spawn(KUBECTL, args, { env, cwd: REPO });
  children.push(child);
  let out = "";
  child.stdout.on("data", (d) => {
    out += d.toString();
  });
  child.stderr.on("data", (d) => {
    out += d.toString();
  });
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
  return { output: () => out, exited };
}

/** Splits `kubectl get` output into rows of cells (columns are separated by 2+ spaces). */
function rows(table: string): string[][] {
  return table
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s{2,}/));
}

beforeAll(async () => {
  const probe = spawnSync(KUBECTL, ["version", "--client"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `kubectl is required for the conformance test but "${KUBECTL}" could not be run (${probe.error?.message ?? probe.stderr}). ` +
        "Install kubectl 1.32 (e.g. /usr/bin/kubectl) or set KUBECTL=/path/to/kubectl.",
    );
  }
  server = await startKubeApiServer();
  home = mkdtempSync(join(tmpdir(), "kubectl-conformance-"));
  server.writeKubeconfig(join(home, "kubeconfig"));
  // A temporary HOME keeps kubectl's discovery cache out of the real home directory.
  env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: join(home, "kubeconfig") };
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  await server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe("kubectl against the API test server", { timeout: 120_000 }, () => {
  it("applies the CRDs and the examples with validation on, and re-applies them unchanged", async () => {
    const crds = await ok("apply", "-f", "crds/");
    expect(crds).toContain("customresourcedefinition.apiextensions.k8s.io/licenses.coditect.ai created");
    expect(crds).toContain("customresourcedefinition.apiextensions.k8s.io/workstations.coditect.ai created");
    expect(crds).toContain(
      "customresourcedefinition.apiextensions.k8s.io/containersessions.coditect.ai created",
    );
    expect(await ok("wait", "--for=condition=Established", "crd", "--all", "--timeout=20s")).toContain(
      "condition met",
    );
    const examples = await ok("apply", "-f", "examples/");
    expect(examples).toContain("namespace/acme created");
    expect(examples).toContain("license.coditect.ai/lic-3f2a9c1e created");
    expect(examples).toContain("workstation.coditect.ai/ws-alice created");
    expect(examples).toContain("containersession.coditect.ai/cs-7d1e0b52 created");
    const again = await ok("apply", "-f", "examples/");
    expect(again).toContain("license.coditect.ai/lic-3f2a9c1e unchanged");
  });

  it("rejects invalid objects with kube-apiserver's messages", async () => {
    const bad = join(home, "bad-license.yaml");
    writeFileSync(
      bad,
      [
        "apiVersion: coditect.ai/v1alpha1",
        "kind: License",
        "metadata: {name: bad, namespace: acme}",
        "spec: {licenseId: 3f2a9c1e-8b7d-4e6f-9a01-23456789abcd, organization: acme, tier: gold, maxContainers: 1,",
        "  seats: 1, expiresAt: null, provisioningType: paid, state: active}",
      ].join("\n"),
    );
    const invalid = await kubectl("apply", "-f", bad);
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain(
      'spec.tier: Unsupported value: "gold": supported values: "starter", "pro", "enterprise"',
    );

    const withUnknownField = join(home, "unknown-field.yaml");
    writeFileSync(
      withUnknownField,
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: acme}\n---\n" +
        "apiVersion: coditect.ai/v1alpha1\nkind: Workstation\nmetadata: {name: ws-bob, namespace: acme}\n" +
        "spec: {licenseRef: {name: lic-3f2a9c1e}, user: bob@acme.example, tier: power, colour: blue}\n",
    );
    const unknown = await kubectl("apply", "-f", withUnknownField);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('strict decoding error: unknown field "spec.colour"');
    expect((await kubectl("get", "ws", "ws-bob", "-n", "acme")).code).not.toBe(0);

    const immutable = await kubectl(
      "patch",
      "lic",
      "lic-3f2a9c1e",
      "-n",
      "acme",
      "--type=merge",
      "-p",
      '{"spec":{"organization":"other"}}',
    );
    expect(immutable.code).not.toBe(0);
    expect(immutable.stderr).toContain(
      'spec.organization: Invalid value: "string": organization is immutable',
    );
  });

  it("prints the CRDs' printer columns, by short name, category and -o wide", async () => {
    const lic = rows(await ok("get", "lic", "-n", "acme"));
    expect(lic[0]).toEqual(["NAME", "TIER", "STATE", "SESSIONS", "READY", "EXPIRES", "AGE"]);
    // Absent values (no status.activeSessions, no Ready condition yet) print as empty cells, as with kube-apiserver.
    expect(lic[1]!.join("  ")).toMatch(/^lic-3f2a9c1e {2}pro {2}active {2}2027-01-01T00:00:00Z {2}\d+s$/);
    const wide = rows(await ok("get", "lic", "-n", "acme", "-o", "wide"));
    expect(wide[0]).toEqual(["NAME", "TIER", "STATE", "SESSIONS", "MAX", "ORG", "READY", "EXPIRES", "AGE"]);
    expect(rows(await ok("get", "ws", "-n", "acme"))[0]).toEqual([
      "NAME",
      "USER",
      "STATE",
      "READY",
      "REASON",
      "AGE",
    ]);
    expect(rows(await ok("get", "csess", "-n", "acme"))[0]).toEqual([
      "NAME",
      "LICENSE",
      "TYPE",
      "STATE",
      "LAST-HEARTBEAT",
      "AGE",
    ]);
    const all = await ok("get", "coditect", "-n", "acme");
    expect(all).toContain("license.coditect.ai/lic-3f2a9c1e");
    expect(all).toContain("workstation.coditect.ai/ws-alice");
    expect(all).toContain("containersession.coditect.ai/cs-7d1e0b52");
  });

  it("watches with get -w, patches status, and kubectl wait sees Ready", async () => {
    const watch = background("get", "ws", "-n", "acme", "-w");
    await eventually(() => watch.output().includes("ws-alice"), 20_000, "get -w initial row");
    const wait = background("wait", "--for=condition=Ready", "ws/ws-alice", "-n", "acme", "--timeout=30s");
    const status = {
      status: {
        state: "STATE_RUNNING",
        phase: "Running",
        conditions: [
          {
            type: "Ready",
            status: "True",
            reason: "Running",
            message: "workstation is running",
            lastTransitionTime: "2026-01-01T00:00:00Z",
          },
        ],
      },
    };
    const patched = await ok(
      "patch",
      "ws",
      "ws-alice",
      "-n",
      "acme",
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify(status),
    );
    expect(patched).toContain("workstation.coditect.ai/ws-alice patched");
    expect(await wait.exited).toBe(0);
    expect(wait.output()).toContain("workstation.coditect.ai/ws-alice condition met");
    await eventually(
      () => /ws-alice\s+alice@acme\.example\s+Running\s+True\s+Running/.test(watch.output()),
      20_000,
      "get -w update row",
    );
    const generation = await ok(
      "get",
      "ws",
      "ws-alice",
      "-n",
      "acme",
      "-o",
      "jsonpath={.metadata.generation}",
    );
    expect(generation).toBe("1");
  });

  it("blocks delete on a finalizer and completes it when the finalizer is removed", async () => {
    await ok(
      "patch",
      "csess",
      "cs-7d1e0b52",
      "-n",
      "acme",
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":["coditect.ai/test-hold"]}}',
    );
    expect(await ok("delete", "csess", "cs-7d1e0b52", "-n", "acme", "--wait=false")).toContain(
      'containersession.coditect.ai "cs-7d1e0b52" deleted',
    );
    const stamp = await ok(
      "get",
      "csess",
      "cs-7d1e0b52",
      "-n",
      "acme",
      "-o",
      "jsonpath={.metadata.deletionTimestamp}",
    );
    expect(stamp).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    await ok(
      "patch",
      "csess",
      "cs-7d1e0b52",
      "-n",
      "acme",
      "--type=json",
      "-p",
      '[{"op":"remove","path":"/metadata/finalizers"}]',
    );
    const gone = await kubectl("get", "csess", "cs-7d1e0b52", "-n", "acme");
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain(
      'Error from server (NotFound): containersessions.coditect.ai "cs-7d1e0b52" not found',
    );
  });

  it("describes an object with its Events", async () => {
    const uid = await ok("get", "ws", "ws-alice", "-n", "acme", "-o", "jsonpath={.metadata.uid}");
    const event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "ws-alice.provisioned", namespace: "acme" },
      involvedObject: {
        apiVersion: "coditect.ai/v1alpha1",
        kind: "Workstation",
        name: "ws-alice",
        namespace: "acme",
        uid,
      },
      reason: "Provisioned",
      message: "cloud workstation created",
      type: "Normal",
      source: { component: "coditect-operator" },
      firstTimestamp: "2026-01-01T00:00:00Z",
      lastTimestamp: "2026-01-01T00:00:00Z",
      count: 1,
    };
    const file = join(home, "event.json");
    writeFileSync(file, JSON.stringify(event));
    await ok("create", "-f", file);
    const described = await ok("describe", "ws", "ws-alice", "-n", "acme");
    expect(described).toMatch(/Name:\s+ws-alice/);
    expect(described).toMatch(/User:\s+alice@acme\.example/);
    expect(described).toMatch(/Normal\s+Provisioned\s+.*coditect-operator\s+cloud workstation created/);
  });
  it("creates built-ins with kubectl create, which sends them as protobuf", async () => {
    expect(await ok("create", "namespace", "proto")).toContain("namespace/proto created");
    expect(
      await ok(
        "create",
        "configmap",
        "settings",
        "-n",
        "proto",
        "--from-literal=mode=fast",
        "--from-literal=empty=",
      ),
    ).toContain("configmap/settings created");
    expect(
      await ok("create", "secret", "generic", "creds", "-n", "proto", "--from-literal=token=s3cr3t"),
    ).toContain("secret/creds created");
    const ns = JSON.parse(await ok("get", "namespace", "proto", "-o", "json"));
    expect(ns.status.phase).toBe("Active");
    expect(ns.metadata.labels).toEqual({ "kubernetes.io/metadata.name": "proto" });
    const cm = JSON.parse(await ok("get", "cm", "settings", "-n", "proto", "-o", "json"));
    expect(cm.data).toEqual({ mode: "fast", empty: "" });
    const secret = JSON.parse(await ok("get", "secret", "creds", "-n", "proto", "-o", "json"));
    expect(secret.type).toBe("Opaque");
    expect(Buffer.from(secret.data.token, "base64").toString("utf8")).toBe("s3cr3t");
    expect(
      await ok("get", "secret", "creds", "-n", "proto", "-o", "jsonpath={.metadata.creationTimestamp}"),
    ).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it("creates ServiceAccounts and RBAC objects with kubectl create (protobuf), decoded field by field", async () => {
    expect(await ok("create", "serviceaccount", "worker", "-n", "proto")).toContain(
      "serviceaccount/worker created",
    );
    await ok(
      "create",
      "role",
      "reader",
      "-n",
      "proto",
      "--verb=get,list",
      "--resource=configmaps,leases.coordination.k8s.io",
    );
    await ok(
      "create",
      "rolebinding",
      "reader",
      "-n",
      "proto",
      "--role=reader",
      "--serviceaccount=proto:worker",
    );
    await ok(
      "create",
      "clusterrole",
      "ns-reader",
      "--verb=get",
      "--resource=namespaces",
      "--resource-name=proto",
    );
    await ok(
      "create",
      "clusterrolebinding",
      "ns-reader",
      "--clusterrole=ns-reader",
      "--user=bob",
      "--group=devs",
    );
    const role = JSON.parse(await ok("get", "role", "reader", "-n", "proto", "-o", "json"));
    expect(role.rules).toEqual([
      { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list"] },
    ]);
    const binding = JSON.parse(await ok("get", "rolebinding", "reader", "-n", "proto", "-o", "json"));
    expect({ subjects: binding.subjects, roleRef: binding.roleRef }).toEqual({
      subjects: [{ kind: "ServiceAccount", name: "worker", namespace: "proto" }],
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" },
    });
    const clusterRole = JSON.parse(await ok("get", "clusterrole", "ns-reader", "-o", "json"));
    expect(clusterRole.rules).toEqual([
      { apiGroups: [""], resources: ["namespaces"], resourceNames: ["proto"], verbs: ["get"] },
    ]);
    const clusterBinding = JSON.parse(await ok("get", "clusterrolebinding", "ns-reader", "-o", "json"));
    expect(clusterBinding.subjects).toEqual([
      { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "bob" },
      { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "devs" },
    ]);
    expect(await ok("get", "sa", "-n", "proto")).toContain("worker");
  });

  it("resolves built-in short names like a real cluster: cs is componentstatuses, csess ContainerSession", async () => {
    const cs = await kubectl("get", "cs");
    expect(cs.code).toBe(0);
    expect(cs.stderr).toContain("No resources found");
    expect(cs.stderr).not.toContain("containersessions");
    expect(cs.stdout).not.toContain("LAST-HEARTBEAT");
    expect(await ok("get", "cs", "-o", "jsonpath={.kind}")).toBe("List");
    expect(
      (await ok("api-resources", "--api-group=")).split("\n").find((l) => /^componentstatuses\s/.test(l)),
    ).toMatch(/^componentstatuses\s+cs\s+v1\s+false\s+ComponentStatus$/);
    const deploy = await kubectl("create", "deployment", "web", "--image=nginx", "-n", "acme");
    expect(deploy.code).not.toBe(0);
    expect(deploy.stderr).toContain("lists Deployment in discovery only");
  });
});
