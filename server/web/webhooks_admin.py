"""A site's outbound webhooks in its administration: add one (its secret shown once), change
its address, events or state, give it a new secret, remove it; and the delivery log
(server/history/webhooks.py sends)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..config import structure
from ..config.webhooks import Webhook, new_secret
from ..errors import BadRequest, NotFound
from ..history.webhooks import delivery_log
from ..security.auth import require, site_and_actor
from .api import json_body
from .people import _admin_page, _store, _svc

api_bp = Blueprint("webhooks_api", __name__, url_prefix="/api/v1/sites/<site_id>")
pages_bp = Blueprint("webhooks", __name__, url_prefix="/admin/<site_id>")

HOOK: dict[str, type | tuple[type, ...]] = {"url": str, "events": list, "disabled": bool}


def _shown(hook: Webhook) -> dict:
    """A hook as the pages show it: never its secret."""
    return {"id": hook.id, "url": hook.url, "events": list(hook.events), "disabled": hook.disabled}


@api_bp.get("/setup/webhooks")
def list_webhooks(site_id):
    """The site's webhooks (never their secrets)."""
    site, actor = site_and_actor(site_id)
    require(actor, "admin")
    return jsonify({"webhooks": [_shown(h) for h in site.webhooks.values()]})


@api_bp.put("/setup/webhooks/<hook_id>")
def put_webhook(site_id, hook_id):
    """A webhook added (its secret made here and shown in this answer only) or its address,
    events or state changed; the sender follows within 2 s."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    new = hook_id not in site.webhooks
    body = json_body(HOOK, required=("url",) if new else ())
    secret = new_secret() if new else None
    _store().set_listed(site, actor.label, structure.WEBHOOKS, hook_id, {**body, **({"secret": secret} if new else {})})
    out = _shown(site.webhooks[hook_id])
    return (jsonify({**out, "secret": secret}), 201) if new else jsonify(out)


@api_bp.post("/setup/webhooks/<hook_id>/secret")
def rotate_webhook_secret(site_id, hook_id):
    """A new secret for the hook (shown in this answer only); the old one signs nothing more."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    if hook_id not in site.webhooks:
        raise NotFound(f"No webhook {hook_id} at this site.", code="unknown_webhook")
    secret = new_secret()
    _store().set_listed(site, actor.label, structure.WEBHOOKS, hook_id, {"secret": secret})
    return jsonify({**_shown(site.webhooks[hook_id]), "secret": secret})


@api_bp.delete("/setup/webhooks/<hook_id>")
def delete_webhook(site_id, hook_id):
    """A webhook removed: nothing more is sent to it."""
    site, actor = site_and_actor(site_id)
    actor = require(actor, "admin")
    _store().set_listed(site, actor.label, structure.WEBHOOKS, hook_id, None)
    return "", 204


@api_bp.get("/setup/webhooks/log")
def webhook_log(site_id):
    """The newest delivery attempts first: when, which hook and event, delivered, retrying or
    failed, the receiver's HTTP status, how long it took, what went wrong."""
    site, actor = site_and_actor(site_id)
    require(actor, "admin")
    hook = request.args.get("hook") or None
    try:
        limit = min(max(int(request.args.get("limit", 100)), 1), 500)
    except ValueError:
        raise BadRequest("limit is a whole number.", code="bad_parameter") from None
    engine = _svc().engine
    return jsonify({"entries": delivery_log(engine.client, engine.keys[site.id], limit, hook)})


@pages_bp.get("/webhooks")
def webhooks_page(site_id):
    return _admin_page(site_id, "admin/webhooks.html")
