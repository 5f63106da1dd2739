/**
 * What a human must fill in before a deploy (image digests from the release, live Stripe price ids), how
 * the config tells a made-up value from a real one, and the offline stand-ins the plan, the policy run and
 * the rehearsal use instead (contract C2, ADR 0101).
 *
 * A stand-in is a value that is obviously not real (digest `0ff11e00…`, price `price_offline_stand_in_*`).
 * Config validation rejects placeholders and stand-ins alike, naming the key, unless the offline plan
 * runner switched stand-ins on for this process (`acceptOfflineStandIns`) — nothing a stack file or an
 * environment variable can do, so a real `pulumi up` never deploys one.
 */
import type { StackConfig } from "./config.js";

/** The digest every offline image stand-in carries. */
export const STAND_IN_DIGEST = `sha256:${"0ff11e00".repeat(8)}`;
/** Stands for `<region>-docker.pkg.dev/<project>/coditect-platform` of the stack being planned. */
export const INTERNAL_REGISTRY_TOKEN = "<internal-registry>";
/** Stands for `<region>-docker.pkg.dev/<project>/coditect-workstation-images` of the stack being planned. */
export const WORKSTATION_REGISTRY_TOKEN = "<workstation-registry>";

/**
 * Values for everything a human fills in, keyed by dotted config path (the shape of `runPlan`'s
 * `overrides`). Image values start with INTERNAL_REGISTRY_TOKEN or WORKSTATION_REGISTRY_TOKEN, which
 * `runPlan` replaces with the planned stack's repositories. Committed and documented in docs/operations.md ("Offline plan").
 */
export const OFFLINE_STAND_INS: Readonly<Record<string, string>> = Object.freeze({
  "workstations.image": `${WORKSTATION_REGISTRY_TOKEN}/coditect-workstation@${STAND_IN_DIGEST}`,
  "controlPlane.operatorImage": `${INTERNAL_REGISTRY_TOKEN}/operator@${STAND_IN_DIGEST}`,
  "controlPlane.billingImage": `${INTERNAL_REGISTRY_TOKEN}/billing@${STAND_IN_DIGEST}`,
  "controlPlane.stripePriceIds.starter": "price_offline_stand_in_starter",
  "controlPlane.stripePriceIds.pro": "price_offline_stand_in_pro",
  "controlPlane.stripePriceIds.enterprise": "price_offline_stand_in_enterprise",
  "controlPlane.stripePriceIds.standard": "price_offline_stand_in_standard",
  "controlPlane.stripePriceIds.power": "price_offline_stand_in_power",
  "controlPlane.stripePriceIds.ai": "price_offline_stand_in_ai",
});

/**
 * Digests committed as placeholders before this check existed (Pulumi.prod.yaml up to issue 11): a stack
 * file still holding one is refused, not deployed.
 */
const KNOWN_PLACEHOLDER_DIGESTS = new Set([
  "sha256:3f1c9b0a7d52e4c86a9f0e1b2c3d4e5f60718293a4b5c6d7e8f9012345678abc",
  "sha256:8a7b6c5d4e3f2019a8b7c6d5e4f30291a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5",
  "sha256:1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3",
]);

let standInsAccepted = false;

/** Called only by the offline plan runner (stacks/plan/run-plan.ts) before it loads the program. */
export function acceptOfflineStandIns(accept: boolean): void {
  standInsAccepted = accept;
}

export function isStandIn(value: string): boolean {
  return value.endsWith(`@${STAND_IN_DIGEST}`) || value.startsWith("price_offline_stand_in_");
}

/** Why an image reference is not a real release digest, or undefined when it may be one. */
export function imagePlaceholderReason(ref: string): string | undefined {
  const digest = ref.slice(ref.lastIndexOf("@") + 1);
  if (KNOWN_PLACEHOLDER_DIGESTS.has(digest)) return "holds a placeholder digest committed before any release";
  if (/^sha256:(.)\1{63}$/.test(digest)) return `holds a made-up digest (${digest})`;
  return undefined;
}

/** Why a Stripe price id is not a live one, or undefined when it may be one. */
export function priceIdPlaceholderReason(id: string): string | undefined {
  // billing's historical built-in defaults (`price_coditect_<product>_monthly`) were never Stripe ids.
  if (/^price_coditect_[a-z]+_monthly$/.test(id)) return "holds a made-up price id, not one from Stripe";
  if (/placeholder|example|changeme|replace/i.test(id)) return "holds a placeholder price id";
  return undefined;
}

const HINT = {
  image: "set the digest the release pushed (docs/operations.md, step 9)",
  price: "set the live price id from the Stripe dashboard (docs/operations.md, step 8)",
};

/** Issues for config validation: every image and price id that is a placeholder (or an unaccepted stand-in). */
export function placeholderProblems(c: StackConfig): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  const check = (path: string[], value: string, reason: string | undefined, hint: string) => {
    if (!standInsAccepted && isStandIn(value)) {
      problems.push({ path, message: `holds an offline stand-in (${value}); ${hint}` });
    } else if (reason) {
      problems.push({ path, message: `${reason}; ${hint}` });
    }
  };
  const images: [string[], string | undefined][] = [
    [["workstations", "image"], c.workstations.image],
    [["controlPlane", "operatorImage"], c.controlPlane.operatorImage],
    [["controlPlane", "billingImage"], c.controlPlane.billingImage],
  ];
  for (const [path, ref] of images) {
    if (ref !== undefined) check(path, ref, imagePlaceholderReason(ref), HINT.image);
  }
  for (const [product, id] of Object.entries(c.controlPlane.stripePriceIds ?? {})) {
    check(["controlPlane", "stripePriceIds", product], id, priceIdPlaceholderReason(id), HINT.price);
  }
  return problems;
}
