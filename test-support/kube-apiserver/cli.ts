/**
 * `npm run kube:serve -- --port <port> --kubeconfig <file> [--crds <dir>]... [--insecure-http] [--no-rbac]`
 *   `[--latency-ms <ms>] [--fault-control-port <port> --fault-control-token-file <file>]`
 * Starts the Kubernetes API test server on 127.0.0.1 — over TLS with authentication and RBAC enforced unless
 * switched off — writes a kubeconfig for it (CA + admin token) and serves until SIGTERM or SIGINT. Test
 * infrastructure and the local sandbox's API server (see docs/kube-apiserver.md).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { exitIfHelpRequested } from "../../lib/cli.js";
import { type FaultControl, startFaultControl } from "./fault-control.js";
import { startKubeApiServer } from "./index.js";

export interface CliOptions {
  port: number;
  kubeconfig: string | undefined;
  crdDirs: string[];
  watchHistorySize: number | undefined;
  /** Serve HTTPS (default); `--insecure-http` turns it off. */
  tls: boolean;
  /** Serving certificate files (`--tls-cert`/`--tls-key`/`--tls-ca`, all three or none); default: generated. */
  tlsFiles: { cert: string; key: string; ca: string } | undefined;
  /** Authentication + RBAC (default); `--no-rbac` turns it off. */
  rbac: boolean;
  /** Latency added to every request from the start (`--latency-ms`). */
  latencyMs: number | undefined;
  /** The fault control endpoint (fault-control.ts): its port and the file its token is written to. */
  faultControl: { port: number; tokenFile: string } | undefined;
}

const USAGE =
  "usage: npm run kube:serve -- --port <port> --kubeconfig <file> [--crds <dir>]... [--watch-history <n>] " +
  "[--insecure-http | --tls-cert <file> --tls-key <file> --tls-ca <file>] [--no-rbac] " +
  "[--latency-ms <ms>] [--fault-control-port <port> --fault-control-token-file <file>]";

function portNumber(flag: string, raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535)
    throw new Error(`${flag} must be an integer from 0 to 65535, got "${raw}"`);
  return port;
}

function existingFile(flag: string, raw: string): string {
  const file = resolve(raw);
  if (!existsSync(file) || !statSync(file).isFile()) throw new Error(`${flag}: "${file}" is not a file`);
  return file;
}

/** Parses argv; throws an Error naming the bad flag or value. */
export function parseCliArgs(argv: string[]): CliOptions {
  const options: CliOptions = {
    port: 0,
    kubeconfig: undefined,
    crdDirs: [],
    watchHistorySize: undefined,
    tls: true,
    tlsFiles: undefined,
    rbac: true,
    latencyMs: undefined,
    faultControl: undefined,
  };
  const control: { port?: number; tokenFile?: string } = {};
  const tlsFiles: Partial<Record<"cert" | "key" | "ca", string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const [name, inline] =
      flag.startsWith("--") && flag.includes("=")
        ? [flag.slice(0, flag.indexOf("=")), flag.slice(flag.indexOf("=") + 1)]
        : [flag, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new Error(`${name} needs a value\n${USAGE}`);
      return v;
    };
    switch (name) {
      case "--port":
        options.port = portNumber(name, value());
        break;
      case "--latency-ms": {
        const raw = value();
        if (!/^\d+$/.test(raw) || Number(raw) > 600_000)
          throw new Error(`--latency-ms must be an integer from 0 to 600000, got "${raw}"`);
        options.latencyMs = Number(raw);
        break;
      }
      case "--fault-control-port":
        control.port = portNumber(name, value());
        break;
      case "--fault-control-token-file":
        control.tokenFile = resolve(value());
        break;
      case "--kubeconfig":
        options.kubeconfig = resolve(value());
        if (existsSync(options.kubeconfig) && statSync(options.kubeconfig).isDirectory()) {
          throw new Error(`--kubeconfig: "${options.kubeconfig}" is a directory; give a file path`);
        }
        break;
      case "--crds": {
        const dir = resolve(value());
        if (!existsSync(dir) || !statSync(dir).isDirectory())
          throw new Error(`--crds: "${dir}" is not a directory`);
        options.crdDirs.push(dir);
        break;
      }
      case "--watch-history": {
        const raw = value();
        const n = Number(raw);
        if (!/^\d+$/.test(raw) || n < 1)
          throw new Error(`--watch-history must be a positive integer, got "${raw}"`);
        options.watchHistorySize = n;
        break;
      }
      case "--insecure-http":
        options.tls = false;
        break;
      case "--no-rbac":
        options.rbac = false;
        break;
      case "--tls-cert":
        tlsFiles.cert = existingFile(name, value());
        break;
      case "--tls-key":
        tlsFiles.key = existingFile(name, value());
        break;
      case "--tls-ca":
        tlsFiles.ca = existingFile(name, value());
        break;
      case "--help":
      case "-h":
        throw new Error(USAGE);
      default:
        throw new Error(`unknown flag "${flag}"\n${USAGE}`);
    }
  }
  if ((control.port === undefined) !== (control.tokenFile === undefined)) {
    throw new Error("--fault-control-port and --fault-control-token-file go together");
  }
  if (control.port !== undefined)
    options.faultControl = { port: control.port, tokenFile: control.tokenFile! };
  const given = (["cert", "key", "ca"] as const).filter((k) => tlsFiles[k] !== undefined);
  if (given.length > 0) {
    if (given.length < 3) {
      const missing = (["cert", "key", "ca"] as const).filter((k) => tlsFiles[k] === undefined);
      throw new Error(`--tls-${given[0]} needs ${missing.map((k) => `--tls-${k}`).join(" and ")} as well`);
    }
    if (!options.tls)
      throw new Error("--insecure-http cannot be combined with --tls-cert/--tls-key/--tls-ca");
    options.tlsFiles = tlsFiles as CliOptions["tlsFiles"];
  }
  return options;
}

async function main(): Promise<void> {
  exitIfHelpRequested(USAGE);
  let options: CliOptions;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`kube:serve: ${(error as Error).message}`);
    process.exit(2);
  }
  const server = await startKubeApiServer({
    port: options.port,
    crdDirs: options.crdDirs,
    ...(options.watchHistorySize ? { watchHistorySize: options.watchHistorySize } : {}),
    tls: options.tlsFiles
      ? {
          certPem: readFileSync(options.tlsFiles.cert, "utf8"),
          keyPem: readFileSync(options.tlsFiles.key, "utf8"),
          caPem: readFileSync(options.tlsFiles.ca, "utf8"),
        }
      : options.tls,
    rbac: options.rbac,
  });
  if (options.kubeconfig) {
    mkdirSync(dirname(options.kubeconfig), { recursive: true });
    server.writeKubeconfig(options.kubeconfig);
  }
  if (options.latencyMs) server.faults.setLatency(options.latencyMs);
  let control: FaultControl | undefined;
  if (options.faultControl) {
    const token = randomBytes(24).toString("base64url");
    mkdirSync(dirname(options.faultControl.tokenFile), { recursive: true });
    writeFileSync(options.faultControl.tokenFile, `${token}\n`, { mode: 0o600 });
    control = await startFaultControl(server.faults, token, options.faultControl.port);
    console.log(
      `fault control on ${control.url} (POST /faults/{fail-next,latency,drop-watches,hold-watches,reset}; bearer token in ${options.faultControl.tokenFile})`,
    );
  }
  console.log(`Kubernetes API test server listening on ${server.url}`);
  console.log(
    `TLS ${server.caPem ? "on" : "off (--insecure-http)"}; authentication and RBAC ${server.rbac ? "enforced" : "off (--no-rbac)"}`,
  );
  if (!options.kubeconfig && server.rbac)
    console.log(
      "no --kubeconfig given: the admin token is only ever written to a kubeconfig, so none is usable",
    );
  if (options.kubeconfig)
    console.log(
      `kubeconfig written to ${options.kubeconfig} (kubectl --kubeconfig ${options.kubeconfig} get ns)`,
    );
  const shutdown = (signal: string) => {
    console.log(`received ${signal}, stopping`);
    void Promise.all([server.stop(), control?.stop()]).then(() => process.exit(0));
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main().catch((error: unknown) => {
    console.error(`kube:serve: ${(error as Error).message}`);
    process.exit(1);
  });
}
