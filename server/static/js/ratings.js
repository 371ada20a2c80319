/* The rating levels, changed live on the settings page: what each button of a rating panel
   means (2 to 5 levels, each in one of Decision 766's groups), how long after a visitor is
   served a press rates them, and how many presses a panel may send in a minute. A level a
   panel's key stands for is refused, and the answer names the panels. */
(function () {
  "use strict";
  const {t} = QMS;
  const site = window.SETTINGS.site;
  const $ = (id) => document.getElementById(id);
  const GROUPS = ["very_satisfied", "satisfied", "dissatisfied"];
  const state = {saved: 0};
  window.ratingsPage = state;

  function input(type, value, label, extra) {
    const box = document.createElement("input");
    box.type = type;
    box.className = "field-input";
    box.value = value === undefined || value === null ? "" : value;
    box.setAttribute("aria-label", label);
    Object.entries(extra || {}).forEach(([k, v]) => box.setAttribute(k, v));
    return box;
  }

  function row(level) {
    const tr = document.createElement("tr");
    const category = document.createElement("select");
    category.className = "field-input";
    category.setAttribute("aria-label", t("ratings.category"));
    GROUPS.forEach((g) => category.add(new Option(t("ratings.category_" + g), g)));
    category.value = level.category || "satisfied";
    const boxes = [
      input("number", level.level, t("ratings.level"), {min: 1, max: 5, required: "", "data-key": "level"}),
      input("text", level.name, t("devices.name"), {required: "", maxlength: 60, "data-key": "name"}),
      input("text", level.name_en, t("fields.name_en"), {maxlength: 60, "data-key": "name_en"}),
      category,
      input("number", level.score, t("ratings.score"), {min: 1, max: 5, "data-key": "score"}),
    ];
    category.dataset.key = "category";
    boxes.forEach((b) => { const td = document.createElement("td"); td.append(b); tr.append(td); });
    const actions = document.createElement("td");
    actions.append(QMS.button(t("ratings.remove_level"), () => { tr.remove(); limits(); }, "secondary"));
    tr.append(actions);
    return tr;
  }

  function rows() { return Array.from(document.querySelectorAll("#rating-levels tbody tr")); }

  function limits() { $("ratings-add").disabled = rows().length >= 5; }

  function show(data) {
    const body = document.querySelector("#rating-levels tbody");
    body.innerHTML = "";
    data.levels.forEach((level) => body.append(row(level)));
    $("ratings-window_minutes").value = data.window_minutes;
    $("ratings-presses_per_minute").value = data.presses_per_minute;
    limits();
  }

  function levels() {
    return rows().map((tr) => {
      const level = {};
      tr.querySelectorAll("[data-key]").forEach((box) => {
        const key = box.dataset.key;
        if (key === "level" || key === "score") { if (box.value !== "") level[key] = Number(box.value); }
        else if (box.value.trim() !== "" || key === "name") level[key] = box.value.trim();
      });
      return level;
    });
  }

  async function save(e) {
    e.preventDefault();
    const body = {levels: levels(), window_minutes: Number($("ratings-window_minutes").value),
                  presses_per_minute: Number($("ratings-presses_per_minute").value)};
    const r = await QMS.api("PUT", "/sites/" + site + "/setup/ratings", body);
    if (QMS.answered(r, $("ratings-error"), $("ratings-done"), t("people.saved"))) {
      state.saved += 1;
      show(r.data);
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("ratings-form").addEventListener("submit", save);
    $("ratings-add").addEventListener("click", () => {
      const used = rows().map((tr) => Number(tr.querySelector('[data-key="level"]').value));
      const next = [5, 4, 3, 2, 1].find((n) => !used.includes(n)) || 1;
      document.querySelector("#rating-levels tbody").append(row({level: next, category: "satisfied"}));
      limits();
    });
    const r = await QMS.api("GET", "/sites/" + site + "/setup/ratings");
    if (r.status !== 200) { $("ratings-error").textContent = QMS.errorText(r); return; }
    show(r.data);
  });
})();
