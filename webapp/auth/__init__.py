"""Sign-in: ID + password + one-time code, server-side sessions, activation."""
