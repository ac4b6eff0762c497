"""Dashboard, health check and language switch."""
