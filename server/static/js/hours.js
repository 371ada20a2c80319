/* A site's opening hours and days off, set live (checked by the server with config.yaml's rules). */
(function () {
  "use strict";
  const {t} = QMS;
  const site = window.HOURS.site;
  const $ = (id) => document.getElementById(id);
  const state = {hours: null, saved: 0};
  window.hours = state;

  function dayItem(list, iso) {
    const li = document.createElement("li");
    li.dataset.day = iso;
    const [y, m, d] = iso.split("-");
    li.textContent = d + "/" + m + "/" + y + " ";
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link-button";
    remove.textContent = t("hours.remove_day");
    remove.addEventListener("click", () => li.remove());
    li.appendChild(remove);
    $("hours-" + list).querySelector("ul").appendChild(li);
  }

  function show(h) {
    state.hours = h;
    $("hours-always").checked = h.always;
    document.querySelectorAll("input.session").forEach((input) => {
      input.value = (h.week[input.dataset.day] || []).join(", ");
    });
    $("hours-calendar").value = h.calendar === "none" ? "none" : "VN";
    ["extra", "working_days"].forEach((list) => {
      $("hours-" + list).querySelector("ul").innerHTML = "";
      h[list].forEach((iso) => dayItem(list, iso));
    });
  }

  function days(list) {
    return [...$("hours-" + list).querySelectorAll("li")].map((li) => li.dataset.day);
  }

  async function save(e) {
    e.preventDefault();
    const week = {};
    document.querySelectorAll("input.session").forEach((input) => {
      week[input.dataset.day] = input.value.split(",").map((s) => s.trim()).filter(Boolean);
    });
    const r = await QMS.api("PUT", "/sites/" + site + "/hours",
                            {always: $("hours-always").checked, week, calendar: $("hours-calendar").value,
                             extra: days("extra"), working_days: days("working_days")});
    if (!QMS.answered(r, $("hours-error"), $("hours-done"), t("people.saved"))) return;
    state.saved += 1;
    show(r.data);
  }

  document.addEventListener("DOMContentLoaded", async () => {
    document.querySelectorAll(".day-list").forEach((set) => {
      set.querySelector("button.add").addEventListener("click", () => {
        const input = set.querySelector("input[type=date]");
        if (input.value) dayItem(set.id.replace("hours-", ""), input.value);
        input.value = "";
      });
    });
    $("hours-form").addEventListener("submit", save);
    const r = await QMS.api("GET", "/sites/" + site + "/hours");
    if (r.status === 200) show(r.data);
    else $("hours-error").textContent = QMS.errorText(r);
  });
})();
