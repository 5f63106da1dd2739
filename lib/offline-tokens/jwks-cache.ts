/**
 * The agent's on-disk copy of the license server's public JWKS. The agent refreshes it while online and
 * falls back to the copy on disk when the server is unreachable, so an offline token can be verified with
 * no network at all. Written atomically (temp file + rename) so a crash never leaves half a document.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { JSONWebKeySet } from "jose";
import { z } from "zod";

const jwksDocument = z.object({
  keys: z
    .array(z.object({ kty: z.string(), kid: z.string().optional() }).passthrough())
    .min(1, "the JWKS holds no key"),
});

/** Validates a JWKS document (from the network or from disk); errors say where it came from. */
export function parseJwks(value: unknown, source: string): JSONWebKeySet {
  const result = jwksDocument.safeParse(value);
  if (!result.success) {
    throw new Error(`${source} is not a JWKS document: ${result.error.issues[0]?.message}`);
  }
  return result.data as JSONWebKeySet;
}

export function writeCachedJwks(path: string, jwks: JSONWebKeySet): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(jwks)}\n`, { mode: 0o644 });
  renameSync(temp, path);
}

/** The cached JWKS, or undefined when none was ever cached. A corrupt file is an error, not "none". */
export function readCachedJwks(path: string): JSONWebKeySet | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return parseJwks(JSON.parse(text), `cached JWKS ${path}`);
}

/**
 * Fetches the JWKS from the license server and caches it; on any network failure returns the cached copy
 * (or rethrows when there is none). `fetchImpl` is injectable for tests of the agent shell.
 */
export async function refreshJwks(
  url: string,
  cachePath: string,
  fetchImpl: typeof fetch = fetch,
): Promise<{ jwks: JSONWebKeySet; fromCache: boolean }> {
  try {
    // Never follow a redirect: the keys come from the license server the agent was configured with.
    const response = await fetchImpl(url, { redirect: "error", signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    const jwks = parseJwks(await response.json(), url);
    writeCachedJwks(cachePath, jwks);
    return { jwks, fromCache: false };
  } catch (error) {
    const cached = readCachedJwks(cachePath);
    if (!cached)
      throw new Error(`cannot fetch ${url} and no cached JWKS at ${cachePath}: ${(error as Error).message}`);
    return { jwks: cached, fromCache: true };
  }
}
