"""Demo accounts for `manage.py seed_demo` (registered in AccountsConfig.ready)."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from accounts.models import User

DEMO_PASSWORD = "kampung-demo-2026"  # noqa: S105 - printed on purpose, demo only

DEMO_USERS = [
    # email, display name, staff
    ("admin@kampung.test", "Sari (staff)", True),
    ("budi@kampung.test", "Budi Santoso", False),
    ("dewi@kampung.test", "Dewi Lestari", False),
    ("agus@kampung.test", "Agus Pratama", False),
]


def seed_users(stdout) -> None:
    stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for email, name, staff in DEMO_USERS:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "display_name": name,
                "is_staff": staff,
                "is_superuser": staff,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        role = "staff, admin at /admin/ after setting up two-factor" if staff else "shopper"
        stdout.write(f"  {email:<24} {role}{'' if created else ' (already there)'}")
