"""Who may do what in the Django admin.

Staff (`is_staff`) run the platform: they compose and publish bundles, review courses and
schedule the weekly lectures, mostly in the admin. Django's admin shows a staff member only
the models they hold permissions for, so without this backend a staff account that is not a
superuser would find an empty admin until someone granted it dozens of model permissions by
hand. Here staff hold every permission on the content (catalog, community, media) and may
view members' progress; accounts and permissions stay with superusers, so a staff member
cannot make themselves (or anyone) a superuser.
"""

from typing import Any

from django.contrib.auth.backends import BaseBackend

STAFF_APPS = frozenset({"catalog", "community", "media"})
STAFF_VIEW_APPS = frozenset({"learning"})


def _is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False))


class StaffContentBackend(BaseBackend):
    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if not _is_staff(user_obj):
            return False
        app_label, _dot, codename = perm.partition(".")
        if app_label in STAFF_APPS:
            return True
        return app_label in STAFF_VIEW_APPS and codename.startswith("view_")

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return _is_staff(user_obj) and app_label in STAFF_APPS | STAFF_VIEW_APPS
