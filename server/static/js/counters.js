/* The site's counters, managed live: add one, change its name, the fields it serves (in the
   order ticked: the order an "in order" counter serves them) and its policy, remove one that
   nobody names and nobody waits for. Every change is the server's (checked and audited there). */
(function () {
  "use strict";
  const {t, cell, button} = QMS;
  const site = window.COUNTERS.site;
  const $ = (id) => document.getElementById(id);
  const state = {counters: [], editing: null, order: [], saved: 0};
  window.counters = state;

  // Who is given the counter, in words: "Cán bộ cb1", "Bảng đánh giá panel-1".
  function named(who) {
    return t(who.kind === "officer" ? "people.role_officer" : "monitor.kind_" + who.kind) + " " + who.id;
  }

  function render() {
    const body = $("counters").querySelector("tbody");
    body.innerHTML = "";
    state.counters.forEach((c) => {
      const tr = document.createElement("tr");
      tr.dataset.number = c.number;
      const actions = document.createElement("td");
      actions.className = "actions";
      actions.append(button(t("people.edit"), () => edit(c)), button(t("counters.remove"), () => remove(c), "secondary"));
      tr.append(cell(String(c.number)), cell(c.name), cell(c.fields.join(", ")), cell(t("counters.policy_" + c.policy)),
                cell(c.named_by.map(named).join(", ") || "—"), cell(t("counter.status_" + c.status)), actions);
      body.appendChild(tr);
    });
  }

  async function load() {
    const r = await QMS.api("GET", "/sites/" + site + "/setup/counters");
    if (r.status !== 200) { $("counter-error").textContent = QMS.errorText(r); return; }
    state.counters = r.data.counters;
    render();
  }

  // The fields in the order they were ticked (an "in order" counter serves them so).
  function tick(e) {
    const code = e.target.value;
    state.order = state.order.filter((c) => c !== code);
    if (e.target.checked) state.order.push(code);
  }

  function clearForm() {
    state.editing = null;
    state.order = [];
    $("counter-form").reset();
    $("counter-number").disabled = false;
    $("counter-cancel").hidden = true;
    $("counter-title").textContent = t("counters.add");
  }

  function edit(c) {
    state.editing = c.number;
    state.order = c.fields.slice();
    $("counter-number").value = c.number;
    $("counter-number").disabled = true;
    $("counter-name").value = c.name;
    $("counter-policy").value = c.policy;
    $("counter-fields").querySelectorAll("input").forEach((i) => { i.checked = c.fields.includes(i.value); });
    $("counter-cancel").hidden = false;
    $("counter-title").textContent = t("people.editing", {name: c.name});
    $("counter-name").focus();
  }

  function done(r, message) {
    const ok = QMS.answered(r, $("counter-error"), $("counter-done"), message);
    if (ok) state.saved += 1;
    return ok;
  }

  async function remove(c) {
    if (!window.confirm(t("counters.remove_confirm", {name: c.name}))) return;
    const r = await QMS.api("DELETE", "/sites/" + site + "/setup/counters/" + c.number, {});   // JSON, as every cookie-carrying change
    if (done(r, t("counters.removed", {name: c.name}))) await load();
  }

  async function save(e) {
    e.preventDefault();
    const number = Number($("counter-number").value);
    const body = {fields: state.order, policy: $("counter-policy").value};
    if ($("counter-name").value.trim()) body.name = $("counter-name").value.trim();
    const r = await QMS.api("PUT", "/sites/" + site + "/setup/counters/" + number, body);
    if (done(r, t("people.saved"))) { clearForm(); await load(); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("counter-form").addEventListener("submit", save);
    $("counter-cancel").addEventListener("click", clearForm);
    $("counter-fields").querySelectorAll("input").forEach((i) => i.addEventListener("change", tick));
    load();
  });
})();
