"""Decoders of the satisfaction-rating button panels (one small module per wire format;
docs/hardware.md describes both formats byte by byte)."""
