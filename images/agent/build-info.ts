/**
 * What was fixed when this agent was built (issue 13 §3, ADR 0155). A production bundle carries the
 * license server URL and the offline-token public keys (JWKS): no variable can point it at another server,
 * and it never fetches keys from the network, so a container cannot be licensed by a server its owner runs.
 * `npm run sessions:agent-bundle` injects the value with esbuild's `define`; the agent run from source
 * (`npm run agent`, tests, the sandbox) and a `--development` bundle take the server from the environment
 * (https, or http to a loopback address) and fetch the JWKS from it.
 */
import type { JSONWebKeySet } from "jose";
import { z } from "zod";
import { parseJwks } from "../../lib/offline-tokens/jwks-cache.js";

export interface AgentBuild {
  mode: "production" | "development";
  /** Production: the only license server. Development: the default when CODITECT_LICENSE_SERVER is unset. */
  licenseServer?: string;
  /** Production: the only keys offline tokens are verified with. Development: when set, used instead of fetching. */
  jwks?: JSONWebKeySet;
}

/** The identifier esbuild replaces with the build's JSON (bundle.ts). */
export const AGENT_BUILD_DEFINE = "__CODITECT_AGENT_BUILD__";
declare const __CODITECT_AGENT_BUILD__: AgentBuild | undefined;

/** This agent's build: as injected by the bundler, or a development build when run from source. */
export const AGENT_BUILD: AgentBuild =
  typeof __CODITECT_AGENT_BUILD__ === "object" ? __CODITECT_AGENT_BUILD__ : { mode: "development" };

export class AgentBuildError extends Error {
  override name = "AgentBuildError";
}

const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Normalizes a license server URL and checks it against the build mode: https only in production; in
 * development also http to a loopback address (a local billing). No credentials, query or fragment: the
 * URL is a base the agent appends paths to. Returns the URL without a trailing slash.
 */
export function licenseServerUrl(value: string, mode: AgentBuild["mode"], source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AgentBuildError(`${source} is not a URL (got "${value}")`);
  }
  const loopbackHttp = url.protocol === "http:" && LOOPBACK_HOSTS.test(url.hostname);
  if (url.protocol !== "https:" && !(mode === "development" && loopbackHttp)) {
    throw new AgentBuildError(
      mode === "production"
        ? `${source} must be an https:// URL in a production agent (got "${value}")`
        : `${source} must be https://, or http:// to a loopback address in development (got "${value}")`,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new AgentBuildError(`${source} must not carry credentials, a query or a fragment (got "${value}")`);
  }
  return url.href.replace(/\/+$/, "");
}

const publicEd25519Jwk = z
  .object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: z.string().min(1), kid: z.string().min(1) })
  .passthrough()
  .refine((k) => !("d" in k), "holds private key material (d): bake only the public JWKS");

/**
 * Validates the JWKS baked into a production agent: Ed25519 public keys with a kid, never a private part
 * (the bundle is shipped to customers).
 */
export function bakedJwks(value: unknown, source: string): JSONWebKeySet {
  const jwks = parseJwks(value, source);
  jwks.keys.forEach((key, index) => {
    const result = publicEd25519Jwk.safeParse(key);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new AgentBuildError(
        `${source}: key ${index} (${key.kid ?? "no kid"}) ${issue?.path.length ? `${issue.path.join(".")}: ` : ""}${issue?.message}`,
      );
    }
  });
  return jwks;
}

/** Checks a whole build description (what the bundler bakes in). */
export function checkAgentBuild(build: AgentBuild): AgentBuild {
  if (build.mode === "production" && (!build.licenseServer || !build.jwks)) {
    throw new AgentBuildError("a production agent needs both a license server URL and a JWKS");
  }
  return {
    mode: build.mode,
    ...(build.licenseServer
      ? { licenseServer: licenseServerUrl(build.licenseServer, build.mode, "the license server") }
      : {}),
    ...(build.jwks ? { jwks: bakedJwks(build.jwks, "the JWKS") } : {}),
  };
}
