/**
 * Where the client connects: loadKubeConnection's rule (KUBECONFIG, else the pod's service account, else
 * none; loud errors for a missing token or CA), token files re-read as the kubelet rotates them, the
 * kubeconfig forms we support, and an `exec` user (a script printing an ExecCredential) through the lazy
 * client-node path — each proven by requests to the API test server over TLS with RBAC on.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { writeKubeconfigFile } from "../../test-support/kube-apiserver/kubeconfig.js";
import { ManualClock } from "../clock.js";
import { createKubeClient } from "./client.js";
import {
  connectionFromKubeconfigFile,
  connectionFromKubeconfigYaml,
  type KubeConnection,
  loadKubeConnection,
} from "./connection.js";
import { KubeApiError, KubeConnectionError } from "./errors.js";
import { NamespaceResource } from "./resources.js";

let server: KubeApiServer;
let dir: string;

beforeAll(async () => {
  server = await startKubeApiServer({ tls: true, rbac: true });
  dir = mkdtempSync(join(tmpdir(), "kube-connection-"));
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Lists namespaces with the connection: the names, or the error. */
async function namespacesWith(connection: KubeConnection): Promise<string[] | Error> {
  const client = createKubeClient(connection);
  try {
    const list = await client.resource(NamespaceResource).list();
    return list.items.map((n) => n.metadata?.name ?? "");
  } catch (error) {
    return error as Error;
  } finally {
    await client.close();
  }
}

function kubeconfig(file: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  writeFileSync(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster }],
      users: [{ name: "u", user }],
      contexts: [{ name: "ctx", context: { cluster: "c", user: "u", namespace: "team-a" } }],
      "current-context": "ctx",
    }),
  );
  return file;
}

describe("loadKubeConnection", () => {
  const port = () => new URL(server.url).port;

  it("in a pod: the service account's token, CA and namespace; the token re-read after a minute", async () => {
    const sa = join(dir, "sa");
    mkdirSync(sa);
    writeFileSync(join(sa, "token"), `${server.adminToken}\n`);
    writeFileSync(join(sa, "ca.crt"), server.caPem!);
    writeFileSync(join(sa, "namespace"), "coditect-system\n");
    const clock = new ManualClock();
    const loaded = loadKubeConnection(
      { kubeconfig: undefined, serviceHost: "127.0.0.1", servicePort: port() },
      sa,
      clock,
    );
    expect(loaded).toMatchObject({
      source: "in-cluster",
      connection: {
        server: `https://127.0.0.1:${port()}`,
        namespace: "coditect-system",
        description: "in-cluster",
      },
    });
    if (loaded.source !== "in-cluster") throw new Error("unreachable");
    expect(await namespacesWith(loaded.connection)).toContain("default");

    // The kubelet rotates the token (here: to one the server refuses, to see which one is sent).
    writeFileSync(join(sa, "token"), "rotated-token");
    clock.advance(30_000);
    expect(await namespacesWith(loaded.connection)).toContain("default"); // still the cached token
    clock.advance(30_000);
    const refused = await namespacesWith(loaded.connection);
    expect(refused).toBeInstanceOf(KubeApiError);
    expect((refused as KubeApiError).status).toBe(401);
  });

  it("in a pod without the token or CA: throws naming the missing file; no environment: none", () => {
    const empty = join(dir, "empty-sa");
    mkdirSync(empty);
    const settings = { kubeconfig: undefined, serviceHost: "10.0.0.1", servicePort: "443" };
    expect(() => loadKubeConnection(settings, empty)).toThrow(
      `${join(empty, "token")} is missing: mount the service account token`,
    );
    writeFileSync(join(empty, "token"), "t");
    expect(() => loadKubeConnection(settings, empty)).toThrow(`${join(empty, "ca.crt")} is missing`);
    expect(loadKubeConnection({ kubeconfig: undefined, serviceHost: undefined, servicePort: "443" })).toEqual(
      {
        source: "none",
        reason: "neither KUBECONFIG nor KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT is set",
      },
    );
  });

  it("an IPv6 service host is bracketed", () => {
    const sa = join(dir, "sa6");
    mkdirSync(sa);
    writeFileSync(join(sa, "token"), "t");
    writeFileSync(join(sa, "ca.crt"), "ca");
    const loaded = loadKubeConnection(
      { kubeconfig: undefined, serviceHost: "fd00::1", servicePort: "443" },
      sa,
    );
    expect(loaded.source === "in-cluster" && loaded.connection.server).toBe("https://[fd00::1]:443");
  });

  it("KUBECONFIG wins over the pod's environment; a kubeconfig without a usable context throws", async () => {
    const file = join(dir, "kubeconfig-test");
    writeKubeconfigFile(file, {
      url: server.url,
      caPem: server.caPem,
      token: server.adminToken,
      namespace: "ns-x",
    });
    const loaded = loadKubeConnection({ kubeconfig: file, serviceHost: "10.0.0.1", servicePort: "443" });
    expect(loaded).toMatchObject({
      source: "kubeconfig",
      file,
      connection: { server: server.url, namespace: "ns-x" },
    });
    if (loaded.source !== "kubeconfig") throw new Error("unreachable");
    expect(await namespacesWith(loaded.connection)).toContain("default");

    const broken = join(dir, "kubeconfig-broken");
    writeFileSync(broken, stringify({ apiVersion: "v1", kind: "Config", clusters: [], contexts: [] }));
    expect(() =>
      loadKubeConnection({ kubeconfig: broken, serviceHost: undefined, servicePort: undefined }),
    ).toThrow(`KUBECONFIG=${broken} has no current context with a cluster server`);
  });
});

describe("kubeconfig forms", () => {
  it("CA and token files relative to the kubeconfig; the token file re-read", async () => {
    const sub = join(dir, "relative");
    mkdirSync(sub);
    writeFileSync(join(sub, "ca.pem"), server.caPem!);
    writeFileSync(join(sub, "token"), server.adminToken);
    const connection = connectionFromKubeconfigFile(
      kubeconfig(
        join(sub, "config"),
        { server: `${server.url}/`, "certificate-authority": "ca.pem" },
        { tokenFile: "token" },
      ),
    );
    expect(connection).toMatchObject({ server: server.url, namespace: "team-a", caPem: server.caPem });
    expect(await namespacesWith(connection)).toContain("default");
  });

  it("insecure-skip-tls-verify talks to a server whose CA it does not know; without it TLS fails", async () => {
    const insecure = connectionFromKubeconfigYaml(
      stringify({
        clusters: [{ name: "c", cluster: { server: server.url, "insecure-skip-tls-verify": true } }],
        users: [{ name: "u", user: { token: server.adminToken } }],
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        "current-context": "x",
      }),
      "secret kubeconfig",
    );
    expect(insecure.description).toBe("secret kubeconfig");
    expect(await namespacesWith(insecure)).toContain("default");
    const verified = await namespacesWith({ ...insecure, insecureSkipTlsVerify: false });
    expect(verified).toBeInstanceOf(KubeConnectionError);
  });

  it("client certificate and key from data or files; basic auth", () => {
    writeFileSync(join(dir, "client.crt"), "CERT FILE");
    const connection = connectionFromKubeconfigFile(
      kubeconfig(
        join(dir, "kubeconfig-cert"),
        {
          server: "https://k.example:6443",
          "certificate-authority-data": Buffer.from("CA PEM").toString("base64"),
        },
        { "client-certificate": "client.crt", "client-key-data": Buffer.from("KEY PEM").toString("base64") },
      ),
    );
    expect(connection).toMatchObject({
      caPem: "CA PEM",
      clientCertPem: "CERT FILE",
      clientKeyPem: "KEY PEM",
    });
    expect(connection.authHeaders).toBeUndefined();
    const basic = connectionFromKubeconfigFile(
      kubeconfig(
        join(dir, "kubeconfig-basic"),
        { server: "https://k.example" },
        { username: "ann", password: "pw" },
      ),
    );
    expect(basic.authHeaders?.()).toEqual({
      authorization: `Basic ${Buffer.from("ann:pw").toString("base64")}`,
    });
  });

  it("names what is missing", () => {
    const yaml = (doc: unknown) => () => connectionFromKubeconfigYaml(stringify(doc), "kc");
    expect(yaml({ contexts: [] })).toThrow("kc has no current-context");
    expect(yaml({ "current-context": "a", contexts: [] })).toThrow('kc has no context named "a"');
    expect(
      yaml({
        "current-context": "a",
        contexts: [{ name: "a", context: { cluster: "c" } }],
        clusters: [{ name: "c", cluster: {} }],
      }),
    ).toThrow('kc: cluster "c" has no server');
  });

  it("an exec user: client-node runs the plugin (once, its credential cached) and the token is sent", async () => {
    const script = join(dir, "credential.mjs");
    const runs = join(dir, "credential-runs");
    writeFileSync(
      script,
      `import { appendFileSync } from "node:fs";
appendFileSync(${JSON.stringify(runs)}, "run\\n");
process.stdout.write(JSON.stringify({
  apiVersion: "client.authentication.k8s.io/v1beta1",
  kind: "ExecCredential",
  status: { token: ${JSON.stringify(server.adminToken)}, expirationTimestamp: new Date(Date.now() + 3600e3).toISOString() },
}));\n`,
    );
    const file = kubeconfig(
      join(dir, "kubeconfig-exec"),
      { server: server.url, "certificate-authority-data": Buffer.from(server.caPem!).toString("base64") },
      {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1beta1",
          command: process.execPath,
          args: [script],
          interactiveMode: "Never",
        },
      },
    );
    const connection = connectionFromKubeconfigFile(file);
    const client = createKubeClient(connection);
    try {
      const namespaces = client.resource(NamespaceResource);
      expect((await namespaces.list()).items.length).toBeGreaterThan(0);
      expect(await namespaces.get(undefined, "default")).not.toBeNull();
    } finally {
      await client.close();
    }
    expect(readFileSync(runs, "utf8")).toBe("run\n");
  });
});
