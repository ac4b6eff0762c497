"""Organisations: who belongs where, and what their category lets them see."""
