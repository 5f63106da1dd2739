// The account pages' one script (issue 17, ADR 0280). A form with data-api="/v1/account/…" is sent to the
// JSON API instead of being submitted: its named fields become the JSON body, the CSRF token from
// <meta name="csrf-token"> goes in the X-CSRF-Token header. On success, data-success says what happens
// ("redirect:/path", "show:<element id>", "reload"). On failure the API's {error:{code,message}} is shown
// next to the field it names (a message starting with "<field>:") or next to the button — never silently.

(() => {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');

  function bodyOf(form) {
    const body = {};
    for (const element of form.elements) {
      if (!element.name || element.disabled) continue;
      if (element.type === "checkbox") body[element.name] = element.checked;
      else if (element.type === "number")
        body[element.name] = element.value === "" ? null : Number(element.value);
      else body[element.name] = element.value;
    }
    return body;
  }

  function clearErrors(form) {
    for (const slot of form.querySelectorAll("[data-error-for]")) {
      slot.textContent = "";
      slot.hidden = true;
    }
    for (const field of form.querySelectorAll('[aria-invalid="true"]')) field.removeAttribute("aria-invalid");
  }

  function showError(form, message) {
    const named = /^([A-Za-z][\w.]*):\s*(.*)$/s.exec(message);
    const fieldName = named ? named[1].split(".")[0] : "";
    const field = fieldName ? form.elements.namedItem(fieldName) : null;
    const fieldSlot = field ? form.querySelector(`[data-error-for="${CSS.escape(fieldName)}"]`) : null;
    if (field && fieldSlot && field.type !== "hidden") {
      fieldSlot.textContent = named[2] || message;
      fieldSlot.hidden = false;
      field.setAttribute("aria-invalid", "true");
      field.focus();
      return;
    }
    const slot = form.querySelector('[data-error-for=""]');
    if (slot) {
      slot.textContent = message;
      slot.hidden = false;
    } else {
      // A form without an error slot is a page bug; still, the person must see the failure.
      window.alert(message);
    }
  }

  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (body?.error?.message) return body.error.message;
    } catch {
      // not JSON: fall through to the status line
    }
    return `The server answered ${response.status} ${response.statusText || ""}`.trim();
  }

  function succeed(form, action) {
    const [kind, target] = (action || "reload").split(/:(.*)/s);
    if (kind === "redirect" && target?.startsWith("/") && !target.startsWith("//")) {
      window.location.assign(target);
    } else if (kind === "show" && target) {
      const panel = document.getElementById(target);
      form.hidden = true;
      if (panel) {
        panel.hidden = false;
        panel.focus();
      }
    } else {
      window.location.reload();
    }
  }

  async function submit(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
    event.preventDefault();
    clearErrors(form);
    const buttons = form.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const headers = { "content-type": "application/json", accept: "application/json" };
      if (csrfMeta) headers["x-csrf-token"] = csrfMeta.content;
      const response = await fetch(form.dataset.api, {
        method: form.dataset.method || "POST",
        headers,
        body: JSON.stringify(bodyOf(form)),
        credentials: "same-origin",
      });
      if (response.ok) {
        succeed(form, form.dataset.success);
        return;
      }
      showError(form, await errorMessage(response));
    } catch (error) {
      showError(
        form,
        `The request could not be sent (${error.message}). Check your connection and try again.`,
      );
    } finally {
      for (const button of buttons) button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  }

  document.addEventListener("submit", submit);
})();
