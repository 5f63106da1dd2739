/**
 * The rehearsal: render the stack, apply the cluster side to the API test server (TLS, RBAC), start billing
 * and the operator as their Deployments describe them, and drive the purchase-to-revocation journey.
 * Every failure names its cause (env, missing file, Forbidden, probe, journey step). docs/rehearsal.md.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BILLING_ENV_VARIABLES } from "../billing/config.js";
import { OPERATOR_ENV_VARIABLES } from "../operator/config.js";
import {
  type FakeGoogleIdentity,
  startFakeGoogleIdentity,
} from "../test-support/fake-google-identity/index.js";
import { startFakeStripe } from "../test-support/fake-stripe/index.js";
import { startFakeWorkstations } from "../test-support/fake-workstations/index.js";
import { freePort } from "../test-support/postgres/server.js";
import { waitFor } from "../test-support/wait.js";
import { type DeniedRequest, type RehearsalCluster, startRehearsalCluster } from "./cluster.js";
import { auditLogProblems, type CloudSqlLike, roleFromUrl, startCloudSqlLike } from "./database.js";
import { ENV_ALLOW_LIST } from "./env-allow-list.js";
import { checkEnv } from "./env-check.js";
import { checkIngress } from "./ingress-check.js";
import { driveJourney } from "./journey.js";
import { describeOverrides, envOverrides, type ServiceName } from "./overrides.js";
import { localPort } from "./pod-spec.js";
import {
  buildImage,
  explainMissing,
  firstError,
  logTail,
  missingFiles,
  notableLines,
  runInitContainers,
  type StartedService,
  startService,
} from "./pods.js";
import { deploymentNamed, manifestNamed, type RenderedStack, secretProviderPaths } from "./render.js";
import { generateSecrets } from "./secrets.js";
import { agentSchemaVariables, checkWorkstationEnv, shellVariables } from "./workstation-env.js";

/** What each service's config module says it reads (checked against the Deployment's env). */
const DECLARED_ENV: Record<ServiceName, readonly string[]> = {
  billing: BILLING_ENV_VARIABLES,
  operator: OPERATOR_ENV_VARIABLES,
};

export interface StepResult {
  name: string;
  ms: number;
  ok: boolean;
  detail?: string;
}

export interface RehearsalResult {
  ok: boolean;
  steps: StepResult[];
  failures: string[];
  /** Things that keep this rehearsal from proving all it should (e.g. RBAC not enforced by this checkout). */
  incomplete: string[];
}

export interface RehearsalOptions {
  root: string;
  log?: (line: string) => void;
  /** Run the purchase-to-revocation journey (default true). */
  journey?: boolean;
  /** Readiness timeout per pod. */
  readyTimeoutMs?: number;
  /** Start only these services (tests of one failure class); the journey needs both. */
  services?: ServiceName[];
  /** Skip the static checks (tests of one failure class). */
  staticChecks?: boolean;
}

export class RehearsalFailure extends Error {}

/**
 * The first admin on the rendered allow-list, authenticating as `gcloud auth print-identity-token` would:
 * a Google ID token for the first rendered audience, signed by the stand-in for Google's keys.
 */
function renderedAdmin(
  deployment: ReturnType<typeof deploymentNamed>,
  google: FakeGoogleIdentity,
): { email: string; authorization(): Promise<string> } {
  const env = deployment.spec.template.spec.containers[0]?.env ?? [];
  const first = (name: string) =>
    env
      .find((e) => e.name === name)
      ?.value?.split(",")[0]
      ?.trim();
  const email = first("ADMIN_EMAILS");
  const audience = first("ADMIN_ID_TOKEN_AUDIENCES");
  if (!email || !audience) {
    throw new RehearsalFailure(
      "billing's Deployment sets no ADMIN_EMAILS / ADMIN_ID_TOKEN_AUDIENCES: no admin could use the admin API (ADR 0165)",
    );
  }
  return {
    email,
    authorization: async () => `Bearer ${await google.idToken({ email, audience })}`,
  };
}

const SERVICES: ServiceName[] = ["billing", "operator"];

function describeDenial(d: DeniedRequest): string {
  const resource = d.subresource ? `${d.resource}/${d.subresource}` : d.resource;
  return `Forbidden: ${d.user} cannot ${d.verb} ${resource} in API group "${d.apiGroup}"${d.namespace ? ` in namespace "${d.namespace}"` : " (cluster-wide)"}${d.name ? ` (name ${d.name})` : ""} — the rendered RBAC has no rule for it`;
}

export async function rehearse(rendered: RenderedStack, options: RehearsalOptions): Promise<RehearsalResult> {
  const log = options.log ?? (() => {});
  const steps: StepResult[] = [];
  const failures: string[] = [];
  const incomplete: string[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    log(`▶ ${name}`);
    try {
      const value = await fn();
      const ms = Math.round(performance.now() - started);
      steps.push({ name, ms, ok: true });
      log(`  ✓ ${name} (${ms} ms)`);
      return value;
    } catch (error) {
      const ms = Math.round(performance.now() - started);
      const detail = (error as Error).message;
      steps.push({ name, ms, ok: false, detail });
      log(`  ✗ ${name} (${ms} ms)\n${detail}`);
      throw error;
    }
  };
  const check = (problems: string[]) => {
    if (problems.length > 0) {
      failures.push(...problems);
      throw new RehearsalFailure(problems.map((p) => `    - ${p}`).join("\n"));
    }
  };
  let cluster: RehearsalCluster | undefined;
  const started: StartedService[] = [];
  const deniedSoFar = () => {
    const denied = cluster?.deniedRequests() ?? [];
    return denied.map(describeDenial);
  };
  const explainPod = (svc: StartedService) => {
    const problems: string[] = [];
    const exit = svc.pod.exitStatus();
    const mountPaths = svc.plan.pod.mounts.map((m) => m.path);
    for (const file of missingFiles(svc.pod.logs()))
      problems.push(explainMissing(svc.service, file, mountPaths));
    problems.push(...deniedSoFar());
    if (exit)
      problems.push(
        `${svc.service} exited (code ${exit.code}, signal ${exit.signal}): ${firstError(svc.pod.logs())}\n${logTail(svc.pod.logs())}`,
      );
    return problems;
  };

  const probeService = async (svc: StartedService) => {
    const container = svc.plan.container;
    for (const kind of ["readinessProbe", "livenessProbe"] as const) {
      const probe = container[kind];
      if (!probe) check([`${svc.service} has no ${kind}`]);
      const port = localPort(probe!.httpGet.port, container, ports[svc.service]);
      const url = `http://127.0.0.1:${port}${probe!.httpGet.path}`;
      const what = `${svc.service} ${kind} GET ${probe!.httpGet.path} on port ${probe!.httpGet.port} (local ${port})`;
      let outcome: "ok" | "exited" | "not-found";
      try {
        outcome = await waitFor(
          what,
          async () => {
            if (svc.pod.exitStatus()) return "exited" as const;
            const res = await fetch(url);
            if (res.status >= 200 && res.status < 400) return "ok" as const;
            // No such route is an answer, not a slow start.
            if (res.status === 404) return "not-found" as const;
            throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
          },
          { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 200 },
        );
      } catch (error) {
        check([(error as Error).message, ...explainPod(svc)]);
        return;
      }
      if (outcome === "exited") check([`${what} failed: the process exited`, ...explainPod(svc)]);
      if (outcome === "not-found") check([`${what} failed: HTTP 404 (the service serves no such path)`]);
    }
  };
  const staticChecks = () =>
    step("static checks: Ingress admin surface, workstation container env", async () => {
      const problems = checkIngress(rendered.ingresses);
      const readByImage = new Set([
        ...shellVariables(readFileSync(join(options.root, "images/workstation/entrypoint.sh"), "utf8")),
        ...agentSchemaVariables(readFileSync(join(options.root, "images/agent/config.ts"), "utf8")),
      ]);
      problems.push(...checkWorkstationEnv(rendered.workstationEnv, readByImage));
      check(problems);
    }).catch((error) => {
      if (!(error instanceof RehearsalFailure)) throw error;
    });

  let ports: Record<ServiceName, Record<number, number>> = { billing: {}, operator: {} };

  try {
    // Static findings do not stop the run: the processes are rehearsed too, so one run lists every cause.
    if (options.staticChecks !== false) await staticChecks();

    const billingDeployment = deploymentNamed(rendered, "billing");
    const spc = manifestNamed(rendered.secretProviderClasses, "SecretProviderClass", "billing-secrets");
    // The migration step's own secrets (ADR 0166), mounted in billing's init container only.
    const migrationSpc = rendered.secretProviderClasses.find(
      (s) => s.metadata.name === "billing-migration-secrets",
    );
    const secretPaths = [spc, ...(migrationSpc ? [migrationSpc] : [])].flatMap((s) =>
      secretProviderPaths(s).map((e) => e.path),
    );
    const secrets = await generateSecrets([...new Set(secretPaths)]);
    const secretFiles = Object.fromEntries(
      [spc, ...(migrationSpc ? [migrationSpc] : [])].map((s) => [s.metadata.name, secrets.files]),
    );

    cluster = await step(
      "API server (TLS, RBAC) + apply CRDs, Namespaces, ServiceAccounts, RBAC",
      async () => {
        const c = await startRehearsalCluster();
        cleanups.push(() => c.stop());
        for (const m of [
          ...rendered.crds,
          ...rendered.namespaces,
          ...rendered.serviceAccounts,
          ...rendered.rbac,
        ]) {
          await c.apply(m);
        }
        return c;
      },
    );

    const renderedDbUrl = billingDeployment.spec.template.spec.containers[0]?.env?.find(
      (e) => e.name === "DATABASE_URL",
    )?.value;
    if (!renderedDbUrl) throw new RehearsalFailure("billing's Deployment sets no DATABASE_URL");
    // With a migration step, the Cloud SQL user is the migration user (it owns the database, like a
    // Cloud SQL built-in user); the step creates billing's runtime login itself (ADR 0166).
    const migrationDbUrl = billingDeployment.spec.template.spec.initContainers
      ?.flatMap((c) => c.env ?? [])
      .find((e) => e.name === "DATABASE_URL")?.value;
    const cloudSqlUser = migrationDbUrl
      ? roleFromUrl(migrationDbUrl, secrets.migrationPassword)
      : roleFromUrl(renderedDbUrl, secrets.databasePassword);
    const instance = `${rendered.stack}-rehearsal:coditect-billing`;
    const db: CloudSqlLike = await step(
      "PostgreSQL like Cloud SQL (ssl=on, certificate without IP SAN)",
      async () => {
        const d = await startCloudSqlLike(instance, cloudSqlUser);
        cleanups.push(() => d.stop());
        return d;
      },
    );
    // The Cloud SQL instance's CA reaches billing through the rendered ConfigMap: its content is the one
    // value of that ConfigMap the rehearsal replaces (the mock plan holds a placeholder certificate).
    const caMap = rendered.configMaps.find((c) => c.metadata.name === "billing-cloudsql-ca");
    if (caMap) (caMap as { data?: Record<string, string> }).data = { "server-ca.pem": db.caPem };
    else incomplete.push("no billing-cloudsql-ca ConfigMap rendered: the Cloud SQL CA is not mounted");

    ports = {
      billing: { 8080: await freePort() },
      operator: { 8081: await freePort() },
    };
    const fakes = await step(
      "outside stand-ins: fake Stripe, fake Cloud Workstations, Google's keys",
      async () => {
        const billingUrl = `http://127.0.0.1:${ports.billing[8080]}`;
        const prices = ["starter", "pro", "enterprise", "standard", "power", "ai"].map((product) => ({
          id:
            billingDeployment.spec.template.spec.containers[0]?.env?.find(
              (e) => e.name === `STRIPE_PRICE_${product.toUpperCase()}`,
            )?.value ?? `price_${product}`,
          unitAmount: 1_000,
          productName: product,
        }));
        const stripe = await startFakeStripe({
          prices,
          webhook: { url: `${billingUrl}/v1/webhooks/stripe`, secret: secrets.webhookSecret },
        });
        cleanups.push(() => stripe.stop());
        const workstations = await startFakeWorkstations();
        cleanups.push(() => workstations.stop());
        const operatorEnv = deploymentNamed(rendered, "operator").spec.template.spec.containers[0]?.env ?? [];
        const envValue = (n: string) => operatorEnv.find((e) => e.name === n)?.value;
        workstations.seedFleet({
          project: envValue("WORKSTATIONS_PROJECT"),
          location: envValue("WORKSTATIONS_REGION"),
          cluster: envValue("WORKSTATIONS_CLUSTER"),
          configIds: (envValue("WORKSTATIONS_TIER_CONFIGS") ?? "")
            .split(",")
            .map((p) => p.split("=")[1]!)
            .filter(Boolean),
        });
        const google = await startFakeGoogleIdentity();
        cleanups.push(() => google.stop());
        return { stripe, workstations, billingUrl, google };
      },
    );

    const overrides = envOverrides(rendered, {
      stripeApiUrl: fakes.stripe.url,
      workstationsEndpoint: `${fakes.workstations.endpoint.host}:${fakes.workstations.endpoint.port}`,
      database: { host: db.host, port: db.port },
      ports,
      licenseServerUrl: fakes.billingUrl,
      googleCertsUrl: fakes.google.jwksUrl,
    });
    log(describeOverrides(overrides));

    const images = await step("build the images' bundles (images/service-bundle.ts)", async () => {
      const built = (options.services ?? SERVICES).map((s) => buildImage(s, options.root));
      for (const i of built) if (i.note) incomplete.push(i.note);
      return built;
    });

    for (const image of images) {
      const deployment = deploymentNamed(rendered, image.service);
      const podSpec = deployment.spec.template.spec;
      await step(`start ${image.service} as its Deployment describes it`, async () => {
        const token = await cluster!.serviceAccountToken(
          deployment.metadata.namespace!,
          podSpec.serviceAccountName ?? "default",
        );
        const podContext = {
          deployment,
          rendered,
          podName: `${deployment.metadata.name}-7d9f8b6c5-rh3x1`,
          secretFiles,
          serviceAccountToken: token,
          kubeApi: { host: cluster!.host, port: cluster!.port, caPem: cluster!.caPem },
          imageEnv: image.imageEnv,
          overrides,
        };
        try {
          for (const line of await runInitContainers(image, podContext, options.root)) log(`  init ${line}`);
        } catch (error) {
          check([(error as Error).message, ...deniedSoFar()]);
        }
        const s = await startService(image, podContext, options.root);
        started.push(s);
        cleanups.push(async () => {
          await s.pod.stop();
          s.cleanup();
        });
      });
    }
    let allReady = true;
    for (const svc of started) {
      await step(`${svc.service} readiness and liveness probes as rendered`, () => probeService(svc)).catch(
        (error) => {
          if (!(error instanceof RehearsalFailure)) throw error;
          allReady = false;
        },
      );
    }
    if (!allReady) throw new RehearsalFailure("a service is not ready: the journey cannot run");

    if (options.journey !== false) {
      await step("journey: checkout → webhook → License → Workstation Ready → session → revoke", async () => {
        try {
          await driveJourney({
            billingUrl: fakes.billingUrl,
            admin: renderedAdmin(billingDeployment, fakes.google),
            stripe: fakes.stripe,
            workstations: fakes.workstations,
            cluster: cluster!,
            alive: () => {
              for (const s of started) if (s.pod.exitStatus()) throw new Error(`${s.service} exited`);
              // A Forbidden answer is final: the controllers would retry it forever.
              const denied = deniedSoFar();
              if (denied.length > 0) throw new Error(`a request was forbidden: ${denied[0]}`);
            },
            log,
          });
        } catch (error) {
          check([
            (error as Error).message,
            ...deniedSoFar(),
            ...started.flatMap((s) =>
              s.pod.exitStatus()
                ? explainPod(s)
                : notableLines(s.pod.logs()).map((l) => `${s.service} logged: ${l}`),
            ),
          ]);
        }
      });
    }

    await step("env: what the code reads vs what the manifests set", async () => {
      const problems: string[] = [];
      for (const s of started) {
        problems.push(
          ...checkEnv({
            service: s.service,
            manifestEnv: s.plan.manifestEnv,
            runtimeEnv: s.plan.runtimeEnv,
            overrideEnv: s.plan.overrideEnv,
            reads: s.envReads(),
            bundleText: images.find((i) => i.service === s.service)!.bundleText,
            allow: ENV_ALLOW_LIST,
            declared: DECLARED_ENV[s.service],
          }),
        );
      }
      check(problems);
    });

    // Only once billing's migration step has run: it creates billing's login.
    if (migrationDbUrl && started.some((s) => s.service === "billing")) {
      await step("database: billing's login cannot rewrite the audit log (ADR 0166)", async () => {
        check(await auditLogProblems(db, roleFromUrl(renderedDbUrl, secrets.databasePassword)));
      });
    }

    await step("RBAC: no request was forbidden", async () => {
      check(deniedSoFar());
    });
  } catch (error) {
    if (!(error instanceof RehearsalFailure)) {
      failures.push((error as Error).message);
      if (!steps.at(-1) || steps.at(-1)!.ok)
        steps.push({ name: "setup", ms: 0, ok: false, detail: (error as Error).message });
    }
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`cleanup: ${(error as Error).message}`);
      }
    }
  }
  return { ok: failures.length === 0 && incomplete.length === 0, steps, failures, incomplete };
}
