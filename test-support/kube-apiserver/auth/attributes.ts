/**
 * Request → authorization attributes, the way kube-apiserver's RequestInfoFactory derives them
 * (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go). Pure: it needs only the method, path and query,
 * not the set of served resources, exactly like kube (an unknown resource is authorized before it 404s).
 */

/** What RBAC sees of a request (authorizer.Attributes). */
export type RequestAttributes =
  | {
      kind: "resource";
      verb: string;
      apiGroup: string;
      apiVersion: string;
      resource: string;
      subresource: string;
      /** "" for cluster-scoped resources and cluster-wide list/watch. */
      namespace: string;
      /** "" for collection requests (unless list/watch select one name with fieldSelector metadata.name=). */
      name: string;
    }
  | { kind: "nonResource"; verb: string; path: string };

const RESOURCE_VERBS: Record<string, string> = {
  POST: "create",
  GET: "get",
  HEAD: "get",
  PUT: "update",
  PATCH: "patch",
  DELETE: "delete",
};
/** Subresources of a namespace (`/namespaces/<ns>/status`) rather than resources inside it. */
const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

/** Go's strconv.ParseBool for the `watch` query parameter. */
function parseBool(raw: string | null): boolean {
  return raw !== null && ["1", "t", "T", "TRUE", "true", "True"].includes(raw);
}

/** `metadata.name=x` or `metadata.name==x` as the only requirement on that field, like RequiresExactMatch. */
function exactName(fieldSelector: string | null): string | undefined {
  if (!fieldSelector) return undefined;
  for (const term of fieldSelector.split(",")) {
    const m = /^\s*metadata\.name\s*==?\s*([^,]*?)\s*$/.exec(term);
    if (m && m[1] !== "" && !m[1]!.includes("/") && m[1] !== "." && m[1] !== "..") return m[1];
  }
  return undefined;
}

/** `segments` are the decoded, non-empty path segments; `path` is the raw path (for non-resource URLs). */
export function requestAttributes(
  method: string,
  path: string,
  segments: string[],
  query: URLSearchParams,
): RequestAttributes {
  const nonResource = (): RequestAttributes => ({ kind: "nonResource", verb: method.toLowerCase(), path });
  let parts: string[];
  let apiGroup: string;
  let apiVersion: string;
  if (segments[0] === "api" && segments.length >= 3) {
    apiGroup = "";
    apiVersion = segments[1]!;
    parts = segments.slice(2);
  } else if (segments[0] === "apis" && segments.length >= 4) {
    apiGroup = segments[1]!;
    apiVersion = segments[2]!;
    parts = segments.slice(3);
  } else {
    return nonResource();
  }
  let verb = RESOURCE_VERBS[method.toUpperCase()] ?? "";
  if (parts[0] === "watch" || parts[0] === "proxy") {
    verb = parts[0];
    parts = parts.slice(1);
  }
  let namespace = "";
  if (parts[0] === "namespaces" && parts.length > 1) {
    namespace = parts[1]!;
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
  }
  const resource = parts[0] ?? "";
  let name = parts[1] ?? "";
  const subresource = parts[2] ?? "";
  if (name === "" && verb === "get") {
    verb = parseBool(query.get("watch")) ? "watch" : "list";
    name = exactName(query.get("fieldSelector")) ?? "";
  }
  if (name === "" && verb === "delete") verb = "deletecollection";
  return { kind: "resource", verb, apiGroup, apiVersion, resource, subresource, namespace, name };
}
