"""Certified facility records (認定設備, SPEC §6): scoped viewing, CSV export and import."""
