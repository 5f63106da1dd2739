/**
 * A small authenticated HTTP control surface over the API test server's fault hooks, so anyone running
 * `npm run kube:serve` can rehearse a throttling, failing, slow or watch-dropping API server against
 * billing and the operator (docs/kube-apiserver.md, "Fault injection"). Listens on 127.0.0.1 only; every
 * request needs `Authorization: Bearer <token>` (the token is written to a file, never printed).
 *
 *   POST /faults/fail-next   {"count": 5, "status": 429, "retryAfterSeconds": 2}
 *   POST /faults/latency     {"ms": 3000}
 *   POST /faults/drop-watches {"how": "close" | "reset"}
 *   POST /faults/hold-watches {"hold": true | false}
 *   POST /faults/reset       (no failures, no latency)
 *
 * Test infrastructure: not used in production.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { KubeApiServerFaults } from "./index.js";

export interface FaultControl {
  url: string;
  stop(): Promise<void>;
}

type Body = Record<string, unknown>;

class BadRequest extends Error {}

function integer(body: Body, field: string, min: number, max: number, optional = false): number | undefined {
  const value = body[field];
  if (value === undefined && optional) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new BadRequest(`${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Applies one control request to the hooks; returns what was done (pure apart from the hooks). */
export function applyFaultRequest(faults: KubeApiServerFaults, path: string, body: Body): string {
  switch (path) {
    case "/faults/fail-next": {
      const count = integer(body, "count", 0, 1_000_000)!;
      if (body.status !== 429 && body.status !== 500) {
        throw new BadRequest(`status must be 429 or 500, got ${JSON.stringify(body.status)}`);
      }
      const retryAfter = integer(body, "retryAfterSeconds", 0, 3600, true);
      faults.failNext(count, body.status, retryAfter);
      return `the next ${count} requests answer ${body.status}`;
    }
    case "/faults/latency": {
      const ms = integer(body, "ms", 0, 600_000)!;
      faults.setLatency(ms);
      return `every request waits ${ms} ms`;
    }
    case "/faults/drop-watches": {
      const how = body.how ?? "close";
      if (how !== "close" && how !== "reset") {
        throw new BadRequest(`how must be "close" or "reset", got ${JSON.stringify(how)}`);
      }
      faults.dropWatches(how);
      return `open watches ${how === "close" ? "closed" : "reset"}`;
    }
    case "/faults/hold-watches": {
      if (typeof body.hold !== "boolean") {
        throw new BadRequest(`hold must be true or false, got ${JSON.stringify(body.hold)}`);
      }
      faults.holdWatches(body.hold);
      return body.hold ? "new watches are held" : "held watches released";
    }
    case "/faults/reset":
      faults.failNext(0, 500);
      faults.setLatency(0);
      faults.holdWatches(false);
      return "no injected failures or latency; watches not held";
    default:
      throw new NotFound(`no control endpoint ${path}`);
  }
}

class NotFound extends Error {}

async function readJson(req: IncomingMessage): Promise<Body> {
  let text = "";
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 4096) throw new BadRequest("body larger than 4 KiB");
  }
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadRequest("body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new BadRequest("body must be a JSON object");
  }
  return parsed as Body;
}

function authorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith("Bearer ") ? header.slice(7) : "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startFaultControl(
  faults: KubeApiServerFaults,
  token: string,
  port = 0,
): Promise<FaultControl> {
  if (token.length < 16) throw new Error("the fault control token must be at least 16 characters");
  const answer = (res: ServerResponse, status: number, body: object) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (!authorized(req.headers.authorization, token)) {
        return answer(res, 401, { error: "Authorization: Bearer <fault control token> is required" });
      }
      if (req.method !== "POST") return answer(res, 405, { error: "only POST" });
      try {
        const done = applyFaultRequest(
          faults,
          new URL(req.url ?? "/", "http://x").pathname,
          await readJson(req),
        );
        answer(res, 200, { ok: true, done });
      } catch (error) {
        const status = error instanceof BadRequest ? 400 : error instanceof NotFound ? 404 : 500;
        answer(res, status, { error: (error as Error).message });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
