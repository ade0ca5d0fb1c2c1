from django.db import models


class ProbeRecord(models.Model):
    event_id = models.UUIDField(unique=True)
    note = models.CharField(max_length=200)
    handled_by_pid = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.note} ({self.event_id})"
