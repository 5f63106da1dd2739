// The account pages' one script (issue 17, ADR 0280). A form with data-api="/v1/account/…" is sent to the
// JSON API instead of being submitted: its named fields become the JSON body, the CSRF token from
// <meta name="csrf-token"> goes in the X-CSRF-Token header. On success, data-success says what happens
// ("redirect:/path", "show:<element id>", "reload"). On failure the API's {error:{code,message}} is shown
// next to the field it names (a message starting with "<field>:") or next to the button — never silently.
// More success actions: "open-url" goes to the answer's {url} (Stripe's billing portal), "reveal:<id>"
// writes the answer's fields into the [data-from] elements of panel <id> and shows it (a key shown once).
// data-confirm asks before sending; a button with data-copy="<id>" copies that element's text.

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

  function succeed(form, action, answer) {
    const [kind, target] = (action || "reload").split(/:(.*)/s);
    if (kind === "redirect" && target?.startsWith("/") && !target.startsWith("//")) {
      window.location.assign(target);
    } else if (kind === "open-url") {
      const url = typeof answer?.url === "string" ? new URL(answer.url, window.location.href) : null;
      if (url && (url.protocol === "https:" || url.protocol === "http:")) window.location.assign(url.href);
      else showError(form, "The server's answer had no address to open.");
    } else if (kind === "reveal" && target) {
      const panel = document.getElementById(target);
      if (!panel) return;
      for (const slot of panel.querySelectorAll("[data-from]")) {
        slot.textContent = String(answer?.[slot.dataset.from] ?? "");
      }
      form.hidden = true;
      panel.hidden = false;
      panel.focus();
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
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
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
        const type = response.headers.get("content-type") || "";
        succeed(form, form.dataset.success, type.includes("json") ? await response.json() : undefined);
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

  async function copy(event) {
    const button = event.target instanceof Element ? event.target.closest("button[data-copy]") : null;
    const source = button && document.getElementById(button.dataset.copy);
    if (!source) return;
    const status = button.parentElement.querySelector(".copy-status");
    const say = (text) => {
      if (status) status.textContent = text;
    };
    try {
      await navigator.clipboard.writeText(source.textContent);
      say("Copied.");
    } catch {
      // No clipboard permission: select the text so one keystroke copies it.
      window.getSelection().selectAllChildren(source);
      say("Selected: press Ctrl+C (⌘C) to copy.");
    }
  }

  // Copy buttons need this script: hidden in the HTML, shown here (without it the text stays selectable).
  for (const button of document.querySelectorAll("button[data-copy]")) button.hidden = false;
  document.addEventListener("submit", submit);
  document.addEventListener("click", copy);
})();

// ---- Seats, workstations and container sessions pages (W9, issue 17) ---------------------------------
// Live state without a framework: a table with data-poll (workstations) is refreshed from the JSON API every
// 3 s while a start or stop is in progress, and stops once every row's state is its desired state (or after
// 5 minutes: then the page says to reload). A section with data-refresh (container sessions) refreshes its
// live count and rows every 10 s. Everything from the API is put in with textContent, never as markup.
(() => {
  const getJson = async (url) => {
    const response = await fetch(url, {
      headers: { accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    return response.json();
  };
  const cell = (text, label) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (label) td.dataset.label = label;
    return td;
  };

  // The same words as workstations-page.ts's stateWords.
  function stateWords(w, live) {
    if (!live) return "Unknown (the cluster could not be read)";
    const moving = w.desiredState === "Running" ? "starting" : "stopping";
    if (w.state === "unknown") return `Waiting for the operator, ${moving}…`;
    return w.state === w.desiredState ? w.state : `${w.state}, ${moving}…`;
  }

  function showAccess(slot, w) {
    slot.textContent = "";
    if (w.accessUrl && /^https?:\/\//i.test(w.accessUrl)) {
      const link = document.createElement("a");
      link.href = w.accessUrl;
      link.rel = "noopener";
      link.target = "_blank";
      link.textContent = "Open";
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = ` ${w.name} (new tab)`;
      link.append(hidden);
      slot.append(link);
    } else {
      slot.textContent = "—";
    }
  }

  function pollWorkstations(table) {
    const status = document.getElementById("workstations-status");
    const deadline = Date.now() + 5 * 60 * 1000;
    const tick = async () => {
      let settled = false;
      try {
        const { workstations, live } = await getJson(table.dataset.poll);
        for (const w of workstations) {
          const row = table.querySelector(`tr[data-workstation="${CSS.escape(w.name)}"]`);
          if (!row) continue;
          const state = row.querySelector('[data-field="state"]');
          // A start or stop elsewhere changed what is desired: the buttons are stale, reload the page.
          if (state.dataset.desired !== w.desiredState) return window.location.reload();
          state.textContent = stateWords(w, live);
          showAccess(row.querySelector('[data-field="access"]'), w);
        }
        settled = !live || workstations.every((w) => w.state === w.desiredState);
      } catch (error) {
        if (status) status.textContent = `Could not refresh the state (${error.message}); retrying.`;
      }
      if (settled) {
        table.removeAttribute("data-polling");
        if (status) status.textContent = "Up to date.";
      } else if (Date.now() > deadline) {
        table.removeAttribute("data-polling");
        if (status) status.textContent = "Still changing after 5 minutes: reload the page to check again.";
      } else {
        setTimeout(tick, 3000);
      }
    };
    setTimeout(tick, 3000);
  }

  function sessionState(s) {
    if (s.state === "active") return s.live ? "Active" : "Active, no recent heartbeat";
    return s.state.charAt(0).toUpperCase() + s.state.slice(1);
  }

  function refreshSessions(section) {
    const count = section.querySelector('[data-field="live-count"]');
    const note = section.querySelector('[data-field="refreshed"]');
    const body = section.querySelector('[data-field="sessions"]');
    const tick = async () => {
      try {
        const { live, sessions } = await getJson(section.dataset.refresh);
        count.textContent = String(live);
        const rows = sessions.map((s) => {
          const tr = document.createElement("tr");
          tr.dataset.session = s.id;
          const th = document.createElement("th");
          th.scope = "row";
          const code = document.createElement("code");
          code.textContent = s.containerId;
          const type = document.createElement("span");
          type.className = "hint";
          type.textContent = ` (${s.containerType})`;
          th.append(code, type);
          const heartbeat = cell("", "Last heartbeat");
          const time = document.createElement("time");
          time.dateTime = s.lastHeartbeatAt;
          time.textContent = `${s.lastHeartbeatAt.slice(0, 16).replace("T", " ")} UTC`;
          heartbeat.append(time);
          tr.append(
            th,
            cell(s.host ?? "—", "Host"),
            cell(s.users.length ? s.users.map((u) => u.user).join(", ") : "—", "Users"),
            heartbeat,
            cell(sessionState(s), "State"),
            cell(s.reason ?? "—", "Reason"),
          );
          return tr;
        });
        if (rows.length === 0) {
          const tr = document.createElement("tr");
          tr.dataset.empty = "true";
          const td = cell("No container session is active.");
          td.colSpan = 6;
          tr.append(td);
          rows.push(tr);
        }
        body.replaceChildren(...rows);
        note.textContent = `Refreshed at ${new Date().toLocaleTimeString()}; every 10 seconds.`;
      } catch (error) {
        note.textContent = `Could not refresh (${error.message}); retrying in 10 seconds.`;
      }
      setTimeout(tick, 10_000);
    };
    setTimeout(tick, 10_000);
  }

  for (const table of document.querySelectorAll("table[data-poll][data-polling]")) pollWorkstations(table);
  for (const section of document.querySelectorAll("[data-refresh]")) refreshSessions(section);
})();
// ---- end of the seats, workstations and container sessions pages (W9) --------------------------------
