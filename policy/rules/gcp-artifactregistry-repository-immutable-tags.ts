/**
 * Docker repositories use immutable tags, so a tag that was signed and released keeps pointing at the
 * same digest. Remote and virtual repositories hold no pushed tags and are exempt.
 * Severity: high. Anchor: none (project invariant: images are released and signed by digest).
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.artifactregistry.Repository,
  {
    name: "gcp-artifactregistry-repository-immutable-tags",
    description: "Docker repositories must have immutable tags.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set `dockerConfig.immutableTags` to true on the repository.",
    anchor: undefined,
  },
  (repo) => {
    const standard = (repo.mode ?? "STANDARD_REPOSITORY") === "STANDARD_REPOSITORY";
    if (String(repo.format).toUpperCase() !== "DOCKER" || !standard) return undefined;
    return repo.dockerConfig?.immutableTags === true
      ? undefined
      : "dockerConfig.immutableTags is not true: a released tag could be moved to another image.";
  },
);
