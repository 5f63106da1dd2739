/** The retry policy of the sessions API's Kubernetes calls (issue 12 item 3), on lib/kube's errors. */
import { describe, expect, it } from "vitest";
import { KubeApiError, KubeConnectionError } from "../../lib/kube/errors.js";
import type { Status } from "../../lib/kube/objects.js";
import {
  backoffMs,
  ClusterUnavailable,
  DEFAULT_KUBE_RETRY,
  retryAfterSecondsOf,
  retryable,
  withKubeRetry,
  withRequestBudget,
} from "./kube-retry.js";

/**
 * An answer as lib/kube reports it; `retryAfterSeconds` is what it read from the Retry-After header or the
 * Status body's details (that parsing is lib/kube's, tested there).
 */
const apiError = (code: number, retryAfterSeconds?: number, body?: Status) =>
  new KubeApiError(
    code,
    undefined,
    `HTTP ${code}`,
    retryAfterSeconds,
    body,
    "GET /apis/coditect.ai/v1alpha1/x",
  );

describe("kube-retry", () => {
  it("retries throttling, server errors and no answer; passes 404/409/422 through", () => {
    for (const code of [429, 500, 502, 503, 504]) expect(retryable(apiError(code))).toBe(true);
    for (const code of [400, 403, 404, 409, 422]) expect(retryable(apiError(code))).toBe(false);
    expect(retryable(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(retryable(new KubeConnectionError("connect ECONNREFUSED", "GET /apis"))).toBe(true);
  });

  it("honours Retry-After (header, else the Status body's details), else backs off exponentially with a cap", () => {
    expect(retryAfterSecondsOf(apiError(429, 3))).toBe(3);
    expect(retryAfterSecondsOf(apiError(429, 2, { kind: "Status", details: { retryAfterSeconds: 2 } }))).toBe(
      2,
    );
    expect(backoffMs(apiError(429, 3), 0, DEFAULT_KUBE_RETRY)).toBe(3_000);
    expect([0, 1, 2, 3, 10].map((n) => backoffMs(apiError(500), n, DEFAULT_KUBE_RETRY))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
  });

  it("a Retry-After beyond the budget fails at once as ClusterUnavailable carrying it", async () => {
    let calls = 0;
    const failing = () => {
      calls += 1;
      return Promise.reject(apiError(429, 30));
    };
    const error = await withKubeRetry("list", failing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailable);
    expect(error).toMatchObject({ status: 503, code: "cluster_unavailable", retryAfterSeconds: 30 });
    expect(calls).toBe(1);
  });

  it("a request's calls share one deadline: a later call does not get a fresh budget", async () => {
    let calls = 0;
    const failing = () => {
      calls += 1;
      return Promise.reject(apiError(500));
    };
    const policy = { ...DEFAULT_KUBE_RETRY, budgetMs: 60_000 };
    const error = await withRequestBudget(() => withKubeRetry("patch", failing, policy), 300).catch((e) => e);
    expect(error).toBeInstanceOf(ClusterUnavailable);
    // 100 ms + 200 ms of backoff reach the 300 ms deadline; a 60 s budget alone would allow dozens.
    expect(calls).toBeLessThanOrEqual(3);
  });

  it("a call that succeeds after failures returns its value", async () => {
    let calls = 0;
    const flaky = () => (++calls < 3 ? Promise.reject(apiError(503)) : Promise.resolve("ok"));
    expect(await withKubeRetry("get", flaky)).toBe("ok");
    expect(calls).toBe(3);
  });
});
