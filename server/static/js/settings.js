/* The site's own settings, changed live: its names, its time zone, the calls the screens list, how long a
   no-show may come back, a kiosk's ticket rate, the priority ratio and the kiosk PIN. */
(function () {
  "use strict";
  const {t} = QMS;
  const site = window.SETTINGS.site;
  const $ = (id) => document.getElementById(id);
  const TEXT = ["name", "name_en", "timezone", "priority_ratio"];
  const NUMBER = ["recent_calls", "no_show_restore_minutes", "kiosk_tickets_per_minute"];
  const state = {saved: 0};
  window.settingsPage = state;

  function show(data) {
    TEXT.concat(NUMBER).forEach((k) => { $("settings-" + k).value = data[k]; });
    $("settings-kiosk_pin").value = "";
    $("settings-pin").textContent = t(data.kiosk_pin_set ? "settings.pin_set" : "settings.pin_unset");
  }

  async function save(e) {
    e.preventDefault();
    const body = {};
    TEXT.forEach((k) => { body[k] = $("settings-" + k).value.trim(); });
    NUMBER.forEach((k) => { body[k] = Number($("settings-" + k).value); });
    if ($("settings-kiosk_pin").value) body.kiosk_pin = $("settings-kiosk_pin").value;
    const r = await QMS.api("PUT", "/sites/" + site + "/setup/site", body);
    if (QMS.answered(r, $("settings-error"), $("settings-done"), t("people.saved"))) {
      state.saved += 1;
      show(r.data);
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("settings-form").addEventListener("submit", save);
    const r = await QMS.api("GET", "/sites/" + site + "/setup/site");
    if (r.status !== 200) { $("settings-error").textContent = QMS.errorText(r); return; }
    show(r.data);
  });
})();
