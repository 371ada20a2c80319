"""The officer's screen at a counter: sign in, call, recall, no-show, start, finish,
transfer, pause. A thin surface over the REST API and the live updates."""
from flask import Blueprint, current_app, render_template

bp = Blueprint("counter", __name__, template_folder="templates", static_folder="static",
               static_url_path="/counter/static")


@bp.get("/counter/<site_id>")
def app(site_id):
    site = current_app.extensions["qms"].engine.site(site_id)
    counters = [{"number": c.number, "name": c.name, "fields": list(c.fields)} for c in site.counters.values()]
    fields = [{"code": f.code, "name": f.name, "name_en": f.name_en, "kind": f.kind} for f in site.fields.values()]
    return render_template("counter/counter.html", site=site, counters=counters, fields=fields)
