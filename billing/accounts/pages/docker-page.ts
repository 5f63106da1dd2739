/**
 * The Docker access page (issue 17): how to pull the licensed images with the license key — through the
 * credential helper (tools/docker-credential-coditect) or with a token from POST /v1/registry/token — as
 * in docs/customer-docker.md, filled in with this server's registry, license server and the repositories the
 * organization's tiers include (billing/registry/tiers.ts). The key itself never appears here: it is shown
 * once (key page). Copy buttons are progressive: without the script the commands are plain selectable text.
 */
import type { LicenseTier } from "../../../lib/domain.js";
import { tierRepositories } from "../../registry/tiers.js";
import { html, type SafeHtml } from "./html.js";

export interface DockerPageInput {
  organization: string;
  tiers: readonly LicenseTier[];
  /** This server's public URL: the license server the helper and curl talk to. */
  licenseServer: string;
  /** REGISTRY_HOST and REGISTRY_REPOSITORY_PREFIX; undefined when this server issues no registry credentials. */
  registry: { host: string; repositoryPrefix: string } | undefined;
  nav: SafeHtml;
}

function command(id: string, label: string, text: string): SafeHtml {
  return html`<figure class="command">
<figcaption id="${id}-label">${label}</figcaption>
<pre tabindex="0" aria-labelledby="${id}-label"><code id="${id}">${text}</code></pre>
<p><button type="button" class="button-secondary" data-copy="${id}" aria-describedby="${id}-label" hidden>Copy</button>
<span class="copy-status" role="status"></span></p>
</figure>`;
}

export function dockerBody(input: DockerPageInput): SafeHtml {
  const withImages = [...new Set(input.tiers)].filter((t) => tierRepositories(t, "").length > 0);
  if (!input.registry) {
    return html`${input.nav}<p>This server does not issue registry credentials. Ask CODITECT support how to
reach the licensed images.</p>`;
  }
  if (withImages.length === 0) {
    return html`${input.nav}<p>The licenses of ${input.organization} do not include the licensed container
images (Starter). Pro includes the base images, Enterprise the base and extended images.</p>`;
  }
  const { host, repositoryPrefix } = input.registry;
  const repositories = [...new Set(withImages.flatMap((t) => tierRepositories(t, repositoryPrefix)))];
  const server = input.licenseServer;
  return html`${input.nav}
<p>Your license key is your registry credential: the license server exchanges it for a short-lived pull
token. Images: ${repositories.map((r, i) => html`${i > 0 ? ", " : ""}<code>${host}/${r}</code>`)}.</p>
<section aria-labelledby="key-heading">
<h2 id="key-heading">1. Keep the key in a file</h2>
${command(
  "cmd-key-file",
  "Store the license key (shown once at checkout or after a rotation) readable only by you:",
  "mkdir -p ~/.config/coditect && umask 077 && printf '%s' 'CODITECT-…' > ~/.config/coditect/license-key",
)}
</section>
<section aria-labelledby="helper-heading">
<h2 id="helper-heading">2. Log in with the credential helper (recommended)</h2>
<p><code>docker-credential-coditect</code> (one file, Node.js 18 or later) fetches a fresh token whenever Docker
needs one. Install it, then tell Docker to use it for the registry:</p>
${command("cmd-helper-install", "Install the helper:", "sudo install -m 0755 docker-credential-coditect /usr/local/bin/")}
${command("cmd-helper-config", "In ~/.docker/config.json:", `{ "credHelpers": { "${host}": "coditect" } }`)}
${command(
  "cmd-helper-server",
  "Point it at this license server and check it:",
  `export CODITECT_LICENSE_SERVER=${server}\necho ${host} | docker-credential-coditect get`,
)}
</section>
<section aria-labelledby="token-heading">
<h2 id="token-heading">Or: log in with a token</h2>
<p>A token lasts at most an hour; log in again when it is over.</p>
${command(
  "cmd-token",
  "Ask the license server for a token and log in with it:",
  `curl -fsS -X POST -H "Authorization: Bearer $(cat ~/.config/coditect/license-key)" \\\n  ${server}/v1/registry/token > token.json\njq -r .secret token.json | docker login -u "$(jq -r .username token.json)" --password-stdin ${host}\nrm token.json`,
)}
</section>
<section aria-labelledby="run-heading">
<h2 id="run-heading">3. Pull and run</h2>
${command(
  "cmd-run",
  "Pull by digest (from the release notes) and run with the key (each container holds a seat):",
  `docker run --rm -e CODITECT_LICENSE_KEY="$(cat ~/.config/coditect/license-key)" \\\n  ${host}/${repositories[0]}/coditect-docker@sha256:<digest>`,
)}
</section>`;
}
