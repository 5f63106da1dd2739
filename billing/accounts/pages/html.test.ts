import { describe, expect, it } from "vitest";
import { escapeHtml } from "../../http/escape-html.js";
import { html, SafeHtml } from "./html.js";

describe("html", () => {
  it("escapes every interpolated string, in text and in attribute values", () => {
    const evil = `"><script>alert('x')</script>&\``;
    const out = html`<p title="${evil}">${evil}</p>`.toString();
    expect(out).toBe(
      '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;</p>',
    );
    expect(out).not.toContain("<script>");
  });

  it("keeps nested templates as markup and escapes the values inside them once", () => {
    const item = (name: string) => html`<li>${name}</li>`;
    const out = html`<ul>${["a&b", "<c>"].map(item)}</ul>`.toString();
    expect(out).toBe("<ul><li>a&amp;b</li><li>&lt;c&gt;</li></ul>");
  });

  it("renders nothing for undefined, null and false, and numbers and true as text", () => {
    expect(html`[${undefined}${null}${false}]`.toString()).toBe("[]");
    expect(html`${3} ${true}`.toString()).toBe("3 true");
  });

  it("does not treat a string that looks like markup, or an object with toString, as safe", () => {
    const sneaky = { toString: () => "<b>" } as unknown as string;
    expect(html`${sneaky}`.toString()).toBe("&lt;b&gt;");
    expect(html`${new SafeHtml("<b>")}`.toString()).toBe("<b>");
  });

  it("escapeHtml leaves plain text alone", () => {
    expect(escapeHtml("alice@example.com")).toBe("alice@example.com");
  });
});
