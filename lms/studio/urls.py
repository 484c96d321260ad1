from django.urls import path

from . import views

app_name = "studio"

lecture = "courses/<id:course_pk>/lectures/<id:pk>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("questions/", views.questions_awaiting, name="questions_awaiting"),
    path("courses/new/", views.course_create, name="course_create"),
    path("courses/<id:pk>/", views.course_edit, name="course"),
    path("courses/<id:pk>/submit/", views.course_submit, name="course_submit"),
    path("courses/<id:pk>/lectures/new/", views.lecture_create, name="lecture_create"),
    path(lecture, views.lecture_edit, name="lecture"),
    path(lecture + "move/", views.lecture_move, name="lecture_move"),
    path(lecture + "delete/", views.lecture_delete, name="lecture_delete"),
    path(lecture + "chapters/<id:chapter_pk>/delete/", views.chapter_delete, name="chapter_delete"),
    path(lecture + "captions/<id:caption_pk>/", views.caption_preview, name="caption_preview"),
    path(
        lecture + "captions/<id:caption_pk>/delete/",
        views.caption_delete,
        name="caption_delete",
    ),
    path(
        lecture + "handouts/<id:attachment_pk>/delete/",
        views.attachment_delete,
        name="attachment_delete",
    ),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<id:pk>/", views.review_decide, name="review_decide"),
]
