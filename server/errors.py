"""Domain errors, each with the HTTP status and the code clients translate for their screens."""
from __future__ import annotations

from typing import Any


class QmsError(Exception):
    """An operation was refused; nothing was changed."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}

    def to_json(self) -> dict:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class BadRequest(QmsError):
    status, code = 400, "bad_request"


class Unauthorized(QmsError):
    status, code = 401, "unauthorized"


class Forbidden(QmsError):
    status, code = 403, "forbidden"


class NotFound(QmsError):
    status, code = 404, "not_found"


class Conflict(QmsError):
    status, code = 409, "conflict"


class PayloadTooLarge(QmsError):
    status, code = 413, "payload_too_large"


class TooManyRequests(QmsError):
    status, code = 429, "too_many_requests"


class StoreError(QmsError):
    """The queue store answered something it never should: a bug or a damaged Redis."""

    status, code = 500, "store_error"


# What each refusal of a Lua script means, for people and for HTTP.
SCRIPT_ERRORS: dict[str, tuple[type[QmsError], str]] = {
    "unknown_field": (BadRequest, "Unknown field."),
    "unknown_counter": (BadRequest, "Unknown counter."),
    "same_field": (BadRequest, "The ticket is already in that field."),
    "same_counter": (BadRequest, "Cannot transfer a ticket to the counter it is at."),
    "bad_transfer": (BadRequest, "A transfer needs a field or a counter."),
    "daily_cap_reached": (Conflict, "This field has issued all its tickets for today."),
    "pickup_already_queued": (Conflict, "This dossier's result already has a number in line: see the number shown."),
    "remote_phone_limit": (Conflict, "This phone number has taken its numbers for today."),
    "remote_cap_reached": (Conflict, "This field has given all its numbers taken away from the hall today."),
    "slot_full": (Conflict, "This slot is fully booked: choose another time."),
    "booking_phone_limit": (Conflict, "This phone number holds its bookings for that day already."),
    "booking_code_taken": (Conflict, "A booking code was drawn twice: try again."),
    "booking_not_found": (NotFound, "No booking with that code today."),
    "booking_used": (Conflict, "This booking was already checked in (or cancelled): see the number given."),
    "not_remote": (Conflict, "This number was taken in the hall: there is nothing to confirm."),
    "bad_visit": (BadRequest, "A visit is at most five different fields, each once."),
    "remote_lapsed": (Conflict, "This number was not confirmed at a kiosk in time and has lapsed: take a new one."),
    "number_range_exhausted": (Conflict, "This field has used every number of its range today."),
    "target_counter_closed": (Conflict, "Nobody is serving at that counter now: confirm to send the visitor there "
                                        "anyway, or choose another."),
    "counter_closed": (Conflict, "The counter is closed: an officer must sign in at it first."),
    "counter_paused": (Conflict, "The counter is paused."),
    "counter_not_paused": (Conflict, "The counter is not paused."),
    "counter_busy": (Conflict, "The counter still has a visitor: finish the service or mark a no-show first."),
    "counter_in_use": (Conflict, "Another officer is signed in at this counter."),
    "not_counter_officer": (Forbidden, "Another officer is signed in at this counter."),
    "no_current_ticket": (Conflict, "The counter has no current ticket."),
    "wrong_state": (Conflict, "The ticket is not in a state that allows this."),
    "not_served_here": (Conflict, "This counter does not serve that ticket."),
    "ticket_not_found": (NotFound, "No such ticket."),
    "restore_window_passed": (Conflict, "Too late to restore this ticket."),
    "corrupt_queue": (StoreError, "A waiting line names a ticket that does not exist."),
    "press_rate_limited": (TooManyRequests, "This panel made more presses in that minute than a hand can."),
    "unknown_step": (StoreError, "Unknown counter step."),
    "unknown_action": (StoreError, "Unknown counter action."),
}


def from_script(reply: dict) -> QmsError:
    """The exception for a script's ``{"error": code, ...}`` reply."""
    code = reply.get("error", "store_error")
    cls, message = SCRIPT_ERRORS.get(code, (StoreError, f"Unexpected store reply {code!r}."))
    details = {k: v for k, v in reply.items() if k not in ("error", "ticket")}
    if isinstance(reply.get("ticket"), dict):
        details["ticket"] = reply["ticket"].get("id")
        details["label"] = reply["ticket"].get("label")
    return cls(message, code=code, details=details)
