import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """Back-in-stock alerts wait for a confirmation when made for an address
    the requester has not proven; existing alerts stay active (confirmed at
    migration time)."""

    dependencies = [
        ("shop", "0005_order_adjustments"),
    ]

    operations = [
        migrations.AddField(
            model_name="stockalert",
            name="confirmed_at",
            field=models.DateTimeField(
                blank=True,
                default=django.utils.timezone.now,
                null=True,
                verbose_name="confirmed",
            ),
        ),
    ]
