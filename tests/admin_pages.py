"""Posting an admin change form back as a browser would, with a few fields changed."""

from typing import Any

from django import forms
from django.test import Client


def _form_data(form: Any) -> dict[str, Any]:
    """What a browser posts back for `form` left as the page showed it."""
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        if isinstance(field.widget, forms.MultiWidget):
            for i, part in enumerate(field.widget.decompress(value)):
                data[f"{bound.html_name}_{i}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
        elif value is not None and not hasattr(value, "storage"):  # files are not re-sent
            data[bound.html_name] = str(value)
    return data


def change_page_data(client: Client, url: str) -> dict[str, Any]:
    """The data of the change (or add) page at `url`, inline rows included, as shown."""
    page = client.get(url)
    assert page.status_code == 200
    data = _form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        data.update(_form_data(inline.formset.management_form))
        for form in inline.formset.forms:
            data.update(_form_data(form))
    return data
