/**
 * Stack policy: the workstation VMs' service account may use Artifact Registry only where the workstation
 * image lives and, read-only, the package mirrors (remote repositories) (issue 13 L6). Every tenant's
 * workstation runs as that one account and can fetch its token from the metadata server, so any registry
 * role it holds is a tenant's: a grant on the control plane's repository would let a customer pull billing
 * and the operator. Flags repository grants of `roles/artifactregistry.*` to that account on any repository
 * that is neither a workstation config's image repository nor (for `roles/artifactregistry.reader`) a
 * REMOTE_REPOSITORY declared in the stack, and any project-wide Artifact Registry role for it.
 * Severity: high. Anchor: none (least privilege, ADR 0172, 0173).
 */
import * as gcp from "@pulumi/gcp";
import type { PolicyResource } from "@pulumi/policy";
import { parseArtifactImage } from "../images.js";
import type { CoditectStackPolicy } from "../types.js";

const typeOf = (cls: unknown) => (cls as { __pulumiType: string }).__pulumiType;
const CONFIG_TYPE = typeOf(gcp.workstations.WorkstationConfig);
const REPOSITORY_MEMBER_TYPE = typeOf(gcp.artifactregistry.RepositoryIamMember);
const PROJECT_MEMBER_TYPE = typeOf(gcp.projects.IAMMember);
const REPOSITORY_TYPE = typeOf(gcp.artifactregistry.Repository);

interface ConfigProps {
  host?: { gceInstance?: { serviceAccount?: unknown } };
  container?: { image?: unknown };
}

/** The last path segment: a repository input may be its id or its full name. */
const repositoryIdOf = (value: unknown) => (typeof value === "string" ? value.split("/").pop() : undefined);

export const policy: CoditectStackPolicy = {
  name: "gcp-artifactregistry-repositoryiammember-workstation-image-and-mirrors",
  description:
    "The workstation service account reads only its image's repository and the package mirrors (never the control plane's).",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Grant the workstation service account `roles/artifactregistry.reader` on the workstation image's repository and the package mirrors only (LicensedRegistry `workstationReaderMembers`, `mirrorReaderMembers`), and no project-level Artifact Registry role.",
  anchor: undefined,
  validateStack: (args, reportViolation) => {
    const configs = args.resources.filter((r) => r.type === CONFIG_TYPE);
    if (configs.length === 0) args.notApplicable("no workstation configs in this stack");
    const accounts = new Set<string>();
    const imageRepositories = new Set<string>();
    for (const config of configs) {
      const props = config.props as ConfigProps;
      const account = props.host?.gceInstance?.serviceAccount;
      if (typeof account === "string") accounts.add(`serviceAccount:${account}`);
      const image = props.container?.image;
      const parsed = typeof image === "string" ? parseArtifactImage(image) : undefined;
      if (parsed) imageRepositories.add(parsed.repository);
    }
    const mirrors = new Set(
      args.resources
        .filter((r) => r.type === REPOSITORY_TYPE)
        .map((r) => r.props as { mode?: unknown; repositoryId?: unknown })
        .filter((p) => p.mode === "REMOTE_REPOSITORY" && typeof p.repositoryId === "string")
        .map((p) => p.repositoryId as string),
    );
    const grantsOf = (r: PolicyResource) =>
      r.props as { member?: unknown; role?: unknown; repository?: unknown };
    for (const grant of args.resources) {
      const { member, role, repository } = grantsOf(grant);
      if (typeof member !== "string" || !accounts.has(member)) continue;
      if (typeof role !== "string" || !role.startsWith("roles/artifactregistry.")) continue;
      if (grant.type === PROJECT_MEMBER_TYPE) {
        reportViolation(
          `${member} holds ${role} on the whole project: every repository, the control plane's included.`,
          grant.urn,
        );
      } else if (grant.type === REPOSITORY_MEMBER_TYPE) {
        const id = repositoryIdOf(repository);
        const mirrorRead = id !== undefined && mirrors.has(id) && role === "roles/artifactregistry.reader";
        if (id === undefined || (!imageRepositories.has(id) && !mirrorRead)) {
          reportViolation(
            `${member} holds ${role} on repository ${String(repository)}, which is neither a workstation image's repository (${[...imageRepositories].join(", ") || "none"}) nor a package mirror it may read.`,
            grant.urn,
          );
        }
      }
    }
  },
};
