/**
 * Named checks the Workstation decision is built from, in the style of cert-manager's `policies.Chain`:
 * each check looks at the inputs and either passes (null) or returns the CamelCase reason and a message
 * explaining why. A chain's first failing check wins, so the order of a chain is its priority.
 */

import type { License, Workstation } from "../../crds/types.js";
import { licenseStateEntitles, MANAGED_BY_BILLING, MANAGED_BY_LABEL } from "../../lib/domain.js";
import { findCondition, Reason } from "../conditions.js";

export interface Verdict {
  reason: Reason;
  message: string;
}

export type Check<I> = { name: string; check: (input: I) => Verdict | null };

/** Runs a chain; returns the first failure or null when every check passes. */
export function firstFailure<I>(chain: readonly Check<I>[], input: I): Verdict | null {
  for (const { check } of chain) {
    const verdict = check(input);
    if (verdict) return verdict;
  }
  return null;
}

export interface LicenseInput {
  licenseName: string;
  license: License | null;
  now: Date;
}

/** Whether billing wrote this License (its label); only those are acted on (contract C6). */
export function writtenByBilling(license: License): boolean {
  return license.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_BILLING;
}

/**
 * A License that exists but that billing did not write (applied from examples/, or by hand): nothing is
 * provisioned for it and Google Cloud is not called. null when the License is billing's (or absent).
 */
export function notFromBillingVerdict(license: License | null): Verdict | null {
  if (!license || writtenByBilling(license)) return null;
  return {
    reason: Reason.LicenseNotFromBilling,
    message:
      `License ${license.metadata?.name} was not written by billing (label ${MANAGED_BY_LABEL}=${MANAGED_BY_BILLING} ` +
      "missing); the operator provisions nothing for it. Sample and hand-made Licenses are ignored: buy or " +
      "grant one through billing",
  };
}

/** Whether the referenced License entitles its holder to a running workstation, highest priority first. */
export const licenseChain: readonly Check<LicenseInput>[] = [
  {
    name: "LicenseExists",
    check: ({ license, licenseName }) =>
      license
        ? null
        : {
            reason: Reason.LicenseNotFound,
            message: `License ${licenseName} does not exist in this namespace`,
          },
  },
  {
    name: "LicenseNotRevoked",
    check: ({ license }) =>
      license?.spec.state === "revoked"
        ? {
            reason: Reason.LicenseRevoked,
            message: `License ${license.metadata?.name} is revoked${why(license)}`,
          }
        : null,
  },
  {
    name: "LicenseNotSuspended",
    check: ({ license }) =>
      license?.spec.state === "suspended"
        ? {
            reason: Reason.LicenseSuspended,
            message: `License ${license.metadata?.name} is suspended${why(license)}`,
          }
        : null,
  },
  {
    name: "LicenseNotExpired",
    // Billing flips the state at expiry, but the operator does not wait for it: expiresAt is authoritative.
    check: ({ license, now }) => {
      if (!license) return null;
      const expiresAt = license.spec.expiresAt
        ? Date.parse(license.spec.expiresAt)
        : Number.POSITIVE_INFINITY;
      if (license.spec.state !== "expired" && expiresAt > now.getTime()) return null;
      const when = license.spec.expiresAt ? ` since ${license.spec.expiresAt}` : "";
      return { reason: Reason.LicenseExpired, message: `License ${license.metadata?.name} expired${when}` };
    },
  },
  {
    name: "LicenseStateEntitles",
    // Catch-all for states added to lib/domain.ts later: only entitling states pass.
    check: ({ license }) =>
      license && !licenseStateEntitles(license.spec.state)
        ? { reason: Reason.LicenseSuspended, message: `License state ${license.spec.state} does not entitle` }
        : null,
  },
];

function why(license: License): string {
  return license.spec.stateReason ? ` (${license.spec.stateReason})` : "";
}

/** The True-side reason of the Licensed condition. */
export function entitledVerdict(license: License): Verdict {
  return license.spec.state === "pastDue"
    ? {
        reason: Reason.LicensePastDue,
        message: `License ${license.metadata?.name} is past due but still entitles`,
      }
    : { reason: Reason.LicenseActive, message: `License ${license.metadata?.name} is active` };
}

export interface PowerInput {
  ws: Workstation;
  now: Date;
  /** The Licensed verdict: null when the license entitles. */
  licenseFailure: Verdict | null;
  /** A stop shortly after the workstation became Ready is a failure to retry, not idleness. */
  idleStopMinRunMs: number;
}

/**
 * Reasons to leave a STOPPED workstation stopped, highest priority first. When every check passes the
 * operator starts it.
 */
export const stayStoppedChain: readonly Check<PowerInput>[] = [
  {
    name: "LicenseEntitles",
    check: ({ licenseFailure }) =>
      licenseFailure
        ? {
            reason: Reason.StoppedByLicense,
            message: `Stopped because ${lowerFirst(licenseFailure.message)}`,
          }
        : null,
  },
  {
    name: "DesiredRunning",
    check: ({ ws }) =>
      (ws.spec.desiredState ?? "Running") === "Stopped"
        ? { reason: Reason.Stopped, message: "Stopped as spec.desiredState asks" }
        : null,
  },
  {
    name: "NotStoppedForIdleness",
    check: (input) =>
      stoppedForIdleness(input)
        ? {
            reason: Reason.StoppedForIdleness,
            message:
              "Google Cloud stopped the workstation (idle timeout or maximum run time); it is not restarted " +
              "automatically. Start it from Cloud Workstations, or change the spec to ask again",
          }
        : null,
  },
];

/**
 * The idle-stop rule (docs/adr/0041): GCP stopping a workstation the operator saw running, without an
 * operation of ours and without a newer spec, is the idle timeout doing its job, not drift. A stop shortly
 * after the workstation became Ready is treated as a failed start instead and retried.
 */
export function stoppedForIdleness({ ws, now, idleStopMinRunMs }: PowerInput): boolean {
  const status = ws.status ?? {};
  const generation = ws.metadata?.generation;
  const ready = findCondition(status.conditions, "Ready");
  if (ready?.reason === Reason.StoppedForIdleness && ready.observedGeneration === generation) return true;
  if (status.observedGeneration !== generation) return false;
  if (status.state !== "STATE_RUNNING" && status.state !== "STATE_STOPPING") return false;
  if (ready?.status === "True") {
    const runningFor = now.getTime() - Date.parse(ready.lastTransitionTime);
    if (runningFor < idleStopMinRunMs) return false;
  }
  return true;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
