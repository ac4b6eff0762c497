"""Alerts (SPEC §7): what the detectors raise, for system administrators and responsible people."""
