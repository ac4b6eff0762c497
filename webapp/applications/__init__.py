"""User-change applications (申請) with four-eyes approval."""
