/**
 * Command-line and environment options of `npm start` (the local sandbox). Pure: parses argv + env into
 * SandboxOptions or throws a SandboxUsageError naming the bad flag or variable and its value.
 */
import { resolve } from "node:path";

/**
 * The processes the sandbox runs, in start order, and their ports. The mail catcher (maildev) is one process
 * with two ports: its web view (`mail`) and the SMTP port billing delivers to (`smtp`, no process of its own).
 */
export const COMPONENTS = [
  "kube",
  "stripe",
  "workstations",
  "mail",
  "smtp",
  "billing",
  "operator",
  "registry",
  "kms",
] as const;
export type Component = (typeof COMPONENTS)[number];
/**
 * The supply-chain stand-ins (a real OCI registry, the fake Cloud KMS): started only when Debian's
 * docker-registry is installed; without it the sandbox runs the rest and says so (issue 14 §2).
 */
export const SUPPLY_CHAIN_COMPONENTS = ["registry", "kms"] as const satisfies readonly Component[];
export type SupplyChainComponent = (typeof SUPPLY_CHAIN_COMPONENTS)[number];
export type CoreComponent = Exclude<Component, SupplyChainComponent>;

/** The components this start runs: all of them, or all but the supply-chain ones. */
export function componentsToRun(supplyChain: boolean): Component[] {
  return COMPONENTS.filter(
    (c) => supplyChain || !(SUPPLY_CHAIN_COMPONENTS as readonly Component[]).includes(c),
  );
}

/** Fixed default ports (127.0.0.1), documented in docs/sandbox.md. 0 = a free port picked at start. */
export const DEFAULT_PORTS: Record<Component, number> = {
  kube: 16443,
  stripe: 12111,
  workstations: 15051,
  mail: 1080,
  smtp: 1025,
  billing: 8080,
  operator: 8081,
  registry: 15000,
  kms: 15052,
};

/** What each component is called in messages, and its flag / environment variable. */
export const PORT_SETTINGS: Record<Component, { label: string; flag: string; env: string }> = {
  kube: { label: "Kubernetes API test server", flag: "--kube-port", env: "SANDBOX_KUBE_PORT" },
  stripe: { label: "fake Stripe API", flag: "--stripe-port", env: "SANDBOX_STRIPE_PORT" },
  workstations: {
    label: "fake Cloud Workstations API",
    flag: "--workstations-port",
    env: "SANDBOX_WORKSTATIONS_PORT",
  },
  mail: { label: "mail catcher web view (maildev)", flag: "--mail-port", env: "SANDBOX_MAIL_PORT" },
  smtp: { label: "mail catcher SMTP (maildev)", flag: "--smtp-port", env: "SANDBOX_SMTP_PORT" },
  billing: { label: "billing", flag: "--billing-port", env: "SANDBOX_BILLING_PORT" },
  operator: { label: "operator probes/metrics", flag: "--operator-port", env: "SANDBOX_OPERATOR_PORT" },
  registry: {
    label: "OCI registry (docker-registry)",
    flag: "--registry-port",
    env: "SANDBOX_REGISTRY_PORT",
  },
  kms: { label: "fake Cloud KMS API", flag: "--kms-port", env: "SANDBOX_KMS_PORT" },
};

export interface SandboxOptions {
  /** Absolute path of the state directory (PGlite data, kubeconfig, secrets, logs). */
  dataDir: string;
  /** Wipe dataDir before starting. */
  reset: boolean;
  /** Requested ports; 0 = pick a free one. */
  ports: Record<Component, number>;
  /** How long to wait for every component to answer its health check. */
  readyTimeoutMs: number;
  /** False with --no-supply-chain: no registry, no fake KMS, no image publishing (e.g. a benchmark). */
  supplyChain: boolean;
}

export const USAGE = `usage: npm start -- [--reset] [--data-dir <dir>] [--ready-timeout <seconds>]
                    [--kube-port <p>] [--stripe-port <p>] [--workstations-port <p>] [--mail-port <p>]
                    [--smtp-port <p>] [--billing-port <p>]
                    [--operator-port <p>] [--registry-port <p>] [--kms-port <p>] [--no-supply-chain]
  ports default to ${COMPONENTS.map((c) => `${c} ${DEFAULT_PORTS[c]}`).join(", ")}; 0 picks a free port.
  environment: SANDBOX_DATA_DIR, SANDBOX_<COMPONENT>_PORT (e.g. SANDBOX_BILLING_PORT=9090).`;

/** A bad flag, value or environment variable; the message names it. */
export class SandboxUsageError extends Error {
  override name = "SandboxUsageError";
}

function parsePort(raw: string, source: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    throw new SandboxUsageError(`${source} must be a port number from 0 to 65535, got "${raw}"`);
  }
  return port;
}

/** Parses `npm start -- …` arguments; flags win over environment variables, which win over defaults. */
export function parseSandboxOptions(
  argv: string[],
  env: Record<string, string | undefined>,
  cwd: string,
): SandboxOptions {
  const ports = { ...DEFAULT_PORTS };
  for (const component of COMPONENTS) {
    const { env: variable } = PORT_SETTINGS[component];
    const raw = env[variable];
    if (raw !== undefined && raw !== "") ports[component] = parsePort(raw, variable);
  }
  let dataDir = env.SANDBOX_DATA_DIR || ".data";
  let reset = false;
  let readyTimeoutMs = 120_000;
  let supplyChain = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined || v === "") throw new SandboxUsageError(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    const portFlag = COMPONENTS.find((c) => PORT_SETTINGS[c].flag === flag);
    if (portFlag) {
      ports[portFlag] = parsePort(value(), flag);
      continue;
    }
    switch (flag) {
      case "--reset":
        reset = true;
        break;
      case "--no-supply-chain":
        supplyChain = false;
        break;
      case "--data-dir":
        dataDir = value();
        break;
      case "--ready-timeout": {
        const raw = value();
        const seconds = Number(raw);
        if (!/^\d+$/.test(raw) || seconds < 1 || seconds > 3600) {
          throw new SandboxUsageError(`--ready-timeout must be whole seconds from 1 to 3600, got "${raw}"`);
        }
        readyTimeoutMs = seconds * 1000;
        break;
      }
      case "--help":
      case "-h":
        throw new SandboxUsageError(USAGE);
      default:
        throw new SandboxUsageError(`unknown argument "${arg}"\n${USAGE}`);
    }
  }
  const fixed = COMPONENTS.filter((c) => ports[c] !== 0);
  for (const [i, a] of fixed.entries()) {
    const b = fixed.slice(i + 1).find((other) => ports[other] === ports[a]);
    if (b) {
      throw new SandboxUsageError(
        `${PORT_SETTINGS[a].label} and ${PORT_SETTINGS[b].label} are both set to port ${ports[a]}; give them different ports`,
      );
    }
  }
  return { dataDir: resolve(cwd, dataDir), reset, ports, readyTimeoutMs, supplyChain };
}
