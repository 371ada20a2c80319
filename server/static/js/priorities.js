/* The site's priority categories (diện ưu tiên), managed live on the settings page: add one,
   change its names or weight, remove one. The kiosks offer the new list within seconds; a
   visitor already waiting keeps the weight they were issued with. */
(function () {
  "use strict";
  const {t, cell, button} = QMS;
  const site = window.SETTINGS.site;
  const $ = (id) => document.getElementById(id);
  const state = {categories: [], editing: null, saved: 0};
  window.prioritiesPage = state;

  function render() {
    const body = $("priorities").querySelector("tbody");
    body.innerHTML = "";
    state.categories.forEach((c) => {
      const tr = document.createElement("tr");
      tr.dataset.code = c.code;
      const actions = document.createElement("td");
      actions.className = "actions";
      actions.append(button(t("people.edit"), () => edit(c)), button(t("priorities.remove"), () => remove(c), "secondary"));
      tr.append(cell(c.code), cell(c.name), cell(c.name_en || "—"), cell(String(c.weight)), actions);
      body.appendChild(tr);
    });
    $("priority-none").hidden = state.categories.length > 0;
  }

  async function load() {
    const r = await QMS.api("GET", "/sites/" + site + "/setup/priorities");
    if (r.status !== 200) { $("priority-error").textContent = QMS.errorText(r); return; }
    state.categories = r.data.categories;
    render();
  }

  function clearForm() {
    state.editing = null;
    $("priority-form").reset();
    $("priority-code").disabled = false;
    $("priority-cancel").hidden = true;
    $("priority-title").textContent = t("priorities.add");
  }

  function edit(c) {
    state.editing = c.code;
    $("priority-code").value = c.code;
    $("priority-code").disabled = true;
    $("priority-name").value = c.name;
    $("priority-name_en").value = c.name_en || "";
    $("priority-weight").value = c.weight;
    $("priority-cancel").hidden = false;
    $("priority-title").textContent = t("people.editing", {name: c.name});
    $("priority-name").focus();
  }

  function done(r, message) {
    const ok = QMS.answered(r, $("priority-error"), $("priority-done"), message);
    if (ok) state.saved += 1;
    return ok;
  }

  async function remove(c) {
    if (!window.confirm(t("priorities.remove_confirm", {name: c.name}))) return;
    const r = await QMS.api("DELETE", "/sites/" + site + "/setup/priorities/" + encodeURIComponent(c.code), {});
    if (done(r, t("priorities.removed", {name: c.name}))) await load();
  }

  async function save(e) {
    e.preventDefault();
    const code = $("priority-code").value.trim();
    const body = {name: $("priority-name").value.trim(), name_en: $("priority-name_en").value.trim(),
                  weight: Number($("priority-weight").value)};
    const r = await QMS.api("PUT", "/sites/" + site + "/setup/priorities/" + encodeURIComponent(code), body);
    if (done(r, t("people.saved"))) { clearForm(); await load(); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("priority-form").addEventListener("submit", save);
    $("priority-cancel").addEventListener("click", clearForm);
    load();
  });
})();
