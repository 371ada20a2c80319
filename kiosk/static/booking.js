/* A booking's own page: when to come, its state, and a button to give the place back. */
(function () {
  "use strict";
  const {t, api, errorText} = QMS;
  const cfg = window.BOOKING;
  const $ = (id) => document.getElementById(id);

  function render(b) {
    $("booking-when").textContent = t("booking.when", {day: QMS.weekday(b.date),
      date: b.date.slice(8, 10) + "/" + b.date.slice(5, 7) + "/" + b.date.slice(0, 4), time: b.time, end: b.end});
    $("booking-status").textContent = t("booking.status_" + b.status);
    const open = b.status === "booked";
    $("booking-checkin").textContent = open ? t("booking.checkin_window", {start: b.checkin_from.slice(11, 16),
                                                                          end: b.checkin_until.slice(11, 16)}) : "";
    $("booking-qr-card").classList.toggle("hidden", !open);
    $("booking-qr").alt = t("booking.qr_alt");
    $("booking-cancel").classList.toggle("hidden", !open);
  }

  async function cancel() {
    if (!window.confirm(t("booking.cancel_confirm"))) return;
    $("booking-cancel").disabled = true;
    const r = await api("POST", "/sites/" + cfg.site + "/appointments/" + cfg.token + "/cancel", {});
    $("booking-cancel").disabled = false;
    if (r.status === 200) { render(r.data); return; }
    $("booking-error").textContent = errorText(r);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("booking-cancel").addEventListener("click", cancel);
    render(cfg.booking);
  });
})();
