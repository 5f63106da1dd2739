/**
 * The production credential path (issue 15 §2) against the fake IAM Credentials API through the real
 * IAMCredentialsClient and billing's endpoint: the right pull identity per tier, read-only scope, lifetime
 * ≤ 1 h, refused for a lapsed license; and the issuer refuses a lifetime the API would refuse.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type FakeIamCredentials,
  startFakeIamCredentials,
} from "../../test-support/fake-iam-credentials/index.js";
import { type BillingHarness, startBillingHarness } from "../testing/harness.js";
import { GoogleAccessTokenIssuer, PULL_TOKEN_SCOPE } from "./google-access-token.js";

process.env.METADATA_SERVER_DETECTION = "none";

/** Runs a command with `input` on stdin; resolves its stdout, rejects on a non-zero exit. */
function run(command: string, args: string[], options: { env: NodeJS.ProcessEnv }, input: string) {
  return new Promise<{ stdout: string }>((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, stdio: ["pipe", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.on("exit", (code) => (code === 0 ? resolve({ stdout }) : reject(new Error(`${code}: ${stdout}`))));
    child.stdin.end(input);
  });
}
const PRO_SA = "coditect-pull-pro@coditect-citus-prod.iam.gserviceaccount.com";
const ENT_SA = "coditect-pull-enterprise@coditect-citus-prod.iam.gserviceaccount.com";

let h: BillingHarness;
let iam: FakeIamCredentials;
beforeAll(async () => {
  let clockNow = () => new Date();
  iam = await startFakeIamCredentials({ now: () => clockNow() });
  iam.grant(PRO_SA);
  iam.grant(ENT_SA);
  h = await startBillingHarness({
    env: {
      REGISTRY_CREDENTIALS: "google-access-token",
      REGISTRY_HOST: "us-central1-docker.pkg.dev",
      REGISTRY_REPOSITORY_PREFIX: "coditect-citus-prod/",
      REGISTRY_PULL_SERVICE_ACCOUNTS: `pro=${PRO_SA},enterprise=${ENT_SA}`,
      IAM_CREDENTIALS_API_ENDPOINT: iam.endpoint,
    },
  });
  clockNow = () => h.clock.now();
}, 60_000);
afterAll(async () => {
  await h?.stop();
  await iam?.stop();
});

const license = async (tier: string) => {
  const res = await h.admin("POST", "/licenses", {
    organization: `${tier}-${Math.random().toString(36).slice(2, 8)}`,
    customerEmail: "lead@example.test",
    tier,
    provisioningType: "pilot",
    durationDays: 30,
    seats: 5,
  });
  const body = (await res.json()) as { license: { id: string }; licenseKey: string };
  return { id: body.license.id, key: body.licenseKey };
};
const post = (key: string) =>
  fetch(`${h.url}/v1/registry/token`, { method: "POST", headers: { authorization: `Bearer ${key}` } });

describe("google-access-token credentials", () => {
  it("impersonates each tier's own pull identity, read-only, for at most 1 h", async () => {
    for (const [tier, account, repositories] of [
      ["pro", PRO_SA, ["coditect-citus-prod/coditect-images"]],
      [
        "enterprise",
        ENT_SA,
        ["coditect-citus-prod/coditect-images", "coditect-citus-prod/coditect-enterprise"],
      ],
    ] as const) {
      const { key } = await license(tier);
      const res = await post(key);
      expect(res.status).toBe(201);
      const body = (await res.json()) as {
        secret: string;
        username: string;
        expiresAt: string;
        registry: string;
      };
      expect(body).toMatchObject({
        kind: "google-access-token",
        username: "oauth2accesstoken",
        registry: "us-central1-docker.pkg.dev",
        repositories,
      });
      const info = iam.tokenInfo(body.secret);
      expect(info).toMatchObject({
        serviceAccount: account,
        scope: [PULL_TOKEN_SCOPE],
        lifetimeSeconds: 3600,
      });
      expect(new Date(body.expiresAt).getTime() - h.clock.now().getTime()).toBeLessThanOrEqual(3_600_000);
    }
  });

  it("the credential helper returns oauth2accesstoken and a fresh access token of the tier's identity", async () => {
    const { key } = await license("enterprise");
    const { stdout } = await run(
      process.execPath,
      [
        fileURLToPath(
          new URL("../../tools/docker-credential-coditect/docker-credential-coditect", import.meta.url),
        ),
        "get",
      ],
      { env: { PATH: process.env.PATH ?? "", CODITECT_LICENSE_KEY: key, CODITECT_LICENSE_SERVER: h.url } },
      "https://us-central1-docker.pkg.dev",
    );
    const credential = JSON.parse(stdout) as { Username: string; Secret: string };
    expect(credential.Username).toBe("oauth2accesstoken");
    expect(iam.tokenInfo(credential.Secret)?.serviceAccount).toBe(ENT_SA);
  });

  it("mints nothing for a lapsed license or Starter", async () => {
    const before = iam.issued.length;
    const pro = await license("pro");
    expect((await h.admin("POST", `/licenses/${pro.id}/revoke`, { reason: "chargeback" })).status).toBe(200);
    const revoked = await post(pro.key);
    expect(revoked.status).toBe(403);
    expect(((await revoked.json()) as { error: { code: string } }).error.code).toBe("license_revoked");
    const starter = await post((await license("starter")).key);
    expect(starter.status).toBe(403);
    expect(iam.issued.length).toBe(before);
  });

  it("a pull identity billing may not impersonate is a 503, not a token", async () => {
    const issuer = await GoogleAccessTokenIssuer.create({
      kind: "google-access-token",
      registry: "us-central1-docker.pkg.dev",
      repositoryPrefix: "",
      serviceAccounts: { pro: "someone-else@p.iam.gserviceaccount.com", enterprise: ENT_SA },
      lifetimeSeconds: 3600,
      iamCredentialsEndpoint: iam.endpoint,
    });
    await expect(
      issuer.issue({ tier: "pro", subject: "license:x", access: [], now: new Date() }),
    ).rejects.toMatchObject({ status: 503, code: "registry_credentials_unavailable" });
  });

  it("refuses to be configured beyond 1 h, and the API refuses longer lifetimes too", async () => {
    const config = {
      kind: "google-access-token" as const,
      registry: "r",
      repositoryPrefix: "",
      serviceAccounts: { pro: PRO_SA, enterprise: ENT_SA },
      iamCredentialsEndpoint: iam.endpoint,
    };
    await expect(GoogleAccessTokenIssuer.create({ ...config, lifetimeSeconds: 86_400 })).rejects.toThrow(
      /≤ 3600/,
    );
    const grpc = await import("@grpc/grpc-js");
    const { IAMCredentialsClient } = await import("@google-cloud/iam-credentials");
    const [host, port] = iam.endpoint.split(":");
    const client = new IAMCredentialsClient({
      apiEndpoint: host,
      port: Number(port),
      sslCreds: grpc.credentials.createInsecure(),
    });
    try {
      await expect(
        client.generateAccessToken({
          name: `projects/-/serviceAccounts/${PRO_SA}`,
          scope: [PULL_TOKEN_SCOPE],
          lifetime: { seconds: 7200 },
        }),
      ).rejects.toMatchObject({ code: 3 });
    } finally {
      await client.close();
    }
  });
});
