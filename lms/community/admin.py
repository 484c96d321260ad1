from django.contrib import admin

from .models import WeeklyLecture


@admin.register(WeeklyLecture)
class WeeklyLectureAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "speaker", "starts_at", "status", "publish_at")
    list_filter = ("status", "category", "starts_at")
    search_fields = ("title", "title_en", "speaker", "description")
    date_hierarchy = "starts_at"
    prepopulated_fields = {"slug": ("title_en",)}
    autocomplete_fields = ("recording",)
