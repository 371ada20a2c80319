/* The site's kiosks, lobby displays and device agents, managed live: add one (its token is
   shown once), change its name and what it serves, revoke or enable it, give it a new token.
   Every change is the server's (checked and audited there). */
(function () {
  "use strict";
  const {t, cell, button} = QMS;
  const site = window.DEVICES.site;
  const $ = (id) => document.getElementById(id);
  const state = {devices: [], fields: [], counters: [], editing: null, saved: 0};
  window.devices = state;

  function serves(d) {
    const parts = [];
    if (d.fields && d.fields.length) parts.push(d.fields.join(", "));
    else if (d.kind !== "agent") parts.push(t("devices.all_fields"));
    if (d.counters && d.counters.length) {
      parts.push(d.counters.map((n) => (state.counters.find((c) => c.number === n) || {name: String(n)}).name).join(", "));
    }
    return parts.join(" · ") || "—";
  }

  function path(d) { return "/sites/" + site + "/clients/" + d.kind + "/" + encodeURIComponent(d.id); }

  function render() {
    const body = $("devices").querySelector("tbody");
    body.innerHTML = "";
    state.devices.forEach((d) => {
      const tr = document.createElement("tr");
      tr.dataset.device = d.kind + ":" + d.id;
      tr.className = d.disabled ? "disabled" : "";
      const actions = document.createElement("td");
      actions.className = "actions";
      actions.append(button(t("people.edit"), () => edit(d)),
                     button(t(d.disabled ? "people.enable" : "devices.revoke"), () => revoke(d), "secondary"),
                     button(t("devices.rotate"), () => rotate(d), "secondary"));
      tr.append(cell(t("devices.kind_" + d.kind)), cell(d.id), cell(d.name || "—"), cell(serves(d)),
                cell(t(d.connected ? "devices.online" : "devices.offline")),
                cell(t(d.disabled ? "devices.revoked" : "people.active")), actions);
      body.appendChild(tr);
    });
  }

  async function load() {
    const r = await QMS.api("GET", "/sites/" + site + "/clients");
    if (r.status !== 200) { $("device-error").textContent = QMS.errorText(r); return; }
    Object.assign(state, {devices: r.data.devices, fields: r.data.fields, counters: r.data.counters});
    render();
  }

  function showKind() {
    const kind = $("device-kind").value;
    document.querySelectorAll("#device-form [data-for]").forEach((el) => {
      el.hidden = !el.dataset.for.split(" ").includes(kind);
    });
  }

  function checked(id) { return [...$(id).querySelectorAll("input:checked")].map((i) => i.value); }

  function document_() {
    const kind = $("device-kind").value;
    const out = {name: $("device-name").value.trim()};
    if (kind !== "agent") out.fields = checked("device-fields");
    if (kind === "display") {
      out.counters = checked("device-counters").map(Number);
      out.notice = $("device-notice").value.trim();
      out.layout = $("device-layout").value;
      out.voice = $("device-voice").value;
    }
    return out;
  }

  function clearForm() {
    state.editing = null;
    $("device-form").reset();
    $("device-kind").disabled = false;
    $("device-id").disabled = false;
    $("device-cancel").hidden = true;
    $("device-title").textContent = t("devices.add");
    showKind();
  }

  function edit(d) {
    state.editing = d;
    $("device-kind").value = d.kind;
    $("device-kind").disabled = true;
    $("device-id").value = d.id;
    $("device-id").disabled = true;
    $("device-name").value = d.name;
    $("device-fields").querySelectorAll("input").forEach((i) => { i.checked = (d.fields || []).includes(i.value); });
    $("device-counters").querySelectorAll("input").forEach((i) => {
      i.checked = (d.counters || []).includes(Number(i.value));
    });
    $("device-notice").value = d.notice || "";
    $("device-layout").value = d.layout || "standard";
    $("device-voice").value = d.voice || "clips";
    $("device-cancel").hidden = false;
    $("device-title").textContent = t("people.editing", {name: d.name});
    showKind();
    $("device-name").focus();
  }

  function done(r, message) {
    const ok = QMS.answered(r, $("device-error"), $("device-done"), message);
    if (ok) state.saved += 1;
    return ok;
  }

  /** The new token, once: with the link that sets a kiosk or display up with it. */
  function showToken(d) {
    $("token-for").textContent = t("devices.token_for", {name: d.name, id: d.id});
    $("token-value").textContent = d.token;
    $("token-setup").hidden = !d.setup_url;
    $("token-link").textContent = d.setup_url || "";
    $("token-link").href = d.setup_url || "#";
    $("token-command").hidden = !d.setup_command;
    $("token-command-text").textContent = d.setup_command || "";
    $("token-card").hidden = false;
    $("token-card").scrollIntoView();
  }

  async function revoke(d) {
    if (!d.disabled && !window.confirm(t("devices.revoke_confirm", {name: d.name}))) return;
    const r = await QMS.api("PATCH", path(d), {disabled: !d.disabled});
    if (done(r, t(d.disabled ? "people.saved" : "devices.revoked_done", {name: d.name}))) await load();
  }

  async function rotate(d) {
    if (!window.confirm(t("devices.rotate_confirm", {name: d.name}))) return;
    const r = await QMS.api("POST", path(d) + "/token", {});   // JSON: what a cookie-carrying POST must be
    if (done(r, t("devices.rotated", {name: d.name}))) {
      showToken(r.data);
      await load();
    }
  }

  async function save(e) {
    e.preventDefault();
    const body = document_();
    if (state.editing) {
      const r = await QMS.api("PATCH", path(state.editing), body);
      if (done(r, t("people.saved"))) { clearForm(); await load(); }
      return;
    }
    const r = await QMS.api("POST", "/sites/" + site + "/clients",
                            Object.assign({kind: $("device-kind").value, id: $("device-id").value.trim()}, body));
    if (done(r, t("devices.added", {name: body.name}))) {
      showToken(r.data);
      clearForm();
      await load();
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("device-form").addEventListener("submit", save);
    $("device-cancel").addEventListener("click", clearForm);
    $("device-kind").addEventListener("change", showKind);
    $("token-close").addEventListener("click", () => {
      $("token-card").hidden = true;
      $("token-value").textContent = "";
    });
    showKind();
    load();
  });
})();
