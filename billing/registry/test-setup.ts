/**
 * Shared setup of the registry tests: billing (the harness, real PostgreSQL) as the token realm of the real
 * docker-registry with `auth: token`, both trusting a throwaway CA; a Pro and an Enterprise repository
 * seeded through a registry without auth on the same storage. Test infrastructure.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createCertificateAuthority } from "../../test-support/pki/index.js";
import { type LocalRegistry, startRegistry } from "../../test-support/registry/index.js";
import { pushTinyImage } from "../../test-support/registry/tiny-image.js";
import { type BillingHarness, startBillingHarness } from "../testing/harness.js";

export const run = promisify(execFile);
export const PRO_REPO = "coditect-images/coditect-docker";
export const ENTERPRISE_REPO = "coditect-enterprise/coditect-extended";
export const SERVICE = "coditect-sandbox-registry";

export interface RegistrySetup {
  h: BillingHarness;
  registry: LocalRegistry;
  proDigest: string;
  enterpriseDigest: string;
  /** The registries' storage (a second registry may serve it, e.g. without auth for a baseline). */
  storageDirectory: string;
  /** Creates a license through the admin API; returns its id and key. */
  license(tier: "starter" | "pro" | "enterprise"): Promise<{ id: string; key: string }>;
  stop(): Promise<void>;
}

export async function startRegistrySetup(
  env: Record<string, string> = {},
  databaseUrl?: string,
): Promise<RegistrySetup> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "registry-access-"));
  const ca = await createCertificateAuthority("registry-token-ca");
  const leaf = await ca.issue({ commonName: "billing-registry-token-signer" });
  await writeFile(path.join(dir, "key.pem"), leaf.keyPem);
  await writeFile(path.join(dir, "certs.pem"), `${leaf.certPem}\n${ca.certPem}`);
  const storage = path.join(dir, "storage");

  const seed = await startRegistry({ storageDirectory: storage });
  const pro = await pushTinyImage(seed.host, PRO_REPO, "pro image", undefined);
  const enterprise = await pushTinyImage(seed.host, ENTERPRISE_REPO, "enterprise image", undefined);
  await seed.stop();

  const h = await startBillingHarness({
    ...(databaseUrl ? { databaseUrl } : {}),
    env: {
      REGISTRY_CREDENTIALS: "docker-token",
      REGISTRY_HOST: "127.0.0.1:1", // replaced below once the registry has its port
      REGISTRY_TOKEN_ISSUER: "coditect-billing",
      REGISTRY_TOKEN_SERVICE: SERVICE,
      REGISTRY_TOKEN_KEY_FILE: path.join(dir, "key.pem"),
      REGISTRY_TOKEN_CERTS_FILE: path.join(dir, "certs.pem"),
      ...env,
    },
  });
  // The registry checks exp/nbf against the real time: billing's clock starts at it.
  h.clock.set(new Date());
  const registry = await startRegistry({
    storageDirectory: storage,
    tokenAuth: {
      realm: `${h.url}/v1/registry/token`,
      service: SERVICE,
      issuer: "coditect-billing",
      rootCertBundlePem: ca.certPem,
    },
  });
  // The issuer is built at the first token request, after this: the response names the real host.
  const config = h.deps.config.registry as { registry: string };
  config.registry = registry.host;

  return {
    h,
    registry,
    proDigest: pro.digest,
    enterpriseDigest: enterprise.digest,
    storageDirectory: storage,
    async license(tier) {
      const res = await h.admin("POST", "/licenses", {
        organization: `${tier}-co-${Math.random().toString(36).slice(2, 8)}`,
        customerEmail: `lead@${tier}.test`,
        tier,
        provisioningType: "pilot",
        durationDays: 30,
        seats: 5,
      });
      if (res.status !== 201) throw new Error(`license: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { license: { id: string }; licenseKey: string };
      return { id: body.license.id, key: body.licenseKey };
    },
    async stop() {
      await Promise.all([registry.stop(), h.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `skopeo inspect` of a repository by digest with `--creds license:<key>`; resolves stdout or rejects with stderr. */
export async function skopeoInspect(
  host: string,
  repo: string,
  digest: string,
  key: string,
): Promise<string> {
  const { stdout } = await run(
    "skopeo",
    [
      "inspect",
      "--no-tags",
      "--tls-verify=false",
      "--creds",
      `license:${key}`,
      `docker://${host}/${repo}@${digest}`,
    ],
    { timeout: 30_000 },
  );
  return stdout;
}
