from django.db import models


class Participant(models.Model):
    name = models.CharField(max_length=200)
    city = models.CharField(max_length=200)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code")
    latitude = models.FloatField()
    longitude = models.FloatField()
    is_public = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # Serves the map's bounding-box filter, which only ever asks for public rows.
            models.Index(
                fields=["longitude", "latitude"],
                condition=models.Q(is_public=True),
                name="participant_public_lonlat",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90), name="participant_latitude_range"
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__gte=-180, longitude__lte=180), name="participant_longitude_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.city}, {self.country})"


class TaskRun(models.Model):
    """One row per finished hub.tasks.record_work: enqueued tokens minus rows is what a restart lost."""

    token = models.CharField(max_length=64, unique=True)
    # The dyno that finished it (worker.1, …): after a restart, the one that picked the task up again.
    dyno = models.CharField(max_length=100, blank=True)
    finished_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.token} on {self.dyno or 'an unnamed process'}"
