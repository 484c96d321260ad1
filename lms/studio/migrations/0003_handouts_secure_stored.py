"""Handouts stored before their content was checked: moved to server-chosen names with their
detected type's extension, or removed when they are not an allowed type (issue 17)."""

from django.db import migrations


def secure_stored(apps, schema_editor):
    from lms.studio.services import attachments_secure_stored

    attachments_secure_stored(model=apps.get_model("studio", "LectureAttachment"))


class Migration(migrations.Migration):
    dependencies = [("studio", "0002_go_live")]

    operations = [migrations.RunPython(secure_stored, migrations.RunPython.noop)]
