/**
 * HTML escaping by construction for the account pages (issue 17, ADR 0280): `html` is a tagged template
 * whose every interpolation is escaped unless it is already `SafeHtml` (the result of another `html`
 * template). There is no way to splice a string in unescaped: markup only comes from template literals in
 * our source. Arrays are joined, `undefined`/`null`/`false` render nothing, so conditionals read
 * `${cond && html`…`}`.
 */
import { escapeHtml } from "../../http/escape-html.js";

/** Markup that is safe to emit as is: built by `html` (every value escaped) or declared constant. */
export class SafeHtml {
  readonly #markup: string;
  constructor(markup: string) {
    this.#markup = markup;
  }
  toString(): string {
    return this.#markup;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}
