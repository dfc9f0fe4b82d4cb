from django.contrib import admin

from .models import Lesson


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "kind", "clinic", "order", "published", "source_file", "updated_at"]
    list_filter = ["kind", "published", "clinic"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["source_file", "created_at", "updated_at"]
