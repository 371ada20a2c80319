"""The server's own pages: the landing page listing the screens of each site."""
from flask import Blueprint, current_app, render_template

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    return render_template("index.html", sites=list(current_app.extensions["qms"].config.sites.values()))
