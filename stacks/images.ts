/**
 * Image references in the config must come from our repositories and be pinned by digest, so the cluster
 * and the workstations run exactly what CI built and signed (Binary Authorization checks the same): the
 * control-plane images from the internal repository, the workstation image from its own.
 */
import type { StackConfig } from "./config.js";

/** Id of the internal Artifact Registry repository for our own control-plane images (billing, operator). */
export const INTERNAL_REPOSITORY_ID = "coditect-platform";
/**
 * Id of the repository holding the workstation image alone: the workstation VMs' shared service account
 * reads it and no other repository, so a tenant inside a workstation cannot pull billing or the operator
 * (issue 13 L6, docs/adr/0172).
 */
export const WORKSTATION_REPOSITORY_ID = "coditect-workstation-images";

type Location = Pick<StackConfig, "region" | "gcpProject">;

/** `<region>-docker.pkg.dev/<project>/<repo>/` — the prefix the control-plane images must start with. */
export function internalRegistryPrefix(config: Location): string {
  return `${config.region}-docker.pkg.dev/${config.gcpProject}/${INTERNAL_REPOSITORY_ID}/`;
}

/** `<region>-docker.pkg.dev/<project>/<repo>/` — the prefix the workstation image must start with. */
export function workstationRegistryPrefix(config: Location): string {
  return `${config.region}-docker.pkg.dev/${config.gcpProject}/${WORKSTATION_REPOSITORY_ID}/`;
}

/** Throws naming the config key of every image that is not in its repository. */
export function assertImagesFromInternalRegistry(config: StackConfig): void {
  const images: [string, string | undefined, string][] = [
    ["workstations.image", config.workstations.image, workstationRegistryPrefix(config)],
    ["controlPlane.operatorImage", config.controlPlane.operatorImage, internalRegistryPrefix(config)],
    ["controlPlane.billingImage", config.controlPlane.billingImage, internalRegistryPrefix(config)],
  ];
  const bad = images.filter(([, ref, prefix]) => ref !== undefined && !ref.startsWith(prefix));
  if (bad.length > 0) {
    throw new Error(
      "images must come from our repositories: " +
        bad
          .map(([key, ref, prefix]) => `coditect-control-plane:${key} is ${ref}, not under ${prefix}`)
          .join("; "),
    );
  }
}
