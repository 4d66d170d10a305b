from django.contrib import admin

from hub.models import Participant


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "country", "is_public", "updated_at")
    list_filter = ("is_public", "country")
    search_fields = ("name", "city")
