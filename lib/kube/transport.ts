/**
 * HTTP for the Kubernetes client: one undici Pool per client (keep-alive connections to the API server,
 * TLS from the KubeConnection), auth headers per request, the per-request timeout, the one retry of a
 * request that died on a reused keep-alive connection before any answer, and the mapping of answers and
 * failures to KubeApiError / KubeConnectionError (ADR 0310, 0311).
 */
import { Pool } from "undici";
import type { KubeConnection } from "./connection.js";
import { KubeApiError, KubeConnectionError } from "./errors.js";
import type { Status } from "./objects.js";

export interface TransportOptions {
  userAgent: string;
  requestTimeoutMs: number;
  connections: number;
}

export interface KubeRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path under the server (starts with /). */
  path: string;
  query?: URLSearchParams | undefined;
  /** Sent as JSON (a string is sent as is). */
  body?: unknown;
  contentType?: string;
}

type ResponseBody = Awaited<ReturnType<Pool["request"]>>["body"];

export interface StreamingAnswer {
  body: ResponseBody;
}

const RETRYABLE_SOCKET_CODES = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

/**
 * Whether a request that failed before any answer may be sent once more (pure). Like Go's transport:
 * only when the failure was on a connection that had already carried answers — the server closed an idle
 * keep-alive connection just as we reused it — never when a fresh connection failed (the server is down
 * or refuses us; sending again would only double the wait). undici's SocketError tells how many bytes the
 * socket had read; a bare ECONNRESET/EPIPE does not, so then "this pool has had answers" stands in.
 */
export function isReusedConnectionFailure(error: unknown, poolHadAnswers: boolean): boolean {
  const failure = error as { code?: unknown; socket?: { bytesRead?: unknown } } | undefined;
  if (typeof failure?.code !== "string" || !RETRYABLE_SOCKET_CODES.has(failure.code)) return false;
  const bytesRead = failure.socket?.bytesRead;
  return typeof bytesRead === "number" ? bytesRead > 0 : poolHadAnswers;
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), else from the Status body (pure). */
export function retryAfterSeconds(
  header: string | string[] | undefined,
  status: Status | undefined,
  now: number = Date.now(),
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value !== undefined && value.trim() !== "") {
    if (/^\d+$/.test(value.trim())) return Number(value.trim());
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - now) / 1000));
  }
  const fromBody = status?.details?.retryAfterSeconds;
  return typeof fromBody === "number" ? fromBody : undefined;
}

/** The KubeApiError for a ≥ 400 answer (pure): the Status body's reason and message when it is one. */
export function apiErrorFrom(
  statusCode: number,
  retryAfterHeader: string | string[] | undefined,
  text: string,
  request: string,
): KubeApiError {
  let status: Status | undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === "object" && (parsed as Status).kind === "Status")
      status = parsed as Status;
  } catch {
    // Not JSON (a proxy's HTML page, a load balancer's text): the message below quotes it.
  }
  const message =
    status?.message ??
    `${request}: HTTP ${statusCode}${text.trim() ? `: ${text.trim().slice(0, 200)}` : " with no body"}`;
  return new KubeApiError(
    statusCode,
    status?.reason,
    message,
    retryAfterSeconds(retryAfterHeader, status),
    status,
    request,
  );
}

export class KubeTransport {
  readonly #pool: Pool;
  /** Watches have their own pool: each holds a connection for minutes and must not starve requests. */
  readonly #watchPool: Pool;
  readonly #prefix: string;
  #answered = false;
  readonly #watches = new Set<AbortController>();

  constructor(
    readonly connection: KubeConnection,
    readonly options: TransportOptions,
  ) {
    const url = new URL(connection.server);
    this.#prefix = url.pathname.replace(/\/+$/, "");
    const connect = {
      ...(connection.caPem ? { ca: connection.caPem } : {}),
      ...(connection.clientCertPem ? { cert: connection.clientCertPem } : {}),
      ...(connection.clientKeyPem ? { key: connection.clientKeyPem } : {}),
      rejectUnauthorized: connection.insecureSkipTlsVerify !== true,
    };
    this.#pool = new Pool(url.origin, { connections: options.connections, connect });
    this.#watchPool = new Pool(url.origin, { connect });
  }

  /** A request whose answer is JSON (or nothing, for 204): ≥ 400 throws KubeApiError. */
  async json<T>(request: KubeRequest): Promise<T> {
    const label = `${request.method} ${request.path}`;
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs);
    const answer = await this.#send(request, label, timeout, false);
    let text: string;
    try {
      text = await answer.body.text();
    } catch (error) {
      throw this.#connectionError(error, label, timeout);
    }
    if (answer.statusCode >= 400) {
      throw apiErrorFrom(answer.statusCode, answer.headers["retry-after"], text, label);
    }
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new KubeConnectionError(
        `${label} to ${this.connection.description}: answer ${answer.statusCode} is not JSON: ${text.slice(0, 120)}`,
        label,
      );
    }
  }

  /** A long request (watch): the answer's body as a stream; ≥ 400 throws KubeApiError. */
  async stream(request: KubeRequest, signal: AbortSignal | undefined): Promise<StreamingAnswer> {
    const label = `${request.method} ${request.path}`;
    const answer = await this.#send(request, label, signal, true);
    if (answer.statusCode >= 400) {
      const text = await answer.body.text().catch(() => "");
      throw apiErrorFrom(answer.statusCode, answer.headers["retry-after"], text, label);
    }
    return { body: answer.body };
  }

  /**
   * A signal for one watch: aborted by the caller's `signal` or by close(). `release` when the watch ends.
   * close() must end watches itself: the pool waits for requests in flight, and a watch never finishes.
   */
  watchSignal(caller: AbortSignal | undefined): { signal: AbortSignal; release: () => void } {
    const own = new AbortController();
    this.#watches.add(own);
    return {
      signal: caller ? AbortSignal.any([caller, own.signal]) : own.signal,
      release: () => this.#watches.delete(own),
    };
  }

  /** Ends open watches (they resolve), waits for other requests in flight, closes the connections. */
  close(): Promise<void> {
    for (const watch of this.#watches) watch.abort();
    this.#watches.clear();
    return Promise.all([this.#pool.close(), this.#watchPool.close()]).then(() => undefined);
  }

  async #send(request: KubeRequest, label: string, signal: AbortSignal | undefined, long: boolean) {
    let auth: Record<string, string>;
    try {
      auth = (await this.connection.authHeaders?.()) ?? {};
    } catch (error) {
      // No credentials (an unreadable token file, a failing exec plugin): the request was never sent.
      throw this.#connectionError(error, label, undefined);
    }
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": this.options.userAgent,
      ...auth,
    };
    let body: string | undefined;
    if (request.body !== undefined) {
      body = typeof request.body === "string" ? request.body : JSON.stringify(request.body);
      headers["content-type"] = request.contentType ?? "application/json";
    }
    const query = request.query?.toString();
    const options = {
      method: request.method,
      path: `${this.#prefix}${request.path}${query ? `?${query}` : ""}`,
      headers,
      body,
      signal,
      // A watch may stay quiet for minutes; ordinary requests are bounded by `signal` (requestTimeoutMs).
      ...(long ? { headersTimeout: 0, bodyTimeout: 0 } : {}),
    };
    try {
      const answer = await this.#dispatchOnceMore(long ? this.#watchPool : this.#pool, options);
      this.#answered = true;
      return answer;
    } catch (error) {
      throw this.#connectionError(error, label, signal);
    }
  }

  async #dispatchOnceMore(
    pool: Pool,
    options: Parameters<Pool["request"]>[0] & { signal: AbortSignal | undefined },
  ) {
    try {
      return await pool.request(options);
    } catch (error) {
      // A POST retried here may already have been stored by the server: it then answers 409 AlreadyExists,
      // which callers of create() already handle (ADR 0311).
      if (options.signal?.aborted || !isReusedConnectionFailure(error, this.#answered)) throw error;
      return await pool.request(options);
    }
  }

  #connectionError(error: unknown, label: string, signal: AbortSignal | undefined): KubeConnectionError {
    if (error instanceof KubeConnectionError) return error;
    const reason = signal?.aborted ? (signal.reason as { name?: string } | undefined) : undefined;
    const why =
      reason?.name === "TimeoutError"
        ? `no answer within ${this.options.requestTimeoutMs} ms`
        : signal?.aborted
          ? "aborted"
          : (error as Error)?.message || String(error);
    return new KubeConnectionError(`${label} to ${this.connection.description}: ${why}`, label, {
      cause: error,
    });
  }
}
