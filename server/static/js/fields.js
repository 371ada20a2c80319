/* The site's fields (lĩnh vực), managed live: add one, change its names, numbers, daily cap,
   target wait, service time and agency, remove one nobody names. Every change is the
   server's (checked and audited there). */
(function () {
  "use strict";
  const {t, cell} = QMS;
  const $ = (id) => document.getElementById(id);
  const TEXT = ["name", "name_en", "numbers", "prefix", "agency", "pickup", "bulk"];
  const NUMBER = ["digits", "daily_cap", "target_wait_minutes", "service_minutes", "dossiers_per_ticket"];
  const lane = (f) => (f.kind === "pickup" || f.kind === "bulk" ? t("fields.kind_" + f.kind) : "");

  function named(who) {
    const kind = {field: "fields.lane_of", counter: "counters.title", kiosk: "devices.kind_kiosk", display: "devices.kind_display",
                  procedure: "fields.procedure", remote: "remote_settings.caps"}[who.kind];
    return t(kind) + " " + who.id;
  }

  function numbers(f) {
    const [first, last] = f.numbers.split("-").map(Number);
    const label = (n) => (f.prefix || "") + String(n).padStart(f.prefix ? f.digits : 1, "0");
    return label(first) + "–" + label(last);
  }

  window.fieldsPage = QMS.listEditor({
    prefix: "field", table: "fields", key: "code", list: "fields",
    path: "/sites/" + window.FIELDS.site + "/setup/fields",
    addTitle: "fields.add", removeLabel: "fields.remove", removeConfirm: "fields.remove_confirm",
    removed: "counters.removed",
    cells: (f) => [cell(f.code), cell([f.name, lane(f)].filter(Boolean).join(" · ")), cell(numbers(f), "nowrap"), cell(f.daily_cap ? String(f.daily_cap) : "—"),
                   cell(String(f.target_wait_minutes)), cell(f.agency || "—"),
                   cell(f.named_by.map(named).join(", ") || "—")],
    fill: (f) => {
      TEXT.concat(NUMBER).forEach((k) => { $("field-" + k).value = f[k] === undefined || f[k] === null ? "" : f[k]; });
      $("field-kind").value = f.kind || "service";
    },
    body: () => {
      const body = {};
      TEXT.forEach((k) => { body[k] = $("field-" + k).value.trim(); });
      body.kind = $("field-kind").value;
      // An empty number box: the setting's default (no daily cap, say).
      NUMBER.forEach((k) => { body[k] = $("field-" + k).value === "" ? null : Number($("field-" + k).value); });
      return body;
    },
  });
})();
