/**
 * The agent's HTTP client for the sessions API. It turns every answer (or the lack of one) into one of a
 * few outcomes the decision core understands; it never retries by itself (retries are decisions).
 */
import { readFile } from "node:fs/promises";
import type { AgentConfig } from "./config.js";
import type { AgentSession } from "./decide.js";

export type ValidateOutcome =
  | { kind: "admitted"; session: AgentSession; offlineToken?: string; heartbeatIntervalMs?: number }
  | { kind: "rejected"; reason: "license_rejected" | "seat_limit_reached"; message: string }
  | { kind: "unreachable"; message: string; retryAfterMs?: number };

export type HeartbeatOutcome =
  | { kind: "ok"; status: "ok" | "warning"; message: string; offlineToken?: string }
  | { kind: "ended"; message: string }
  /** The session token reached its absolute lifetime (billing ADR 0161): validate again, keep running. */
  | { kind: "tokenExpired"; message: string }
  | { kind: "unreachable"; message: string; retryAfterMs?: number };

interface ErrorBody {
  error?: { code?: string; message?: string; limit?: number };
}

/**
 * A redirect from the license server. Every request carries a credential (the license key or identity
 * token in the body, the session token in a header), and a 307/308 would resend the body to wherever the
 * Location says: the agent never follows one (issue 13 §3) and reports where it pointed.
 */
export class RedirectRefused extends Error {
  override name = "RedirectRefused";
}

async function post(config: AgentConfig, path: string, body: unknown, bearer?: string): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const response = await fetch(`${config.server}${path}`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
    redirect: "manual",
    signal: AbortSignal.timeout(config.requestTimeoutMs),
  });
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw new RedirectRefused(
      `${config.server}${path} answered ${response.status} redirecting to ${response.headers.get("location") ?? "(no Location)"}; the agent sends no credential across a redirect (set the license server's final URL)`,
    );
  }
  return response;
}

function retryAfterMs(response: Response): number | undefined {
  const seconds = Number(response.headers.get("retry-after"));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  const body = (await response.json().catch(() => ({}))) as ErrorBody;
  return {
    code: body.error?.code ?? `http_${response.status}`,
    message: body.error?.message ?? response.statusText,
  };
}

/** Treat network errors, timeouts, 5xx and rate limiting as "try again later". */
function unreachable(error: unknown): { kind: "unreachable"; message: string } {
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  return {
    kind: "unreachable",
    message: cause ? `${(error as Error).message} (${cause})` : (error as Error).message,
  };
}

export async function validateSession(config: AgentConfig): Promise<ValidateOutcome> {
  const credentials = config.licenseKey
    ? { licenseKey: config.licenseKey }
    : {
        identityToken: (await readFile(config.identityTokenFile!, "utf8")).trim(),
        workstationCredential: config.workstationCredential,
      };
  let response: Response;
  try {
    response = await post(config, "/v1/sessions/validate", {
      ...credentials,
      containerId: config.containerId,
      containerType: config.containerType,
      hostname: config.hostname,
      ...(config.ip ? { ip: config.ip } : {}),
    });
  } catch (error) {
    return unreachable(error);
  }
  if (response.status === 201) {
    const body = (await response.json()) as AgentSession & {
      offlineToken?: string;
      heartbeatIntervalSeconds?: number;
    };
    return {
      kind: "admitted",
      session: {
        sessionId: body.sessionId,
        sessionToken: body.sessionToken,
        licenseTier: body.licenseTier,
        organization: body.organization,
      },
      offlineToken: body.offlineToken,
      heartbeatIntervalMs: body.heartbeatIntervalSeconds ? body.heartbeatIntervalSeconds * 1000 : undefined,
    };
  }
  const error = await errorOf(response);
  if (response.status === 429 && error.code === "seat_limit_reached") {
    return { kind: "rejected", reason: "seat_limit_reached", message: error.message };
  }
  if (response.status === 403 || response.status === 400 || response.status === 401) {
    return { kind: "rejected", reason: "license_rejected", message: `${error.code}: ${error.message}` };
  }
  return {
    kind: "unreachable",
    message: `validate answered ${response.status} ${error.code}`,
    retryAfterMs: retryAfterMs(response),
  };
}

export interface UsageReport {
  cpuPercent?: number;
  memoryBytes?: number;
  uptimeSeconds?: number;
}

export async function heartbeatSession(
  config: AgentConfig,
  sessionToken: string,
  usage: UsageReport,
): Promise<HeartbeatOutcome> {
  let response: Response;
  try {
    response = await post(config, "/v1/sessions/heartbeat", usage, sessionToken);
  } catch (error) {
    return unreachable(error);
  }
  if (response.status === 200) {
    const body = (await response.json()) as {
      status: "ok" | "warning" | "expired";
      message: string;
      offlineToken?: string;
    };
    if (body.status === "expired") return { kind: "ended", message: body.message };
    return { kind: "ok", status: body.status, message: body.message, offlineToken: body.offlineToken };
  }
  const error = await errorOf(response);
  if (response.status === 401 && error.code === "session_token_expired")
    return { kind: "tokenExpired", message: error.message };
  // 401: the server does not know this session (deleted after it ended); 403: the license lapsed.
  if (response.status === 401 || response.status === 403)
    return { kind: "ended", message: `${error.code}: ${error.message}` };
  return {
    kind: "unreachable",
    message: `heartbeat answered ${response.status} ${error.code}`,
    retryAfterMs: retryAfterMs(response),
  };
}

/** Best effort: a failed release only means the seat frees itself 30 minutes later. */
export async function releaseSession(config: AgentConfig, sessionToken: string): Promise<string> {
  try {
    const response = await post(config, "/v1/sessions/release", {}, sessionToken);
    return response.ok ? "released" : `release answered ${response.status}`;
  } catch (error) {
    return `release failed: ${(error as Error).message}`;
  }
}
