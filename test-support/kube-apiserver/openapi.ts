/**
 * OpenAPI documents for the API test server. kubectl (client-side apply, `--validate=true`) reads
 * `/openapi/v3`, finds the PATCH operation of each kind by `x-kubernetes-group-version-kind` and, because it
 * declares the `fieldValidation` query parameter, leaves validation to the server (which validates custom
 * resources against their schema). `/openapi/v2` is served as JSON, and as a minimal protobuf document for
 * clients that ask for protobuf, so they fall back to their built-in types instead of failing.
 */
import { createHash } from "node:crypto";
import type { ResourceRegistry } from "./registry.js";
import type { ResourceType, SchemaProps } from "./types.js";

const KUBE_VERSION = "v1.32.0";

function reverseDomain(group: string): string {
  return group ? group.split(".").reverse().join(".") : "io.k8s.api.core";
}

export function definitionName(rt: ResourceType): string {
  return `${reverseDomain(rt.group)}.${rt.version}.${rt.kind}`;
}

function gvk(rt: ResourceType): Record<string, string> {
  return { group: rt.group, version: rt.version, kind: rt.kind };
}

function objectSchema(rt: ResourceType): Record<string, unknown> {
  const base: SchemaProps = rt.schema ?? { type: "object", "x-kubernetes-preserve-unknown-fields": true };
  return { ...base, "x-kubernetes-group-version-kind": [gvk(rt)] };
}

const queryParam = (name: string, description: string) => ({
  name,
  in: "query",
  description,
  schema: { type: "string", uniqueItems: true },
});
const FIELD_VALIDATION = queryParam(
  "fieldValidation",
  "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn or Strict.",
);
const DRY_RUN = queryParam("dryRun", "When present, indicates that modifications should not be persisted.");
const FIELD_MANAGER = queryParam(
  "fieldManager",
  "fieldManager is a name associated with the actor or entity that is making these changes.",
);

function resourcePaths(rt: ResourceType): Record<string, unknown> {
  const prefix = rt.group ? `/apis/${rt.group}/${rt.version}` : `/api/${rt.version}`;
  const collection = rt.namespaced
    ? `${prefix}/namespaces/{namespace}/${rt.plural}`
    : `${prefix}/${rt.plural}`;
  const ref = { $ref: `#/components/schemas/${definitionName(rt)}` };
  const json = (schema: unknown) => ({ "application/json": { schema } });
  const op = (action: string, extra: Record<string, unknown> = {}) => ({
    operationId: `${action}${rt.kind}`,
    responses: { "200": { description: "OK", content: json(ref) } },
    "x-kubernetes-action": action,
    "x-kubernetes-group-version-kind": gvk(rt),
    ...extra,
  });
  const item: Record<string, unknown> = {
    get: op("get"),
    put: op("put", {
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
      requestBody: { content: json(ref) },
    }),
    patch: op("patch", {
      parameters: [
        DRY_RUN,
        FIELD_MANAGER,
        FIELD_VALIDATION,
        queryParam("force", "Force is going to force Apply requests."),
      ],
      requestBody: {
        content: {
          "application/json-patch+json": { schema: { type: "object" } },
          "application/merge-patch+json": { schema: { type: "object" } },
          "application/apply-patch+yaml": { schema: { type: "object" } },
        },
      },
    }),
    delete: op("delete"),
  };
  const paths: Record<string, unknown> = {
    [collection]: {
      get: op("list"),
      post: op("post", {
        parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
        requestBody: { content: json(ref) },
      }),
      delete: op("deletecollection"),
    },
    [`${collection}/{name}`]: item,
  };
  if (rt.hasStatusSubresource) {
    paths[`${collection}/{name}/status`] = { get: op("get"), put: item.put, patch: item.patch };
  }
  return paths;
}

export function openApiV3GroupVersion(
  registry: ResourceRegistry,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  if (!registry.hasGroupVersion(group, version)) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const rt of registry.resourcesOf(group, version)) {
    Object.assign(paths, resourcePaths(rt));
    schemas[definitionName(rt)] = objectSchema(rt);
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: KUBE_VERSION },
    paths,
    components: { schemas },
  };
}

function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The `/openapi/v3` index: one entry per group-version with a content hash in its URL (clients cache by it). */
export function openApiV3Root(registry: ResourceRegistry): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const gvs = new Map<string, [string, string]>();
  for (const rt of registry.all()) gvs.set(groupVersionPath(rt.group, rt.version), [rt.group, rt.version]);
  for (const [path, [group, version]] of [...gvs.entries()].sort()) {
    const doc = JSON.stringify(openApiV3GroupVersion(registry, group, version));
    const hash = createHash("sha512").update(doc).digest("hex").slice(0, 64).toUpperCase();
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
  }
  return { paths };
}

export function openApiV2(registry: ResourceRegistry): Record<string, unknown> {
  const definitions: Record<string, unknown> = {};
  for (const rt of registry.all()) definitions[definitionName(rt)] = objectSchema(rt);
  return {
    swagger: "2.0",
    info: { title: "Kubernetes", version: KUBE_VERSION },
    paths: {},
    definitions,
  };
}

function protoString(field: number, value: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  return Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes]);
}

/** gnostic openapi_v2.Document{swagger: "2.0", info: {title, version}} in protobuf wire format. */
export function openApiV2Protobuf(): Buffer {
  const info = Buffer.concat([protoString(1, "Kubernetes"), protoString(2, KUBE_VERSION)]);
  return Buffer.concat([protoString(1, "2.0"), Buffer.from([(2 << 3) | 2, info.length]), info]);
}

export const VERSION_INFO = {
  major: "1",
  minor: "32",
  gitVersion: `${KUBE_VERSION}+coditect-test-apiserver`,
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2026-01-01T00:00:00Z",
  goVersion: "go1.23.0",
  compiler: "gc",
  platform: "linux/amd64",
};
