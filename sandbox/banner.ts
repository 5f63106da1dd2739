/** The text `npm start` prints once everything is ready: URLs, kubeconfig, admin token, next commands. */
import { relative } from "node:path";
import type { SandboxUrls } from "./state.js";

export interface BannerInput {
  seconds: number;
  urls: SandboxUrls;
  kubeconfig: string;
  dataDir: string;
  adminToken: string;
  cwd: string;
}

/** A path as the user would type it from where they ran `npm start`. */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

export function bannerText(input: BannerInput): string {
  const { urls } = input;
  const kubeconfig = shown(input.kubeconfig, input.cwd);
  const exportedKubeconfig = kubeconfig.startsWith("/") ? kubeconfig : `$PWD/${kubeconfig}`;
  const billing = urls.billing;
  return `
CODITECT sandbox ready in ${input.seconds.toFixed(1)} s  (sandbox only: fakes for Stripe and Cloud Workstations)

  billing (checkout, webhooks, admin, sessions)  ${billing}
  Kubernetes API test server                     ${urls.kube}
  fake Stripe API                                ${urls.stripe}
  fake Cloud Workstations API (gRPC)             ${urls.workstations}
  operator probes and metrics                    ${urls.operator}/metrics

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
