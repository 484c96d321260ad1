from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("courses/", views.course_list, name="course_list"),
    path("courses/<slug:slug>/", views.course_detail, name="course_detail"),
    path("courses/<slug:slug>/cover", views.course_cover, name="course_cover"),
    path(
        "courses/<slug:slug>/lectures/<int:position>/",
        views.lecture_detail,
        name="lecture_detail",
    ),
    path("categories/<slug:slug>/", views.category_detail, name="category_detail"),
    path("bundles/<slug:slug>/", views.bundle_detail, name="bundle_detail"),
    path("search/", views.search, name="search"),
    path("my/", views.my_learning, name="my_learning"),
]
