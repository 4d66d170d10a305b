from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "Participants hub"

    def ready(self):
        from hub import map_cache
        from hub.models import Participant

        # The map's cached bodies go stale the moment a participant changes.
        post_save.connect(map_cache.participants_changed, sender=Participant, dispatch_uid="map_cache.saved")
        post_delete.connect(map_cache.participants_changed, sender=Participant, dispatch_uid="map_cache.deleted")
