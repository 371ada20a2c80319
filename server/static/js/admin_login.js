/* Sign-in for the leader's pages: a site's (its admins and leaders) or the province's. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const admin = window.ADMIN;
    document.getElementById("admin-login").addEventListener("submit", async (e) => {
      e.preventDefault();
      const path = admin.province ? "/province/login" : "/sites/" + admin.site + "/login";
      const r = await QMS.api("POST", path, {
        username: document.getElementById("admin-username").value.trim(),
        password: document.getElementById("admin-password").value,
      });
      const allowed = r.status === 200 && (admin.province || r.data.role === "admin" || r.data.role === "leader");
      if (allowed) location.reload();
      else document.getElementById("admin-error").textContent =
        r.status === 200 ? QMS.t("error.forbidden") : QMS.errorText(r);
    });
  });
})();
