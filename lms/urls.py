from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from lms.accounts import api as accounts_api
from lms.catalog import api as catalog_api
from lms.core import views as core_views
from lms.core.api import NoSuchApi
from lms.learning import api as learning_api
from lms.media import urls as media_urls
from lms.studio import views as studio_views

admin.site.site_header = "CS리더스포럼 관리"
admin.site.site_title = "CS리더스포럼"

api_v1: list[URLPattern | URLResolver] = [
    path("me/preferences", accounts_api.PreferencesApi.as_view(), name="api-preferences"),
    path("courses/", catalog_api.CourseListApi.as_view(), name="api-course-list"),
    path("courses/<slug:slug>/", catalog_api.CourseDetailApi.as_view(), name="api-course-detail"),
    path(
        "progress/heartbeats",
        learning_api.HeartbeatApi.as_view(),
        name="api-progress-heartbeats",
    ),
    path(
        "progress/lectures/<id:lecture_id>",
        learning_api.LectureProgressApi.as_view(),
        name="api-progress-lecture",
    ),
    path(
        "progress/courses/<id:course_id>",
        learning_api.CourseProgressApi.as_view(),
        name="api-progress-course",
    ),
    path("", include(media_urls.api_urlpatterns)),
    re_path(r"", NoSuchApi.as_view()),  # last: what no route above takes
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view loads its start-up script from a URL: the CSP allows no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("csp-report/", core_views.csp_report, name="csp-report"),
    # Browsers and feed readers ask for /favicon.ico whatever the page links.
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("studio/", include("lms.studio.urls")),
    path("qna/", include("lms.qna.urls")),
    path("play/", include("lms.media.urls")),
    path("handouts/<id:attachment_id>/", studio_views.handout_download, name="handout_download"),
    path("", include("lms.certificates.urls")),
    path("", include("lms.community.urls")),
    path("", include("lms.accounts.urls")),
    path("", include("lms.web.urls")),
]

handler400 = "lms.core.views.bad_request"
handler403 = "lms.core.views.permission_denied"
handler404 = "lms.core.views.page_not_found"
handler500 = "lms.core.views.server_error"
