"""The public pages: home, catalog, lecture and "my learning". Thin: authorise through the
apps' selectors, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from lms.accounts.requests import MemberRequest
from lms.catalog import covers, selectors
from lms.certificates import selectors as certificate_selectors
from lms.certificates.services import certificates_issue_for
from lms.community.selectors import announcement_latest, weekly_lecture_upcoming
from lms.learning import selectors as learning_selectors
from lms.media import playback
from lms.media.files import stored_file_response
from lms.qna import selectors as qna_selectors

from . import catalog_pages
from .player import lecture_page_context

HOME_NEWEST_COURSES = 4
# What the search page offers when nothing matched: words the catalog is about.
COVER_CACHE_SECONDS = 3600
SEARCH_SUGGESTIONS = ("QA", "모니터링", "코칭", "VOC", "콜센터")


def home(request: HttpRequest) -> HttpResponse:
    """Short by request of the organisers: one screen, no endless scrolling."""
    user = request.user
    context = {
        "continue_watching": (
            learning_selectors.continue_watching(user=user, limit=3)
            if user.is_authenticated
            else []
        ),
        "weekly": weekly_lecture_upcoming(),
        "announcement": announcement_latest(),
        "categories": selectors.category_list_offered(),
        "newest": catalog_pages.cards_with_progress(
            user, list(selectors.course_list()[:HOME_NEWEST_COURSES])
        ),
        "bundles": list(selectors.bundle_list()[:2]),
    }
    return render(request, "catalog/home.html", context)


def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    category = selectors.category_get(slug=slug)
    courses = list(selectors.course_list(category=category))
    context = {
        "category": category,
        "categories": selectors.category_list_offered(),
        "courses": catalog_pages.cards_with_progress(request.user, courses),
    }
    return render(request, "catalog/category_detail.html", context)


def course_list(request: HttpRequest) -> HttpResponse:
    context = {
        "courses": catalog_pages.cards_with_progress(request.user, list(selectors.course_list())),
        "categories": selectors.category_list_offered(),
    }
    return render(request, "catalog/course_list.html", context)


@require_GET
def course_cover(request: HttpRequest, slug: str) -> HttpResponseBase:
    """A course's cover, for whoever may see the course: the uploaded image with the type its
    bytes were found to be (`nosniff`, sandboxed), else the first lecture's poster frame
    through a signed URL; 404 when there is neither."""
    cover = selectors.access_course_cover(request.user, slug=slug)  # type: ignore[arg-type]
    response: HttpResponseBase
    if cover.image_name:
        found = covers.cover_type_of(cover.image_name)
        if found is None:  # not a name the platform gives: never served
            raise Http404
        response = stored_file_response(
            name=cover.image_name,
            content_type=found.content_type,
            download_name=f"{cover.course.slug}{found.extension}",
        )
    elif cover.poster_path and cover.poster_lecture_id is not None:
        url = playback.sign_file(name=cover.poster_path, lecture_id=cover.poster_lecture_id)
        response = HttpResponseRedirect(url)
    else:
        raise Http404
    # The page's URL of the cover changes when the course does (`?v=`); the redirect and a
    # signed URL must not outlive the signature.
    ttl = min(COVER_CACHE_SECONDS, playback.url_ttl_seconds() // 2)
    response["Cache-Control"] = f"private, max-age={ttl}"
    return response


def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = selectors.access_course(request.user, slug=slug)  # type: ignore[arg-type]
    certificate = None
    if request.user.is_authenticated:
        # The learning service completes courses without signals: catch up here (cheap).
        certificates_issue_for(user=request.user)
        certificate = certificate_selectors.certificates_valid_by_course(user=request.user).get(
            course.pk
        )
    context = {
        "course": course,
        "lectures": course.visible_lectures,  # type: ignore[attr-defined]
        "certificate": certificate,
        "answered_questions": qna_selectors.course_answered_question_count(course=course),
        **catalog_pages.course_page_context(request.user, course),
    }
    return render(request, "catalog/course_detail.html", context)


def bundle_detail(request: HttpRequest, slug: str) -> HttpResponse:
    bundle = selectors.access_bundle(request.user, slug=slug)  # type: ignore[arg-type]
    context = {"bundle": bundle, **catalog_pages.bundle_page_context(request.user, bundle)}
    return render(request, "catalog/bundle_detail.html", context)


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[: selectors.SEARCH_MAX_LENGTH]
    courses, lectures = selectors.catalog_search(query=query)
    context = {
        "query": query,
        "courses": catalog_pages.cards_with_progress(request.user, courses),
        "lectures": lectures,
        "suggestions": SEARCH_SUGGESTIONS if not courses and not lectures else (),
        "categories": selectors.category_list_offered() if not courses else [],
    }
    return render(request, "catalog/search.html", context)


def lecture_detail(request: HttpRequest, slug: str, position: int) -> HttpResponseBase:
    """The lecture page: the player, the course outline with each lecture's state, and the
    lecture's chapters, captions and handouts. Watching needs a (free) membership, so that
    progress can be kept; visitors are told so on the sign-in page and come back here."""
    if not request.user.is_authenticated:
        messages.info(
            request,
            _(
                "Watching lectures needs a free membership, so that your progress is kept. "
                "Sign in, or sign up in a minute: you will come back to this lecture."
            ),
        )
        return redirect_to_login(request.get_full_path())
    return _lecture_page(request, slug, position)  # type: ignore[arg-type]


def _lecture_page(request: MemberRequest, slug: str, position: int) -> HttpResponse:
    course = selectors.access_course(request.user, slug=slug)
    lecture = next(
        (x for x in course.visible_lectures if x.position == position),  # type: ignore[attr-defined]
        None,
    )
    if lecture is None:
        raise Http404
    context = lecture_page_context(user=request.user, course=course, lecture=lecture)
    context["qna"] = qna_selectors.lecture_qna(user=request.user, lecture=lecture)
    return render(request, "catalog/lecture_detail.html", context)


@login_required
def my_learning(request: MemberRequest) -> HttpResponse:
    """What the member is in the middle of, and every course they started, with progress."""
    user = request.user
    # The learning service completes courses without signals: catch up here (cheap).
    certificates_issue_for(user=user)
    context = {
        "continue_watching": learning_selectors.continue_watching(user=user, limit=12),
        "courses": learning_selectors.my_learning(user=user),
        "certificates": certificate_selectors.certificates_valid_by_course(user=user),
    }
    return render(request, "catalog/my_learning.html", context)
