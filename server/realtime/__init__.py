"""Socket.IO: the namespace clients join, the relay that pushes every stream event to them,
the handshake guard, the leader's alerts and the devices' reports."""
