"""Business hours (機能提供時間, SPEC §5)."""
