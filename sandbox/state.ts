/**
 * `<data>/sandbox.json`: where a running sandbox can be reached (URLs, ports, kubeconfig, pid). Written
 * once everything is ready, removed on stop; `npm run sandbox:pay` and a second `npm start` read it.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { z } from "zod";
import type { CoreComponent, SupplyChainComponent } from "./options.js";

const runningSandbox = z.object({
  pid: z.number().int().positive(),
  startedAt: z.string(),
  dataDir: z.string(),
  kubeconfig: z.string(),
  urls: z.object({
    billing: z.string(),
    kube: z.string(),
    stripe: z.string(),
    workstations: z.string(),
    operator: z.string(),
    /** The mail catcher's web view (http://127.0.0.1:<port>) and SMTP (`127.0.0.1:<port>`). */
    mail: z.string(),
    smtp: z.string(),
    /** `127.0.0.1:<port>` of the OCI registry and the fake KMS; absent when docker-registry is missing. */
    registry: z.string().optional(),
    kms: z.string().optional(),
  }),
  /** The sandbox's signing public key (PEM file), when the fake KMS runs. */
  signingKey: z.string().optional(),
});
export type RunningSandbox = z.infer<typeof runningSandbox>;
export type SandboxUrls = Record<CoreComponent, string> & Partial<Record<SupplyChainComponent, string>>;

export function writeRunningState(file: string, state: RunningSandbox): void {
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export function removeRunningState(file: string): void {
  rmSync(file, { force: true });
}

/** The running sandbox recorded in `file`, or undefined when none is recorded or its process is gone. */
export function readRunningState(file: string): RunningSandbox | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: RunningSandbox;
  try {
    parsed = runningSandbox.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return undefined;
  }
  try {
    process.kill(parsed.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return undefined;
  }
  return parsed;
}
