/**
 * Issue 12 §9: requests Node's own parser refuses are answered in the API's error shape, and a client
 * that sends less body than its Content-Length announces is answered 408 and disconnected instead of
 * holding the connection. Raw sockets, because fetch cannot send malformed HTTP.
 */
import { connect } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, startBillingHarness } from "../testing/harness.js";
import { createHttpServer, DEFAULT_HTTP_TIMEOUTS } from "./node-server.js";

/** Sends raw bytes and resolves with everything the server wrote once it closes the connection. */
function exchange(url: string, raw: string): Promise<string> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(raw));
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString("latin1")));
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
  });
}

function parse(response: string): { status: number; contentType: string | undefined; body: unknown } {
  const [head = "", body = ""] = response.split("\r\n\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentType = /\r\ncontent-type: ([^\r]+)/i.exec(head)?.[1];
  return { status, contentType, body: body ? JSON.parse(body) : undefined };
}

describe("the HTTP server's own refusals", () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness({ httpTimeouts: { headersTimeoutMs: 1_000, requestTimeoutMs: 1_500 } });
  });
  afterAll(() => h.stop());

  it.each([
    ["a bad request line", "GARBAGE\r\n\r\n", 400, "malformed_request"],
    [
      "a control character in a header",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n",
      400,
      "invalid_header",
    ],
    [
      "a non-numeric Content-Length",
      "POST /v1/checkout HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      400,
      "invalid_content_length",
    ],
    [
      "two different Content-Lengths",
      "POST /v1/checkout HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
      400,
      "invalid_content_length",
    ],
    [
      "headers larger than 16 KiB",
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      431,
      "headers_too_large",
    ],
    [
      "a Content-Length larger than the body",
      "POST /v1/checkout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{}",
      408,
      "request_timeout",
    ],
    ["headers never finished", "GET /healthz HTTP/1.1\r\nHost: x\r\n", 408, "request_timeout"],
  ])("%s → its status with {error:{code,message}}, connection closed", async (_name, raw, status, code) => {
    const response = parse(await exchange(h.url, raw));
    expect(response.status).toBe(status);
    expect(response.contentType).toMatch(/^application\/json/);
    expect(response.body).toEqual({ error: { code, message: expect.any(String) } });
  });

  it("still serves well-formed requests", async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });

  it("sets header and request timeouts by default", () => {
    const server = createHttpServer(() => undefined, pino({ level: "silent" }));
    expect(server.headersTimeout).toBe(DEFAULT_HTTP_TIMEOUTS.headersTimeoutMs);
    expect(server.requestTimeout).toBe(DEFAULT_HTTP_TIMEOUTS.requestTimeoutMs);
    expect(DEFAULT_HTTP_TIMEOUTS.requestTimeoutMs).toBeLessThanOrEqual(30_000);
  });
});
