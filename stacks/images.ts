/**
 * Image references in the config must come from our internal repository and be pinned by digest, so the
 * cluster and the workstations run exactly what CI built and signed (Binary Authorization checks the same).
 */
import type { StackConfig } from "./config.js";

/** Id of the internal Artifact Registry repository for our own images. */
export const INTERNAL_REPOSITORY_ID = "coditect-platform";

/** `<region>-docker.pkg.dev/<project>/<repo>/` — the prefix every configured image must start with. */
export function internalRegistryPrefix(config: Pick<StackConfig, "region" | "gcpProject">): string {
  return `${config.region}-docker.pkg.dev/${config.gcpProject}/${INTERNAL_REPOSITORY_ID}/`;
}

/** Throws naming the config key of every image that is not in our internal repository. */
export function assertImagesFromInternalRegistry(config: StackConfig): void {
  const prefix = internalRegistryPrefix(config);
  const images: [string, string | undefined][] = [
    ["workstations.image", config.workstations.image],
    ["controlPlane.operatorImage", config.controlPlane.operatorImage],
    ["controlPlane.billingImage", config.controlPlane.billingImage],
  ];
  const bad = images.filter(([, ref]) => ref !== undefined && !ref.startsWith(prefix));
  if (bad.length > 0) {
    throw new Error(
      `images must come from ${prefix}: ` +
        bad.map(([key, ref]) => `coditect-control-plane:${key} is ${ref}`).join("; "),
    );
  }
}
