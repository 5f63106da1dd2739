/**
 * The HTTP server around the app (ADR 0123). Node's own parser refuses some requests before Express sees
 * them (a bad request line, control characters in a header, a bad Content-Length, headers too large); by
 * default Node answers those with an empty body. Here they get the API's error shape where the socket still
 * allows it. Header and request timeouts bound how long a client may take to send its request, so a
 * Content-Length larger than the body sent does not hold the connection.
 */
import {
  createServer,
  type RequestListener,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";

export interface HttpTimeouts {
  /** Time to receive the request headers. */
  headersTimeoutMs: number;
  /** Time to receive the whole request (headers and body). */
  requestTimeoutMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 };

/** Node's limit, stated so it is a decision: larger headers are answered 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

export interface ClientErrorAnswer {
  status: number;
  code: string;
  message: string;
}

/** What to answer for one of Node's parser or timeout errors (err.code), as the API's error. */
export function describeClientError(errorCode: string | undefined): ClientErrorAnswer {
  switch (errorCode) {
    case "HPE_HEADER_OVERFLOW":
      return {
        status: 431,
        code: "headers_too_large",
        message: `request headers exceed ${MAX_HEADER_BYTES} bytes`,
      };
    case "ERR_HTTP_REQUEST_TIMEOUT":
    case "ERR_HTTP_HEADERS_TIMEOUT":
      return {
        status: 408,
        code: "request_timeout",
        message: "the request was not received in time (is Content-Length larger than the body?)",
      };
    case "HPE_INVALID_CONTENT_LENGTH":
    case "HPE_UNEXPECTED_CONTENT_LENGTH":
    case "HPE_INVALID_TRANSFER_ENCODING":
    case "HPE_INVALID_CHUNK_SIZE":
      return {
        status: 400,
        code: "invalid_content_length",
        message: "Content-Length or Transfer-Encoding is invalid or contradictory",
      };
    case "HPE_INVALID_HEADER_TOKEN":
    case "HPE_LF_EXPECTED":
    case "HPE_CR_EXPECTED":
      return {
        status: 400,
        code: "invalid_header",
        message: "a request header is malformed (control characters or invalid name)",
      };
    default:
      return {
        status: 400,
        code: "malformed_request",
        message: "the request is not valid HTTP/1.1 (request line, headers or framing)",
      };
  }
}

function answerClientError(socket: Duplex, answer: ClientErrorAnswer): void {
  const body = JSON.stringify({ error: { code: answer.code, message: answer.message } });
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n` +
      "Content-Type: application/json; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Connection: close\r\n\r\n" +
      body,
  );
}

export function createHttpServer(
  app: RequestListener,
  logger: Logger,
  timeouts: HttpTimeouts = DEFAULT_HTTP_TIMEOUTS,
): Server {
  const server = createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      // Node enforces both timeouts on this tick (default 30 s, which would double a 30 s timeout).
      connectionsCheckingInterval: Math.min(1_000, timeouts.headersTimeoutMs),
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    app,
  );
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A response already under way (the app answered, then the client misbehaved) cannot be replaced.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const answer = describeClientError(err.code);
    logger.info({ code: err.code, status: answer.status }, "request refused by the HTTP parser");
    answerClientError(socket, answer);
  });
  return server;
}
