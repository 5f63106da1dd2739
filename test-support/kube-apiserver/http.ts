/**
 * HTTP layer of the API test server: fault injection, discovery and OpenAPI endpoints, resource path
 * routing (`/api/v1/…`, `/apis/<group>/<version>/…`, namespaced or not, `/status`, legacy `/watch/`), body
 * decoding and `Status` error responses. With RBAC on, every request passes auth/guard.ts first.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../../lib/clock.js";
import { serveAuthEndpoints } from "./auth/endpoints.js";
import { type AuthState, guardRequest } from "./auth/guard.js";
import type { UserInfo } from "./auth/user.js";
import { assertServed } from "./builtin-discovery.js";
import { type DeleteOptions, deleteObject } from "./deletes.js";
import { serveDiscovery } from "./discovery-routes.js";
import { ApiError, badRequest, methodNotAllowed, notFoundPath } from "./errors.js";
import { patchKindOf, patchObject } from "./patches.js";
import { getObject, listObjects } from "./reads.js";
import type { ResourceRegistry } from "./registry.js";
import {
  decodeBody,
  fieldValidationOf,
  includeObjectOf,
  readBodyBytes,
  sendError,
  sendJson,
  sleep,
  wantsTable,
} from "./request.js";
import type { ObjectStore } from "./store.js";
import { toTable } from "./table.js";
import type { KubeObject, ResourceType } from "./types.js";
import { serveWatch } from "./watch.js";
import { createObject, updateObject, type WriteContext, type WriteOptions } from "./writes.js";

/** Mutable fault-injection state shared with the public `faults` API. */
export interface FaultState {
  failuresLeft: number;
  failureStatus: 429 | 500;
  retryAfterSeconds: number | undefined;
  latencyMs: number;
  /** While set, new watch requests wait for this promise (faults.holdWatches). */
  watchGate: Promise<void> | undefined;
}

export interface HttpContext {
  store: ObjectStore;
  registry: ResourceRegistry;
  clock: Clock;
  writes: WriteContext;
  faults: FaultState;
  openWatches: Set<(how: "close" | "reset") => void>;
  bookmarkIntervalMs: number;
  /** Tokens, RBAC objects and denied requests; `auth.enforced` switches authentication + RBAC on. */
  auth: AuthState;
}

interface ResourceRoute {
  rt: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  legacyWatch: boolean;
}

/** Matches `/api/v1/…` and `/apis/<group>/<version>/…` resource paths. */
function routeResource(registry: ResourceRegistry, segments: string[]): ResourceRoute | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === "api" && segments.length >= 3) {
    group = "";
    version = segments[1]!;
    rest = segments.slice(2);
  } else if (segments[0] === "apis" && segments.length >= 4) {
    group = segments[1]!;
    version = segments[2]!;
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  let legacyWatch = false;
  if (rest[0] === "watch") {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const rt = registry.lookup(group, version, rest[2]!);
    if (rt?.namespaced && rest.length <= 5) {
      return { rt, namespace: rest[1], name: rest[3], subresource: rest[4], legacyWatch };
    }
  }
  const rt = registry.lookup(group, version, rest[0]!);
  if (!rt || rest.length > 3) return undefined;
  if (rt.namespaced) return { rt, namespace: undefined, name: rest[1], subresource: rest[2], legacyWatch };
  return { rt, namespace: undefined, name: rest[1], subresource: rest[2], legacyWatch };
}

function writeOptions(query: URLSearchParams, subresource: string | undefined): WriteOptions {
  return {
    fieldValidation: fieldValidationOf(query),
    dryRun: query.getAll("dryRun").includes("All"),
    ...(subresource === "status" ? { subresource: "status" as const } : {}),
  };
}

/** DeleteOptions from the query string and/or the request body (kubectl and client-node use both). */
function deleteOptionsOf(query: URLSearchParams, body: unknown): DeleteOptions {
  const options = (body ?? {}) as {
    preconditions?: { uid?: string; resourceVersion?: string };
    dryRun?: string[];
    propagationPolicy?: string;
    orphanDependents?: boolean;
  };
  const policy =
    options.propagationPolicy ??
    query.get("propagationPolicy") ??
    (options.orphanDependents ? "Orphan" : undefined);
  if (policy !== undefined && policy !== "Orphan" && policy !== "Background" && policy !== "Foreground") {
    throw badRequest(
      `propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  return {
    dryRun: writeOptions(query, undefined).dryRun || (options.dryRun ?? []).includes("All"),
    ...(options.preconditions ? { preconditions: options.preconditions } : {}),
    ...(policy ? { propagationPolicy: policy } : {}),
  };
}

async function serveResource(
  ctx: HttpContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: ResourceRoute,
  query: URLSearchParams,
): Promise<void> {
  const { rt, namespace, name, subresource } = route;
  const method = req.method ?? "GET";
  assertServed(rt, method);
  if (rt.namespaced && namespace === undefined && (method !== "GET" || name !== undefined)) {
    throw notFoundPath(
      `${method.toLowerCase()} ${rt.plural}: namespaced resources need /namespaces/<namespace>/ in the path`,
    );
  }
  if (subresource !== undefined && (subresource !== "status" || !rt.hasStatusSubresource)) {
    throw notFoundPath(`${method.toLowerCase()} ${rt.plural}/${subresource}`);
  }
  const isWatch = route.legacyWatch || query.get("watch") === "true" || query.get("watch") === "1";
  if (method === "GET" && isWatch) {
    while (ctx.faults.watchGate) await ctx.faults.watchGate;
    serveWatch(req, res, {
      store: ctx.store,
      rt,
      namespace,
      name,
      query,
      asTable: wantsTable(req),
      includeObject: includeObjectOf(query),
      clock: ctx.clock,
      bookmarkIntervalMs: ctx.bookmarkIntervalMs,
      open: ctx.openWatches,
    });
    return;
  }
  const contentType = req.headers["content-type"] ?? "application/json";
  const body = method === "GET" ? undefined : decodeBody(await readBodyBytes(req), contentType);
  const table = wantsTable(req);
  const now = ctx.clock.now();
  const render = (obj: KubeObject) =>
    table
      ? toTable(rt, [obj], { resourceVersion: obj.metadata.resourceVersion }, includeObjectOf(query), now)
      : obj;

  if (name === undefined) {
    switch (method) {
      case "GET": {
        const list = listObjects(ctx.store, rt, namespace, query);
        const payload = table
          ? toTable(rt, list.items, list.metadata, includeObjectOf(query), now)
          : {
              apiVersion: rt.group ? `${rt.group}/${rt.version}` : rt.version,
              kind: rt.listKind,
              metadata: list.metadata,
              items: list.items,
            };
        return sendJson(res, 200, payload);
      }
      case "POST": {
        const result = createObject(ctx.writes, rt, namespace, body, writeOptions(query, undefined));
        return sendJson(res, result.code, render(result.object), result.warnings);
      }
      case "DELETE": {
        const list = listObjects(ctx.store, rt, namespace, query);
        const options = deleteOptionsOf(query, body);
        const deleted = list.items.map(
          (obj) => deleteObject(ctx.writes, rt, obj.metadata.namespace, obj.metadata.name!, options).object,
        );
        return sendJson(res, 200, {
          apiVersion: rt.group ? `${rt.group}/${rt.version}` : rt.version,
          kind: rt.listKind,
          metadata: { resourceVersion: String(ctx.store.currentResourceVersion) },
          items: deleted,
        });
      }
      default:
        throw methodNotAllowed(
          `the server does not allow this method on the requested resource (${method} ${rt.plural})`,
        );
    }
  }
  switch (method) {
    case "GET":
      return sendJson(res, 200, render(getObject(ctx.store, rt, namespace ?? "", name)));
    case "PUT": {
      const result = updateObject(ctx.writes, rt, namespace, name, body, writeOptions(query, subresource));
      return sendJson(res, result.code, render(result.object), result.warnings);
    }
    case "PATCH": {
      const kind = patchKindOf(contentType, rt);
      const result = patchObject(ctx.writes, rt, namespace, name, kind, body, {
        ...writeOptions(query, subresource),
        ...(query.get("fieldManager") ? { fieldManager: query.get("fieldManager")! } : {}),
        force: query.get("force") === "true",
      });
      return sendJson(res, result.code, render(result.object), result.warnings);
    }
    case "DELETE": {
      if (subresource) throw methodNotAllowed(`DELETE is not supported on ${rt.plural}/${subresource}`);
      const result = deleteObject(ctx.writes, rt, namespace, name, deleteOptionsOf(query, body));
      const stillThere = ctx.store.get(rt.storageKey, rt.namespaced ? (namespace ?? "") : "", name);
      if (!stillThere && !rt.schema && rt.plural !== "customresourcedefinitions") {
        // Built-in kinds answer a completed delete with a Success Status, custom resources with the object.
        return sendJson(res, 200, {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Success",
          details: { name, group: rt.group, kind: rt.plural, uid: result.object.metadata.uid },
        });
      }
      return sendJson(res, result.code, render(result.object));
    }
    default:
      throw methodNotAllowed(
        `the server does not allow this method on the requested resource (${method} ${rt.plural})`,
      );
  }
}

/** The request handler: faults first, then discovery/OpenAPI, then resources; every error becomes a Status. */
export async function handleRequest(
  ctx: HttpContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    if (ctx.faults.latencyMs > 0) await sleep(ctx.faults.latencyMs);
    if (ctx.faults.failuresLeft > 0) {
      ctx.faults.failuresLeft -= 1;
      const status = ctx.faults.failureStatus;
      throw status === 429
        ? new ApiError(
            429,
            "TooManyRequests",
            "Too many requests, please try again later.",
            { retryAfterSeconds: ctx.faults.retryAfterSeconds ?? 1 },
            ctx.faults.retryAfterSeconds ?? 1,
          )
        : new ApiError(
            500,
            "InternalError",
            "Internal error occurred: injected by faults.failNext()",
            {},
            ctx.faults.retryAfterSeconds,
          );
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const segments = url.pathname
      .split("/")
      .filter((s) => s !== "")
      .map(decodeURIComponent);
    const method = req.method ?? "GET";
    // kubectl --as / --as-group: answering as the caller instead would silently give wrong answers
    // (`kubectl auth can-i … --as=x` saying yes for the admin), so refuse what is not implemented.
    const impersonating = Object.keys(req.headers).find((h) => h.startsWith("impersonate-"));
    if (impersonating) {
      throw badRequest(
        `impersonation (the ${impersonating} header, kubectl --as/--as-group) is not supported by the API test server; authenticate as the user instead (docs/kube-apiserver.md)`,
      );
    }
    let user: UserInfo | undefined;
    if (ctx.auth.enforced) {
      user = await guardRequest(
        ctx.auth,
        method,
        req.headers.authorization,
        url.pathname,
        segments,
        url.searchParams,
      );
    }
    if (await serveAuthEndpoints(ctx.auth, req, res, segments, user)) return;
    if (method === "GET" && serveDiscovery(ctx, req, res, segments)) return;
    const route = routeResource(ctx.registry, segments);
    if (!route) throw notFoundPath(`${method.toLowerCase()} ${url.pathname}`);
    await serveResource(ctx, req, res, route, url.searchParams);
  } catch (error) {
    if (error instanceof ApiError) sendError(res, error);
    else
      sendError(
        res,
        new ApiError(
          500,
          "InternalError",
          `Internal error occurred: ${(error as Error).stack ?? String(error)}`,
        ),
      );
  }
}
