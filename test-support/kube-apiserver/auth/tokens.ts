/**
 * ServiceAccount tokens like kube-apiserver's bound tokens (TokenRequest API): ES256 JWTs signed with a key
 * generated at start, issuer and audience `https://kubernetes.default.svc.cluster.local`, `sub`
 * `system:serviceaccount:<ns>:<name>`, and the `kubernetes.io` claim naming the namespace and the
 * ServiceAccount's name and uid. Verification checks signature, issuer, audience, expiry (against the
 * server's clock) — the caller then checks the ServiceAccount still exists with that uid.
 */
import { randomUUID } from "node:crypto";
import { type CryptoKey, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT } from "jose";
import type { Clock } from "../../../lib/clock.js";

/** kube's default --service-account-issuer and --api-audiences on GKE-like clusters. */
export const API_AUDIENCE = "https://kubernetes.default.svc.cluster.local";
export const ISSUER = API_AUDIENCE;
/** kube refuses TokenRequests below 10 minutes. */
export const MIN_EXPIRATION_SECONDS = 600;

export interface ServiceAccountRef {
  namespace: string;
  name: string;
  uid: string;
}

export interface IssuedToken {
  token: string;
  expirationTimestamp: Date;
  audiences: string[];
}

interface KubernetesClaim {
  namespace: string;
  serviceaccount: { name: string; uid: string };
}

export class ServiceAccountTokens {
  readonly #clock: Clock;
  readonly #keyId = randomUUID();
  #keys: { privateKey: CryptoKey; publicKey: CryptoKey } | undefined;
  /** Tokens already verified once: signature checks cost far more than the request they guard. */
  readonly #verified = new Map<string, { sa: ServiceAccountRef; expiresAt: number }>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async #keyPair() {
    this.#keys ??= await generateKeyPair("ES256");
    return this.#keys;
  }

  async issue(
    sa: ServiceAccountRef,
    expirationSeconds: number,
    audiences = [API_AUDIENCE],
  ): Promise<IssuedToken> {
    if (!Number.isInteger(expirationSeconds) || expirationSeconds <= 0)
      throw new Error(`expirationSeconds must be a positive integer, got ${expirationSeconds}`);
    const now = Math.floor(this.#clock.now().getTime() / 1000);
    const exp = now + expirationSeconds;
    const claim: KubernetesClaim = {
      namespace: sa.namespace,
      serviceaccount: { name: sa.name, uid: sa.uid },
    };
    const token = await new SignJWT({ "kubernetes.io": claim })
      .setProtectedHeader({ alg: "ES256", kid: this.#keyId })
      .setIssuer(ISSUER)
      .setSubject(`system:serviceaccount:${sa.namespace}:${sa.name}`)
      .setAudience(audiences)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign((await this.#keyPair()).privateKey);
    return { token, expirationTimestamp: new Date(exp * 1000), audiences };
  }

  /** The ServiceAccount a token names, or undefined when it is not one of ours, tampered with or expired. */
  async verify(token: string): Promise<ServiceAccountRef | undefined> {
    const now = this.#clock.now().getTime();
    const cached = this.#verified.get(token);
    if (cached) return cached.expiresAt > now ? cached.sa : undefined;
    try {
      if (decodeProtectedHeader(token).kid !== this.#keyId) return undefined;
      const { payload } = await jwtVerify(token, (await this.#keyPair()).publicKey, {
        issuer: ISSUER,
        audience: API_AUDIENCE,
        algorithms: ["ES256"],
        currentDate: new Date(now),
      });
      const claim = payload["kubernetes.io"] as KubernetesClaim | undefined;
      const sa = claim?.serviceaccount;
      if (
        !claim ||
        typeof claim.namespace !== "string" ||
        typeof sa?.name !== "string" ||
        typeof sa.uid !== "string"
      )
        return undefined;
      const ref = { namespace: claim.namespace, name: sa.name, uid: sa.uid };
      if (this.#verified.size > 10_000) this.#verified.clear();
      this.#verified.set(token, { sa: ref, expiresAt: (payload.exp ?? 0) * 1000 });
      return ref;
    } catch {
      return undefined;
    }
  }
}
