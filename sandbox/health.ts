/** Health probes for sandbox children and a poll-until-true helper with a deadline. */
import { readFileSync } from "node:fs";
import { get } from "node:https";
import { connect } from "node:net";
import type { HealthCheck } from "./plan.js";

/** One probe: true when the component answers (HTTP 2xx or an accepted status, or a TCP connection accepted). */
export async function probeHealth(check: HealthCheck, timeoutMs = 2_000): Promise<boolean> {
  if (check.kind === "http" && check.caFile) return probeHttps(check.url, check.caFile, timeoutMs);
  if (check.kind === "http") {
    try {
      const response = await fetch(check.url, { signal: AbortSignal.timeout(timeoutMs) });
      await response.arrayBuffer();
      return response.ok || (check.acceptStatus ?? []).includes(response.status);
    } catch {
      return false;
    }
  }
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port: check.port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Calls `condition` every `intervalMs` until it returns true; throws with `what` after `timeoutMs`, or at
 * once when `abort` returns a reason (e.g. the child exited).
 */
export async function pollUntil(
  what: string,
  condition: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const aborted = options.abort?.();
    if (aborted) throw new Error(`${what}: ${aborted}`);
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${options.timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/** An HTTPS probe verifying the server against the sandbox's own CA (fetch cannot take a CA per call). */
function probeHttps(url: string, caFile: string, timeoutMs: number): Promise<boolean> {
  let ca: string;
  try {
    ca = readFileSync(caFile, "utf8");
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const request = get(url, { ca, timeout: timeoutMs }, (response) => {
      response.resume();
      response.on("end", () =>
        resolve((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300),
      );
    });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", () => resolve(false));
  });
}
