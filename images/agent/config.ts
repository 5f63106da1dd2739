/**
 * The agent's configuration, read once from the environment and the build (build-info.ts). Every variable
 * is documented in images/README.md; a bad value fails fast with a message naming the variable (exit 2).
 */
import { hostname } from "node:os";
import type { JSONWebKeySet } from "jose";
import { z } from "zod";
import { CONTAINER_TYPES, TIMING } from "../../lib/domain.js";
import { AGENT_BUILD, type AgentBuild, AgentBuildError, licenseServerUrl } from "./build-info.js";

/** The development default when neither the build nor CODITECT_LICENSE_SERVER names a server. */
export const DEFAULT_LICENSE_SERVER = "https://api.coditect.ai";

const positiveMs = z.coerce.number().int().positive();

const envSchema = z
  .object({
    CODITECT_LICENSE_KEY: z
      .string()
      .trim()
      .min(1)
      .max(50, "a license key is at most 50 characters")
      .regex(/^[A-Za-z0-9-]+$/, "a license key holds only letters, digits and dashes")
      .optional(),
    CODITECT_CONTAINER_ID: z
      .string()
      .max(128)
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/,
        "letters, digits and _ . : - only, starting with a letter or digit",
      )
      .optional(),
    CODITECT_CONTAINER_TYPE: z.enum(CONTAINER_TYPES).default("docker"),
    CODITECT_LICENSE_SERVER: z.string().max(2048).optional(),
    CODITECT_HOSTNAME: z.string().max(253).optional(),
    CODITECT_IP: z.union([z.ipv4(), z.ipv6()]).optional(),
    CODITECT_STATE_DIR: z.string().min(1).default("/var/lib/coditect-agent"),
    /** Workstations: a file holding a Google-signed identity token (instead of a license key). */
    CODITECT_IDENTITY_TOKEN_FILE: z.string().min(1).optional(),
    /** Workstations: the workstation's own credential (per-workstation env set by the operator, ADR 0150). */
    CODITECT_WORKSTATION_CREDENTIAL: z.string().trim().min(16).max(256).optional(),
    CODITECT_HEARTBEAT_INTERVAL_MS: positiveMs.default(TIMING.heartbeatIntervalMs),
    CODITECT_RETRY_BASE_MS: positiveMs.default(2_000),
    CODITECT_REQUEST_TIMEOUT_MS: positiveMs.default(10_000),
    /** `uid:gid` the payload runs as (the agent, root, keeps its state and environment to itself). */
    CODITECT_PAYLOAD_USER: z
      .string()
      .regex(/^\d{1,10}:\d{1,10}$/, "must be numeric uid:gid, e.g. 10001:10001")
      .refine((v) => !/^0+:/.test(v), "must not be root (uid 0): the payload would read the agent's secrets")
      .optional(),
  })
  .superRefine((env, ctx) => {
    if (!env.CODITECT_LICENSE_KEY && !env.CODITECT_IDENTITY_TOKEN_FILE) {
      ctx.addIssue({
        code: "custom",
        path: ["CODITECT_LICENSE_KEY"],
        message: "is required (or, on a workstation, CODITECT_IDENTITY_TOKEN_FILE)",
      });
    }
  });

export interface AgentConfig {
  licenseKey?: string;
  identityTokenFile?: string;
  workstationCredential?: string;
  containerId: string;
  containerType: "docker" | "workstation";
  server: string;
  /** production: server and jwks fixed at build time (build-info.ts). */
  buildMode: AgentBuild["mode"];
  /** Offline-token keys baked into the build; undefined = fetch from the server (development only). */
  jwks?: JSONWebKeySet;
  /** The payload's uid/gid; undefined = the agent's own user. */
  payloadUser?: { uid: number; gid: number };
  hostname: string;
  ip?: string;
  stateDir: string;
  heartbeatIntervalMs: number;
  retryBaseMs: number;
  requestTimeoutMs: number;
}

export class AgentConfigError extends Error {
  override name = "AgentConfigError";
}

/**
 * The license server this agent talks to. Production: the build's, and a CODITECT_LICENSE_SERVER naming
 * another one is refused rather than ignored, so a misconfigured container says why it does not start.
 * Development: the variable, else the build's default.
 */
function resolveServer(fromEnv: string | undefined, build: AgentBuild): string {
  try {
    if (build.mode === "production") {
      const fixed = licenseServerUrl(build.licenseServer ?? "", "production", "the built-in license server");
      if (fromEnv !== undefined) {
        const asked = URL.canParse(fromEnv) ? new URL(fromEnv).href.replace(/\/+$/, "") : fromEnv;
        if (asked !== fixed) {
          throw new AgentBuildError(
            `CODITECT_LICENSE_SERVER cannot change the license server of a production agent: it is fixed to ${fixed} at build time (got "${fromEnv}"); unset the variable`,
          );
        }
      }
      return fixed;
    }
    return licenseServerUrl(
      fromEnv ?? build.licenseServer ?? DEFAULT_LICENSE_SERVER,
      "development",
      "CODITECT_LICENSE_SERVER",
    );
  } catch (error) {
    if (error instanceof AgentBuildError) throw new AgentConfigError(error.message);
    throw error;
  }
}

/** Parses the environment; throws AgentConfigError naming the first bad variable. */
export function readAgentConfig(
  env: Record<string, string | undefined>,
  build: AgentBuild = AGENT_BUILD,
): AgentConfig {
  // Empty strings mean "unset" (docker run -e VAR= passes them).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? "environment");
    const shown =
      variable === "CODITECT_LICENSE_KEY" ||
      variable === "CODITECT_WORKSTATION_CREDENTIAL" ||
      cleaned[variable] === undefined
        ? ""
        : ` (got "${cleaned[variable]}")`;
    throw new AgentConfigError(`${variable} ${issue.message}${shown}`);
  }
  const e = result.data;
  const host = e.CODITECT_HOSTNAME ?? hostname();
  const server = resolveServer(e.CODITECT_LICENSE_SERVER, build);
  const [uid, gid] = (e.CODITECT_PAYLOAD_USER ?? "").split(":").map(Number);
  return {
    licenseKey: e.CODITECT_LICENSE_KEY,
    identityTokenFile: e.CODITECT_IDENTITY_TOKEN_FILE,
    workstationCredential: e.CODITECT_WORKSTATION_CREDENTIAL,
    containerId: e.CODITECT_CONTAINER_ID ?? host,
    containerType: e.CODITECT_CONTAINER_TYPE,
    server,
    buildMode: build.mode,
    ...(build.jwks ? { jwks: build.jwks } : {}),
    ...(e.CODITECT_PAYLOAD_USER ? { payloadUser: { uid: uid!, gid: gid! } } : {}),
    hostname: host,
    ip: e.CODITECT_IP,
    stateDir: e.CODITECT_STATE_DIR,
    heartbeatIntervalMs: e.CODITECT_HEARTBEAT_INTERVAL_MS,
    retryBaseMs: e.CODITECT_RETRY_BASE_MS,
    requestTimeoutMs: e.CODITECT_REQUEST_TIMEOUT_MS,
  };
}
