/* Numbers taken before coming, on the settings page: on or off, from how long before opening,
   numbers per phone a day, the remote share of each field, the time to confirm at a kiosk, the
   code's life (the SMS sender is shown: config.yaml sets it). Checked and audited by the
   server; live within 2 s. */
(function () {
  "use strict";
  const {t} = QMS;
  const site = window.SETTINGS.site;
  const $ = (id) => document.getElementById(id);
  const NUMBERS = ["opens_before_minutes", "per_phone", "arrive_within_minutes", "otp_minutes"];
  const state = {saved: 0};
  window.remoteSettings = state;

  function show(data) {
    $("remote-enabled").checked = data.enabled;
    NUMBERS.forEach((k) => { $("remote-" + k).value = data[k]; });
    $("remote-sms").value = data.sms;
    $("remote-caps").value = QMS.perField.text(data.caps);
  }

  async function save(e) {
    e.preventDefault();
    const body = {enabled: $("remote-enabled").checked, caps: QMS.perField.parse($("remote-caps").value)};
    NUMBERS.forEach((k) => { body[k] = Number($("remote-" + k).value); });
    const r = await QMS.api("PUT", "/sites/" + site + "/setup/remote", body);
    if (QMS.answered(r, $("remote-error"), $("remote-done"), t("remote_settings.saved"))) {
      state.saved += 1;
      show(r.data);
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("remote-form").addEventListener("submit", save);
    const r = await QMS.api("GET", "/sites/" + site + "/setup/remote");
    if (r.status !== 200) { $("remote-error").textContent = QMS.errorText(r); return; }
    show(r.data);
  });
})();
