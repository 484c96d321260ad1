from django.urls import path

from . import views

app_name = "studio"

lecture = "courses/<int:course_pk>/lectures/<int:pk>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("courses/new/", views.course_create, name="course_create"),
    path("courses/<int:pk>/", views.course_edit, name="course"),
    path("courses/<int:pk>/submit/", views.course_submit, name="course_submit"),
    path("courses/<int:pk>/lectures/new/", views.lecture_create, name="lecture_create"),
    path(lecture, views.lecture_edit, name="lecture"),
    path(lecture + "move/", views.lecture_move, name="lecture_move"),
    path(lecture + "delete/", views.lecture_delete, name="lecture_delete"),
    path(
        lecture + "chapters/<int:chapter_pk>/delete/", views.chapter_delete, name="chapter_delete"
    ),
    path(
        lecture + "handouts/<int:attachment_pk>/delete/",
        views.attachment_delete,
        name="attachment_delete",
    ),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:pk>/", views.review_decide, name="review_decide"),
]
