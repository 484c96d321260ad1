"""The questions section's forms: each POSTs here and returns to the lecture page at the post
(progressive enhancement: no script is needed). Thin: authorise, call one service, redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms.accounts.models import User
from lms.accounts.requests import MemberRequest
from lms.core.errors import AppError, NotFound
from lms.learning.selectors import access_lecture

from . import selectors, services
from .forms import HideForm, PostForm, QuestionForm
from .limits import TooManyPosts
from .models import Answer, Question


def _back(question: Question, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(
        services.lecture_url(question.lecture, anchor or f"question-{question.pk}")
    )


def _too_many(request: HttpRequest, error: TooManyPosts, back: str) -> HttpResponse:
    """A 429 page that keeps what the member wrote, so that nothing typed is lost."""
    context = {"message": error.message, "back": back, "body": request.POST.get("body", "")}
    response = render(request, "qna/too_many.html", context, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


def _form_errors(request: HttpRequest, form: PostForm | HideForm) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _question(request: HttpRequest, question_id: int) -> Question:
    try:
        return selectors.access_question(_user(request), question_id=question_id)
    except NotFound as exc:
        raise Http404 from exc


def _answer(request: HttpRequest, answer_id: int) -> Answer:
    try:
        return selectors.access_answer(_user(request), answer_id=answer_id)
    except NotFound as exc:
        raise Http404 from exc


@login_required
@require_POST
def question_ask(request: MemberRequest, lecture_id: int) -> HttpResponse:
    try:
        lecture = access_lecture(_user(request), lecture_id=lecture_id)
    except NotFound as exc:
        raise Http404 from exc
    back = services.lecture_url(lecture)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return HttpResponseRedirect(back)
    try:
        question = services.question_ask(
            member=_user(request),
            lecture=lecture,
            body=form.cleaned_data["body"],
            at_seconds=form.cleaned_data["at"],
        )
    except TooManyPosts as exc:
        return _too_many(request, exc, back)
    except AppError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)
    messages.success(request, _("Your question is posted."))
    return _back(question)


@login_required
@require_POST
def answer_post(request: MemberRequest, question_id: int) -> HttpResponse:
    question = _question(request, question_id)
    form = PostForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(question)
    try:
        answer = services.answer_post(
            member=_user(request), question=question, body=form.cleaned_data["body"]
        )
    except TooManyPosts as exc:
        return _too_many(request, exc, services.question_url(question))
    except AppError as exc:
        messages.error(request, exc.message)
        return _back(question)
    messages.success(request, _("Your answer is posted."))
    return _back(question, f"answer-{answer.pk}")


@login_required
@require_POST
def question_edit(request: MemberRequest, question_id: int) -> HttpResponse:
    question = _question(request, question_id)
    form = PostForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(question)
    try:
        services.question_edit(
            member=_user(request), question=question, body=form.cleaned_data["body"]
        )
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your changes are saved."))
    return _back(question)


@login_required
@require_POST
def answer_edit(request: MemberRequest, answer_id: int) -> HttpResponse:
    answer = _answer(request, answer_id)
    form = PostForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(answer.question, f"answer-{answer.pk}")
    try:
        services.answer_edit(member=_user(request), answer=answer, body=form.cleaned_data["body"])
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your changes are saved."))
    return _back(answer.question, f"answer-{answer.pk}")


@login_required
@require_POST
def answer_accept(request: MemberRequest, answer_id: int) -> HttpResponse:
    answer = _answer(request, answer_id)
    try:
        services.answer_accept(member=_user(request), answer=answer)
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Marked as the answer that helped."))
    return _back(answer.question, f"answer-{answer.pk}")


def _hide(
    request: HttpRequest, post: Question | Answer, back: HttpResponseRedirect
) -> HttpResponse:
    form = HideForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return back
    try:
        services.post_hide(staff=_user(request), post=post, reason=form.cleaned_data["reason"])
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The post is hidden."))
    return back


@login_required
@require_POST
def question_hide(request: MemberRequest, question_id: int) -> HttpResponse:
    question = _question(request, question_id)
    return _hide(request, question, _back(question))


@login_required
@require_POST
def answer_hide(request: MemberRequest, answer_id: int) -> HttpResponse:
    answer = _answer(request, answer_id)
    return _hide(request, answer, _back(answer.question, f"answer-{answer.pk}"))
