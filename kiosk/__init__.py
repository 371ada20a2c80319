"""The kiosk touchscreen in the hall, and the visitor's phone page behind the ticket's QR code.

A thin surface: pages and scripts that call the server's API and live updates. A kiosk
is set up once by opening ``/kiosk/<site>#token=<kiosk token>``; the token stays on it.
"""
from flask import Blueprint, current_app, g, render_template

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/kiosk/static")


def _site(site_id: str):
    return current_app.extensions["qms"].engine.site(site_id)


@bp.get("/kiosk/<site_id>")
def app(site_id):
    site = _site(site_id)
    return render_template("kiosk/kiosk.html", site=site)


@bp.get("/t/<site_id>/<token>")
def ticket_page(site_id, token):
    """The phone page: the ticket's number, place in line and the call, live."""
    site = _site(site_id)
    ticket = current_app.extensions["qms"].engine.ticket_by_token(site.id, token)
    fields = {code: (f.name_en if g.lang == "en" and f.name_en else f.name) for code, f in site.fields.items()}
    return render_template("kiosk/phone.html", site=site, token=token, ticket=ticket, fields=fields)


@bp.get("/remote/<site_id>")
def remote_page(site_id):
    """Taking a number away from the hall (a public page; a site that gives none says so)."""
    return render_template("kiosk/remote.html", site=_site(site_id))


@bp.get("/book/<site_id>")
def booking_page(site_id):
    """Booking an appointment (a public page; a site that takes none says so)."""
    return render_template("kiosk/book.html", site=_site(site_id))


@bp.get("/a/<site_id>/<token>")
def booked_page(site_id, token):
    """A booking's own page: its code and QR code (scanned at a kiosk on the day), its time, and
    a button to cancel it."""
    desk = current_app.extensions["qms"].appointments
    site = desk.site(site_id)
    return render_template("kiosk/booking.html", site=site, token=token, booking=desk.view(site, token))
