/**
 * The organization slug: the one schema for every place a caller names an organization (checkout, admin
 * create). The slug becomes the organization's Kubernetes namespace (billing/cluster/projection.ts), so it
 * must be a DNS label and must not be a namespace the cluster, GKE or our own control plane owns: a customer
 * named `kube-system` or `coditect-billing` would get License and Workstation resources (and the operator's
 * RoleBindings) in it (issue 13, ADR 0140).
 */
import { z } from "zod";

export const ORGANIZATION_PATTERN = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Exact namespaces Kubernetes creates itself. */
export const RESERVED_ORGANIZATIONS = ["default"] as const;

/**
 * Prefixes of namespaces owned by the platform: Kubernetes (kube-*, kubernetes-*), GKE and its add-ons
 * (gke-*, gmp-* for managed Prometheus, istio-* and asm-* for the service mesh, config-management-*, cnrm-*
 * for Config Connector, anthos-*), and ours (coditect-*).
 */
export const RESERVED_ORGANIZATION_PREFIXES = [
  "kube-",
  "kubernetes-",
  "gke-",
  "gmp-",
  "istio-",
  "asm-",
  "config-management-",
  "cnrm-",
  "anthos-",
  "coditect-",
] as const;

/** Why `slug` may not be an organization, or undefined when it may. */
export function reservedOrganizationReason(slug: string): string | undefined {
  if ((RESERVED_ORGANIZATIONS as readonly string[]).includes(slug))
    return `"${slug}" is reserved (a namespace Kubernetes creates)`;
  const prefix = RESERVED_ORGANIZATION_PREFIXES.find((p) => slug.startsWith(p));
  return prefix
    ? `"${slug}" is reserved (the ${prefix}* namespaces belong to the platform); choose another name`
    : undefined;
}

/** A new organization's slug: a DNS label that is not reserved (a failure is a 400 naming the slug). */
export const organizationSlug = z
  .string()
  .regex(ORGANIZATION_PATTERN, "must be a lowercase DNS label (a-z, 0-9, '-', at most 63 characters)")
  .superRefine((slug, ctx) => {
    const reason = reservedOrganizationReason(slug);
    if (reason) ctx.addIssue({ code: "custom", message: reason });
  });
