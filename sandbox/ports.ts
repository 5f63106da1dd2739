/**
 * Port checks before anything starts: a busy fixed port stops the sandbox with a message naming the port
 * and the component (and how to choose another); port 0 is replaced by a free port picked now.
 */
import { createServer } from "node:net";
import { COMPONENTS, type Component, PORT_SETTINGS } from "./options.js";

/** Listens on 127.0.0.1:port and closes again; resolves the port actually bound (useful for port 0). */
function probe(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
}

export class PortInUseError extends Error {
  override name = "PortInUseError";
}

/**
 * Resolves every requested port of the components that run (default: all) to a concrete free one, or
 * throws PortInUseError naming the busy port. A component that does not run keeps its requested port.
 */
export async function resolvePorts(
  requested: Record<Component, number>,
  components: readonly Component[] = COMPONENTS,
): Promise<Record<Component, number>> {
  const resolved = { ...requested };
  const taken = new Set<number>();
  for (const component of components) {
    const { label, flag, env } = PORT_SETTINGS[component];
    if (requested[component] === 0) {
      let port: number;
      do port = await probe(0);
      while (taken.has(port) || Object.values(requested).includes(port));
      resolved[component] = port;
    } else {
      try {
        await probe(requested[component]);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new PortInUseError(
          `port ${requested[component]} for the ${label} is not available (${code ?? (error as Error).message}); ` +
            `stop whatever uses it, or choose another port with ${flag} <port> or ${env}=<port> (0 picks a free one)`,
        );
      }
    }
    taken.add(resolved[component]);
  }
  return resolved;
}
