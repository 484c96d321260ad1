from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User

# The admin signs in through the site's own sign-in (allauth, with next= back to the admin):
# one form, one set of limits on wrong passwords (ACCOUNT_RATE_LIMITS), instead of Django's
# admin form, which counts nothing.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    ordering = ("-date_joined",)
    list_display = (
        "email",
        "display_name",
        "is_instructor",
        "is_staff",
        "is_active",
        "date_joined",
    )
    list_filter = ("is_instructor", "is_staff", "is_superuser", "is_active", "date_joined")
    search_fields = ("email", "display_name", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Profile"),
            {
                "fields": (
                    "display_name",
                    "first_name",
                    "last_name",
                    "certificate_name",
                    "bio",
                    "links",
                    "profile_public",
                )
            },
        ),
        (
            _("Roles"),
            {"fields": ("is_active", "is_instructor", "is_staff", "is_superuser", "groups")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
