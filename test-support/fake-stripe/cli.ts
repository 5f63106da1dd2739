/**
 * Test infrastructure: `npm run fake:stripe -- --port 12111 [--webhook-url URL --webhook-secret whsec_…]`
 * runs the fake Stripe API for the local sandbox. Point billing at it with STRIPE_API_URL=http://127.0.0.1:12111.
 */
import { parseCommandLine } from "../../lib/cli.js";
import { startFakeStripe } from "./server.js";

const { values } = parseCommandLine({
  name: "fake:stripe",
  usage:
    "usage: npm run fake:stripe -- [--port <port, default 12111>] [--host <address>] [--webhook-url <url> --webhook-secret <whsec_…>]",
  options: {
    port: { type: "string", default: "12111" },
    host: { type: "string", default: "127.0.0.1" },
    "webhook-url": { type: "string" },
    "webhook-secret": { type: "string" },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer 0-65535, got "${values.port}"`);
  process.exit(2);
}
if (Boolean(values["webhook-url"]) !== Boolean(values["webhook-secret"])) {
  console.error("--webhook-url and --webhook-secret go together");
  process.exit(2);
}
const fake = await startFakeStripe({
  port,
  host: values.host,
  ...(values["webhook-url"]
    ? { webhook: { url: values["webhook-url"], secret: values["webhook-secret"]! } }
    : {}),
});
console.log(
  JSON.stringify({ msg: "fake Stripe listening (test infrastructure, not Stripe)", url: fake.url }),
);
// Stop once: a second signal while stopping must not close the server twice.
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void fake.stop().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
