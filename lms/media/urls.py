from django.urls import path

from . import api, views

app_name = "media"

urlpatterns = [
    path("lectures/<id:lecture_id>/master.m3u8", views.master, name="master"),
    path(
        "lectures/<id:lecture_id>/v<id:version_id>/<path:path>",
        views.playlist,
        name="playlist",
    ),
    path(
        "lectures/<id:lecture_id>/captions/<str:language>.m3u8",
        views.caption_playlist,
        name="caption_playlist",
    ),
    path(
        "lectures/<id:lecture_id>/storyboard.vtt",
        views.storyboard,
        name="storyboard",
    ),
    path("f/<str:token>/<str:filename>", views.signed_file, name="signed_file"),
    path("originals/<id:asset_id>", views.original_download, name="original_download"),
]

# The upload and video-processing API, included under /api/v1/ by lms/urls.py (its names, like
# the other API routes, are global: "api-...").
api_urlpatterns = [
    path("uploads", api.UploadListApi.as_view(), name="api-uploads"),
    path("uploads/<id:upload_id>", api.UploadDetailApi.as_view(), name="api-upload"),
    path(
        "uploads/<id:upload_id>/parts/<int:number>/url",
        api.UploadPartUrlApi.as_view(),
        name="api-upload-part-url",
    ),
    path(
        "uploads/<id:upload_id>/parts/<int:number>",
        api.UploadPartApi.as_view(),
        name="api-upload-part",
    ),
    path(
        "uploads/<id:upload_id>/complete",
        api.UploadCompleteApi.as_view(),
        name="api-upload-complete",
    ),
    path("videos/<id:asset_id>/status", api.VideoStatusApi.as_view(), name="api-video-status"),
    path("videos/<id:asset_id>/cancel", api.VideoCancelApi.as_view(), name="api-video-cancel"),
    path("videos/<id:asset_id>/retry", api.VideoRetryApi.as_view(), name="api-video-retry"),
]
