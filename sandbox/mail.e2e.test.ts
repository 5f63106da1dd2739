/**
 * The sandbox's mail catcher (issue 16 §3): `npm start` runs maildev, prints its web view, and billing's
 * outbox sender delivers there. A license an admin creates through the sandbox's billing queues a welcome
 * mail; it arrives in maildev (read through maildev's REST API, as the web view reads it), from the
 * sandbox's sender address, linking to the sign-in page and without the license key. The README's step 3b
 * (sign in with the mailed link, invite someone, see the invitation in the catcher) runs as written.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollUntil } from "./health.js";
import { SANDBOX_MAIL_FROM } from "./plan.js";
import { type LaunchedSandbox, launchSandbox, REPO_ROOT } from "./testing/launch.js";

/** The README walkthrough's lines from `# ${from}` up to (not including) `# ${to}`. */
function walkthroughStep(from: string, to: string): string {
  const lines = readFileSync(join(REPO_ROOT, "README.md"), "utf8").split("\n");
  const start = lines.findIndex((l) => l.startsWith(`# ${from}`));
  const end = lines.findIndex((l, i) => i > start && l.startsWith(`# ${to}`));
  if (start < 0 || end < 0) throw new Error(`README has no walkthrough step ${from}`);
  return lines.slice(start, end).join("\n");
}

interface CaughtEmail {
  id: string;
  subject: string;
  text: string;
  html: string;
  from: { address: string }[];
  to: { address: string }[];
  headers: Record<string, string>;
}

describe("the sandbox's mail catcher", () => {
  const work = mkdtempSync(join(tmpdir(), "coditect-mail-"));
  let sandbox: LaunchedSandbox;

  beforeAll(async () => {
    sandbox = await launchSandbox({
      dataDir: join(work, "data"),
      env: { HOME: work },
      extraArgs: ["--no-supply-chain"],
    });
  }, 300_000);
  afterAll(async () => {
    if (sandbox) {
      const code = await sandbox.stop();
      expect(code, sandbox.output()).toBe(0);
    }
    rmSync(work, { recursive: true, force: true });
  }, 90_000);

  it("prints the web view's URL with the others", () => {
    expect(sandbox.urls.mail).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sandbox.output()).toMatch(
      new RegExp(`mail catcher: every email billing sends +${sandbox.urls.mail}`),
    );
  });

  it("listens on loopback only: the inbox (one-time links) is not reachable on the machine's other addresses", async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
    const reachable = (host: string, port: number) =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ host, port });
        socket.once("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(false));
      });
    const webPort = Number(new URL(sandbox.urls.mail).port);
    const smtpPort = Number(sandbox.urls.smtp.split(":")[1]);
    expect(await reachable("127.0.0.1", webPort)).toBe(true);
    expect(await reachable("127.0.0.1", smtpPort)).toBe(true);
    // A machine with no other address has nothing more to prove.
    for (const port of external ? [webPort, smtpPort] : [])
      expect(await reachable(external!, port)).toBe(false);
  });

  it("a message billing enqueues (an admin-created license's welcome) arrives in maildev without the key", async () => {
    const email = "pilot@mail-catcher.test";
    const res = await fetch(`${sandbox.urls.billing}/v1/admin/licenses`, {
      method: "POST",
      headers: { authorization: `Bearer ${sandbox.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        organization: "mail-catcher",
        customerEmail: email,
        tier: "pro",
        provisioningType: "pilot",
        durationDays: 30,
      }),
    });
    expect(res.status).toBe(201);
    const { licenseKey, license } = (await res.json()) as { licenseKey: string; license: { id: string } };

    // The sender runs every 5 s; the web view's REST API lists what the SMTP port caught.
    let caught: CaughtEmail | undefined;
    await pollUntil(
      "the welcome mail in maildev",
      async () => {
        const inbox = (await (await fetch(`${sandbox.urls.mail}/api/email`)).json()) as CaughtEmail[];
        caught = inbox.find((m) => m.to.some((t) => t.address === email));
        return caught !== undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(caught!.subject).toBe("Welcome to Coditect: a pro license for mail-catcher");
    expect(caught!.from[0]!.address).toBe(SANDBOX_MAIL_FROM);
    expect(caught!.text).toContain(`Sign in to your account: ${sandbox.urls.billing}/account/`);
    expect(caught!.text).toContain(license.id);
    const source = await (await fetch(`${sandbox.urls.mail}/api/email/${caught!.id}/source`)).text();
    expect(source).not.toContain(licenseKey);
    expect(source).not.toMatch(/CODITECT-(STR|PRO|ENT)-[A-Z2-7]{32}/);
  }, 90_000);

  it("README step 3b as written: sign in with the mailed link, invite someone, the invitation is in maildev", async () => {
    // Steps 1–3 leave dev@acme.test the owner of acme; an admin-created license does the same (ADR 0251).
    const res = await fetch(`${sandbox.urls.billing}/v1/admin/licenses`, {
      method: "POST",
      headers: { authorization: `Bearer ${sandbox.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        organization: "acme",
        customerEmail: "dev@acme.test",
        tier: "pro",
        provisioningType: "pilot",
        durationDays: 30,
      }),
    });
    expect(res.status).toBe(201);
    // The walkthrough's shell: the second terminal's B and json helper, step 3b with the catcher's real URL.
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const jsonHelper = readme.split("\n").find((l) => l.startsWith("json() {"))!;
    const step = walkthroughStep("3b.", "4.");
    expect(step).toContain("M=http://127.0.0.1:1080");
    const script = [
      "set -eu",
      `B=${sandbox.urls.billing}`,
      jsonHelper,
      step.replace("M=http://127.0.0.1:1080", `M=${sandbox.urls.mail}`),
    ].join("\n");
    const cwd = join(work, "walkthrough");
    mkdirSync(join(cwd, ".data"), { recursive: true });
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        "timeout",
        ["60", "bash", "-c", script],
        { cwd, env: { PATH: process.env.PATH ?? "" } },
        (err, stdout, stderr) =>
          err ? reject(new Error(`step 3b failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
      );
    });
    const lines = output.trim().split("\n");
    expect(lines).toContain("dev@acme.test");
    expect(lines).toContain("pending");
    expect(lines).toContain("dev@acme.test invited you to acme on Coditect");
    expect(output).toContain(`${sandbox.urls.billing}/account/invitations/accept?token=`);

    // What the web view shows: one invitation for ana, from the sandbox's sender, its link the only secret.
    const inbox = (await (await fetch(`${sandbox.urls.mail}/api/email`)).json()) as CaughtEmail[];
    const invitations = inbox.filter((m) => m.to.some((t) => t.address === "ana@acme.test"));
    expect(invitations.map((m) => m.subject)).toEqual(["dev@acme.test invited you to acme on Coditect"]);
    expect(invitations[0]!.from[0]!.address).toBe(SANDBOX_MAIL_FROM);
    expect(invitations[0]!.html).toContain(`${sandbox.urls.billing}/account/invitations/accept?token=`);
  }, 120_000);
});
