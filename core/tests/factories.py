from __future__ import annotations

import factory
from django.utils import timezone

from core.models import OutboxDelivery, OutboxEvent

PASSWORD = "correct horse battery staple"


class OutboxEventFactory(factory.django.DjangoModelFactory):
    event_type = "probe.pinged"
    payload = factory.Dict({"note": factory.Sequence(lambda n: f"ping {n}")})
    created_at = factory.LazyFunction(timezone.now)

    class Meta:
        model = OutboxEvent


class OutboxDeliveryFactory(factory.django.DjangoModelFactory):
    event = factory.SubFactory(OutboxEventFactory)
    handler = "probe.record_ping"
    next_attempt_at = factory.LazyFunction(timezone.now)

    class Meta:
        model = OutboxDelivery


class SuperuserFactory(factory.django.DjangoModelFactory):
    """By AUTH_USER_MODEL's label: core imports no domain app."""

    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    password = factory.django.Password(PASSWORD)
    is_staff = True
    is_superuser = True

    class Meta:
        model = "accounts.User"


class MemberFactory(factory.django.DjangoModelFactory):
    """A member, by AUTH_USER_MODEL's label."""

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    password = factory.django.Password(PASSWORD)

    class Meta:
        model = "accounts.User"
