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
  allows?: unknown;
}

/** True when the rule is an enabled INGRESS rule whose sources include the whole internet. */
export function isPublicIngress(firewall: FirewallProps): boolean {
  const direction = firewall.direction ?? "INGRESS";
  const sources = Array.isArray(firewall.sourceRanges) ? firewall.sourceRanges : [];
  return (
    direction === "INGRESS" &&
    firewall.disabled !== true &&
    sources.some((r) => OPEN_RANGES.includes(String(r)))
  );
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
