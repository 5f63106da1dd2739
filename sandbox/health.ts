/** Health probes for sandbox children and a poll-until-true helper with a deadline. */
import { connect } from "node:net";
import type { HealthCheck } from "./plan.js";

/** One probe: true when the component answers (HTTP 2xx, or a TCP connection accepted). */
export async function probeHealth(check: HealthCheck, timeoutMs = 2_000): Promise<boolean> {
  if (check.kind === "http") {
    try {
      const response = await fetch(check.url, { signal: AbortSignal.timeout(timeoutMs) });
      await response.arrayBuffer();
      return response.ok;
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
