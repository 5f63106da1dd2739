/**
 * Issue 15 "done when": each tier pulls its own repository from the real docker-registry with its license
 * key (skopeo, Docker token auth with billing as the realm), Pro is refused Enterprise's, a revoked license
 * gets 403 at its next token request and the registry refuses a token once it has expired.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registryAvailable } from "../../test-support/registry/index.js";
import {
  ENTERPRISE_REPO,
  PRO_REPO,
  type RegistrySetup,
  run,
  SERVICE,
  skopeoInspect,
  startRegistrySetup,
} from "./test-setup.js";

const basic = (key: string) => `Basic ${Buffer.from(`license:${key}`).toString("base64")}`;

describe.runIf(registryAvailable())("licensed image pulls through billing's token realm", () => {
  let s: RegistrySetup;
  beforeAll(async () => {
    s = await startRegistrySetup();
  }, 120_000);
  afterAll(() => s?.stop());

  const token = (key: string, scope: string) =>
    fetch(`${s.h.url}/v1/registry/token?service=${SERVICE}&scope=${encodeURIComponent(scope)}`, {
      headers: { authorization: basic(key) },
    });

  it("Pro and Enterprise each pull their own tier's image; Pro is refused Enterprise's", async () => {
    const pro = await s.license("pro");
    const ent = await s.license("enterprise");
    expect(JSON.parse(await skopeoInspect(s.registry.host, PRO_REPO, s.proDigest, pro.key))).toMatchObject({
      Digest: s.proDigest,
    });
    expect(
      JSON.parse(await skopeoInspect(s.registry.host, ENTERPRISE_REPO, s.enterpriseDigest, ent.key)),
    ).toMatchObject({ Digest: s.enterpriseDigest });
    // Enterprise includes the Pro images (ADR 0023).
    await skopeoInspect(s.registry.host, PRO_REPO, s.proDigest, ent.key);
    // skopeo copy pulls the layers too.
    const dest = await mkdtemp(path.join(os.tmpdir(), "pulled-"));
    try {
      await run("skopeo", [
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        `license:${pro.key}`,
        `docker://${s.registry.host}/${PRO_REPO}@${s.proDigest}`,
        `oci:${dest}:pulled`,
      ]);
      expect(await readdir(path.join(dest, "blobs", "sha256"))).toHaveLength(3);
    } finally {
      await rm(dest, { recursive: true, force: true });
    }

    await expect(
      skopeoInspect(s.registry.host, ENTERPRISE_REPO, s.enterpriseDigest, pro.key),
    ).rejects.toThrow(/bearer token: invalid status code from registry 403/);
    const refused = await token(pro.key, `repository:${ENTERPRISE_REPO}:pull`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("repository_not_in_tier");
  }, 120_000);

  it("grants pull only, even when push is asked for", async () => {
    const pro = await s.license("pro");
    const res = await token(pro.key, `repository:${PRO_REPO}:pull,push`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; expires_in: number };
    const claims = JSON.parse(Buffer.from(body.token.split(".")[1]!, "base64url").toString());
    expect(claims.access).toEqual([{ type: "repository", name: PRO_REPO, actions: ["pull"] }]);
    expect(claims.aud).toBe(SERVICE);
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(300);
    expect(body.expires_in).toBeLessThanOrEqual(300);
  });

  it("after revocation the next token request is 403 and the registry refuses an expired token", async () => {
    const pro = await s.license("pro");
    const manifest = (t: string) =>
      fetch(`http://${s.registry.host}/v2/${PRO_REPO}/manifests/${s.proDigest}`, {
        headers: {
          authorization: `Bearer ${t}`,
          accept: "application/vnd.oci.image.manifest.v1+json",
        },
      });
    const real = new Date();
    // A token issued 7 minutes ago (5 min lifetime): past its expiry and the registry's 60 s leeway.
    s.h.clock.set(new Date(real.getTime() - 7 * 60_000));
    const old = (await (await token(pro.key, `repository:${PRO_REPO}:pull`)).json()) as { token: string };
    s.h.clock.set(real);
    const fresh = (await (await token(pro.key, `repository:${PRO_REPO}:pull`)).json()) as { token: string };
    expect((await manifest(fresh.token)).status).toBe(200);
    expect((await manifest(old.token)).status).toBe(401);

    const revoke = await s.h.admin("POST", `/licenses/${pro.id}/revoke`, { reason: "chargeback" });
    expect(revoke.status).toBe(200);
    const after = await token(pro.key, `repository:${PRO_REPO}:pull`);
    expect(after.status).toBe(403);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe("license_revoked");
    await expect(skopeoInspect(s.registry.host, PRO_REPO, s.proDigest, pro.key)).rejects.toThrow(
      /bearer token: invalid status code from registry 403/,
    );
    // The token issued before the revocation works until it expires (≤ 5 min): the audit says so.
    expect((await manifest(fresh.token)).status).toBe(200);
    const audit = await s.h.pool.query(
      "SELECT details FROM audit_events WHERE license_id = $1 AND action = 'registry.access_revoked'",
      [pro.id],
    );
    expect(audit.rows).toEqual([
      {
        details: expect.objectContaining({
          state: "revoked",
          reason: "AdminRevoked",
          credentialsStillValid: 1,
        }),
      },
    ]);
  }, 60_000);
});
