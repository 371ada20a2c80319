/* The site's rating panels, ticket printers and LED boards, managed live: add one, change its
   port, counter, agent and options, remove one. The agent that serves it reads its settings
   again at once. Every change is the server's (checked and audited there). */
(function () {
  "use strict";
  const {t, cell} = QMS;
  const $ = (id) => document.getElementById(id);

  window.peripherals = QMS.listEditor({
    prefix: "peripheral", table: "peripherals", key: "id", keyBox: "id", list: "devices", name: (d) => d.id,
    path: "/sites/" + window.PERIPHERALS.site + "/setup/devices",
    addTitle: "peripherals.add", removeLabel: "peripherals.remove", removeConfirm: "peripherals.remove_confirm",
    removed: "counters.removed",
    cells: (d) => [cell(d.id), cell(t("monitor.kind_" + d.kind)), cell(d.url), cell(d.counter ? String(d.counter) : "—"),
                   cell(d.agent || "—"), cell(d.options ? JSON.stringify(d.options) : "—")],
    fill: (d) => {
      $("peripheral-kind").value = d.kind;
      $("peripheral-url").value = d.url;
      $("peripheral-counter").value = d.counter ? String(d.counter) : "";
      $("peripheral-agent").value = d.agent || "";
      $("peripheral-options").value = d.options ? JSON.stringify(d.options) : "";
    },
    body: () => {
      let options = null;
      const text = $("peripheral-options").value.trim();
      if (text) {
        try { options = JSON.parse(text); } catch (err) {
          $("peripheral-error").textContent = t("peripherals.bad_options");
          return null;
        }
      }
      return {kind: $("peripheral-kind").value, url: $("peripheral-url").value.trim(),
              counter: $("peripheral-counter").value ? Number($("peripheral-counter").value) : null,
              agent: $("peripheral-agent").value || null, options};
    },
  });
})();
