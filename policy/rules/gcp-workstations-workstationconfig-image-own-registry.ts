/**
 * Stack policy: the workstation image comes from an Artifact Registry repository this stack declares
 * (matching repositoryId, and location/project where the repository sets them), not from somebody
 * else's registry. References that are not Artifact Registry images are left to the digest rule.
 * Severity: high. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import type { PolicyResource } from "@pulumi/policy";
import { parseArtifactImage } from "../images.js";
import type { CoditectStackPolicy } from "../types.js";

const REPOSITORY_TYPE = (gcp.artifactregistry.Repository as unknown as { __pulumiType: string }).__pulumiType;
const CONFIG_TYPE = (gcp.workstations.WorkstationConfig as unknown as { __pulumiType: string }).__pulumiType;

function declares(
  repository: PolicyResource,
  location: string,
  project: string,
  repositoryId: string,
): boolean {
  const props = repository.props as { repositoryId?: unknown; location?: unknown; project?: unknown };
  return (
    props.repositoryId === repositoryId &&
    (props.location === undefined || props.location === location) &&
    (props.project === undefined || props.project === project)
  );
}

export const policy: CoditectStackPolicy = {
  name: "gcp-workstations-workstationconfig-image-own-registry",
  description: "Workstation images must come from an Artifact Registry repository declared in this stack.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Point `container.image` at a repository this stack creates (gcp.artifactregistry.Repository with that repositoryId and location).",
  anchor: undefined,
  validateStack: (args, reportViolation) => {
    const configs = args.resources.filter((r) => r.type === CONFIG_TYPE);
    if (configs.length === 0) args.notApplicable("no workstation configs in this stack");
    const repositories = args.resources.filter((r) => r.type === REPOSITORY_TYPE);
    for (const config of configs) {
      const image = (config.props as { container?: { image?: unknown } }).container?.image;
      const parsed = typeof image === "string" ? parseArtifactImage(image) : undefined;
      if (!parsed) continue;
      const found = repositories.some((r) => declares(r, parsed.location, parsed.project, parsed.repository));
      if (!found) {
        reportViolation(
          `container.image uses repository ${parsed.location}/${parsed.project}/${parsed.repository}, which this stack does not declare.`,
          config.urn,
        );
      }
    }
  },
};
