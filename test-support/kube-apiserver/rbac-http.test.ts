/**
 * Authentication and RBAC over HTTPS with @kubernetes/client-node and raw requests: ServiceAccount tokens
 * (TokenRequest, uid binding, expiry), 401s, Forbidden with kube's wording, RoleBinding/ClusterRoleBinding
 * grants, watch authorization, SelfSubjectAccessReview and the denied-request log.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api, Watch } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ManualClock } from "../../lib/clock.js";
import { apiError, mergePatchOptions } from "./fixtures/client-node.js";
import { eventually } from "./fixtures/helpers.js";
import { secureRequest } from "./fixtures/https.js";
import { type KubeApiServer, startKubeApiServer } from "./index.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const WS = { group: "coditect.ai", version: "v1alpha1", plural: "workstations" };
const clock = new ManualClock(new Date());
let server: KubeApiServer;
let admin: { core: CoreV1Api; custom: CustomObjectsApi; rbac: RbacAuthorizationV1Api };

function example(file: string) {
  return parse(readFileSync(join(REPO, "examples", file), "utf8"));
}

function clientsWith(token: string) {
  const kc = server.kubeConfig({ token });
  return {
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
  };
}

let counter = 0;
/** A fresh ServiceAccount (in a fresh namespace) and a token for it. */
async function newServiceAccount(): Promise<{ namespace: string; name: string; token: string }> {
  counter += 1;
  const namespace = `sa-${counter}`;
  await admin.core.createNamespace({ body: { metadata: { name: namespace } } });
  await admin.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "worker" } } });
  return { namespace, name: "worker", token: await server.serviceAccountToken(namespace, "worker") };
}

beforeAll(async () => {
  server = await startKubeApiServer({ tls: true, rbac: true, crdDirs: [join(REPO, "crds")], clock });
  admin = clientsWith(server.adminToken);
  await admin.core.createNamespace({ body: example("00-namespace.yaml") });
  await admin.custom.createNamespacedCustomObject({
    ...WS,
    namespace: "acme",
    body: example("20-workstation.yaml"),
  });
});
afterAll(async () => {
  await server?.stop();
});

describe("TLS", () => {
  it("serves https with a CA the kubeconfig carries, and no skip-TLS", () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const cluster = server.kubeConfig().getCurrentCluster()!;
    expect(cluster.skipTLSVerify).toBeFalsy();
    expect(Buffer.from(cluster.caData!, "base64").toString()).toBe(server.caPem);
  });
});

describe("authentication", () => {
  it("answers 401 Unauthorized for no, unknown, malformed and expired tokens; health endpoints stay public", async () => {
    const unauthorized = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "Unauthorized",
      reason: "Unauthorized",
      code: 401,
    };
    const ca = server.caPem!;
    for (const token of [undefined, "not-a-token", `${server.adminToken}x`, "a.b.c"]) {
      const res = await secureRequest(server.url, ca, "GET", "/api/v1/namespaces", token ? { token } : {});
      expect({ token, status: res.status, body: res.body }).toEqual({
        token,
        status: 401,
        body: unauthorized,
      });
    }
    for (const path of ["/readyz", "/livez", "/healthz", "/version"])
      expect((await secureRequest(server.url, ca, "GET", path)).status).toBe(200);

    const sa = await newServiceAccount();
    const short = await server.serviceAccountToken(sa.namespace, sa.name, 60);
    const discovery = await secureRequest(server.url, ca, "GET", "/api", { token: short });
    expect(discovery.status).toBe(200);
    clock.advance(61_000);
    expect((await secureRequest(server.url, ca, "GET", "/api", { token: short })).status).toBe(401);
  });

  it("binds ServiceAccount tokens to the ServiceAccount's uid: delete + re-create invalidates them", async () => {
    const sa = await newServiceAccount();
    const ca = server.caPem!;
    expect((await secureRequest(server.url, ca, "GET", "/api", { token: sa.token })).status).toBe(200);
    await admin.core.deleteNamespacedServiceAccount({ namespace: sa.namespace, name: sa.name });
    expect((await secureRequest(server.url, ca, "GET", "/api", { token: sa.token })).status).toBe(401);
    await admin.core.createNamespacedServiceAccount({
      namespace: sa.namespace,
      body: { metadata: { name: sa.name } },
    });
    expect((await secureRequest(server.url, ca, "GET", "/api", { token: sa.token })).status).toBe(401);
    const fresh = await server.serviceAccountToken(sa.namespace, sa.name);
    expect((await secureRequest(server.url, ca, "GET", "/api", { token: fresh })).status).toBe(200);
  });

  it("issues tokens through the TokenRequest subresource with kube's claims", async () => {
    const sa = await newServiceAccount();
    const created = await admin.core.createNamespacedServiceAccountToken({
      namespace: sa.namespace,
      name: sa.name,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    expect(created.status!.expirationTimestamp!.getTime()).toBe(
      Math.floor(clock.now().getTime() / 1000) * 1000 + 600_000,
    );
    const token = created.status!.token!;
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
    const stored = await admin.core.readNamespacedServiceAccount({ namespace: sa.namespace, name: sa.name });
    expect(claims).toMatchObject({
      iss: "https://kubernetes.default.svc.cluster.local",
      aud: ["https://kubernetes.default.svc.cluster.local"],
      sub: `system:serviceaccount:${sa.namespace}:worker`,
      "kubernetes.io": {
        namespace: sa.namespace,
        serviceaccount: { name: "worker", uid: stored.metadata!.uid },
      },
    });
    const tooShort = await apiError(
      admin.core.createNamespacedServiceAccountToken({
        namespace: sa.namespace,
        name: sa.name,
        body: { spec: { audiences: [], expirationSeconds: 60 } },
      }),
    );
    expect(tooShort.code).toBe(422);
    expect(tooShort.body.message).toContain(
      "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes",
    );
    const missing = await apiError(
      admin.core.createNamespacedServiceAccountToken({
        namespace: sa.namespace,
        name: "nobody",
        body: { spec: { audiences: [] } },
      }),
    );
    expect(missing).toMatchObject({ code: 404, body: { message: 'serviceaccounts "nobody" not found' } });
    // The ServiceAccount itself may not mint tokens without a grant on serviceaccounts/token.
    const self = await apiError(
      clientsWith(sa.token).core.createNamespacedServiceAccountToken({
        namespace: sa.namespace,
        name: sa.name,
        body: { spec: { audiences: [] } },
      }),
    );
    expect(self.body.message).toBe(
      `serviceaccounts "worker" is forbidden: User "system:serviceaccount:${sa.namespace}:worker" cannot create resource "serviceaccounts/token" in API group "" in the namespace "${sa.namespace}"`,
    );
  });
});

describe("RBAC", () => {
  it("forbids with kube's message, records the denial, and allows once a ClusterRole is bound by a RoleBinding", async () => {
    const sa = await newServiceAccount();
    const user = `system:serviceaccount:${sa.namespace}:worker`;
    const client = clientsWith(sa.token);
    server.clearDeniedRequests();
    const patch = () =>
      client.custom.patchNamespacedCustomObjectStatus(
        { ...WS, namespace: "acme", name: "ws-alice", body: { status: { phase: "Running" } } },
        mergePatchOptions,
      );
    const denied = await apiError(patch());
    expect(denied).toEqual({
      code: 403,
      body: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `workstations.coditect.ai "ws-alice" is forbidden: User "${user}" cannot patch resource "workstations/status" in API group "coditect.ai" in the namespace "acme"`,
        reason: "Forbidden",
        details: { name: "ws-alice", group: "coditect.ai", kind: "workstations" },
        code: 403,
      },
    });
    expect(server.deniedRequests()).toEqual([
      {
        user,
        verb: "patch",
        resource: "workstations",
        subresource: "status",
        apiGroup: "coditect.ai",
        namespace: "acme",
        name: "ws-alice",
        message: denied.body.message,
      },
    ]);

    await admin.rbac.createClusterRole({
      body: {
        metadata: { name: `ws-status-${sa.namespace}` },
        rules: [{ apiGroups: ["coditect.ai"], resources: ["workstations/status"], verbs: ["patch"] }],
      },
    });
    await admin.rbac.createNamespacedRoleBinding({
      namespace: "acme",
      body: {
        metadata: { name: `ws-status-${sa.namespace}` },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: `ws-status-${sa.namespace}`,
        },
        subjects: [{ kind: "ServiceAccount", name: "worker", namespace: sa.namespace }],
      },
    });
    await patch();
    // The grant is for the status subresource in acme only.
    const main = await apiError(
      client.custom.patchNamespacedCustomObject(
        { ...WS, namespace: "acme", name: "ws-alice", body: { spec: { displayName: "x" } } },
        mergePatchOptions,
      ),
    );
    expect(main.code).toBe(403);
  });

  it("authorizes lists and watches like kube: namespaced grants do not reach cluster-wide, watch needs its own verb", async () => {
    const sa = await newServiceAccount();
    const client = clientsWith(sa.token);
    const user = `system:serviceaccount:${sa.namespace}:worker`;
    await admin.rbac.createNamespacedRole({
      namespace: "acme",
      body: {
        metadata: { name: `list-${sa.namespace}` },
        rules: [{ apiGroups: ["coditect.ai"], resources: ["workstations"], verbs: ["list"] }],
      },
    });
    await admin.rbac.createNamespacedRoleBinding({
      namespace: "acme",
      body: {
        metadata: { name: `list-${sa.namespace}` },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `list-${sa.namespace}` },
        subjects: [{ kind: "ServiceAccount", name: "worker", namespace: sa.namespace }],
      },
    });
    const list = (await client.custom.listNamespacedCustomObject({ ...WS, namespace: "acme" })) as {
      items: unknown[];
    };
    expect(list.items).toHaveLength(1);
    const clusterWide = await apiError(client.custom.listClusterCustomObject(WS));
    expect(clusterWide.body.message).toBe(
      `workstations.coditect.ai is forbidden: User "${user}" cannot list resource "workstations" in API group "coditect.ai" at the cluster scope`,
    );
    const watchDenied = await secureRequest(
      server.url,
      server.caPem!,
      "GET",
      "/apis/coditect.ai/v1alpha1/namespaces/acme/workstations?watch=true",
      { token: sa.token },
    );
    expect(watchDenied.status).toBe(403);
    expect(watchDenied.body.message).toBe(
      `workstations.coditect.ai is forbidden: User "${user}" cannot watch resource "workstations" in API group "coditect.ai" in the namespace "acme"`,
    );

    // A ClusterRoleBinding to a group the ServiceAccount is in opens cluster-wide watch.
    await admin.rbac.createClusterRole({
      body: {
        metadata: { name: `watch-${sa.namespace}` },
        rules: [{ apiGroups: ["coditect.ai"], resources: ["workstations"], verbs: ["watch"] }],
      },
    });
    await admin.rbac.createClusterRoleBinding({
      body: {
        metadata: { name: `watch-${sa.namespace}` },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: `watch-${sa.namespace}`,
        },
        subjects: [{ kind: "Group", name: `system:serviceaccounts:${sa.namespace}` }],
      },
    });
    const events: string[] = [];
    const watch = await new Watch(server.kubeConfig({ token: sa.token })).watch(
      "/apis/coditect.ai/v1alpha1/workstations",
      {},
      (type, obj) => events.push(`${type} ${obj.metadata.name}`),
      () => {},
    );
    await eventually(() => events.includes("ADDED ws-alice"), 10_000, "watch event");
    watch.abort();
  });

  it("answers SelfSubjectAccessReviews for the caller", async () => {
    const sa = await newServiceAccount();
    const review = (token: string, verb: string) =>
      secureRequest(
        server.url,
        server.caPem!,
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        {
          token,
          body: {
            apiVersion: "authorization.k8s.io/v1",
            kind: "SelfSubjectAccessReview",
            spec: {
              resourceAttributes: { namespace: "acme", verb, group: "coditect.ai", resource: "licenses" },
            },
          },
        },
      );
    const no = await review(sa.token, "create");
    expect(no.status).toBe(201);
    expect(no.body.status).toEqual({ allowed: false });
    const yes = await review(server.adminToken, "create");
    expect(yes.body.status.allowed).toBe(true);
  });

  it("validates bindings like kube: roleRef kinds, and roleRef never changes", async () => {
    const bad = await apiError(
      admin.rbac.createClusterRoleBinding({
        body: {
          metadata: { name: "bad" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "x" },
          subjects: [{ kind: "ServiceAccount", name: "worker" }],
        },
      }),
    );
    expect(bad.code).toBe(422);
    expect(bad.body.message).toBe(
      'ClusterRoleBinding.rbac.authorization.k8s.io "bad" is invalid: [roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole", subjects[0].namespace: Required value]',
    );
    await admin.rbac.createNamespacedRoleBinding({
      namespace: "acme",
      body: {
        metadata: { name: "fixed" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "a" },
      },
    });
    const changed = await apiError(
      admin.rbac.patchNamespacedRoleBinding(
        {
          namespace: "acme",
          name: "fixed",
          body: { roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "b" } },
        },
        mergePatchOptions,
      ),
    );
    expect(changed.body.message).toBe(
      'RoleBinding.rbac.authorization.k8s.io "fixed" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"b"}: cannot change roleRef',
    );
  });

  it("forbids non-resource paths outside the discovery roles, recording the path", async () => {
    const sa = await newServiceAccount();
    server.clearDeniedRequests();
    const res = await secureRequest(server.url, server.caPem!, "GET", "/metrics", { token: sa.token });
    const message = `forbidden: User "system:serviceaccount:${sa.namespace}:worker" cannot get path "/metrics"`;
    expect(res).toMatchObject({ status: 403, body: { reason: "Forbidden", message, details: {} } });
    expect(server.deniedRequests()).toEqual([
      {
        user: `system:serviceaccount:${sa.namespace}:worker`,
        verb: "get",
        resource: "",
        apiGroup: "",
        path: "/metrics",
        message,
      },
    ]);
    const openapi = await secureRequest(server.url, server.caPem!, "GET", "/openapi/v3", { token: sa.token });
    expect(openapi.status).toBe(200);
  });
});

describe("with rbac off (the library default)", () => {
  it("accepts any token or none, still issues ServiceAccount tokens, and access reviews answer allowed", async () => {
    const open = await startKubeApiServer({ tls: true });
    try {
      const ca = open.caPem!;
      expect((await secureRequest(open.url, ca, "GET", "/api/v1/namespaces")).status).toBe(200);
      expect(
        (await secureRequest(open.url, ca, "GET", "/api/v1/namespaces", { token: "anything" })).status,
      ).toBe(200);
      const core = open.kubeConfig().makeApiClient(CoreV1Api);
      await core.createNamespacedServiceAccount({ namespace: "default", body: { metadata: { name: "x" } } });
      expect((await open.serviceAccountToken("default", "x")).split(".")).toHaveLength(3);
      const review = await secureRequest(
        open.url,
        ca,
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        {
          body: { spec: { resourceAttributes: { verb: "delete", resource: "namespaces" } } },
        },
      );
      expect(review.body.status).toEqual({ allowed: true });
      expect(open.deniedRequests()).toEqual([]);
    } finally {
      await open.stop();
    }
  });
});
