/* The procedure catalogue (thủ tục hành chính) visitors look up at the kiosk, managed live on
   the settings page: add a procedure, change its field, names, documents to bring, fee or
   processing time, take one out. The kiosks' next search finds the new catalogue. */
(function () {
  "use strict";
  const {cell} = QMS;
  const $ = (id) => document.getElementById(id);
  const TEXT = ["name", "name_en", "fee", "processing_time"];
  window.proceduresPage = QMS.listEditor({
    prefix: "procedure", table: "procedures", key: "code", list: "procedures",
    path: "/sites/" + window.SETTINGS.site + "/setup/procedures",
    addTitle: "procedures.add", removeLabel: "procedures.remove", removeConfirm: "procedures.remove_confirm",
    removed: "procedures.removed",
    cells: (p) => [cell(p.code), cell(p.name), cell(p.field), cell(p.fee || "—"), cell(p.processing_time || "—")],
    fill: (p) => {
      $("procedure-field").value = p.field;
      TEXT.forEach((k) => { $("procedure-" + k).value = p[k] || ""; });
      $("procedure-documents").value = (p.documents || []).join("\n");
    },
    body: () => {
      const body = {field: $("procedure-field").value};
      TEXT.forEach((k) => { body[k] = $("procedure-" + k).value.trim(); });
      body.documents = $("procedure-documents").value.split("\n").map((d) => d.trim()).filter((d) => d);
      return body;
    },
    rendered: (procedures) => { $("procedure-none").hidden = procedures.length > 0; },
  });
})();
