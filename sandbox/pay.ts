/**
 * `npm run sandbox:pay -- <checkoutSessionId> [--data-dir <dir>]`: plays the customer paying on Stripe's
 * checkout page. The fake Stripe completes the Checkout Session (customer, subscription, paid invoice) and
 * sends the resulting events to billing as correctly signed webhooks, retrying on failure exactly as Stripe
 * would; this command then waits until billing has turned them into a license and prints it.
 * Needs a running sandbox (`npm start`), found through `<data>/sandbox.json`.
 */

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseCommandLine } from "../lib/cli.js";
import { pollUntil } from "./health.js";
import { dataPaths } from "./plan.js";
import { SECRETS_FILE } from "./secrets.js";
import { readRunningState } from "./state.js";

const USAGE = "usage: npm run sandbox:pay -- <checkoutSessionId> [--data-dir <dir>] [--timeout <seconds>]";

function fail(message: string, code = 1): never {
  process.stderr.write(`sandbox:pay: ${message}\n`);
  process.exit(code);
}

interface License {
  id: string;
  organization: string;
  tier: string;
  state: string;
  workstationTier: string | null;
  stripe: { subscriptionId: string | null } | null;
}

async function json(response: Response, what: string): Promise<Record<string, unknown>> {
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const error = body.error as { message?: string } | undefined;
    throw new Error(`${what}: HTTP ${response.status} ${error?.message ?? ""}`.trim());
  }
  return body;
}

async function main(): Promise<void> {
  const parsed = parseCommandLine({
    name: "sandbox:pay",
    usage: USAGE,
    maxPositionals: 1,
    options: { "data-dir": { type: "string" }, timeout: { type: "string", default: "60" } },
  });
  const [sessionId] = parsed.positionals;
  if (!sessionId) fail(`the Checkout Session id is missing\n${USAGE}`, 2);
  if (!/^cs_\w+$/.test(sessionId)) {
    fail(`"${sessionId}" is not a Checkout Session id (cs_…, as returned by POST /v1/checkout)`, 2);
  }
  const timeoutSeconds = Number(parsed.values.timeout);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) {
    fail(`--timeout must be a positive whole number of seconds, got "${parsed.values.timeout}"`, 2);
  }
  const dataDir = resolve(
    (parsed.values["data-dir"] as string | undefined) ?? process.env.SANDBOX_DATA_DIR ?? ".data",
  );
  const sandbox = readRunningState(dataPaths(dataDir).state);
  if (!sandbox) fail(`no running sandbox found in ${dataDir}; start one with npm start`);
  const { adminToken } = JSON.parse(readFileSync(join(dataDir, SECRETS_FILE), "utf8")) as {
    adminToken: string;
  };

  const completed = await fetch(`${sandbox.urls.stripe}/_fake/checkout_sessions/${sessionId}/complete`, {
    method: "POST",
  });
  if (completed.status === 404) {
    fail(
      `the fake Stripe has no checkout session ${sessionId} (it keeps checkouts in memory: ` +
        "create a new one with POST /v1/checkout after a restart)",
    );
  }
  const payment = (await json(completed, `completing ${sessionId}`)) as {
    subscription: string;
    events: string[];
  };
  console.log(
    `paid: subscription ${payment.subscription}; Stripe is sending ${payment.events.length} signed webhook events to billing`,
  );

  const admin = { authorization: `Bearer ${adminToken}` };
  let license: License | undefined;
  try {
    await pollUntil(
      "billing turning the webhook into a license",
      async () => {
        const response = await fetch(`${sandbox.urls.billing}/v1/admin/licenses?limit=200`, {
          headers: admin,
        });
        const { licenses } = (await json(response, "listing licenses")) as unknown as { licenses: License[] };
        license = licenses.find((l) => l.stripe?.subscriptionId === payment.subscription);
        return license !== undefined;
      },
      { timeoutMs: timeoutSeconds * 1000, intervalMs: 250 },
    );
  } catch (error) {
    fail(
      `${(error as Error).message}; see ${join(dataDir, "logs", "stripe.log")} and ${join(dataDir, "logs", "billing.log")}`,
    );
  }
  const l = license!;
  console.log(
    `license ${l.id}: ${l.tier}, ${l.state}, organization ${l.organization}` +
      (l.workstationTier ? `, ${l.workstationTier} workstation` : ""),
  );
  console.log(
    `reveal the license key (shown once, with the cookie jar that started the checkout): curl -s -b checkout.cookies -H 'Origin: ${sandbox.urls.billing}' -X POST '${sandbox.urls.billing}/v1/checkout/success?session_id=${sessionId}'`,
  );
  console.log(
    `watch it in the cluster:            kubectl --kubeconfig ${sandbox.kubeconfig} get lic,ws -n ${l.organization} -w`,
  );
}

main().catch((error: unknown) => fail((error as Error).message));
