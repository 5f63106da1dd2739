/**
 * TEST ONLY: an HTTPS front for the sessions harness on the fixed address baked into test-stack images
 * (https://127.0.0.1:47443). It terminates TLS with a certificate from test-support/pki and pipes each
 * connection to an upstream plain-HTTP port, which a test may switch (another harness) or cut (`down`:
 * every connection is dropped, as when the network is gone).
 */
import net from "node:net";
import tls from "node:tls";

export interface TlsFront {
  upstreamPort: number;
  /** Cut (true: open connections dropped, new ones refused after the handshake starts) or restore. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startTlsFront(options: {
  host: string;
  port: number;
  certPem: string;
  keyPem: string;
  upstreamPort: number;
}): Promise<TlsFront> {
  const sockets = new Set<net.Socket>();
  let down = false;
  const front: TlsFront = {
    upstreamPort: options.upstreamPort,
    setDown: (value) => {
      down = value;
      if (down) for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = tls.createServer({ cert: options.certPem, key: options.keyPem }, (client) => {
    if (down) return void client.destroy();
    const upstream = net.connect(front.upstreamPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(new Error(`the TLS front cannot listen on ${options.host}:${options.port}: ${error.message}`)),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  return front;
}
