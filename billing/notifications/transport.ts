/**
 * The nodemailer transport for the configured relay: pooled connections (the sender sends many messages
 * in a pass) and short timeouts, because the sender holds a message's row lock while SMTP answers (ADR 0210).
 */
import nodemailer, { type Transporter } from "nodemailer";
import type { SmtpConfig } from "../config.js";

export const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

export function createSmtpTransport(smtp: SmtpConfig, options: { pool?: boolean } = {}): Transporter {
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.port === 465,
    // A password never crosses the network in clear: with credentials, STARTTLS is required.
    ...(smtp.auth ? { auth: smtp.auth, requireTLS: smtp.port !== 465 } : {}),
    pool: options.pool ?? true,
    maxConnections: 2,
    ...SMTP_TIMEOUTS,
  });
}
