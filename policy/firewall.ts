/** Reads what an ingress firewall rule opens to the internet; shared by the firewall rules. */

const OPEN_RANGES = ["0.0.0.0/0", "::/0"];

interface AllowEntry {
  protocol?: unknown;
  ports?: unknown;
}

interface FirewallProps {
  direction?: unknown;
  disabled?: unknown;
  sourceRanges?: unknown;
  sourceTags?: unknown;
  sourceServiceAccounts?: unknown;
  allows?: unknown;
}

const nonEmpty = (value: unknown): value is unknown[] => Array.isArray(value) && value.length > 0;

/**
 * True when the rule is an enabled INGRESS rule whose sources include the whole internet — including an
 * ingress rule with no source at all, which GCP treats as sourceRanges 0.0.0.0/0.
 */
export function isPublicIngress(firewall: FirewallProps): boolean {
  const direction = firewall.direction ?? "INGRESS";
  if (direction !== "INGRESS" || firewall.disabled === true) return false;
  if (nonEmpty(firewall.sourceRanges))
    return firewall.sourceRanges.some((r) => OPEN_RANGES.includes(String(r)));
  return !nonEmpty(firewall.sourceTags) && !nonEmpty(firewall.sourceServiceAccounts);
}

function allows(firewall: FirewallProps): AllowEntry[] {
  return Array.isArray(firewall.allows) ? (firewall.allows as AllowEntry[]) : [];
}

function portList(entry: AllowEntry): string[] | undefined {
  return Array.isArray(entry.ports) && entry.ports.length > 0 ? entry.ports.map(String) : undefined;
}

/** True when an allow entry opens every port of its protocol (no port list, or protocol "all"). */
export function opensAllPorts(entry: AllowEntry): boolean {
  return String(entry.protocol).toLowerCase() === "all" || portList(entry) === undefined;
}

/** True when some allow entry opens TCP `port` (explicitly, by range, or by opening everything). */
export function opensTcpPort(firewall: FirewallProps, port: number): boolean {
  return allows(firewall).some((entry) => {
    const protocol = String(entry.protocol).toLowerCase();
    if (protocol !== "tcp" && protocol !== "all" && protocol !== "6") return false;
    const ports = portList(entry);
    if (protocol === "all" || ports === undefined) return true;
    return ports.some((spec) => {
      const [low, high] = spec.split("-").map(Number);
      return high === undefined ? low === port : low! <= port && port <= high;
    });
  });
}

/** The allow entries that open every port. */
export function allPortEntries(firewall: FirewallProps): AllowEntry[] {
  return allows(firewall).filter(opensAllPorts);
}
