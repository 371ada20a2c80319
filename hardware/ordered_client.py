"""A Socket.IO client that runs its event handlers in the order the events arrived.

python-socketio's ``Client`` hands every received message to a thread of its own, so two
updates that arrive in order can run their handlers out of order (the maintainer's answer:
synchronise in the handlers). A browser never does this: its handlers run one at a time,
in arrival order. An LED display that gets "called 1023" then "finished" must not end up
showing 1023, and a test that checks the sequence numbers must see what the wire carried.

Messages go from the read loop to one worker thread through a queue, so the read loop
keeps answering the server's pings while a handler is busy (a serial write, say). A
handler must therefore not wait for an acknowledgement (``call``) itself: that answer is
queued behind it.
"""
from __future__ import annotations

import logging
import queue
import threading

import engineio
import socketio

logger = logging.getLogger(__name__)

_STOP = object()


class _InOrderEngineIOClient(engineio.Client):
    """Engine.IO client whose "message" events are handled by one worker, first in, first out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()

    def _trigger_event(self, event, *args, **kwargs):
        if event == "message" and kwargs.get("run_async"):
            with self._worker_lock:
                if self._worker is None:
                    self._worker = threading.Thread(target=self._deliver, args=(self._inbox,),
                                                    name="socketio-in-order", daemon=True)
                    self._worker.start()
                self._inbox.put(args)
            return None
        return super()._trigger_event(event, *args, **kwargs)

    def _deliver(self, inbox: queue.SimpleQueue) -> None:
        while True:
            args = inbox.get()
            if args is _STOP:
                return
            # run_async=False: the base class calls the handler here and logs what it raises.
            super()._trigger_event("message", *args, run_async=False)

    def close_worker(self) -> None:
        """Let the worker finish what is queued, then end; a later message starts a new one
        on a new queue, so two workers never share (and reorder) one."""
        with self._worker_lock:
            if self._worker is not None:
                self._inbox.put(_STOP)
                self._inbox = queue.SimpleQueue()
                self._worker = None


class OrderedClient(socketio.Client):
    """``socketio.Client`` with handlers run one at a time, in arrival order (as in a browser)."""

    def _engineio_client_class(self):
        return _InOrderEngineIOClient

    def close(self) -> None:
        """Disconnect and end the handler thread (after the handlers already queued)."""
        try:
            self.disconnect()
        finally:
            self.eio.close_worker()
