/* A site's outbound webhooks: add one (its secret is shown here once, for the receiver to
   check signatures with), change its address, events or state, give it a new secret, remove
   it; and the delivery log, newest first, read again every 5 s. */
(function () {
  "use strict";
  const {t, cell, button} = QMS;
  const site = window.WEBHOOKS.site;
  const $ = (id) => document.getElementById(id);
  const base = "/sites/" + site + "/setup/webhooks";
  const when = new Intl.DateTimeFormat(window.QMS_LANG === "en" ? "en-GB" : "vi-VN", {
    day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false});

  function events() {
    return Array.from(document.querySelectorAll("#webhook-events input:checked")).map((box) => box.value);
  }

  function showSecret(hook, secret) {
    $("webhook-secret-for").textContent = t("webhooks.secret_for", {id: hook});
    $("webhook-secret").textContent = secret;
    $("webhook-secret-box").hidden = false;
  }

  async function rotate(item) {
    if (!window.confirm(t("webhooks.new_secret_confirm", {id: item.id}))) return;
    const r = await QMS.api("POST", base + "/" + encodeURIComponent(item.id) + "/secret", {});
    if (QMS.answered(r, $("webhook-error"), $("webhook-done"), t("people.saved"))) showSecret(item.id, r.data.secret);
  }

  const page = QMS.listEditor({
    prefix: "webhook", table: "webhooks", key: "id", list: "webhooks", path: base,
    addTitle: "webhooks.add", removeLabel: "webhooks.remove", removeConfirm: "webhooks.remove_confirm",
    removed: "webhooks.removed", name: (h) => h.id,
    cells: (h) => {
      const actions = document.createElement("td");
      actions.append(button(t("webhooks.new_secret"), () => rotate(h), "secondary"));
      return [cell(h.id), cell(h.url), cell(h.events.map((e) => t("webhooks.event_" + e)).join(", ")),
              cell(t(h.disabled ? "webhooks.state_disabled" : "webhooks.state_on")), actions];
    },
    fill: (h) => {
      $("webhook-url").value = h.url;
      document.querySelectorAll("#webhook-events input").forEach((box) => { box.checked = h.events.includes(box.value); });
      $("webhook-disabled").checked = h.disabled;
    },
    body: () => ({url: $("webhook-url").value.trim(), events: events(), disabled: $("webhook-disabled").checked}),
    saved: (r) => { if (r.data && r.data.secret) showSecret(r.data.id, r.data.secret); },
    rendered: (hooks) => { $("webhook-none").hidden = hooks.length > 0; },
  });
  window.webhooksPage = page;

  async function loadLog() {
    const r = await QMS.api("GET", base + "/log?limit=100");
    if (r.status !== 200) return;
    const body = document.querySelector("#webhook-log tbody");
    body.innerHTML = "";
    r.data.entries.forEach((e) => {
      const tr = document.createElement("tr");
      tr.dataset.status = e.status;
      tr.dataset.type = e.type;
      const answer = e.code ? "HTTP " + e.code + " · " + e.ms + " ms" : (e.error || "—");
      const status = t("webhooks.status_" + e.status) +
        (e.status === "retrying" ? " " + t("webhooks.retry_in", {s: e.retry_in}) : "");
      tr.append(cell(when.format(new Date(e.at))), cell(e.hook),
                cell(t("webhooks.type_" + String(e.type).replace(".", "_"))), cell(status), cell(String(e.attempt)),
                cell(answer), cell(e.delivery));
      body.appendChild(tr);
    });
    $("webhook-log-none").hidden = r.data.entries.length > 0;
  }

  document.addEventListener("DOMContentLoaded", () => {
    loadLog();
    window.setInterval(loadLog, 5000);
  });
})();
