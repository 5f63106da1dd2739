import { describe, expect, it } from "vitest";
import type { RequestAttributes } from "./attributes.js";
import { forbiddenError } from "./messages.js";

const base = { kind: "resource", apiVersion: "v1", subresource: "", name: "", namespace: "" } as const;

describe("403 Forbidden wording (k8s.io/apiserver responsewriters + apimachinery NewForbidden)", () => {
  it.each([
    [
      {
        ...base,
        verb: "patch",
        apiGroup: "coditect.ai",
        resource: "workstations",
        subresource: "status",
        namespace: "acme",
        name: "ws-1",
      },
      'workstations.coditect.ai "ws-1" is forbidden: User "system:serviceaccount:ns:name" cannot patch resource "workstations/status" in API group "coditect.ai" in the namespace "acme"',
      { group: "coditect.ai", kind: "workstations", name: "ws-1" },
    ],
    [
      { ...base, verb: "list", apiGroup: "", resource: "secrets", namespace: "acme" },
      'secrets is forbidden: User "system:serviceaccount:ns:name" cannot list resource "secrets" in API group "" in the namespace "acme"',
      { kind: "secrets" },
    ],
    [
      { ...base, verb: "watch", apiGroup: "coditect.ai", resource: "licenses" },
      'licenses.coditect.ai is forbidden: User "system:serviceaccount:ns:name" cannot watch resource "licenses" in API group "coditect.ai" at the cluster scope',
      { group: "coditect.ai", kind: "licenses" },
    ],
    [
      { ...base, verb: "get", apiGroup: "", resource: "namespaces", name: "acme", namespace: "acme" },
      'namespaces "acme" is forbidden: User "system:serviceaccount:ns:name" cannot get resource "namespaces" in API group "" in the namespace "acme"',
      { kind: "namespaces", name: "acme" },
    ],
    [
      { kind: "nonResource", verb: "get", path: "/metrics" },
      'forbidden: User "system:serviceaccount:ns:name" cannot get path "/metrics"',
      {},
    ],
  ] as [RequestAttributes, string, Record<string, unknown>][])("%#", (attrs, message, details) => {
    const status = forbiddenError("system:serviceaccount:ns:name", attrs, "").toStatus();
    expect(status).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason: "Forbidden",
      details,
      code: 403,
    });
  });

  it("appends the RBAC reason after a colon", () => {
    const attrs: RequestAttributes = {
      ...base,
      verb: "list",
      apiGroup: "",
      resource: "pods",
      namespace: "x",
    };
    expect(forbiddenError("u", attrs, 'RBAC: role.rbac.authorization.k8s.io "r" not found').message).toBe(
      'pods is forbidden: User "u" cannot list resource "pods" in API group "" in the namespace "x": RBAC: role.rbac.authorization.k8s.io "r" not found',
    );
  });

  it("escapes HTML-like characters as kube does", () => {
    const attrs: RequestAttributes = { kind: "nonResource", verb: "get", path: "/a<b>&c" };
    expect(forbiddenError("u", attrs, "").message).toBe(
      'forbidden: User "u" cannot get path "/a&lt;b&gt;&amp;c"',
    );
  });
});
