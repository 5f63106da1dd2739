/** The text `npm start` prints once everything is ready: URLs, kubeconfig, admin token, next commands. */
import { relative } from "node:path";
import { SANDBOX_LICENSED_IMAGE } from "./plan.js";
import type { SupplyChainStatus } from "./publish.js";
import type { SandboxUrls } from "./state.js";

export interface BannerInput {
  seconds: number;
  urls: SandboxUrls;
  kubeconfig: string;
  dataDir: string;
  adminToken: string;
  cwd: string;
  supplyChain: SupplyChainStatus;
  /** The signing key's public PEM file (<data>/signing-key.pem). */
  signingKey: string;
}

/** A path as the user would type it from where they ran `npm start`. */
export function shown(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/**
 * The commands that check the published licensed image: its signature (offline, pinned key) and manifest.
 * The registry uses token auth with billing as the realm, so both read it with a Pro or Enterprise license
 * key ($KEY: the key the checkout success page shows once).
 */
export function verifyCommands(reference: string, signingKey: string): string[] {
  return [
    `REGISTRY_USERNAME=license REGISTRY_PASSWORD=$KEY npm run images:verify -- ${reference} --key ${signingKey}`,
    `skopeo inspect --tls-verify=false --creds license:$KEY docker://${reference}`,
  ];
}

/** The supply-chain lines of the banner: the registry and KMS, and what to run (or build) next. */
export function supplyChainText(status: SupplyChainStatus, signingKey: string): string {
  if (status.kind === "off") return `\n  Supply chain off: ${status.reason}\n`;
  return `  OCI registry (docker-registry)                 http://${status.registry}
  fake Cloud KMS API (gRPC)                      ${status.kms}   (signing key public PEM: ${signingKey})

${licensedImageText(status, signingKey)}`;
}

/** What became of the licensed image: the verify commands, the build command, or the error. */
export function licensedImageText(status: SupplyChainStatus, signingKey: string): string {
  switch (status.kind) {
    case "off":
      return `Supply chain off: ${status.reason}\n`;
    case "published":
      return `Licensed image ${status.alreadySigned ? "pushed (already signed at an earlier start)" : "pushed and signed through the fake KMS"} in ${status.seconds.toFixed(1)} s; verify its signature
with a Pro or Enterprise license key (KEY=<the key the checkout success page shows>):
${verifyCommands(status.reference, signingKey)
  .map((command) => `  ${command}`)
  .join("\n")}
`;
    case "publishing":
      return `Licensed image: pushing and signing it (a first push into a fresh registry takes a while); the commands
that verify it are printed below once it is done.
`;
    case "not-built":
      return `Licensed image: not published (${status.reason}). Build it (minutes the first time), then publish it
to this sandbox without restarting:
  ${SANDBOX_LICENSED_IMAGE.buildCommand}
  npm run sandbox:publish
`;
    case "failed":
      return `Licensed image: publishing failed: ${status.error}
  retry with: npm run sandbox:publish
`;
  }
}

export function bannerText(input: BannerInput): string {
  const { urls } = input;
  const kubeconfig = shown(input.kubeconfig, input.cwd);
  const exportedKubeconfig = kubeconfig.startsWith("/") ? kubeconfig : `$PWD/${kubeconfig}`;
  const billing = urls.billing;
  return `
CODITECT sandbox ready in ${input.seconds.toFixed(1)} s  (sandbox only: fakes for Stripe and Cloud Workstations)

  billing (checkout, webhooks, admin, sessions)  ${billing}
  account pages (sign in, team, key, Docker)     ${billing}/account/   (sign-in links arrive in the mail catcher)
  Kubernetes API test server                     ${urls.kube}
  fake Stripe API                                ${urls.stripe}
  fake Cloud Workstations API (gRPC)             ${urls.workstations}
  operator probes and metrics                    ${urls.operator}/metrics
  mail catcher: every email billing sends        ${urls.mail}   (SMTP ${urls.smtp}; REST API ${urls.mail}/api/email)
${supplyChainText(input.supplyChain, shown(input.signingKey, input.cwd))}
  kubeconfig   ${kubeconfig}
  admin token  ${input.adminToken}   (break-glass token, sandbox only: audited as break-glass; production admins use their Google identity; kept in ${shown(input.dataDir, input.cwd)}/sandbox-secrets.json)
  data dir     ${shown(input.dataDir, input.cwd)}   (logs in ${shown(input.dataDir, input.cwd)}/logs/; npm start -- --reset wipes it)

Try it (in another terminal; docs/sandbox.md walks through the whole journey):
  export KUBECONFIG=${exportedKubeconfig}
  kubectl get lic,ws,csess -A
  curl -s -c checkout.cookies -X POST ${billing}/v1/checkout -H 'content-type: application/json' \\
    -d '{"organization":"acme","customerEmail":"dev@acme.test","items":[{"product":"pro","quantity":1},{"product":"standard","quantity":1}]}'
  npm run sandbox:pay -- <checkoutSessionId>          # the customer pays; Stripe sends the signed webhook
  curl -s -b checkout.cookies -H 'Origin: ${billing}' -X POST \\
    '${billing}/v1/checkout/success?session_id=<checkoutSessionId>'   # the license key, shown once
  kubectl get lic,ws -A -w

Ctrl-C stops everything.
`;
}
