/**
 * In-process cost of the API test server's authentication + RBAC step alone (auth/guard.ts) for one
 * ServiceAccount GET among the same 80 unrelated bindings as the HTTP benchmark: isolates the guard from
 * TLS, HTTP parsing and machine noise. Used by bench/kube-apiserver-auth.bench.ts.
 */
import { systemClock } from "../lib/clock.js";
import {
  bootstrapClusterRoleBindings,
  bootstrapClusterRoles,
} from "../test-support/kube-apiserver/auth/bootstrap.js";
import { type AuthState, guardRequest, storeRbacSource } from "../test-support/kube-apiserver/auth/guard.js";
import { ServiceAccountTokens } from "../test-support/kube-apiserver/auth/tokens.js";
import { STORAGE_KEYS } from "../test-support/kube-apiserver/builtin-auth.js";
import { ObjectStore } from "../test-support/kube-apiserver/store.js";
import type { KubeObject } from "../test-support/kube-apiserver/types.js";

export async function guardMicrosecondsPerRequest(requests = 20_000): Promise<number> {
  const store = new ObjectStore(100);
  const put = (key: string, obj: KubeObject) => {
    obj.metadata.resourceVersion = String(store.nextResourceVersion());
    store.put(key, obj);
  };
  const ref = (kind: string, name: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind, name });
  for (const role of bootstrapClusterRoles()) put(STORAGE_KEYS.clusterRoles, role);
  for (const binding of bootstrapClusterRoleBindings()) put(STORAGE_KEYS.clusterRoleBindings, binding);
  for (let i = 0; i < 60; i++) {
    put(STORAGE_KEYS.clusterRoles, {
      metadata: { name: `noise-${i}` },
      rules: [{ apiGroups: ["x.io"], resources: ["things"], verbs: ["get"] }],
    });
    put(STORAGE_KEYS.clusterRoleBindings, {
      metadata: { name: `noise-${i}` },
      roleRef: ref("ClusterRole", `noise-${i}`),
      subjects: [{ kind: "ServiceAccount", name: `other-${i}`, namespace: "kube-system" }],
    });
  }
  for (let i = 0; i < 20; i++) {
    put(STORAGE_KEYS.roleBindings, {
      metadata: { name: `noise-${i}`, namespace: "bench" },
      roleRef: ref("ClusterRole", `noise-${i}`),
      subjects: [{ kind: "User", name: `someone-${i}` }],
    });
  }
  put(STORAGE_KEYS.roles, {
    metadata: { name: "widgets", namespace: "bench" },
    rules: [{ apiGroups: ["test.coditect.ai"], resources: ["widgets"], verbs: ["get", "patch"] }],
  });
  put(STORAGE_KEYS.roleBindings, {
    metadata: { name: "zz-bench", namespace: "bench" },
    roleRef: ref("Role", "widgets"),
    subjects: [{ kind: "ServiceAccount", name: "bench", namespace: "bench" }],
  });
  put(STORAGE_KEYS.serviceAccounts, { metadata: { name: "bench", namespace: "bench", uid: "uid-bench" } });
  const tokens = new ServiceAccountTokens(systemClock);
  const state: AuthState = {
    store,
    clock: systemClock,
    tokens,
    rbac: storeRbacSource(store),
    enforced: true,
    adminToken: "unused",
    denied: [],
  };
  const token = (await tokens.issue({ namespace: "bench", name: "bench", uid: "uid-bench" }, 3600)).token;
  const path = "/apis/test.coditect.ai/v1/namespaces/bench/widgets/w-00001";
  const segments = path.split("/").filter((s) => s !== "");
  const query = new URLSearchParams();
  const header = `Bearer ${token}`;
  for (let i = 0; i < 2000; i++) await guardRequest(state, "GET", header, path, segments, query);
  const started = performance.now();
  for (let i = 0; i < requests; i++) await guardRequest(state, "GET", header, path, segments, query);
  return Number((((performance.now() - started) / requests) * 1000).toFixed(1));
}
