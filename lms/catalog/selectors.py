"""Reads of the catalog. `access_*` look-ups also authorise: what a user may not see is 404."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from lms.accounts.models import User

from .models import Bundle, BundleCourse, Category, Course, Lecture, visible_q

SEARCH_MAX_LENGTH = 100
# Korean attaches particles (조사) to nouns: a search for "상담품질을" should find "상담품질".
# Longest first so that "에서" is stripped before "서" could be.
KOREAN_PARTICLES = tuple(
    sorted(
        [
            "을",
            "를",
            "이",
            "가",
            "은",
            "는",
            "의",
            "에",
            "에서",
            "으로",
            "로",
            "와",
            "과",
            "도",
            "에게",
            "부터",
            "까지",
            "이란",
            "란",
            "이나",
            "나",
            "하고",
            "처럼",
            "보다",
        ],
        key=len,
        reverse=True,
    )
)


def search_word_forms(word: str) -> list[str]:
    """The word, and the word without a trailing particle when a stem of 2+ letters is left."""
    forms = [word]
    for particle in KOREAN_PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            forms.append(word[: -len(particle)])
            break
    return forms


def editor_q(user: User, prefix: str = "") -> Q:
    """The courses `user` may edit, as a filter on Course (or on `prefix` + a course): every
    course for staff, the ones they teach (co-instructors too) otherwise. The one statement of
    who edits a course; `can_edit_course` asks it of one course."""
    return Q() if user.is_staff else Q(**{f"{prefix}instructors": user})


def can_edit_course(user: User | None, course: Course) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff:  # editor_q(staff) matches every course: no query needed
        return True
    prefetched = getattr(course, "_prefetched_objects_cache", {}).get("instructors")
    if prefetched is not None:  # editor_q's rule on the instructors already loaded
        return any(instructor.pk == user.pk for instructor in prefetched)
    return Course.objects.filter(editor_q(user), pk=course.pk).exists()


def _visible_lectures() -> QuerySet[Lecture]:
    return Lecture.objects.filter(visible_q()).order_by("position")


def category_list() -> QuerySet[Category]:
    return Category.objects.annotate(
        course_count=Count("courses", filter=visible_q("courses__"), distinct=True)
    ).order_by("position", "id")


def category_list_offered() -> QuerySet[Category]:
    """The categories worth a link: those with at least one visible course."""
    return category_list().filter(
        Exists(Course.objects.filter(visible_q(), category=OuterRef("pk")))
    )


def category_get(*, slug: str) -> Category:
    try:
        return Category.objects.get(slug=slug)
    except Category.DoesNotExist as exc:
        raise Http404 from exc


def _with_poster() -> Exists:
    """Whether a course has a visible lecture whose video has a poster frame (the cover until
    one is uploaded)."""
    return Exists(
        Lecture.objects.filter(
            visible_q(), course=OuterRef("pk"), video__current_version__poster_path__gt=""
        )
    )


def course_list(*, category: Category | None = None) -> QuerySet[Course]:
    """Visible courses, newest first, with what a course card shows: lecture count, total
    length, whether a lecture frame can stand in for a missing cover. Two queries with the
    instructors, however many courses and lectures."""
    qs = (
        Course.objects.filter(visible_q())
        .select_related("category")
        .prefetch_related("instructors")
        .annotate(
            lecture_count=Count("lectures", filter=visible_q("lectures__")),
            total_seconds=Sum("lectures__duration_seconds", filter=visible_q("lectures__")),
            has_poster=_with_poster(),
        )
        .order_by("-publish_at", "-id")
    )
    if category is not None:
        qs = qs.filter(category=category)
    return qs


def access_course(user: User | None, *, slug: str) -> Course:
    """The course page's course, with its lectures prefetched in order.

    Visitors and members see only visible courses and lectures; the course's instructors and
    staff also see drafts. Anything else is a 404, not a 403, so that drafts do not leak.
    """
    base = Course.objects.select_related("category").prefetch_related("instructors")
    try:
        course = base.get(slug=slug)
    except Course.DoesNotExist as exc:
        raise Http404 from exc
    editor = can_edit_course(user, course)
    if not course.is_visible and not editor:
        raise Http404
    lectures = (
        Lecture.objects.filter(course=course).order_by("position")
        if editor
        else _visible_lectures().filter(course=course)
    ).select_related("video__current_version")
    course.visible_lectures = list(lectures)  # type: ignore[attr-defined]
    course.can_edit = editor  # type: ignore[attr-defined]
    return course


@dataclass(frozen=True)
class CourseCover:
    """What a course's cover is: the uploaded image, else a lecture's poster frame, else
    nothing (the pages draw a placeholder)."""

    course: Course
    image_name: str
    poster_path: str
    poster_lecture_id: int | None


def access_course_cover(user: User | None, *, slug: str) -> CourseCover:
    """The cover of a course the user may see (`access_course`'s rule); 404 otherwise."""
    try:
        course = Course.objects.get(slug=slug)
    except Course.DoesNotExist as exc:
        raise Http404 from exc
    editor = can_edit_course(user, course) if not course.is_visible else False
    if not course.is_visible and not editor:
        raise Http404
    if course.cover_image:
        return CourseCover(course, course.cover_image.name, "", None)
    lectures = Lecture.objects.filter(course=course, video__current_version__poster_path__gt="")
    if not editor:
        lectures = lectures.filter(visible_q())
    first = (
        lectures.order_by("position")
        .values_list("pk", "video__current_version__poster_path")
        .first()
    )
    if first is None:
        return CourseCover(course, "", "", None)
    return CourseCover(course, "", first[1], first[0])


def bundle_list() -> QuerySet[Bundle]:
    return (
        Bundle.objects.filter(visible_q())
        .annotate(course_count=Count("items", filter=visible_q("items__course__")))
        .order_by("-publish_at", "-id")
    )


def access_bundle(user: User | None, *, slug: str) -> Bundle:
    """A bundle with its courses in order, each with what a course card shows."""
    items = (
        BundleCourse.objects.select_related("course", "course__category")
        .prefetch_related("course__instructors")
        .annotate(
            lecture_count=Count("course__lectures", filter=visible_q("course__lectures__")),
            total_seconds=Sum(
                "course__lectures__duration_seconds", filter=visible_q("course__lectures__")
            ),
            has_poster=Exists(
                Lecture.objects.filter(
                    visible_q(),
                    course=OuterRef("course_id"),
                    video__current_version__poster_path__gt="",
                )
            ),
        )
    )
    staff = bool(user and user.is_authenticated and user.is_staff)
    if not staff:
        items = items.filter(visible_q("course__"))
    try:
        bundle = Bundle.objects.prefetch_related(
            Prefetch("items", queryset=items.order_by("position"))
        ).get(slug=slug)
    except Bundle.DoesNotExist as exc:
        raise Http404 from exc
    if not bundle.is_visible and not staff:
        raise Http404
    return bundle


def bundle_lectures(*, courses: list[Course]) -> list[Lecture]:
    """The visible lectures of `courses` (the bundle's, in its order), in that order, each with
    its course from `courses` (one query)."""
    by_id = {course.pk: course for course in courses}
    order = {course.pk: i for i, course in enumerate(courses)}
    lectures = list(_visible_lectures().filter(course_id__in=list(by_id)))
    lectures.sort(key=lambda x: (order[x.course_id], x.position))
    for lecture in lectures:
        lecture.course = by_id[lecture.course_id]
    return lectures


def catalog_search(*, query: str) -> tuple[list[Course], list[Lecture]]:
    """Courses and lectures whose title or description contains the words of `query`.

    Every word must appear (in the title or the description), with or without a trailing
    particle. `icontains` matches Hangul
    anywhere inside a word on SQLite and PostgreSQL alike, which a full-text search on
    whitespace tokens would not (Korean attaches particles to nouns: 콜센터의, 콜센터와).
    """
    words = [w for w in query[:SEARCH_MAX_LENGTH].split() if w][:8]
    if not words:
        return [], []
    course_q = Q()
    lecture_q = Q()
    for word in words:
        course_word = Q()
        lecture_word = Q()
        for form in search_word_forms(word):
            in_titles = Q(title__icontains=form) | Q(title_en__icontains=form)
            in_text = Q(description__icontains=form)
            course_word |= in_titles | in_text | Q(summary__icontains=form)
            lecture_word |= in_titles | in_text
        course_q &= course_word
        lecture_q &= lecture_word
    courses = list(course_list().filter(course_q)[:20])
    lectures = list(
        _visible_lectures()
        .filter(visible_q("course__"))
        .filter(lecture_q)
        .select_related("course")
        .order_by("course_id", "position")[:50]
    )
    return courses, lectures


def course_list_editable(user: User) -> QuerySet[Course]:
    """The studio's course list: the courses a user teaches, or every course for staff."""
    qs = Course.objects.select_related("category").annotate(
        lecture_count=Count("lectures", distinct=True)
    )
    return qs.filter(editor_q(user)).order_by("-updated_at", "-id")


def access_course_for_edit(user: User, *, pk: int) -> Course:
    """A course the user may edit: one they teach (co-instructors too), or any for staff.
    Others get a 404 so that the existence of drafts does not leak."""
    try:
        course = Course.objects.select_related("category").get(pk=pk)
    except Course.DoesNotExist as exc:
        raise Http404 from exc
    if not can_edit_course(user, course):
        raise Http404
    return course


def access_lecture_for_edit(user: User, *, course_pk: int, pk: int) -> Lecture:
    course = access_course_for_edit(user, pk=course_pk)
    try:
        lecture = Lecture.objects.get(course=course, pk=pk)
    except Lecture.DoesNotExist as exc:
        raise Http404 from exc
    lecture.course = course
    return lecture


def course_list_in_review() -> QuerySet[Course]:
    from .models import Status

    return (
        Course.objects.filter(status=Status.IN_REVIEW)
        .select_related("category")
        .prefetch_related("instructors")
        .annotate(lecture_count=Count("lectures", distinct=True))
        .order_by("updated_at")
    )
