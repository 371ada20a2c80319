/* Sign-in for the centre leader's pages (admins only). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("admin-login").addEventListener("submit", async (e) => {
      e.preventDefault();
      const r = await QMS.api("POST", "/sites/" + window.ADMIN.site + "/login", {
        username: document.getElementById("admin-username").value.trim(),
        password: document.getElementById("admin-password").value,
      });
      if (r.status === 200 && r.data.role === "admin") location.reload();
      else document.getElementById("admin-error").textContent =
        r.status === 200 ? QMS.t("error.forbidden") : QMS.errorText(r);
    });
  });
})();
