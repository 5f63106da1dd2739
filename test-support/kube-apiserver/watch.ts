/**
 * Watch streaming for the API test server: newline-delimited `{"type","object"}` events over a chunked 200
 * response, initial ADDED events when no resourceVersion is given, replay from the retained history when one
 * is, an ERROR event carrying a 410 Expired Status when it is older than the history window (as kube's watch
 * cache does), selector-aware event translation (an update that leaves a selector becomes DELETED),
 * bookmarks and timeoutSeconds.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../../lib/clock.js";
import { ApiError, badRequest } from "./errors.js";
import { asVersion, matchesFilter, type ObjectFilter, parseFilter } from "./reads.js";
import type { ObjectStore, StoredEvent } from "./store.js";
import { columnDefinitions, type IncludeObject, tableRow } from "./table.js";
import { apiVersionOf, type KubeObject, type ResourceType } from "./types.js";

export interface WatchRequest {
  store: ObjectStore;
  rt: ResourceType;
  namespace: string | undefined;
  /** Watching one object (legacy `/watch/…/name` or `?watch` on an item path). */
  name: string | undefined;
  query: URLSearchParams;
  asTable: boolean;
  includeObject: IncludeObject;
  clock: Clock;
  bookmarkIntervalMs: number;
  /** Registry of open watches so faults.dropWatches() can close them. */
  open: Set<(how: "close" | "reset") => void>;
}

type OutType = "ADDED" | "MODIFIED" | "DELETED";

/** Maps a stored event to what a watcher with this filter sees (or nothing). */
export function translateEvent(
  rt: ResourceType,
  filter: ObjectFilter,
  event: StoredEvent,
): { type: OutType; object: KubeObject } | undefined {
  const now = matchesFilter(rt, filter, event.object);
  if (event.type === "ADDED") return now ? { type: "ADDED", object: event.object } : undefined;
  const before = event.previous ? matchesFilter(rt, filter, event.previous) : false;
  if (event.type === "DELETED") return before || now ? { type: "DELETED", object: event.object } : undefined;
  if (now && before) return { type: "MODIFIED", object: event.object };
  if (now) return { type: "ADDED", object: event.object };
  if (before) return { type: "DELETED", object: event.object };
  return undefined;
}

function parseResourceVersion(raw: string | null): number | undefined {
  if (raw === null || raw === "" || raw === "0") return undefined;
  if (!/^\d+$/.test(raw))
    throw badRequest(`resourceVersion: Invalid value: ${JSON.stringify(raw)}: must be an integer`);
  return Number(raw);
}

function parseTimeout(raw: string | null): number | undefined {
  if (raw === null || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw badRequest(`timeoutSeconds must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

export function serveWatch(req: IncomingMessage, res: ServerResponse, w: WatchRequest): void {
  const { rt, store } = w;
  const filter = parseFilter(rt, w.query);
  if (w.name !== undefined) filter.fields.push({ field: "metadata.name", op: "=", value: w.name });
  const fromRv = parseResourceVersion(w.query.get("resourceVersion"));
  const timeoutSeconds = parseTimeout(w.query.get("timeoutSeconds"));
  const bookmarks = w.query.get("allowWatchBookmarks") === "true";
  const sendInitialEvents = w.query.get("sendInitialEvents") === "true";

  let firstTableEvent = true;
  const encode = (type: string, object: unknown): string => {
    if (w.asTable && type !== "ERROR" && type !== "BOOKMARK") {
      const obj = asVersion(rt, object as KubeObject);
      const table: Record<string, unknown> = {
        kind: "Table",
        apiVersion: "meta.k8s.io/v1",
        metadata: { resourceVersion: obj.metadata.resourceVersion },
        rows: [tableRow(rt, obj, w.includeObject, w.clock.now())],
      };
      // kube sends column definitions with the first event of a Table watch only.
      if (firstTableEvent) table.columnDefinitions = columnDefinitions(rt);
      firstTableEvent = false;
      return `${JSON.stringify({ type, object: table })}\n`;
    }
    const out = type === "ERROR" || type === "BOOKMARK" ? object : asVersion(rt, object as KubeObject);
    return `${JSON.stringify({ type, object: out })}\n`;
  };

  const pending: string[] = [];
  let streaming = false;
  const send = (chunk: string) => {
    if (streaming) res.write(chunk);
    else pending.push(chunk);
  };

  let finish: (how: "close" | "reset") => void = () => {};
  const watcher = {
    namespace: rt.namespaced ? w.namespace : undefined,
    deliver(event: StoredEvent) {
      const out = translateEvent(rt, filter, event);
      if (out) send(encode(out.type, out.object));
    },
    close: () => finish("close"),
  };

  let registration: { replay: StoredEvent[]; cancel: () => void };
  const startRv = fromRv ?? store.currentResourceVersion;
  try {
    registration = store.watch(rt.storageKey, startRv, watcher);
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 410) throw error;
    writeHead(res);
    res.end(encode("ERROR", error.toStatus()));
    return;
  }

  if (fromRv === undefined) {
    for (const obj of store.list(rt.storageKey, rt.namespaced ? w.namespace : undefined)) {
      if (matchesFilter(rt, filter, obj)) pending.push(encode("ADDED", obj));
    }
  } else {
    for (const event of registration.replay) watcher.deliver(event);
  }
  if (sendInitialEvents && bookmarks) {
    pending.push(encode("BOOKMARK", bookmarkObject(rt, store.currentResourceVersion, true)));
  }

  writeHead(res);
  streaming = true;
  if (pending.length > 0) res.write(pending.join(""));
  pending.length = 0;

  const timers: NodeJS.Timeout[] = [];
  finish = (how: "close" | "reset") => {
    registration.cancel();
    for (const t of timers) clearTimeout(t);
    w.open.delete(finish);
    if (how === "reset") res.destroy();
    else if (!res.writableEnded) res.end();
  };
  w.open.add(finish);
  if (bookmarks) {
    const timer = setInterval(
      () => send(encode("BOOKMARK", bookmarkObject(rt, store.currentResourceVersion, false))),
      w.bookmarkIntervalMs,
    );
    timer.unref();
    timers.push(timer);
  }
  if (timeoutSeconds !== undefined) {
    const timer = setTimeout(() => finish("close"), timeoutSeconds * 1000);
    timer.unref();
    timers.push(timer);
  }
  req.on("close", () => finish("close"));
  res.on("close", () => finish("close"));
}

function writeHead(res: ServerResponse): void {
  res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
  // Without flushing, clients (client-node's Watch) wait for a first body chunk that may never come.
  res.flushHeaders();
}

function bookmarkObject(
  rt: ResourceType,
  resourceVersion: number,
  initialEventsEnd: boolean,
): Record<string, unknown> {
  return {
    kind: rt.kind,
    apiVersion: apiVersionOf(rt),
    metadata: {
      resourceVersion: String(resourceVersion),
      ...(initialEventsEnd ? { annotations: { "k8s.io/initial-events-end": "true" } } : {}),
    },
  };
}
