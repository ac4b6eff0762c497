"""Notices (お知らせ, SPEC §8): posted by system administrators, read on the dashboard."""
