/* The site's priority categories (diện ưu tiên), managed live on the settings page: add one,
   change its names or weight, remove one. The kiosks offer the new list within seconds; a
   visitor already waiting keeps the weight they were issued with. */
(function () {
  "use strict";
  const {cell} = QMS;
  const $ = (id) => document.getElementById(id);
  window.prioritiesPage = QMS.listEditor({
    prefix: "priority", table: "priorities", key: "code", list: "categories",
    path: "/sites/" + window.SETTINGS.site + "/setup/priorities",
    addTitle: "priorities.add", removeLabel: "priorities.remove", removeConfirm: "priorities.remove_confirm",
    removed: "priorities.removed",
    cells: (c) => [cell(c.code), cell(c.name), cell(c.name_en || "—"), cell(String(c.weight))],
    fill: (c) => {
      $("priority-name").value = c.name;
      $("priority-name_en").value = c.name_en || "";
      $("priority-weight").value = c.weight;
    },
    body: () => ({name: $("priority-name").value.trim(), name_en: $("priority-name_en").value.trim(),
                  weight: Number($("priority-weight").value)}),
    rendered: (categories) => { $("priority-none").hidden = categories.length > 0; },
  });
})();
