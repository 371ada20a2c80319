/* The site's fields (lĩnh vực), managed live: add one, change its names, numbers, daily cap,
   target wait, service time and agency, remove one nobody names. Every change is the
   server's (checked and audited there). */
(function () {
  "use strict";
  const {t, cell, button} = QMS;
  const site = window.FIELDS.site;
  const $ = (id) => document.getElementById(id);
  const state = {fields: [], editing: null, saved: 0};
  window.fieldsPage = state;
  const TEXT = ["name", "name_en", "numbers", "prefix", "agency"];
  const NUMBER = ["digits", "daily_cap", "target_wait_minutes", "service_minutes"];

  function named(who) {
    const kind = {counter: "counters.title", kiosk: "devices.kind_kiosk", display: "devices.kind_display",
                  procedure: "fields.procedure"}[who.kind];
    return t(kind) + " " + who.id;
  }

  function numbers(f) {
    const [first, last] = f.numbers.split("-").map(Number);
    const label = (n) => (f.prefix || "") + String(n).padStart(f.prefix ? f.digits : 1, "0");
    return label(first) + "–" + label(last);
  }

  function render() {
    const body = $("fields").querySelector("tbody");
    body.innerHTML = "";
    state.fields.forEach((f) => {
      const tr = document.createElement("tr");
      tr.dataset.code = f.code;
      const actions = document.createElement("td");
      actions.className = "actions";
      actions.append(button(t("people.edit"), () => edit(f)), button(t("fields.remove"), () => remove(f), "secondary"));
      tr.append(cell(f.code), cell(f.name), cell(numbers(f), "nowrap"), cell(f.daily_cap ? String(f.daily_cap) : "—"),
                cell(String(f.target_wait_minutes)), cell(f.agency || "—"), cell(f.named_by.map(named).join(", ") || "—"),
                actions);
      body.appendChild(tr);
    });
  }

  async function load() {
    const r = await QMS.api("GET", "/sites/" + site + "/setup/fields");
    if (r.status !== 200) { $("field-error").textContent = QMS.errorText(r); return; }
    state.fields = r.data.fields;
    render();
  }

  function clearForm() {
    state.editing = null;
    $("field-form").reset();
    $("field-code").disabled = false;
    $("field-cancel").hidden = true;
    $("field-title").textContent = t("fields.add");
  }

  function edit(f) {
    state.editing = f.code;
    $("field-code").value = f.code;
    $("field-code").disabled = true;
    TEXT.concat(NUMBER).forEach((k) => { $("field-" + k).value = f[k] === undefined || f[k] === null ? "" : f[k]; });
    $("field-cancel").hidden = false;
    $("field-title").textContent = t("people.editing", {name: f.name});
    $("field-name").focus();
  }

  function done(r, message) {
    const ok = QMS.answered(r, $("field-error"), $("field-done"), message);
    if (ok) state.saved += 1;
    return ok;
  }

  async function remove(f) {
    if (!window.confirm(t("fields.remove_confirm", {name: f.name}))) return;
    const r = await QMS.api("DELETE", "/sites/" + site + "/setup/fields/" + encodeURIComponent(f.code), {});
    if (done(r, t("counters.removed", {name: f.name}))) await load();
  }

  async function save(e) {
    e.preventDefault();
    const code = $("field-code").value.trim();
    const body = {};
    TEXT.forEach((k) => { body[k] = $("field-" + k).value.trim(); });
    // An empty number box: the setting's default (no daily cap, say).
    NUMBER.forEach((k) => { body[k] = $("field-" + k).value === "" ? null : Number($("field-" + k).value); });
    const r = await QMS.api("PUT", "/sites/" + site + "/setup/fields/" + encodeURIComponent(code), body);
    if (done(r, t("people.saved"))) { clearForm(); await load(); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("field-form").addEventListener("submit", save);
    $("field-cancel").addEventListener("click", clearForm);
    load();
  });
})();
