/**
 * The built images, tested on what was built (issue 14 §1, seeds C.6), not on the Dockerfiles' text:
 * their exported filesystems for the hardening, `podman image inspect` for the configuration, and the
 * licensed images' entrypoints run as PID 1 in a chroot against the real sessions API on real PostgreSQL.
 *
 * The images are built with `--stack test` (images/config/test.json): their agent is a PRODUCTION bundle
 * with https://127.0.0.1:47443 and the public key of test-support/image-agent's committed test key baked
 * in. The sessions harness signs offline tokens with that key and sits behind an HTTPS front on that
 * address; the front's test CA is added to each exported filesystem's /etc/ssl/certs (test only, never the
 * image), the store the agent trusts (the entrypoint runs it with --use-system-ca and without
 * NODE_EXTRA_CA_CERTS, which an owner could otherwise set).
 *
 * beforeAll builds the images with `npm run images:build`'s code (cached layers and bases: seconds when
 * .ci/run has built them; about ten minutes cold), so this file always runs. Without root, podman or
 * mmdebstrap it fails in beforeAll saying which is missing — it is never skipped.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SessionsHarness, startSessionsHarness } from "../../billing/sessions/test-harness.js";
import { systemClock } from "../../lib/clock.js";
import { generateSigningKey } from "../../lib/offline-tokens/index.js";
import {
  TEST_LICENSE_SERVER,
  TEST_STACK_CONFIG,
  testImageKeySet,
} from "../../test-support/image-agent/index.js";
import { startTlsFront, type TlsFront } from "../../test-support/image-agent/tls-front.js";
import { createCertificateAuthority } from "../../test-support/pki/index.js";
import { waitFor } from "../../test-support/wait.js";
import { EXIT } from "../agent/exit-codes.js";
import { type BuiltImage, buildImages } from "./build.js";
import { type ChrootRun, containerEnv, runInChroot } from "./chroot.js";
import { PRODUCT_IMAGES } from "./plan.js";
import {
  exportImage,
  type ImageInspection,
  inspectImage,
  missingBuildTools,
  podmanEnv,
  withMountedImage,
} from "./podman.js";
import {
  frameworkViolations,
  groupsOf,
  readGroups,
  readPasswd,
  setuidFiles,
  sudoRemnants,
} from "./rootfs.js";

const LICENSED = ["docker", "workstation"] as const;
const BUILD_TIMEOUT_MS = 30 * 60_000;
/** A payload that records what it sees, then ends cleanly on SIGTERM. */
const recordingPayload = (marker: string) => [
  "sh",
  "-c",
  `{ echo "pid1=$(tr '\\0' ' ' < /proc/1/cmdline)"; echo "ppid=$PPID"; echo "uid=$(id -u):$(id -g)"; if cat /proc/1/environ >/dev/null 2>&1; then echo "pid1-environ=readable"; else echo "pid1-environ=denied"; fi; if ls /var/lib/coditect-agent >/dev/null 2>&1; then echo "state-dir=readable"; else echo "state-dir=denied"; fi; env; } > /tmp/${marker}.tmp && mv /tmp/${marker}.tmp /tmp/${marker}; trap "exit 0" TERM; while :; do sleep 0.1; done`,
];

let env: NodeJS.ProcessEnv;
let built: BuiltImage[] = [];
let h: SessionsHarness;
/** A second sessions API whose offline tokens are signed by a key no image carries. */
let rogue: SessionsHarness;
let front: TlsFront;
const CA_IN_ROOTFS = "etc/ssl/certs/coditect-test-ca.pem";
const work = mkdtempSync(join(tmpdir(), "coditect-images-test-"));
const rootfs: Record<string, string> = {};
const inspected: Record<string, ImageInspection> = {};
const runs: ChrootRun[] = [];

beforeAll(async () => {
  const missing = missingBuildTools();
  if (missing) throw new Error(`the built-image tests cannot run on this machine: ${missing}`);
  env = podmanEnv();
  built = buildImages([], { stack: "test" });
  for (const image of PRODUCT_IMAGES) inspected[image.name] = inspectImage(image.tag, env);
  for (const name of LICENSED) {
    rootfs[name] = join(work, name);
    exportImage(PRODUCT_IMAGES.find((i) => i.name === name)!.tag, rootfs[name], env);
  }
  const ca = await createCertificateAuthority("image test CA");
  const leaf = await ca.issue({ commonName: "license server", ipAddresses: [TEST_LICENSE_SERVER.hostname] });
  for (const name of LICENSED) writeFileSync(join(rootfs[name]!, CA_IN_ROOTFS), ca.certPem);
  const options = {
    timing: { heartbeatIntervalMs: 1_000 },
    rateLimits: { heartbeat: { limit: 1_000, windowMs: 60_000 } },
  };
  h = await startSessionsHarness(
    systemClock,
    { ...options, keySet: await testImageKeySet() },
    "images_built",
  );
  rogue = await startSessionsHarness(
    systemClock,
    { ...options, keySet: { current: await generateSigningKey("rogue") } },
    "images_rogue",
  );
  front = await startTlsFront({
    host: TEST_LICENSE_SERVER.hostname,
    port: Number(TEST_LICENSE_SERVER.port),
    certPem: leaf.certPem,
    keyPem: leaf.keyPem,
    upstreamPort: Number(new URL(h.url).port),
  });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  const running = runs.filter((r) => r.child.exitCode === null);
  for (const r of running) {
    const pid = r.pid1();
    if (pid) process.kill(pid, "SIGTERM");
  }
  await Promise.all(running.map((r) => r.exited));
  await front?.close();
  await Promise.all([h?.close(), rogue?.close()]);
  rmSync(work, { recursive: true, force: true });
});

function start(
  name: (typeof LICENSED)[number],
  command: readonly string[],
  extraEnv: Record<string, string>,
) {
  const image = inspected[name]!;
  const run = runInChroot(
    rootfs[name]!,
    [...(image.Config.Entrypoint ?? []), ...command],
    containerEnv(image, { HOSTNAME: `images-${name}`, ...extraEnv }),
    image.Config.User,
  );
  runs.push(run);
  return run;
}

const sessionRow = async (containerId: string, harness = h) =>
  (
    await harness.pool.query(
      "SELECT state, reason, last_heartbeat_at FROM container_sessions WHERE container_id = $1 ORDER BY created_at DESC LIMIT 1",
      [containerId],
    )
  ).rows[0];

const readMarker = (name: string, marker: string) => () => {
  try {
    return readFileSync(join(rootfs[name]!, "tmp", marker), "utf8");
  } catch {
    return undefined;
  }
};

describe.each(LICENSED)("the built %s image is hardened", (name) => {
  it("keeps the framework under /opt/coditect root-owned and read-only (files 0444, directories and executables 0555)", () => {
    const executables =
      name === "docker"
        ? ["/opt/coditect/bin/coditect-entrypoint"]
        : ["/opt/coditect/bin/coditect-entrypoint", "/opt/coditect/bin/node"];
    expect(frameworkViolations(rootfs[name]!, "opt/coditect", executables)).toEqual([]);
    expect(existsSync(join(rootfs[name]!, "opt/coditect/agent/coditect-agent.mjs"))).toBe(true);
  });

  it("has no SUID or SGID binary", () => {
    expect(setuidFiles(rootfs[name]!)).toEqual([]);
  });

  it("has developer as uid 1000 (and nobody else), no sudo, no sudoers entry and no docker group", () => {
    const users = readPasswd(rootfs[name]!);
    expect(users.filter((u) => u.uid === 1000).map((u) => u.name)).toEqual(["developer"]);
    expect(users.find((u) => u.name === "developer")).toMatchObject({ gid: 1000, home: "/home/developer" });
    expect(sudoRemnants(rootfs[name]!)).toEqual([]);
    expect(readGroups(rootfs[name]!).map((g) => g.name)).not.toContain("docker");
    expect(groupsOf(rootfs[name]!, "developer")).toEqual(["developer"]);
  });

  it("keeps the agent's state directory root's alone (0700)", () => {
    const state = statSync(join(rootfs[name]!, "var/lib/coditect-agent"));
    expect({ uid: state.uid, gid: state.gid, mode: (state.mode & 0o7777).toString(8) }).toEqual({
      uid: 0,
      gid: 0,
      mode: "700",
    });
  });

  it("declares a HEALTHCHECK running the agent's status and the agent's entrypoint", () => {
    const image = inspected[name]!;
    expect(image.Healthcheck?.Test).toEqual([
      "CMD",
      name === "docker" ? "/usr/local/bin/node" : "/opt/coditect/bin/node",
      "/opt/coditect/agent/coditect-agent.mjs",
      "status",
    ]);
    expect(image.Config.Entrypoint).toEqual(["/opt/coditect/bin/coditect-entrypoint"]);
    expect(image.Config.User ?? "").toMatch(/^(0:0|root|)$/);
  });
});

describe("the hardening removes what the Code OSS base brings", () => {
  it("the stand-in base really has a passwordless-sudo default user in the docker group", () => {
    const base = built.find((b) => b.name === "workstation")!.baseImages.CODE_OSS_IMAGE!;
    withMountedImage(base, env, (root) => {
      expect(readPasswd(root).find((u) => u.uid === 1000)?.name).toBe("user");
      expect(groupsOf(root, "user")).toEqual(expect.arrayContaining(["docker", "sudo"]));
      expect(sudoRemnants(root)).toEqual(expect.arrayContaining(["usr/bin/sudo", "etc/sudoers.d"]));
      expect(setuidFiles(root)).toContain("/usr/bin/sudo");
    });
  });

  it("the base's startup hooks run at boot and grant neither sudo nor docker", async () => {
    const lic = await h.createLicense("pro");
    // Test infrastructure: a last hook that records the groups once every base hook has run.
    writeFileSync(
      join(rootfs.workstation!, "etc/workstation-startup.d/999_test-record"),
      '#!/bin/sh\n{ getent group docker || echo "no docker group"; id developer; ls /etc/sudoers.d 2>&1; command -v sudo || echo "no sudo"; } > /tmp/after-hooks\n',
      { mode: 0o755 },
    );
    const run = start("workstation", recordingPayload("ws-payload"), {
      CODITECT_LICENSE_KEY: lic.key,
      CODITECT_CONTAINER_ID: "images-workstation",
    });
    const payload = await waitFor("the workstation payload", readMarker("workstation", "ws-payload"));
    const afterHooks = readFileSync(join(rootfs.workstation!, "tmp/after-hooks"), "utf8");
    expect(afterHooks).toContain("no docker group");
    expect(afterHooks).toMatch(/^uid=1000\(developer\) gid=1000\(developer\) groups=1000\(developer\)$/m);
    expect(afterHooks).toContain("No such file or directory");
    expect(afterHooks).toContain("no sudo");
    expect(payload).toMatch(
      /^pid1=\/opt\/coditect\/bin\/node --use-system-ca \/opt\/coditect\/agent\/coditect-agent.mjs run/m,
    );
    expect(payload).not.toContain(lic.key);
    expect(await sessionRow("images-workstation")).toMatchObject({ state: "active" });
    process.kill(run.pid1()!, "SIGTERM");
    expect(await run.exited).toBe(EXIT.ok);
    expect(await sessionRow("images-workstation")).toMatchObject({ state: "released" });
  });
});

describe("the licensed Docker image's entrypoint, run as PID 1 in a chroot against the sessions API", () => {
  it("validates, heartbeats, keeps the license key from the payload and releases on SIGTERM", async () => {
    const lic = await h.createLicense("pro");
    const run = start("docker", recordingPayload("docker-payload"), {
      CODITECT_LICENSE_KEY: lic.key,
      CODITECT_CONTAINER_ID: "images-docker",
      // Kept from the agent, given back to the payload.
      NODE_OPTIONS: "--max-old-space-size=64",
    });
    const payload = await waitFor("the payload's record", readMarker("docker", "docker-payload"));
    // The agent is PID 1 and the payload's parent: nothing sits between the runtime and the agent.
    expect(payload).toMatch(
      /^pid1=\/usr\/local\/bin\/node --use-system-ca \/opt\/coditect\/agent\/coditect-agent.mjs run -- env NODE_OPTIONS=--max-old-space-size=64 sh -c/m,
    );
    expect(payload).toMatch(/^ppid=1$/m);
    expect(payload).toMatch(/^NODE_OPTIONS=--max-old-space-size=64$/m);
    expect(payload).not.toContain("CODITECT_LICENSE_KEY");
    expect(payload).not.toContain(lic.key);
    // The payload runs as developer (CODITECT_PAYLOAD_USER=1000:1000 from the image) and can read neither
    // the agent's state nor its environment (issue 13 §7).
    expect(payload).toMatch(/^uid=1000:1000$/m);
    expect(payload).toMatch(/^pid1-environ=denied$/m);
    expect(payload).toMatch(/^state-dir=denied$/m);
    const first = (await sessionRow("images-docker")).last_heartbeat_at.getTime();
    await waitFor(
      "a heartbeat",
      async () => (await sessionRow("images-docker")).last_heartbeat_at.getTime() > first,
    );
    process.kill(run.pid1()!, "SIGTERM");
    expect(await run.exited).toBe(EXIT.ok);
    expect(await sessionRow("images-docker")).toMatchObject({ state: "released", reason: "Released" });
  });

  it("refuses to start the payload without a license key", async () => {
    const run = start("docker", recordingPayload("never"), { CODITECT_CONTAINER_ID: "images-no-key" });
    expect(await run.exited).toBe(EXIT.config);
    expect(run.stderr()).toMatch(/CODITECT_LICENSE_KEY is required/);
    expect(existsSync(join(rootfs.docker!, "tmp", "never"))).toBe(false);
    expect(await sessionRow("images-no-key")).toBeUndefined();
  });

  it("refuses an unknown license key", async () => {
    const run = start("docker", recordingPayload("never-unknown"), {
      CODITECT_LICENSE_KEY: "CODITECT-PRO-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      CODITECT_CONTAINER_ID: "images-unknown-key",
    });
    expect(await run.exited).toBe(EXIT.licenseRejected);
    expect(existsSync(join(rootfs.docker!, "tmp", "never-unknown"))).toBe(false);
  });
  it("carries a production agent with the test stack's license server and offline-token key baked in", () => {
    const bundle = readFileSync(join(rootfs.docker!, "opt/coditect/agent/coditect-agent.mjs"), "utf8");
    // esbuild's define prints the build as an object literal.
    expect(bundle).toContain(`{ mode: "production", licenseServer: "${TEST_STACK_CONFIG.licenseServer}"`);
    expect(bundle).toContain(TEST_STACK_CONFIG.jwks.keys[0]!.x);
    const ws = readFileSync(join(rootfs.workstation!, "opt/coditect/agent/coditect-agent.mjs"), "utf8");
    expect(ws).toContain(`{ mode: "production", licenseServer: "${TEST_STACK_CONFIG.licenseServer}"`);
    expect(readFileSync(join(rootfs.workstation!, "opt/coditect/agent/license-server"), "utf8").trim()).toBe(
      TEST_STACK_CONFIG.licenseServer,
    );
  });

  it.each([
    ["plain http to the sessions API", () => h.url],
    ["another https server", () => "https://127.0.0.1:47444"],
  ])(
    "refuses CODITECT_LICENSE_SERVER pointing at %s (exit 2, naming the fixed server)",
    async (_, server) => {
      const lic = await h.createLicense("pro");
      const id = `images-elsewhere-${server().replace(/\W/g, "")}`;
      const run = start("docker", recordingPayload(`never-${id}`), {
        CODITECT_LICENSE_KEY: lic.key,
        CODITECT_CONTAINER_ID: id,
        CODITECT_LICENSE_SERVER: server(),
      });
      expect(await run.exited).toBe(EXIT.config);
      expect(run.stderr()).toContain(`fixed to ${TEST_STACK_CONFIG.licenseServer} at build time`);
      expect(existsSync(join(rootfs.docker!, "tmp", `never-${id}`))).toBe(false);
      expect(await sessionRow(id)).toBeUndefined();
    },
  );

  it("keeps NODE_OPTIONS from the agent: code it would load does not run in the agent", async () => {
    // --import=data:… would run before the agent and end the container "successfully" without a license.
    const run = start("docker", recordingPayload("never-node-options"), {
      CODITECT_CONTAINER_ID: "images-node-options",
      NODE_OPTIONS: "--import=data:text/javascript,process.exit(0)",
    });
    expect(await run.exited).toBe(EXIT.config);
    expect(run.stderr()).toMatch(/CODITECT_LICENSE_KEY is required/);
    expect(existsSync(join(rootfs.docker!, "tmp", "never-node-options"))).toBe(false);
  });

  it("runs offline on an offline token verified with the baked keys when the server is cut off", async () => {
    const lic = await h.createLicense("pro");
    const run = start("docker", recordingPayload("offline-payload"), {
      CODITECT_LICENSE_KEY: lic.key,
      CODITECT_CONTAINER_ID: "images-offline",
      CODITECT_RETRY_BASE_MS: "50",
    });
    await waitFor("the payload", readMarker("docker", "offline-payload"));
    const state = () =>
      JSON.parse(readFileSync(join(rootfs.docker!, "var/lib/coditect-agent/state.json"), "utf8"));
    front.setDown(true);
    try {
      await waitFor("the agent offline", () => state().phase === "offline");
      expect(state().offlineTokenExpiresAt).toBeDefined();
      expect(run.child.exitCode).toBeNull();
    } finally {
      front.setDown(false);
    }
    process.kill(run.pid1()!, "SIGTERM");
    expect(await run.exited).toBe(EXIT.ok);
  });

  it("cannot run offline on a token from a server whose key the image does not carry", async () => {
    // Same baked URL, another sessions API behind it: validate succeeds, but its offline token is signed
    // by a key that is not in the image, so once the server is gone there is no grace at all.
    const lic = await rogue.createLicense("pro");
    front.upstreamPort = Number(new URL(rogue.url).port);
    try {
      const run = start("docker", recordingPayload("rogue-payload"), {
        CODITECT_LICENSE_KEY: lic.key,
        CODITECT_CONTAINER_ID: "images-rogue",
        CODITECT_RETRY_BASE_MS: "50",
      });
      await waitFor("the payload", readMarker("docker", "rogue-payload"));
      expect(await sessionRow("images-rogue", rogue)).toMatchObject({ state: "active" });
      front.setDown(true);
      expect(await run.exited).toBe(EXIT.offlineGraceExpired);
      expect(run.stderr()).toMatch(/offline token not usable/);
    } finally {
      front.setDown(false);
      front.upstreamPort = Number(new URL(h.url).port);
    }
  });
});

describe.each(["billing", "operator"] as const)("the built %s image", (name) => {
  it("runs its bundle with node as uid 65532 and carries its production node_modules", () => {
    const image = inspected[name]!;
    expect(image.Config.User).toBe("65532:65532");
    expect(image.Config.Entrypoint).toEqual(["/nodejs/bin/node"]);
    expect(image.Config.Cmd).toEqual([`${name}.mjs`]);
    withMountedImage(PRODUCT_IMAGES.find((i) => i.name === name)!.tag, env, (root) => {
      expect(existsSync(join(root, "app", `${name}.mjs`))).toBe(true);
      expect(existsSync(join(root, "app/node_modules/@kubernetes/client-node/package.json"))).toBe(true);
      // Production dependencies only: the devDependencies (vitest, the node runtime package) are not there.
      expect(existsSync(join(root, "app/node_modules/vitest"))).toBe(false);
      if (name === "billing") expect(readdirSync(join(root, "app/migrations"))).toContain("001_licenses.sql");
    });
  });
});

describe("the SBOMs written at build time", () => {
  it("list each image's Debian packages and npm modules as SPDX 2.3 with package URLs", () => {
    const sbom = (name: string) => {
      const doc = JSON.parse(readFileSync(built.find((b) => b.name === name)!.sbom, "utf8"));
      expect(doc.spdxVersion).toBe("SPDX-2.3");
      return (doc.packages as { externalRefs?: { referenceLocator: string }[] }[]).flatMap(
        (p) => p.externalRefs?.map((r) => r.referenceLocator) ?? [],
      );
    };
    const docker = sbom("docker");
    expect(docker).toContainEqual(expect.stringMatching(/^pkg:deb\/debian\/ca-certificates@/));
    expect(docker).not.toContainEqual(expect.stringMatching(/^pkg:deb\/debian\/sudo@/));
    // The agent bundle's modules (jose verifies the offline tokens).
    expect(docker).toContainEqual(expect.stringMatching(/^pkg:npm\/jose@/));
    expect(sbom("workstation")).not.toContainEqual(expect.stringMatching(/^pkg:deb\/debian\/sudo@/));
    expect(sbom("workstation")).toContainEqual(expect.stringMatching(/^pkg:deb\/debian\/curl@/));
    const billing = sbom("billing");
    expect(billing).toContainEqual(expect.stringMatching(/^pkg:npm\/express@5\./));
    expect(billing).toContainEqual(expect.stringMatching(/^pkg:npm\/stripe@/));
  });
});
