import { createConnection, createServer, type Server, type Socket } from "node:net";

/** Test infrastructure: a TCP proxy in front of the license server that can simulate an outage. */
export class OutageProxy {
  readonly #sockets = new Set<Socket>();
  #down = false;
  #server!: Server;
  url = "";
  async start(target: URL): Promise<void> {
    this.#server = createServer((client) => {
      if (this.#down) return void client.destroy();
      const upstream = createConnection(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
  }
  down(): void {
    this.#down = true;
    for (const s of this.#sockets) s.destroy();
  }
  up(): void {
    this.#down = false;
  }
  async stop(): Promise<void> {
    this.down();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
