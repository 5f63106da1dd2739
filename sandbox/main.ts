/**
 * `npm start [-- --reset --data-dir <dir> --<component>-port <p>]`: the whole control plane on
 * embedded defaults, as separate processes — the Kubernetes API test server (CRDs applied), the fake
 * Stripe API, the fake Cloud Workstations API, a mail catcher (maildev: billing's notifications land in
 * its web view), billing on embedded PGlite, the operator, and (with
 * Debian's docker-registry installed) a real OCI registry and the fake Cloud KMS, to which the licensed
 * image, when built, is pushed and signed (sandbox/publish.ts). Writes the kubeconfig, prints the URLs,
 * the sandbox admin token and what to try next; Ctrl-C stops everything.
 * See docs/sandbox.md.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { exitIfHelpRequested } from "../lib/cli.js";
import { registryConfigYaml } from "../test-support/registry/config.js";
import { bannerText, licensedImageText, shown } from "./banner.js";
import { describeExit, logTail, type RunningChild, stopChildren } from "./children.js";
import { resetDataDir } from "./data-dir.js";
import { pollUntil } from "./health.js";
import { adminToken, provisionServiceIdentities, writeKubeTls } from "./kube-access.js";
import { writeSandboxKubeconfig } from "./kubeconfig.js";
import { type Component, componentsToRun, parseSandboxOptions, SandboxUsageError, USAGE } from "./options.js";
import {
  type ChildSpec,
  dataPaths,
  kubePaths,
  kubeUrlOf,
  planChildren,
  registryConfig,
  urlOf,
} from "./plan.js";
import { resolvePorts } from "./ports.js";
import {
  publishLicensedImage,
  REGISTRY_MISSING,
  type SupplyChainStatus,
  supplyChainAvailable,
} from "./publish.js";
import { ensureRegistryTokenKey } from "./registry-token.js";
import { loadOrCreateSecrets } from "./secrets.js";
import { readRunningState, removeRunningState, writeRunningState } from "./state.js";
import { startChildren } from "./supervisor.js";

/** A second stop signal within this time is the same Ctrl-C delivered twice, not a request to hurry. */
const FORCE_AFTER_MS = 2_000;
const SUPPLY_CHAIN_DISABLED = "--no-supply-chain: no registry, no fake Cloud KMS, no image publishing";
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function fail(message: string, code = 1): never {
  process.stderr.write(`sandbox: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  exitIfHelpRequested(USAGE);
  let options: ReturnType<typeof parseSandboxOptions>;
  try {
    options = parseSandboxOptions(process.argv.slice(2), process.env, process.cwd());
  } catch (error) {
    if (error instanceof SandboxUsageError) fail(error.message, 2);
    throw error;
  }
  const paths = dataPaths(options.dataDir);
  const already = readRunningState(paths.state);
  if (already) {
    fail(
      `a sandbox (pid ${already.pid}) is already running with data dir ${options.dataDir} (billing at ${already.urls.billing}); ` +
        "stop it first, or use another --data-dir",
    );
  }
  if (options.reset) {
    try {
      resetDataDir(options.dataDir);
    } catch (error) {
      fail((error as Error).message);
    }
    console.log(`sandbox: --reset: wiped ${options.dataDir}`);
  }
  mkdirSync(options.dataDir, { recursive: true });
  const secrets = await loadOrCreateSecrets(options.dataDir).catch((error: Error) => fail(error.message));
  const supplyChain = options.supplyChain && supplyChainAvailable();
  const components = componentsToRun(supplyChain);
  const ports = await resolvePorts(options.ports, components).catch((error: Error) => fail(error.message));
  // A fresh CA and serving certificate each start; the kube child writes its admin kubeconfig, from which
  // <data>/kubeconfig and the services' ServiceAccount kubeconfigs are derived once it is ready.
  const kube = kubePaths(paths.kube);
  const { caPem } = await writeKubeTls(paths.kube).catch((error: Error) => fail(error.message));
  for (const stale of [kube.adminKubeconfig, paths.kubeconfig]) rmSync(stale, { force: true });
  const kubeUrl = kubeUrlOf(ports.kube);
  let identities: Promise<void> | undefined;
  const provisionIdentities = () => {
    identities ??= (async () => {
      await pollUntil(
        "the API test server's admin kubeconfig",
        async () => existsSync(kube.adminKubeconfig),
        {
          timeoutMs: 10_000,
        },
      );
      const token = adminToken(kube.adminKubeconfig);
      writeSandboxKubeconfig(paths.kubeconfig, { url: kubeUrl, caPem, token });
      await provisionServiceIdentities({ kubeDir: paths.kube, url: kubeUrl, caPem, adminToken: token });
    })();
    return identities;
  };
  const beforeStart = async (spec: ChildSpec) => {
    if (spec.after.includes("kube")) await provisionIdentities();
  };
  const layout = { root: ROOT, dataDir: options.dataDir, ports, secrets, supplyChain };
  const specs = planChildren(layout, process.env);
  if (supplyChain) {
    mkdirSync(paths.registry, { recursive: true });
    // The key pair behind the registry's token auth (billing signs pull tokens, the publisher push tokens).
    await ensureRegistryTokenKey(options.dataDir);
    writeFileSync(paths.registryConfig, registryConfigYaml(registryConfig(layout)));
  }
  console.log(
    `sandbox: starting ${components.join(", ")} (data dir ${options.dataDir}, logs in ${paths.logs})`,
  );
  if (!supplyChain) console.log(`sandbox: ${options.supplyChain ? REGISTRY_MISSING : SUPPLY_CHAIN_DISABLED}`);
  const registryHost = `127.0.0.1:${ports.registry}`;
  const kmsHost = `127.0.0.1:${ports.kms}`;
  // Published once the registry and the KMS are healthy, while billing (the slowest child) still starts.
  let publishing: Promise<SupplyChainStatus> | undefined;
  const publishAbort = new AbortController();
  const readyComponents = new Set<Component>();

  let stopping = false;
  let stoppingSince = 0;
  const children: RunningChild[] = [];
  const stopAll = () => stopChildren(children);
  const shutdown = (signal: string) => {
    if (stopping) {
      // Under `npm start` one Ctrl-C arrives more than once (the terminal signals the whole foreground
      // group and tsx relays it too); only a repeat after a pause means "stop at once".
      if (Date.now() - stoppingSince < FORCE_AFTER_MS) return;
      console.log(`sandbox: ${signal} again, stopping at once`);
      for (const child of children) child.process.kill("SIGKILL");
      process.exit(130);
    }
    stopping = true;
    stoppingSince = Date.now();
    publishAbort.abort();
    console.log(`sandbox: ${signal}: stopping every component…`);
    void stopAll().then(() => {
      removeRunningState(paths.state);
      console.log("sandbox: stopped (state kept in the data dir; npm start resumes it)");
      process.exit(0);
    });
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGHUP", () => shutdown("SIGHUP"));

  const sandbox = await startChildren(
    {
      root: ROOT,
      dataDir: options.dataDir,
      specs,
      env: process.env,
      readyTimeoutMs: options.readyTimeoutMs,
      beforeStart,
      cancelled: () => stopping,
      onReady: (name, seconds) => {
        if (!stopping) console.log(`sandbox: ${name} ready (${seconds.toFixed(1)} s)`);
        readyComponents.add(name);
        if (supplyChain && !publishing && readyComponents.has("registry") && readyComponents.has("kms")) {
          publishing = publishLicensedImage({
            signal: publishAbort.signal,
            dataDir: options.dataDir,
            registry: registryHost,
            kms: kmsHost,
          });
        }
      },
    },
    children,
  ).catch((error: Error) => {
    if (stopping) return undefined;
    fail(`start failed: ${error.message}`);
  });
  if (!sandbox || stopping) return;
  // A first push into a fresh registry compresses the whole image (seconds to tens of seconds): the
  // banner does not wait for it; the verify commands follow once it is done (ADR 0192).
  const pending: SupplyChainStatus = { kind: "publishing", registry: registryHost, kms: kmsHost };
  const supplyChainStatus: SupplyChainStatus = publishing
    ? await Promise.race([publishing, Promise.resolve(pending)])
    : { kind: "off", reason: options.supplyChain ? REGISTRY_MISSING : SUPPLY_CHAIN_DISABLED };
  if (stopping) return;
  const urls = {
    billing: urlOf(ports.billing),
    kube: kubeUrl,
    stripe: urlOf(ports.stripe),
    workstations: `127.0.0.1:${ports.workstations}`,
    operator: urlOf(ports.operator),
    mail: urlOf(ports.mail),
    smtp: `127.0.0.1:${ports.smtp}`,
    ...(supplyChain ? { registry: registryHost, kms: kmsHost } : {}),
  };
  writeRunningState(paths.state, {
    pid: process.pid,
    startedAt: new Date(startedAt).toISOString(),
    dataDir: options.dataDir,
    kubeconfig: paths.kubeconfig,
    urls,
    ...(supplyChain ? { signingKey: paths.signingKey } : {}),
  });
  console.log(
    bannerText({
      seconds: (Date.now() - startedAt) / 1000,
      urls,
      kubeconfig: paths.kubeconfig,
      dataDir: options.dataDir,
      adminToken: secrets.adminToken,
      cwd: process.cwd(),
      supplyChain: supplyChainStatus,
      signingKey: paths.signingKey,
    }),
  );

  if (publishing && supplyChainStatus.kind === "publishing") {
    void publishing.then((status) => {
      if (!stopping) console.log(`sandbox: ${licensedImageText(status, shown(paths.signingKey))}`);
    });
  }

  const crashed = await sandbox.firstExit;
  if (stopping) return;
  stopping = true;
  process.stderr.write(
    `sandbox: ${crashed.spec.name} ${describeExit(crashed)}; stopping the rest\n` +
      `--- last lines of ${crashed.logFile} ---\n${logTail(crashed)}\n`,
  );
  await sandbox.stop();
  removeRunningState(paths.state);
  process.exit(1);
}

main().catch((error: unknown) => fail((error as Error).stack ?? String(error)));
