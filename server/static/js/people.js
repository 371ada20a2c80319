/* The site's people, managed live: add, change name, role and counters, disable or enable,
   give a new password. Every change is the server's (checked and audited there). */
(function () {
  "use strict";
  const {t, cell, button} = QMS;
  const site = window.PEOPLE.site;
  const $ = (id) => document.getElementById(id);
  const state = {officers: [], counters: [], editing: null, saved: 0};
  window.people = state;

  function counterNames(numbers) {
    return numbers.map((n) => (state.counters.find((c) => c.number === n) || {name: String(n)}).name).join(", ") || "—";
  }

  function render() {
    const body = $("people").querySelector("tbody");
    body.innerHTML = "";
    state.officers.forEach((o) => {
      const tr = document.createElement("tr");
      tr.dataset.username = o.username;
      tr.className = o.disabled ? "disabled" : "";
      const actions = document.createElement("td");
      actions.className = "actions";
      actions.append(button(t("people.edit"), () => edit(o)),
                     button(t(o.disabled ? "people.enable" : "people.disable"),
                            () => change(o.username, {disabled: !o.disabled}), "secondary"),
                     button(t("people.reset"), () => reset(o), "secondary"));
      tr.append(cell(o.username), cell(o.name), cell(t("people.role_" + o.role)), cell(counterNames(o.counters)),
                cell(t(o.disabled ? "people.disabled" : "people.active")), actions);
      body.appendChild(tr);
    });
  }

  async function load() {
    const r = await QMS.api("GET", "/sites/" + site + "/officers");
    if (r.status !== 200) { $("person-error").textContent = QMS.errorText(r); return; }
    state.officers = r.data.officers;
    state.counters = r.data.counters;
    render();
  }

  function chosenCounters() {
    return [...$("person-counters").querySelectorAll("input:checked")].map((i) => Number(i.value));
  }

  function clearForm() {
    state.editing = null;
    $("person-form").reset();
    $("person-username").disabled = false;
    $("person-password-label").hidden = false;
    $("person-cancel").hidden = true;
    $("person-title").textContent = t("people.add");
  }

  function edit(o) {
    state.editing = o.username;
    $("person-username").value = o.username;
    $("person-username").disabled = true;
    $("person-name").value = o.name;
    $("person-role").value = o.role;
    $("person-counters").querySelectorAll("input").forEach((i) => { i.checked = o.counters.includes(Number(i.value)); });
    $("person-password-label").hidden = true;
    $("person-cancel").hidden = false;
    $("person-title").textContent = t("people.editing", {name: o.name});
    $("person-name").focus();
  }

  function done(r, message) {
    const ok = QMS.answered(r, $("person-error"), $("person-done"), message);
    if (ok) state.saved += 1;
    return ok;
  }

  async function change(username, changes) {
    const r = await QMS.api("PATCH", "/sites/" + site + "/officers/" + encodeURIComponent(username), changes);
    if (done(r, t("people.saved"))) await load();
  }

  async function reset(o) {
    const password = window.prompt(t("people.new_password_for", {name: o.name}));
    if (!password) return;
    const r = await QMS.api("POST", "/sites/" + site + "/officers/" + encodeURIComponent(o.username) + "/password",
                            {password});
    done(r, t("people.password_set", {name: o.name}));
  }

  async function save(e) {
    e.preventDefault();
    const person = {name: $("person-name").value.trim(), role: $("person-role").value, counters: chosenCounters()};
    if (state.editing) {
      await change(state.editing, person);
      if (!$("person-error").textContent) clearForm();
      return;
    }
    const r = await QMS.api("POST", "/sites/" + site + "/officers",
                            Object.assign({username: $("person-username").value.trim(),
                                           password: $("person-password").value}, person));
    if (done(r, t("people.added", {name: person.name}))) {
      clearForm();
      await load();
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("person-form").addEventListener("submit", save);
    $("person-cancel").addEventListener("click", clearForm);
    load();
  });
})();
