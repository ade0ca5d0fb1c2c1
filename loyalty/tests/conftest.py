from core.testing.celery import celery_broker  # noqa: F401 - a fixture
