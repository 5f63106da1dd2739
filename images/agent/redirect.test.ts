/**
 * No credential crosses a redirect (issue 13 §3). The license server (test infrastructure: a local HTTP
 * server) answers every request with a 307/308 to a second server on another port, which records what
 * reaches it. A 307 resends the POST body — the license key — so following it would hand the key to
 * whoever the Location names.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { heartbeatSession, releaseSession, validateSession } from "./client.js";
import { readAgentConfig } from "./config.js";

const KEY = "CODITECT-PRO-REDIRECTTESTKEY0000000000000";
let redirector: Server;
let recorder: Server;
let redirectorUrl = "";
let recorderUrl = "";
let status = 307;
const received: { method?: string; url?: string; authorization?: string; body: string }[] = [];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function record(req: IncomingMessage, done: (body: string) => void) {
  let body = "";
  req.on("data", (chunk) => {
    body += chunk;
  });
  req.on("end", () => done(body));
}

beforeAll(async () => {
  recorder = createServer((req, res) =>
    record(req, (body) => {
      received.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
      res
        .writeHead(201, { "content-type": "application/json" })
        .end(JSON.stringify({ sessionId: "s", sessionToken: "t", licenseTier: "pro", organization: "o" }));
    }),
  );
  recorderUrl = await listen(recorder);
  redirector = createServer((req, res) =>
    record(req, () => res.writeHead(status, { location: `${recorderUrl}${req.url}` }).end()),
  );
  redirectorUrl = await listen(redirector);
});
afterAll(async () => {
  await new Promise((resolve) => redirector.close(resolve));
  await new Promise((resolve) => recorder.close(resolve));
});

const config = () =>
  readAgentConfig({
    CODITECT_LICENSE_KEY: KEY,
    CODITECT_LICENSE_SERVER: redirectorUrl,
    CODITECT_CONTAINER_ID: "redirect-test",
  });

describe("the agent's requests across a redirect", () => {
  it.each([307, 308, 302])(
    "validate answered %i: not followed, the Location named, nothing sent there",
    async (code) => {
      status = code;
      received.length = 0;
      const outcome = await validateSession(config());
      expect(outcome).toMatchObject({ kind: "unreachable" });
      expect(outcome.kind === "unreachable" && outcome.message).toContain(
        `answered ${code} redirecting to ${recorderUrl}/v1/sessions/validate`,
      );
      expect(received).toEqual([]);
    },
  );

  it("heartbeat and release carry the session token: neither follows a 307", async () => {
    status = 307;
    received.length = 0;
    const heartbeat = await heartbeatSession(config(), "cst_secret-session-token", {});
    expect(heartbeat).toMatchObject({
      kind: "unreachable",
      message: expect.stringMatching(/redirecting to/),
    });
    expect(await releaseSession(config(), "cst_secret-session-token")).toMatch(/redirecting to/);
    expect(received).toEqual([]);
  });
});
