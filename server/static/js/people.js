/* People managed live: a site's (officers, admins, leaders: their counters) or the province's
   (admins, leaders: the sites they read). Add, change name, role and what they are given,
   disable or enable, give a new password. Every change is the server's (checked and audited
   there). window.PEOPLE says which: {base: the API path, list: the answer's key for the people,
   given: "counters" | "sites", roles: the role words' prefix}. */
(function () {
  "use strict";
  const {t, cell, button} = QMS;
  const cfg = window.PEOPLE;
  const $ = (id) => document.getElementById(id);
  const state = {officers: [], choices: [], editing: null, saved: 0};
  window.people = state;
  const key = (c) => (cfg.given === "counters" ? c.number : c.id);

  function givenNames(keys) {
    return keys.map((k) => (state.choices.find((c) => key(c) === k) || {name: String(k)}).name).join(", ") || "—";
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
      tr.append(cell(o.username), cell(o.name), cell(t(cfg.roles + o.role)), cell(o.role === "province_admin" ? t("province.all_sites") : givenNames(o[cfg.given])),
                cell(t(o.disabled ? "people.disabled" : "people.active")), actions);
      body.appendChild(tr);
    });
  }

  async function load() {
    const r = await QMS.api("GET", cfg.base);
    if (r.status !== 200) { $("person-error").textContent = QMS.errorText(r); return; }
    state.officers = r.data[cfg.list];
    state.choices = r.data[cfg.given];
    render();
  }

  const fromBox = (value) => (cfg.given === "counters" ? Number(value) : value);

  function chosen() {
    return [...$("person-" + cfg.given).querySelectorAll("input:checked")].map((i) => fromBox(i.value));
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
    $("person-" + cfg.given).querySelectorAll("input").forEach((i) => {
      i.checked = o[cfg.given].includes(fromBox(i.value));
    });
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
    const r = await QMS.api("PATCH", cfg.base + "/" + encodeURIComponent(username), changes);
    if (done(r, t("people.saved"))) await load();
  }

  async function reset(o) {
    const password = window.prompt(t("people.new_password_for", {name: o.name}));
    if (!password) return;
    const r = await QMS.api("POST", cfg.base + "/" + encodeURIComponent(o.username) + "/password", {password});
    done(r, t("people.password_set", {name: o.name}));
  }

  async function save(e) {
    e.preventDefault();
    const person = {name: $("person-name").value.trim(), role: $("person-role").value, [cfg.given]: chosen()};
    if (state.editing) {
      await change(state.editing, person);
      if (!$("person-error").textContent) clearForm();
      return;
    }
    const r = await QMS.api("POST", cfg.base,
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
