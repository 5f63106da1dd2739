import { describe, expect, it } from "vitest";
import { bannerText, licensedImageText, supplyChainText, verifyCommands } from "./banner.js";
import type { SupplyChainStatus } from "./publish.js";

const REF = `127.0.0.1:15000/coditect-images/docker@sha256:${"ab".repeat(32)}`;
const base = {
  seconds: 7.2,
  urls: {
    billing: "http://127.0.0.1:8080",
    kube: "https://127.0.0.1:16443",
    stripe: "http://127.0.0.1:12111",
    workstations: "127.0.0.1:15051",
    operator: "http://127.0.0.1:8081",
    registry: "127.0.0.1:15000",
    kms: "127.0.0.1:15052",
  },
  kubeconfig: "/repo/.data/kubeconfig",
  dataDir: "/repo/.data",
  adminToken: "sandbox-admin-x",
  cwd: "/repo",
  signingKey: "/repo/.data/signing-key.pem",
};
const running = { registry: "127.0.0.1:15000", kms: "127.0.0.1:15052" };

describe("the banner's supply-chain part", () => {
  it("a published image: the exact verify and skopeo commands, with the key as the user types it", () => {
    const text = bannerText({
      ...base,
      supplyChain: { kind: "published", ...running, reference: REF, seconds: 1.5, alreadySigned: false },
    });
    // Token auth with billing as the realm: both read the registry with a license key.
    expect(text).toContain(
      `  REGISTRY_USERNAME=license REGISTRY_PASSWORD=$KEY npm run images:verify -- ${REF} --key .data/signing-key.pem\n`,
    );
    expect(text).toContain(`  skopeo inspect --tls-verify=false --creds license:$KEY docker://${REF}\n`);
    expect(text).toContain("OCI registry (docker-registry)                 http://127.0.0.1:15000");
    expect(text).toContain(`account pages (sign in, team, key, Docker)     ${base.urls.billing}/account/`);
    expect(text).toContain("fake Cloud KMS API (gRPC)                      127.0.0.1:15052");
    expect(text).toMatch(/pushed and signed through the fake KMS in 1\.5 s/);
    expect(verifyCommands(REF, "/k.pem")[0]).toBe(
      `REGISTRY_USERNAME=license REGISTRY_PASSWORD=$KEY npm run images:verify -- ${REF} --key /k.pem`,
    );
  });

  it("an image signed at an earlier start says so", () => {
    const status: SupplyChainStatus = {
      kind: "published",
      ...running,
      reference: REF,
      seconds: 0.3,
      alreadySigned: true,
    };
    expect(supplyChainText(status, ".data/signing-key.pem")).toContain("already signed at an earlier start");
  });

  it("still publishing: the banner does not wait, and says the verify commands follow", () => {
    const text = bannerText({ ...base, supplyChain: { kind: "publishing", ...running } });
    expect(text).toContain("Licensed image: pushing and signing it");
    expect(text).not.toContain("images:verify");
    expect(
      licensedImageText(
        { kind: "published", ...running, reference: REF, seconds: 31, alreadySigned: false },
        ".data/signing-key.pem",
      ),
    ).toMatch(
      /^Licensed image pushed and signed through the fake KMS in 31\.0 s; verify its signature\nwith a Pro or Enterprise license key \(KEY=<the key the checkout success page shows>\):\n {2}REGISTRY_USERNAME=license REGISTRY_PASSWORD=\$KEY npm run images:verify -- /,
    );
  });

  it("not built: how to build it and publish it without restarting", () => {
    const text = bannerText({
      ...base,
      supplyChain: { kind: "not-built", ...running, reason: "localhost/coditect/docker:dev is not built" },
    });
    expect(text).toContain("not published (localhost/coditect/docker:dev is not built)");
    expect(text).toContain("  npm run images:build -- docker --stack test\n  npm run sandbox:publish\n");
    expect(text).not.toContain("images:verify");
  });

  it("a failed publish names the error; without docker-registry the banner says the supply chain is off", () => {
    expect(
      supplyChainText({ kind: "failed", ...running, error: "skopeo copy failed: boom" }, "k.pem"),
    ).toContain("publishing failed: skopeo copy failed: boom");
    const off = bannerText({
      ...base,
      urls: { ...base.urls, registry: undefined, kms: undefined },
      supplyChain: { kind: "off", reason: "/usr/bin/docker-registry is not installed" },
    });
    expect(off).toContain("Supply chain off: /usr/bin/docker-registry is not installed");
    expect(off).not.toContain("OCI registry");
  });
});
