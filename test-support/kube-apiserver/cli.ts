/**
 * `npm run kube:serve -- --port <port> --kubeconfig <file> [--crds <dir>]...`
 * Starts the Kubernetes API test server on 127.0.0.1, writes a kubeconfig for it and serves until SIGTERM or
 * SIGINT. Test infrastructure and the local sandbox's API server (see docs/kube-apiserver.md).
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { startKubeApiServer } from "./index.js";

export interface CliOptions {
  port: number;
  kubeconfig: string | undefined;
  crdDirs: string[];
  watchHistorySize: number | undefined;
}

const USAGE =
  "usage: npm run kube:serve -- --port <port> --kubeconfig <file> [--crds <dir>]... [--watch-history <n>]";

/** Parses argv; throws an Error naming the bad flag or value. */
export function parseCliArgs(argv: string[]): CliOptions {
  const options: CliOptions = { port: 0, kubeconfig: undefined, crdDirs: [], watchHistorySize: undefined };
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
      case "--port": {
        const raw = value();
        const port = Number(raw);
        if (!/^\d+$/.test(raw) || port > 65535)
          throw new Error(`--port must be an integer from 0 to 65535, got "${raw}"`);
        options.port = port;
        break;
      }
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
      case "--help":
      case "-h":
        throw new Error(USAGE);
      default:
        throw new Error(`unknown flag "${flag}"\n${USAGE}`);
    }
  }
  return options;
}

async function main(): Promise<void> {
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
  });
  if (options.kubeconfig) {
    mkdirSync(dirname(options.kubeconfig), { recursive: true });
    server.writeKubeconfig(options.kubeconfig);
  }
  console.log(`Kubernetes API test server listening on ${server.url}`);
  if (options.kubeconfig)
    console.log(
      `kubeconfig written to ${options.kubeconfig} (kubectl --kubeconfig ${options.kubeconfig} get ns)`,
    );
  const shutdown = (signal: string) => {
    console.log(`received ${signal}, stopping`);
    void server.stop().then(() => process.exit(0));
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
