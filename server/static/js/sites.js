/* The province's sites: every site with its size, and a new one (a commune's centre) with its
   first field, counter and administrator, served by every server within seconds. Its
   administrator then sets it up in the site's own pages. A site closed for good (merged into
   another) is removed here. */
(function () {
  "use strict";
  const {t, cell, link, button} = QMS;
  const $ = (id) => document.getElementById(id);
  const state = {sites: [], saved: 0};
  window.sitesPage = state;

  function render() {
    const body = $("site-list").querySelector("tbody");
    body.innerHTML = "";
    state.sites.forEach((s) => {
      const tr = document.createElement("tr");
      tr.dataset.site = s.id;
      tr.append(cell(s.id), link(QMS.localName(s), "/admin/" + s.id), link(String(s.fields), "/admin/" + s.id + "/fields"),
                link(String(s.counters), "/admin/" + s.id + "/counters"), link(String(s.people), "/admin/" + s.id + "/people"),
                link(String(s.devices), "/admin/" + s.id + "/devices"));
      const actions = document.createElement("td");
      actions.append(button(t("sites.remove"), () => remove(s), "secondary site-remove"));
      tr.append(actions);
      body.appendChild(tr);
    });
  }

  async function load() {
    const r = await QMS.api("GET", "/province/sites");
    if (r.status !== 200) { $("site-error").textContent = QMS.errorText(r); return; }
    state.sites = r.data.sites;
    render();
  }

  async function remove(s) {
    const name = QMS.localName(s);
    if (!window.confirm(t("sites.remove_confirm", {name}))) return;
    const r = await QMS.api("DELETE", "/province/sites/" + encodeURIComponent(s.id), {});
    if (QMS.answered(r, $("site-list-error"), $("site-list-done"), t("sites.removed", {name}))) {
      await load();
      return;
    }
    const leaders = r.data && r.data.error && r.data.error.details && r.data.error.details.leaders;
    if (leaders) $("site-list-error").textContent += " (" + leaders.join(", ") + ")";
  }

  async function save(e) {
    e.preventDefault();
    const value = (id) => $(id).value.trim();
    const body = {id: value("site-id"), name: value("site-name"), name_en: value("site-name_en"),
                  field: {code: value("site-field-code"), name: value("site-field-name"), prefix: value("site-field-prefix")},
                  admin: {username: value("site-admin-username"), name: value("site-admin-name"),
                          password: $("site-admin-password").value}};
    const r = await QMS.api("POST", "/province/sites", body);
    if (QMS.answered(r, $("site-error"), $("site-done"), t("sites.added", {name: body.name}))) {
      state.saved += 1;
      $("site-form").reset();
      await load();
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("site-form").addEventListener("submit", save);
    load();
  });
})();
