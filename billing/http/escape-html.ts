/**
 * Text → HTML text or quoted attribute value: the one escaper for every page and email billing renders
 * (the account pages' `html` template, the checkout success page, notification emails). The backtick is
 * escaped too because old IE treated it as an attribute quote; browsers render `&#96;` as the character.
 */
const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}
