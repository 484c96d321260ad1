"""The admin speaks Korean: the index (every app and model name, third-party ones included)
and, for each model of our apps, its change list (title, columns, filters and their choices,
actions) and its add form's labels. Acronyms and the "slug" the label explains are allowed."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_headers
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from tests.factories import CourseFactory, UserFactory
from tests.korean_copy import BAD

ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
ALLOWED = {"ID", "HRD", "CSV", "PDF", "URL", "HTML", "slug", "CS"}
OUR_MODELS = sorted(
    (m for m in admin.site._registry if m._meta.app_config.name.startswith("lms.")),
    key=lambda m: m._meta.label,
)


def english_words(text: str) -> set[str]:
    return set(ENGLISH_WORD.findall(text)) - ALLOWED


@pytest.fixture
def client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


class _AppListText(HTMLParser):
    """The text of the index's app list: captions (apps) and row headers (models)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("caption", "th"):
            self.inside.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.inside and tag == self.inside[-1]:
            self.inside.pop()

    def handle_data(self, data: str) -> None:
        if self.inside and data.strip():
            self.texts.append(data.strip())


def test_the_admin_index_names_every_app_and_model_in_korean(client):
    page = client.get("/admin/").content.decode()
    parser = _AppListText()
    parser.feed(page[page.index('id="content-main"') : page.index('id="content-related"')])
    assert len(parser.texts) > 30
    untranslated = {t for t in parser.texts if english_words(t)}
    assert not untranslated


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_a_change_list_and_its_form_have_korean_labels(client, model):
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200
    cl = response.context["cl"]
    labels = [str(opts.app_config.verbose_name), str(opts.verbose_name_plural)]
    labels.append(str(response.context["title"]))
    labels += [strip_tags(str(h["text"])) for h in result_headers(cl)]
    for spec in cl.filter_specs:
        labels.append(str(spec.title))
        labels += [str(choice["display"]) for choice in spec.choices(cl)]
    if response.context.get("action_form"):
        labels += [
            str(label) for _, label in response.context["action_form"].fields["action"].choices
        ]
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    if add.status_code == 200:
        for fieldset in add.context["adminform"]:
            labels.append(str(fieldset.name or ""))
            for line in fieldset:
                for field in line:
                    labels.append(
                        str(
                            field.field["label"]
                            if isinstance(field.field, dict)
                            else field.field.label
                        )
                    )
    else:  # read-only in the admin: the model's own field names
        labels += [str(f.verbose_name) for f in opts.get_fields() if hasattr(f, "verbose_name")]
    untranslated = {label for label in labels if english_words(label)}
    assert not untranslated
    stiff = {label for label in labels if BAD.search(label)}
    assert not stiff


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_admins_messages_put_no_particle_after_a_name(client):
    missing = client.get("/admin/catalog/course/999999/change/", follow=True)
    assert _messages(missing) == ["ID가 “999999”인 강좌 항목이 없습니다. 삭제되었을 수 있습니다."]
    course = CourseFactory(title="상담 품질 관리")
    url = f"/admin/catalog/course/{course.pk}/delete/"
    deleted = client.post(url, {"post": "yes"}, follow=True)
    assert _messages(deleted) == ["강좌 “상담 품질 관리” 항목을 삭제했습니다."]
    for said in _messages(missing) + _messages(deleted):
        assert not BAD.search(said)
