/**
 * The workstation side: the env each WorkstationConfig gives the licensed image's container must be the env
 * its entrypoint (images/workstation/entrypoint.sh) and agent (images/agent/config.ts) read. Pure over the
 * two sources' text, so a renamed variable on either side fails here, naming it.
 */

/** CODITECT_* variables a POSIX shell script reads (`${VAR`, `$VAR`). */
export function shellVariables(script: string): Set<string> {
  return new Set([...script.matchAll(/\$\{?(CODITECT_[A-Z0-9_]+)/g)].map((m) => m[1]!));
}

/** CODITECT_* keys of the agent's environment schema (`CODITECT_X: z…`). */
export function agentSchemaVariables(source: string): Set<string> {
  return new Set([...source.matchAll(/^\s+(CODITECT_[A-Z0-9_]+):/gm)].map((m) => m[1]!));
}

/**
 * Variables of the WorkstationConfig env read by Cloud Workstations' base image (its startup scripts), not by
 * our entrypoint or agent, each with the reason it is set. Only these may be set without a reader of ours.
 */
export const PLATFORM_WORKSTATION_ENV: Record<string, string> = {
  CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO:
    "the base image gives the user passwordless sudo unless this is true; root could stop the session agent (issue 13)",
};

/** Variables the image must be given for a production workstation (their defaults are not production's). */
export const REQUIRED_WORKSTATION_ENV = ["CODITECT_LICENSE_SERVER", "CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO"];

export function checkWorkstationEnv(
  configs: Record<string, Record<string, string>>,
  readByImage: Set<string>,
): string[] {
  const problems: string[] = [];
  const ids = Object.keys(configs).sort();
  if (ids.length === 0) return ["no WorkstationConfig was rendered"];
  const setBy = new Map<string, string[]>();
  for (const id of ids)
    for (const name of Object.keys(configs[id]!)) setBy.set(name, [...(setBy.get(name) ?? []), id]);
  for (const [name, by] of [...setBy].sort()) {
    if (readByImage.has(name) || name in PLATFORM_WORKSTATION_ENV) continue;
    problems.push(
      `WorkstationConfig ${by.join(", ")} set${by.length === 1 ? "s" : ""} ${name}, which neither images/workstation/entrypoint.sh nor the agent (images/agent/config.ts) reads; they read: ${[...readByImage].sort().join(", ")}`,
    );
  }
  for (const name of REQUIRED_WORKSTATION_ENV) {
    const missing = ids.filter((id) => !(name in configs[id]!));
    if (missing.length > 0) {
      problems.push(
        `WorkstationConfig ${missing.join(", ")} do${missing.length === 1 ? "es" : ""} not set ${name}: the image would use its built-in default`,
      );
    }
  }
  return problems;
}

/**
 * The env a workstation container starts with, as the WorkstationConfig `configId` renders it, with the one
 * outside-endpoint difference: the license-server URL points at the billing under test
 * (rehearsal/overrides.ts). Throws when the rendered env does not set the variable the image reads.
 */
export function workstationContainerEnv(
  configs: Record<string, Record<string, string>>,
  configId: string,
  licenseServerUrl: string,
): Record<string, string> {
  const env = configs[configId];
  if (!env)
    throw new Error(`no WorkstationConfig ${configId} rendered (have: ${Object.keys(configs).join(", ")})`);
  if (!("CODITECT_LICENSE_SERVER" in env)) {
    throw new Error(
      `WorkstationConfig ${configId} does not set CODITECT_LICENSE_SERVER, the variable the entrypoint and agent read (it sets: ${Object.keys(env).join(", ") || "nothing"})`,
    );
  }
  return { ...env, CODITECT_LICENSE_SERVER: licenseServerUrl };
}
