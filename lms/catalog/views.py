"""Public catalog pages. Thin: authorise through selectors, render."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lms.community.selectors import weekly_lecture_upcoming

from . import selectors

HOME_NEWEST_COURSES = 6


def home(request: HttpRequest) -> HttpResponse:
    """Short by request of the organisers: one screen, no endless scrolling."""
    context = {
        "weekly": weekly_lecture_upcoming(),
        "categories": selectors.category_list(),
        "newest": list(selectors.course_list()[:HOME_NEWEST_COURSES]),
        "bundles": list(selectors.bundle_list()[:2]),
    }
    return render(request, "catalog/home.html", context)


def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    category = selectors.category_get(slug=slug)
    context = {
        "category": category,
        "categories": selectors.category_list(),
        "courses": selectors.course_list(category=category),
    }
    return render(request, "catalog/category_detail.html", context)


def course_list(request: HttpRequest) -> HttpResponse:
    context = {"courses": selectors.course_list(), "categories": selectors.category_list()}
    return render(request, "catalog/course_list.html", context)


def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = selectors.access_course(request.user, slug=slug)  # type: ignore[arg-type]
    lectures = course.visible_lectures  # type: ignore[attr-defined]
    context = {
        "course": course,
        "lectures": lectures,
        "total_seconds": sum(lecture.duration_seconds for lecture in lectures),
    }
    return render(request, "catalog/course_detail.html", context)


def bundle_detail(request: HttpRequest, slug: str) -> HttpResponse:
    bundle = selectors.access_bundle(request.user, slug=slug)  # type: ignore[arg-type]
    return render(request, "catalog/bundle_detail.html", {"bundle": bundle})


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[: selectors.SEARCH_MAX_LENGTH]
    courses, lectures = selectors.catalog_search(query=query)
    context = {"query": query, "courses": courses, "lectures": lectures}
    return render(request, "catalog/search.html", context)
