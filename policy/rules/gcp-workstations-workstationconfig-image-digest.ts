/**
 * Workstations run our licensed image, pinned by digest from an Artifact Registry Docker repository:
 * a tag can move, a digest is what was signed. Unset means Google's predefined image — not ours.
 * Severity: high. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import { parseArtifactImage } from "../images.js";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.workstations.WorkstationConfig,
  {
    name: "gcp-workstations-workstationconfig-image-digest",
    description: "Workstation configs must run an Artifact Registry image pinned by sha256 digest.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Set `container.image` to LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE@sha256:<digest> (our licensed workstation image).",
    anchor: undefined,
  },
  (config) => {
    const image = config.container?.image;
    if (typeof image !== "string")
      return `container.image is ${shown(image)}: the predefined Google image would run.`;
    const parsed = parseArtifactImage(image);
    if (!parsed)
      return `container.image ${shown(image)} is not an Artifact Registry (*-docker.pkg.dev) image.`;
    return parsed.digest ? undefined : `container.image ${shown(image)} is not pinned by @sha256 digest.`;
  },
);
