/**
 * The real kubectl (1.32) against the API test server over TLS with RBAC enforced: the admin kubeconfig
 * (CA + admin token) works, `kubectl create token` mints a ServiceAccount token (protobuf TokenRequest), a
 * kubeconfig with that token gets kube's exact Forbidden message, `kubectl auth can-i` answers from RBAC,
 * and after `kubectl apply` of a Role + RoleBinding the same requests are allowed.
 * kubectl is required: this test FAILS (never skips) when it is missing.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KubeApiServer, startKubeApiServer } from "./index.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const KUBECTL = process.env.KUBECTL ?? "kubectl";
const SA_USER = "system:serviceaccount:acme:worker";

let server: KubeApiServer;
let home: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(kubeconfig: string, ...args: string[]): Promise<Result> {
  const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: join(home, kubeconfig) };
  return new Promise((resolve) => {
    execFile(KUBECTL, args, { env, cwd: REPO, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(kubeconfig: string, ...args: string[]): Promise<string> {
  const result = await kubectl(kubeconfig, ...args);
  if (result.code !== 0)
    throw new Error(`kubectl ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

const admin = (...args: string[]) => ok("admin", ...args);
const worker = (...args: string[]) => kubectl("worker", ...args);

beforeAll(async () => {
  const probe = spawnSync(KUBECTL, ["version", "--client"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0)
    throw new Error(
      `kubectl is required but "${KUBECTL}" could not be run (${probe.error?.message ?? probe.stderr})`,
    );
  server = await startKubeApiServer({ tls: true, rbac: true, crdDirs: [join(REPO, "crds")] });
  home = mkdtempSync(join(tmpdir(), "kubectl-rbac-"));
  server.writeKubeconfig(join(home, "admin"));
});

afterAll(async () => {
  await server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe("kubectl with TLS and RBAC", { timeout: 120_000 }, () => {
  it("works as admin with the CA from the kubeconfig, and mints a ServiceAccount token", async () => {
    expect(await admin("apply", "-f", "examples/")).toContain("workstation.coditect.ai/ws-alice created");
    writeFileSync(
      join(home, "sa.yaml"),
      "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: worker, namespace: acme}\n",
    );
    expect(await admin("apply", "-f", join(home, "sa.yaml"))).toContain("serviceaccount/worker created");
    expect(await admin("get", "sa", "-n", "acme")).toMatch(/worker\s+0\s+\d+s/);
    const token = (await admin("create", "token", "worker", "-n", "acme", "--duration", "1h")).trim();
    expect(token.split(".")).toHaveLength(3);
    server.writeKubeconfig(join(home, "worker"), { token });
  });

  it("gives the ServiceAccount kube's Forbidden message and says no to can-i", async () => {
    server.clearDeniedRequests();
    const list = await worker("get", "licenses", "-n", "acme");
    expect(list.code).toBe(1);
    expect(list.stderr.trim()).toBe(
      `Error from server (Forbidden): licenses.coditect.ai is forbidden: User "${SA_USER}" cannot list resource "licenses" in API group "coditect.ai" in the namespace "acme"`,
    );
    const patch = await worker(
      "patch",
      "ws",
      "ws-alice",
      "-n",
      "acme",
      "--subresource=status",
      "--type=merge",
      "-p",
      '{"status":{"phase":"Running"}}',
    );
    // kubectl reads the object before patching it, so the first refusal is the get.
    expect(patch.stderr.trim()).toBe(
      `Error from server (Forbidden): workstations.coditect.ai "ws-alice" is forbidden: User "${SA_USER}" cannot get resource "workstations/status" in API group "coditect.ai" in the namespace "acme"`,
    );
    expect(
      server
        .deniedRequests()
        .map((d) => `${d.verb} ${d.resource}${d.subresource ? `/${d.subresource}` : ""}`),
    ).toEqual(["list licenses", "get workstations/status"]);
    const canI = await worker("auth", "can-i", "create", "licenses.coditect.ai", "-n", "acme");
    expect({ code: canI.code, out: canI.stdout.trim() }).toEqual({ code: 1, out: "no" });
    expect((await admin("auth", "can-i", "create", "licenses.coditect.ai", "-n", "acme")).trim()).toBe("yes");
  });

  it("allows what a Role + RoleBinding applied with kubectl grant, and nothing more", async () => {
    writeFileSync(
      join(home, "rbac.yaml"),
      [
        "apiVersion: rbac.authorization.k8s.io/v1",
        "kind: Role",
        "metadata: {name: license-writer, namespace: acme}",
        "rules:",
        '- apiGroups: ["coditect.ai"]',
        '  resources: ["licenses"]',
        '  verbs: ["get", "list", "watch", "create"]',
        "---",
        "apiVersion: rbac.authorization.k8s.io/v1",
        "kind: RoleBinding",
        "metadata: {name: worker-licenses, namespace: acme}",
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: license-writer}",
        "subjects:",
        "- {kind: ServiceAccount, name: worker, namespace: acme}",
      ].join("\n"),
    );
    const applied = await admin("apply", "-f", join(home, "rbac.yaml"));
    expect(applied).toContain("role.rbac.authorization.k8s.io/license-writer created");
    expect(applied).toContain("rolebinding.rbac.authorization.k8s.io/worker-licenses created");
    expect(await admin("get", "rolebinding", "worker-licenses", "-n", "acme")).toMatch(
      /worker-licenses\s+Role\/license-writer/,
    );

    expect(
      (await worker("auth", "can-i", "create", "licenses.coditect.ai", "-n", "acme")).stdout.trim(),
    ).toBe("yes");
    expect(
      (await worker("auth", "can-i", "delete", "licenses.coditect.ai", "-n", "acme")).stdout.trim(),
    ).toBe("no");
    expect(
      (await worker("auth", "can-i", "create", "licenses.coditect.ai", "-n", "globex")).stdout.trim(),
    ).toBe("no");
    const rules = await worker("auth", "can-i", "--list", "-n", "acme");
    expect(rules.code).toBe(0);
    expect(rules.stdout).toMatch(/licenses\.coditect\.ai\s+\[\]\s+\[\]\s+\[get list watch create\]/);
    expect(rules.stdout).toMatch(
      /selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/,
    );
    const list = await worker("get", "licenses", "-n", "acme");
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("lic-3f2a9c1e");
    const clusterWide = await worker("get", "licenses", "-A");
    expect(clusterWide.stderr.trim()).toBe(
      `Error from server (Forbidden): licenses.coditect.ai is forbidden: User "${SA_USER}" cannot list resource "licenses" in API group "coditect.ai" at the cluster scope`,
    );
  });

  it("refuses impersonation (kubectl --as) instead of answering as the admin", async () => {
    const asOther = await kubectl(
      "admin",
      "auth",
      "can-i",
      "create",
      "licenses.coditect.ai",
      "-n",
      "acme",
      "--as=mallory",
    );
    expect(asOther.code).not.toBe(0);
    expect(asOther.stderr).toContain("impersonation");
    expect(asOther.stdout).not.toContain("yes");
  });
});
