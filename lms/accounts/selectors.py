from django.db.models import QuerySet

from .models import InstructorApplication, User


def instructor_application_list_pending() -> QuerySet[InstructorApplication]:
    return (
        InstructorApplication.objects.filter(status=InstructorApplication.Status.PENDING)
        .select_related("applicant")
        .order_by("created_at")
    )


def instructor_application_list_for(user: User) -> QuerySet[InstructorApplication]:
    return user.instructor_applications.order_by("-created_at")
