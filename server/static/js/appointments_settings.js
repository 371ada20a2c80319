/* Appointments, on the settings page: on or off, the slots' length, the places per slot of each
   field, how far ahead, bookings per phone, the check-in window and what a late visitor gets, and
   where a checked-in visitor goes at the slot's time. Checked and audited by the server; live
   within 2 s. */
(function () {
  "use strict";
  const {t} = QMS;
  const site = window.SETTINGS.site;
  const $ = (id) => document.getElementById(id);
  const NUMBERS = ["slot_minutes", "days_ahead", "per_phone", "checkin_before_minutes", "late_minutes", "weight"];
  const CHOICES = ["late", "order"];
  const state = {saved: 0};
  window.appointmentsSettings = state;

  function show(data) {
    $("appt-enabled").checked = data.enabled;
    $("appt-offer_when_full").checked = data.offer_when_full;
    NUMBERS.concat(CHOICES).forEach((k) => { $("appt-" + k).value = data[k]; });
    $("appt-capacity").value = QMS.perField.text(data.capacity);
  }

  async function save(e) {
    e.preventDefault();
    const body = {enabled: $("appt-enabled").checked, offer_when_full: $("appt-offer_when_full").checked,
                  capacity: QMS.perField.parse($("appt-capacity").value)};
    NUMBERS.forEach((k) => { body[k] = Number($("appt-" + k).value); });
    CHOICES.forEach((k) => { body[k] = $("appt-" + k).value; });
    const r = await QMS.api("PUT", "/sites/" + site + "/setup/appointments", body);
    if (QMS.answered(r, $("appt-error"), $("appt-done"), t("appointments_settings.saved"))) {
      state.saved += 1;
      show(r.data);
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("appt-form").addEventListener("submit", save);
    const r = await QMS.api("GET", "/sites/" + site + "/setup/appointments");
    if (r.status !== 200) { $("appt-error").textContent = QMS.errorText(r); return; }
    show(r.data);
  });
})();
