/**
 * Email templates: pure functions from a message's data to subject, text and HTML. Every value is escaped
 * in the HTML; the HTML loads nothing (no images, stylesheets, fonts or scripts: mail clients block them
 * and they would tell a tracker when a message was read). Links point only at this service's own pages.
 * No template takes a license key: the receipt links to the success page, where the key is revealed once
 * (POST, bound to the buying browser, 24 h: ADR 0171).
 */
import { escapeHtml } from "../http/escape-html.js";

export const NOTIFICATION_KINDS = [
  "purchase_receipt",
  "payment_failed",
  "license_expiring",
  "license_suspended",
  "license_revoked",
  "key_rotated",
  // Templates only until teams land (issue 16 §1): nothing enqueues these yet.
  "invitation",
  "seat_assigned",
  "seat_unassigned",
  "workstation_ready",
  // Customer sign-in by email (billing/accounts/auth, ADR 0220): the one-time link is the message's only secret.
  "sign_in_link",
  // An admin created a license for this person (ADR 0251): where to sign in; never the key.
  "welcome",
  // Issue 16 §2 (billing/stripe): the subscription lifecycle.
  "workstation_removed",
  "trial_ending",
  "payment_action_required",
  "dispute_opened",
  "dispute_closed",
  "payment_suspended",
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export type TemplateData = Record<string, string | number | null>;

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const PRODUCT = "Coditect";

const str = (data: TemplateData, key: string): string => {
  const value = data[key];
  if (value === undefined || value === null || value === "") {
    throw new Error(`notification data lacks ${key}`);
  }
  return String(value);
};

/** Dates are stored as ISO strings; mail shows the UTC day and time without locale surprises. */
const day = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

interface Body {
  subject: string;
  /** Paragraphs of plain text; `link` entries become a link in HTML and a bare URL in text. */
  paragraphs: (string | { link: string; label: string })[];
}

function bodyFor(kind: NotificationKind, d: TemplateData): Body {
  const org = () => str(d, "organization");
  switch (kind) {
    case "purchase_receipt":
      return {
        subject: `Your ${PRODUCT} ${str(d, "tier")} license for ${org()}`,
        paragraphs: [
          `Thank you for your purchase. License ${str(d, "licenseId")} (${str(d, "tier")}) for ${org()} is active.`,
          "Reveal your license key once, from the browser you bought with, within 24 hours of the purchase:",
          { link: str(d, "revealUrl"), label: "Reveal your license key" },
          "This email does not contain the key. If the link has expired, an administrator can rotate the key for you.",
        ],
      };
    case "payment_failed":
      return {
        subject: `Payment failed for your ${PRODUCT} license for ${org()}`,
        paragraphs: [
          `We could not collect the payment for license ${str(d, "licenseId")} (${org()}).`,
          `Access continues until ${day(str(d, "accessEndsAt"))}. Update your payment method before then to keep it.`,
        ],
      };
    case "license_expiring":
      return {
        subject: `Your ${PRODUCT} license for ${org()} expires in ${str(d, "days")} day${d.days === 1 ? "" : "s"}`,
        paragraphs: [
          `License ${str(d, "licenseId")} (${org()}) expires on ${day(str(d, "expiresAt"))}.`,
          "Renew or extend it before then to keep your containers and workstations running.",
        ],
      };
    case "license_suspended":
      return {
        subject: `Your ${PRODUCT} license for ${org()} is suspended`,
        paragraphs: [
          `License ${str(d, "licenseId")} (${org()}) was suspended on ${day(str(d, "at"))}. Running sessions have ended.`,
          "Contact support to have it reinstated.",
        ],
      };
    case "license_revoked":
      return {
        subject: `Your ${PRODUCT} license for ${org()} was revoked`,
        paragraphs: [
          `License ${str(d, "licenseId")} (${org()}) was revoked on ${day(str(d, "at"))}. Running sessions have ended.`,
        ],
      };
    case "key_rotated":
      return {
        subject: `The key of your ${PRODUCT} license for ${org()} was replaced`,
        paragraphs: [
          `The key of license ${str(d, "licenseId")} (${org()}) was replaced on ${day(str(d, "at"))}; the old key no longer works and containers started with it have stopped.`,
          "The new key was handed to the person who requested the rotation; this email does not contain it.",
        ],
      };
    case "invitation":
      return {
        subject: `${str(d, "inviter")} invited you to ${org()} on ${PRODUCT}`,
        paragraphs: [
          `${str(d, "inviter")} invited you to join ${org()} as ${str(d, "role")}. The invitation expires on ${day(str(d, "expiresAt"))}.`,
          { link: str(d, "acceptUrl"), label: "Accept the invitation" },
        ],
      };
    case "seat_assigned":
      return {
        subject: `You have a ${PRODUCT} seat in ${org()}`,
        paragraphs: [`You were given a seat on license ${str(d, "licenseId")} (${org()}).`],
      };
    case "seat_unassigned":
      return {
        subject: `Your ${PRODUCT} seat in ${org()} was removed`,
        paragraphs: [
          `Your seat on license ${str(d, "licenseId")} (${org()}) was removed; your sessions on it have ended.`,
        ],
      };
    case "workstation_ready":
      return {
        subject: `Your ${PRODUCT} workstation is ready`,
        paragraphs: [
          `Workstation ${str(d, "workstation")} in ${org()} is ready.`,
          { link: str(d, "accessUrl"), label: "Open your workstation" },
        ],
      };
    case "sign_in_link":
      return {
        subject: `Sign in to ${PRODUCT}`,
        paragraphs: [
          `Use this link to sign in. It works once and expires on ${day(str(d, "expiresAt"))}.`,
          { link: str(d, "signInUrl"), label: "Sign in" },
          "If you did not ask to sign in, ignore this email: nobody can sign in without the link.",
        ],
      };
    case "welcome":
      return {
        subject: `Welcome to ${PRODUCT}: a ${str(d, "tier")} license for ${org()}`,
        paragraphs: [
          `A ${PRODUCT} administrator set up license ${str(d, "licenseId")} (${str(d, "tier")}) for ${org()}, with you as its contact${d.expiresAt ? `, until ${day(String(d.expiresAt))}` : ""}.`,
          "Sign in with this email address to see the license, invite your team and assign seats and workstations:",
          { link: str(d, "signInUrl"), label: "Sign in to your account" },
          "This email does not contain the license key: the administrator who created the license hands it to you, or an owner can rotate it after signing in.",
        ],
      };
    case "workstation_removed":
      return {
        subject: `Your ${PRODUCT} workstation in ${org()} was removed`,
        paragraphs: [
          `Workstation ${str(d, "workstation")} in ${org()} was removed because the subscription now includes fewer workstations; your access has ended and it was stopped.`,
          `It will be deleted on ${day(str(d, "deleteAfter"))}. Ask an owner of ${org()} to raise the number of workstations before then to keep it.`,
        ],
      };
    case "trial_ending":
      return {
        subject: `Your ${PRODUCT} trial for ${org()} ends soon`,
        paragraphs: [
          `The trial of license ${str(d, "licenseId")} (${org()}) ends on ${day(str(d, "trialEndsAt"))}.`,
          "Add a payment method before then to keep access without interruption.",
          { link: str(d, "accountUrl"), label: "Manage the subscription" },
        ],
      };
    case "payment_action_required":
      return {
        subject: `Confirm the payment for your ${PRODUCT} license for ${org()}`,
        paragraphs: [
          `Your bank asks you to confirm the payment for license ${str(d, "licenseId")} (${org()}).`,
          { link: str(d, "invoiceUrl"), label: "Confirm the payment" },
          "Until it is confirmed the payment counts as failed.",
        ],
      };
    case "dispute_opened":
      return {
        subject: `A payment for your ${PRODUCT} license for ${org()} is disputed`,
        paragraphs: [
          `A payment for license ${str(d, "licenseId")} (${org()}) was disputed with your bank on ${day(str(d, "at"))}. The license is suspended while the dispute is open.`,
          "If you did not mean to dispute it, withdraw the dispute with your bank; the license is restored when it closes in our favour.",
        ],
      };
    case "payment_suspended":
      return {
        subject: `Your ${PRODUCT} license for ${org()} is suspended for non-payment`,
        paragraphs: [
          `We could not collect the payment for license ${str(d, "licenseId")} (${org()}) after ${str(d, "attempts")} attempts, so it is suspended and running sessions have ended.`,
          "Update your payment method: the license is active again as soon as the invoice is paid.",
          { link: str(d, "accountUrl"), label: "Manage the subscription" },
        ],
      };
    case "dispute_closed":
      return {
        subject: `The payment dispute for your ${PRODUCT} license for ${org()} is closed`,
        paragraphs: [
          str(d, "won") === "yes"
            ? `The dispute about a payment for license ${str(d, "licenseId")} (${org()}) was closed in our favour; the license is active again.`
            : `The dispute about a payment for license ${str(d, "licenseId")} (${org()}) was decided for the cardholder; the license is revoked.`,
        ],
      };
  }
}

/** Renders one message. Throws when the data lacks a field the template needs (the sender marks it failed). */
export function renderNotification(kind: NotificationKind, data: TemplateData): RenderedEmail {
  const body = bodyFor(kind, data);
  const text = `${body.paragraphs
    .map((p) => (typeof p === "string" ? p : `${p.label}: ${p.link}`))
    .join("\n\n")}\n\n-- \n${PRODUCT}\n`;
  const paragraphs = body.paragraphs
    .map((p) =>
      typeof p === "string"
        ? `<p>${escapeHtml(p)}</p>`
        : `<p><a href="${escapeHtml(p.link)}">${escapeHtml(p.label)}</a></p>`,
    )
    .join("\n");
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(body.subject)}</title></head>
<body style="font-family: sans-serif; line-height: 1.5">
${paragraphs}
<p style="color: #666">${PRODUCT}</p>
</body></html>
`;
  return { subject: body.subject, text, html };
}
