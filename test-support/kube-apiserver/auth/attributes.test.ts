import { describe, expect, it } from "vitest";
import { type RequestAttributes, requestAttributes } from "./attributes.js";

function attrs(method: string, url: string): RequestAttributes {
  const parsed = new URL(url, "http://x");
  const segments = parsed.pathname.split("/").filter((s) => s !== "");
  return requestAttributes(method, parsed.pathname, segments, parsed.searchParams);
}

const r = (
  verb: string,
  apiGroup: string,
  resource: string,
  namespace = "",
  name = "",
  subresource = "",
): Partial<RequestAttributes> => ({
  kind: "resource",
  verb,
  apiGroup,
  resource,
  namespace,
  name,
  subresource,
});

describe("requestAttributes (kube's RequestInfo)", () => {
  it.each([
    [
      "GET",
      "/apis/coditect.ai/v1/namespaces/acme/workstations/ws-1",
      r("get", "coditect.ai", "workstations", "acme", "ws-1"),
    ],
    [
      "GET",
      "/apis/coditect.ai/v1/namespaces/acme/workstations",
      r("list", "coditect.ai", "workstations", "acme"),
    ],
    ["GET", "/apis/coditect.ai/v1/workstations", r("list", "coditect.ai", "workstations")],
    ["GET", "/apis/coditect.ai/v1/workstations?watch=true", r("watch", "coditect.ai", "workstations")],
    [
      "GET",
      "/apis/coditect.ai/v1/namespaces/acme/workstations?watch=1",
      r("watch", "coditect.ai", "workstations", "acme"),
    ],
    [
      "GET",
      "/apis/coditect.ai/v1/watch/namespaces/acme/workstations",
      r("watch", "coditect.ai", "workstations", "acme"),
    ],
    [
      "GET",
      "/apis/coditect.ai/v1/namespaces/acme/workstations?fieldSelector=metadata.name%3Dws-1&watch=true",
      r("watch", "coditect.ai", "workstations", "acme", "ws-1"),
    ],
    ["POST", "/apis/coditect.ai/v1/namespaces/acme/licenses", r("create", "coditect.ai", "licenses", "acme")],
    [
      "PUT",
      "/apis/coditect.ai/v1/namespaces/acme/licenses/l",
      r("update", "coditect.ai", "licenses", "acme", "l"),
    ],
    [
      "PATCH",
      "/apis/coditect.ai/v1/namespaces/acme/workstations/ws-1/status",
      r("patch", "coditect.ai", "workstations", "acme", "ws-1", "status"),
    ],
    ["DELETE", "/api/v1/namespaces/acme/secrets/s", r("delete", "", "secrets", "acme", "s")],
    ["DELETE", "/api/v1/namespaces/acme/secrets", r("deletecollection", "", "secrets", "acme")],
    // A namespace is its own namespace: a RoleBinding in "acme" can grant get on namespace "acme".
    ["GET", "/api/v1/namespaces/acme", r("get", "", "namespaces", "acme", "acme")],
    ["PUT", "/api/v1/namespaces/acme/status", r("update", "", "namespaces", "acme", "acme", "status")],
    ["GET", "/api/v1/namespaces", r("list", "", "namespaces")],
    [
      "POST",
      "/api/v1/namespaces/ops/serviceaccounts/op/token",
      r("create", "", "serviceaccounts", "ops", "op", "token"),
    ],
  ])("%s %s", (method, url, expected) => {
    expect(attrs(method, url)).toMatchObject(expected);
  });

  it.each([
    ["GET", "/api", "get"],
    ["GET", "/apis/coditect.ai/v1", "get"],
    ["GET", "/openapi/v3", "get"],
    ["GET", "/healthz", "get"],
    ["POST", "/logs", "post"],
  ])("%s %s is a non-resource request", (method, path, verb) => {
    expect(attrs(method, path)).toEqual({ kind: "nonResource", verb, path });
  });
});
