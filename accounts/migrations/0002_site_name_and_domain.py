"""Name the Site after the shop. allauth's mails say "Hello from
{{ current_site.name }}" and sign with its domain; left alone they said
"example.com". The row is created here because django.contrib.sites only
adds its default site after all migrations have run."""

from django.conf import settings
from django.db import migrations


def _domain() -> str:
    for host in settings.ALLOWED_HOSTS:
        if host and host != "*" and not host.startswith("."):
            return host.strip("[]")
    return "localhost"


def name_site(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    site = Site.objects.filter(pk=settings.SITE_ID).first()
    if site is None:
        Site.objects.create(pk=settings.SITE_ID, name=settings.SITE_NAME, domain=_domain())
    elif site.domain == "example.com":
        site.name = settings.SITE_NAME
        site.domain = _domain()
        site.save(update_fields=["name", "domain"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(name_site, migrations.RunPython.noop)]
