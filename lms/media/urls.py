from django.urls import path

from . import playback_views, upload_api, views

app_name = "media"

urlpatterns = [
    path("lectures/<id:lecture_id>/master.m3u8", playback_views.master, name="master"),
    path(
        "lectures/<id:lecture_id>/v<id:version_id>/<path:path>",
        playback_views.playlist,
        name="playlist",
    ),
    path(
        "lectures/<id:lecture_id>/captions/<str:language>.m3u8",
        playback_views.caption_playlist,
        name="caption_playlist",
    ),
    path(
        "lectures/<id:lecture_id>/storyboard.vtt",
        playback_views.storyboard,
        name="storyboard",
    ),
    path("f/<str:token>/<str:filename>", playback_views.signed_file, name="signed_file"),
    path("originals/<id:asset_id>", views.original_download, name="original_download"),
]

# The upload and video-processing API, included under /api/v1/ by lms/urls.py (its names, like
# the other API routes, are global: "api-...").
api_urlpatterns = [
    path("uploads", upload_api.UploadListApi.as_view(), name="api-uploads"),
    path("uploads/<id:upload_id>", upload_api.UploadDetailApi.as_view(), name="api-upload"),
    path(
        "uploads/<id:upload_id>/parts/<int:number>/url",
        upload_api.UploadPartUrlApi.as_view(),
        name="api-upload-part-url",
    ),
    path(
        "uploads/<id:upload_id>/parts/<int:number>",
        upload_api.UploadPartApi.as_view(),
        name="api-upload-part",
    ),
    path(
        "uploads/<id:upload_id>/complete",
        upload_api.UploadCompleteApi.as_view(),
        name="api-upload-complete",
    ),
    path(
        "videos/<id:asset_id>/status", upload_api.VideoStatusApi.as_view(), name="api-video-status"
    ),
    path(
        "videos/<id:asset_id>/cancel", upload_api.VideoCancelApi.as_view(), name="api-video-cancel"
    ),
    path("videos/<id:asset_id>/retry", upload_api.VideoRetryApi.as_view(), name="api-video-retry"),
]
