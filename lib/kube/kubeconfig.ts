/**
 * A kubeconfig's current context as a KubeConnection, read with the `yaml` package — no
 * @kubernetes/client-node (ADR 0310). Handles what our users and pods have: cluster server, CA
 * (`certificate-authority-data` or a file), `insecure-skip-tls-verify`; user `token`, `tokenFile`,
 * client certificate/key (data or file), `username`/`password`. A user with `exec` or `auth-provider`
 * (gke-gcloud-auth-plugin, cloud SSO helpers) is handed to client-node, imported only then, which runs the
 * plugin and caches its credential (ADR 0311).
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";
import { type Clock, systemClock } from "../clock.js";
import type { KubeConnection } from "./connection.js";

type Entry = Record<string, unknown>;

/** How long a token read from a file is used before the file is read again (client-go: one minute). */
export const TOKEN_FILE_CACHE_MS = 60_000;

/**
 * `authorization: Bearer <file's content>`, re-read at most every `maxAgeMs` (the kubelet rotates projected
 * service-account tokens; client-go re-reads each minute). A failed re-read keeps the last token, as
 * client-go does; a first read that fails throws naming the file.
 */
export function tokenFileAuth(
  file: string,
  clock: Clock = systemClock,
  maxAgeMs: number = TOKEN_FILE_CACHE_MS,
): () => Record<string, string> {
  let cached: { token: string; readAt: number } | undefined;
  return () => {
    const now = clock.now().getTime();
    if (!cached || now - cached.readAt >= maxAgeMs) {
      try {
        const token = readFileSync(file, "utf8").trim();
        if (token === "") throw new Error(`token file ${file} is empty`);
        cached = { token, readAt: now };
      } catch (error) {
        if (!cached)
          throw new Error(`cannot read the Kubernetes token file ${file}: ${(error as Error).message}`);
      }
    }
    return { authorization: `Bearer ${cached.token}` };
  };
}

function named(list: unknown, name: string, what: string, where: string): Entry {
  const found = Array.isArray(list)
    ? (list as Entry[]).find((item) => item && typeof item === "object" && item.name === name)
    : undefined;
  const inner = found?.[what];
  if (!inner || typeof inner !== "object") throw new Error(`${where} has no ${what} named "${name}"`);
  return inner as Entry;
}

function text(entry: Entry, key: string): string | undefined {
  const value = entry[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** PEM from `<key>-data` (base64) or the file `<key>` (relative to the kubeconfig's directory). */
function pem(entry: Entry, key: string, baseDir: string | undefined): string | undefined {
  const data = text(entry, `${key}-data`);
  if (data) return Buffer.from(data, "base64").toString("utf8");
  const file = text(entry, key);
  if (!file) return undefined;
  return readFileSync(baseDir && !isAbsolute(file) ? join(baseDir, file) : file, "utf8");
}

export interface KubeconfigSource {
  yaml: string;
  /** The file it came from (relative paths inside are resolved from its directory); undefined for a string. */
  file: string | undefined;
  description: string;
  clock?: Clock;
}

/** The current context of a kubeconfig as a KubeConnection (throws naming what is missing). */
export function parseKubeconfig(source: KubeconfigSource): KubeConnection {
  const where = source.file ? `kubeconfig ${source.file}` : source.description;
  let config: Entry;
  try {
    config = parse(source.yaml) as Entry;
  } catch (error) {
    throw new Error(`${where} is not valid YAML: ${(error as Error).message}`);
  }
  if (!config || typeof config !== "object") throw new Error(`${where} is empty`);
  const contextName = text(config, "current-context");
  if (!contextName) throw new Error(`${where} has no current-context`);
  const context = named(config.contexts, contextName, "context", where);
  const clusterName = text(context, "cluster");
  const userName = text(context, "user");
  if (!clusterName) throw new Error(`${where}: context "${contextName}" names no cluster`);
  const cluster = named(config.clusters, clusterName, "cluster", where);
  const server = text(cluster, "server")?.replace(/\/+$/, "");
  if (!server) throw new Error(`${where}: cluster "${clusterName}" has no server`);
  const baseDir = source.file ? dirname(source.file) : undefined;
  const user = userName ? named(config.users, userName, "user", where) : {};
  return {
    server,
    caPem: pem(cluster, "certificate-authority", baseDir),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    clientCertPem: pem(user, "client-certificate", baseDir),
    clientKeyPem: pem(user, "client-key", baseDir),
    authHeaders: userAuth(user, source, baseDir),
    namespace: text(context, "namespace"),
    description: source.description,
  };
}

function userAuth(user: Entry, source: KubeconfigSource, baseDir: string | undefined) {
  const token = text(user, "token");
  if (token) return () => ({ authorization: `Bearer ${token}` });
  const tokenFile = text(user, "tokenFile");
  if (tokenFile) {
    return tokenFileAuth(
      baseDir && !isAbsolute(tokenFile) ? join(baseDir, tokenFile) : tokenFile,
      source.clock,
    );
  }
  if (user.exec || user["auth-provider"]) return pluginAuth(source);
  const username = text(user, "username");
  if (username) {
    const basic = Buffer.from(`${username}:${text(user, "password") ?? ""}`).toString("base64");
    return () => ({ authorization: `Basic ${basic}` });
  }
  return undefined;
}

/**
 * Headers from client-node for an `exec` / `auth-provider` user. The import happens on the first request
 * (never in a pod: pods use their service account), and one KubeConfig is kept so client-node's cache of
 * the plugin's credential (until its expirationTimestamp) is used.
 */
function pluginAuth(source: KubeconfigSource): () => Promise<Record<string, string>> {
  let config: Promise<import("@kubernetes/client-node").KubeConfig> | undefined;
  return async () => {
    config ??= import("@kubernetes/client-node").then(({ KubeConfig }) => {
      const kc = new KubeConfig();
      if (source.file) kc.loadFromFile(source.file);
      else kc.loadFromString(source.yaml);
      return kc;
    });
    const options: { headers?: Record<string, string>; cert?: unknown } = { headers: {} };
    await (await config).applyToHTTPSOptions(
      options as Parameters<import("@kubernetes/client-node").KubeConfig["applyToHTTPSOptions"]>[0],
    );
    const headers = Object.fromEntries(
      Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
    );
    if (!headers.authorization) {
      throw new Error(
        `${source.description}: the user's exec/auth-provider plugin gave no token (client certificates from plugins are not supported)`,
      );
    }
    return { authorization: headers.authorization };
  };
}
