from django.urls import path

from . import views

app_name = "qna"

urlpatterns = [
    path("lectures/<id:lecture_id>/questions/", views.question_ask, name="question_ask"),
    path("questions/<id:question_id>/answers/", views.answer_post, name="answer_post"),
    path("questions/<id:question_id>/edit/", views.question_edit, name="question_edit"),
    path("questions/<id:question_id>/hide/", views.question_hide, name="question_hide"),
    path("answers/<id:answer_id>/edit/", views.answer_edit, name="answer_edit"),
    path("answers/<id:answer_id>/accept/", views.answer_accept, name="answer_accept"),
    path("answers/<id:answer_id>/hide/", views.answer_hide, name="answer_hide"),
]
