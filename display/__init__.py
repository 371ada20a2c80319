"""The lobby display: which number goes to which counter, the latest calls, waiting counts,
and the voice announcement. A thin surface over the live updates of the server.

Set up once by opening ``/display/<site>#token=<display token>`` on the TV's browser
(Chromium in kiosk mode with ``--autoplay-policy=no-user-gesture-required``).
"""
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, send_from_directory

bp = Blueprint("display", __name__, template_folder="templates", static_folder="static",
               static_url_path="/display/static")

PACKS = Path(__file__).parent / "static" / "voice"


@bp.get("/display/<site_id>")
def app(site_id):
    site = current_app.extensions["qms"].engine.site(site_id)
    return render_template("display/display.html", site=site)


@bp.get("/display/voice/<lang>/<name>")
def voice(lang, name):
    """A voice clip or the pack's manifest: the site's own recording if it has one
    (server.voice_dir/<lang>/<name>), else the default pack's."""
    if lang not in ("vi",) or "/" in name or name.startswith("."):
        abort(404)
    own = Path(current_app.extensions["qms"].config.server.voice_dir) / lang
    if (own / name).is_file():
        return send_from_directory(own, name, max_age=3600)
    return send_from_directory(PACKS / lang, name, max_age=3600)
