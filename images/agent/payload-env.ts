/**
 * The payload's environment (issue 13 §8): the agent's, minus what only the agent may hold. The license key
 * is the customer's credential for every seat of the license — a process in the container that could read
 * it could start containers elsewhere. The identity token's path points at a short-lived credential only
 * the agent sends. Everything else (PATH, HOME, the image's own variables) the payload needs as before.
 */

/** Variables the agent reads and the payload must not inherit. */
export const AGENT_SECRET_VARIABLES = [
  "CODITECT_LICENSE_KEY",
  "CODITECT_IDENTITY_TOKEN_FILE",
  "CODITECT_WORKSTATION_CREDENTIAL",
] as const;

export function payloadEnvironment(
  agentEnv: NodeJS.ProcessEnv,
  sessionId: string | undefined,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...agentEnv, CODITECT_SESSION_ID: sessionId ?? "" };
  for (const name of AGENT_SECRET_VARIABLES) delete env[name];
  return env;
}

/**
 * HOME, USER and LOGNAME of the payload's user from /etc/passwd's text, when the payload runs as another
 * user than the agent (CODITECT_PAYLOAD_USER): the agent's own (root's) would point the payload at /root.
 * Empty when the uid has no entry (the payload keeps what the image set).
 */
export function payloadUserEnvironment(passwd: string, uid: number): Record<string, string> {
  for (const line of passwd.split("\n")) {
    const [name, , entryUid, , , home] = line.split(":");
    if (name && home && entryUid === String(uid)) return { HOME: home, USER: name, LOGNAME: name };
  }
  return {};
}
