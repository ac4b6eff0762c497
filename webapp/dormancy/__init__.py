"""Dormant accounts (SPEC §7): warned, then suspended, after months without a sign-in."""
