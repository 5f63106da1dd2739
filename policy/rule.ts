/**
 * Helpers that turn a small pure check into a CrossGuard ResourceValidationPolicy. A check returns the
 * problems it found (each one names the input field), so rules stay one-screen pure functions and the
 * real `validateResourceOfType` does the type filtering exactly as it does under `pulumi preview`.
 */

import { type ReportViolation, type ResourceValidationArgs, validateResourceOfType } from "@pulumi/policy";
import type { Resource, Unwrap } from "@pulumi/pulumi";
import type { CoditectResourcePolicy, RuleFields } from "./types.js";

/** What a check returns: nothing, one problem, or several. */
export type CheckResult = string | readonly string[] | undefined;

function report(result: CheckResult, reportViolation: ReportViolation): void {
  if (result === undefined) return;
  for (const message of typeof result === "string" ? [result] : result) reportViolation(message);
}

/** A rule over one resource class; `check` sees that class's SDK inputs (missing defaults = undefined). */
export function resourceRule<TResource extends Resource, TArgs>(
  // biome-ignore lint/suspicious/noExplicitAny: the same constructor shape validateResourceOfType declares.
  resourceClass: { new (name: string, args: TArgs, ...rest: any[]): TResource },
  fields: RuleFields & Pick<CoditectResourcePolicy, "configSchema">,
  check: (props: Partial<Unwrap<NonNullable<TArgs>>>, args: ResourceValidationArgs) => CheckResult,
): CoditectResourcePolicy {
  return {
    ...fields,
    validateResource: validateResourceOfType(resourceClass, (props, args, reportViolation) =>
      report(check(props as Partial<Unwrap<NonNullable<TArgs>>>, args), reportViolation),
    ),
  };
}

/**
 * A rule over every resource whose type token `applies` accepts (e.g. all IAM member/binding/policy
 * resources of every service). Other resources are marked not applicable, as CrossGuard expects.
 */
export function typeMatchRule(
  applies: (type: string) => boolean,
  fields: RuleFields & Pick<CoditectResourcePolicy, "configSchema">,
  check: (props: Record<string, unknown>, args: ResourceValidationArgs) => CheckResult,
): CoditectResourcePolicy {
  return {
    ...fields,
    validateResource: (args, reportViolation) => {
      if (!applies(args.type)) args.notApplicable(`${fields.name} does not apply to ${args.type}`);
      report(check(args.props, args), reportViolation);
    },
  };
}

/** Parses a protobuf Duration string ("1800s", "0.5s") into seconds; undefined when absent or malformed. */
export function durationSeconds(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Number(match[1]) : undefined;
}

/** Renders a value for a message: strings quoted, absent as "unset". */
export function shown(value: unknown): string {
  return value === undefined || value === null ? "unset" : JSON.stringify(value);
}
