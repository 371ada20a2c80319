/* The site's counters, managed live: add one, change its name, the fields it serves (in the
   order ticked: the order an "in order" counter serves them) and its policy, remove one that
   nobody names and nobody waits for. Every change is the server's (checked and audited there). */
(function () {
  "use strict";
  const {t, cell} = QMS;
  const $ = (id) => document.getElementById(id);
  let order = [];   // the fields in the order they were ticked (an "in order" counter serves them so)

  // Who is given the counter, in words: "Cán bộ cb1", "Bảng đánh giá panel-1".
  function named(who) {
    return t(who.kind === "officer" ? "people.role_officer" : "monitor.kind_" + who.kind) + " " + who.id;
  }

  window.counters = QMS.listEditor({
    prefix: "counter", table: "counters", key: "number", keyBox: "number", list: "counters",
    path: "/sites/" + window.COUNTERS.site + "/setup/counters",
    addTitle: "counters.add", removeLabel: "counters.remove", removeConfirm: "counters.remove_confirm",
    removed: "counters.removed",
    cells: (c) => [cell(String(c.number)), cell(c.name), cell(c.fields.join(", ")), cell(t("counters.policy_" + c.policy)),
                   cell(c.named_by.map(named).join(", ") || "—"), cell(t("counter.status_" + c.status))],
    fill: (c) => {
      order = c.fields.slice();
      $("counter-name").value = c.name;
      $("counter-policy").value = c.policy;
      $("counter-fields").querySelectorAll("input").forEach((i) => { i.checked = c.fields.includes(i.value); });
    },
    body: () => {
      const body = {fields: order, policy: $("counter-policy").value};
      if ($("counter-name").value.trim()) body.name = $("counter-name").value.trim();
      return body;
    },
    cleared: () => { order = []; },
  });

  document.addEventListener("DOMContentLoaded", () => {
    $("counter-fields").querySelectorAll("input").forEach((i) => i.addEventListener("change", (e) => {
      order = order.filter((c) => c !== e.target.value);
      if (e.target.checked) order.push(e.target.value);
    }));
  });
})();
