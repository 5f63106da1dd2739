/**
 * The sandbox's mail catcher: maildev (npm, v3) started through its programmatic API on loopback, with its
 * SMTP port (billing's SMTP_HOST/SMTP_PORT in the sandbox: every notification the outbox sender delivers
 * lands here) and its web view (the inbox to open in a browser; REST API under /api). Messages are kept in
 * <data>/mail, so the inbox survives a restart. Nothing is relayed anywhere. Sandbox only.
 */
import { mkdirSync } from "node:fs";
import { MailDev } from "maildev";
import { parseCommandLine } from "../lib/cli.js";

const { values } = parseCommandLine({
  name: "sandbox mail",
  usage: "usage: tsx sandbox/mail-child.ts --smtp-port <p> --web-port <p> --mail-directory <dir>",
  options: {
    "smtp-port": { type: "string" },
    "web-port": { type: "string" },
    "mail-directory": { type: "string" },
  },
});
const { "smtp-port": smtp, "web-port": web, "mail-directory": mailDirectory } = values;
if (!smtp || !web || !mailDirectory) {
  process.stderr.write("sandbox mail: --smtp-port, --web-port and --mail-directory are required\n");
  process.exit(2);
}

mkdirSync(mailDirectory, { recursive: true });
const maildev = new MailDev({
  smtp: Number(smtp),
  web: Number(web),
  // Loopback only: the inbox holds one-time links (sign-in, invitations) meant for the sandbox's user.
  ip: "127.0.0.1",
  webIp: "127.0.0.1",
  mailDirectory,
  // Bounded like any long-running dev inbox (oldest dropped first).
  maxEmails: 1000,
  silent: true,
});
await maildev.start();
process.stdout.write(`maildev: SMTP on 127.0.0.1:${smtp}, web view on http://127.0.0.1:${web}/\n`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void maildev.stop().then(() => process.exit(0));
  });
}
