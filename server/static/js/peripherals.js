/* The site's rating panels, ticket printers and LED boards, managed live: add one, change its
   port, counter, agent and options, remove one. The agent that serves it reads its settings
   again at once. Every change is the server's (checked and audited there). */
(function () {
  "use strict";
  const {t, cell, button} = QMS;
  const site = window.PERIPHERALS.site;
  const $ = (id) => document.getElementById(id);
  const state = {devices: [], editing: null, saved: 0};
  window.peripherals = state;
  const path = (id) => "/sites/" + site + "/setup/devices/" + encodeURIComponent(id);

  function render() {
    const body = $("peripherals").querySelector("tbody");
    body.innerHTML = "";
    state.devices.forEach((d) => {
      const tr = document.createElement("tr");
      tr.dataset.id = d.id;
      const actions = document.createElement("td");
      actions.className = "actions";
      actions.append(button(t("people.edit"), () => edit(d)), button(t("peripherals.remove"), () => remove(d), "secondary"));
      tr.append(cell(d.id), cell(t("monitor.kind_" + d.kind)), cell(d.url), cell(d.counter ? String(d.counter) : "—"),
                cell(d.agent || "—"), cell(d.options ? JSON.stringify(d.options) : "—"), actions);
      body.appendChild(tr);
    });
  }

  async function load() {
    const r = await QMS.api("GET", "/sites/" + site + "/setup/devices");
    if (r.status !== 200) { $("peripheral-error").textContent = QMS.errorText(r); return; }
    state.devices = r.data.devices;
    render();
  }

  function clearForm() {
    state.editing = null;
    $("peripheral-form").reset();
    $("peripheral-id").disabled = false;
    $("peripheral-cancel").hidden = true;
    $("peripheral-title").textContent = t("peripherals.add");
  }

  function edit(d) {
    state.editing = d.id;
    $("peripheral-id").value = d.id;
    $("peripheral-id").disabled = true;
    $("peripheral-kind").value = d.kind;
    $("peripheral-url").value = d.url;
    $("peripheral-counter").value = d.counter ? String(d.counter) : "";
    $("peripheral-agent").value = d.agent || "";
    $("peripheral-options").value = d.options ? JSON.stringify(d.options) : "";
    $("peripheral-cancel").hidden = false;
    $("peripheral-title").textContent = t("people.editing", {name: d.id});
  }

  function done(r, message) {
    const ok = QMS.answered(r, $("peripheral-error"), $("peripheral-done"), message);
    if (ok) state.saved += 1;
    return ok;
  }

  async function remove(d) {
    if (!window.confirm(t("peripherals.remove_confirm", {name: d.id}))) return;
    const r = await QMS.api("DELETE", path(d.id), {});
    if (done(r, t("counters.removed", {name: d.id}))) await load();
  }

  async function save(e) {
    e.preventDefault();
    let options = null;
    const text = $("peripheral-options").value.trim();
    if (text) {
      try { options = JSON.parse(text); } catch (err) {
        $("peripheral-error").textContent = t("peripherals.bad_options");
        return;
      }
    }
    const body = {kind: $("peripheral-kind").value, url: $("peripheral-url").value.trim(),
                  counter: $("peripheral-counter").value ? Number($("peripheral-counter").value) : null,
                  agent: $("peripheral-agent").value || null, options};
    const r = await QMS.api("PUT", path($("peripheral-id").value.trim()), body);
    if (done(r, t("people.saved"))) { clearForm(); await load(); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("peripheral-form").addEventListener("submit", save);
    $("peripheral-cancel").addEventListener("click", clearForm);
    load();
  });
})();
