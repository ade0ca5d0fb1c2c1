"""A test-only app (installed by config.settings.test): an event and an
idempotent handler with a side effect a test can count, so the outbox can be
proven end to end with a real worker."""
