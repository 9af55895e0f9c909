"""Public, anonymous URLs: advisories, their files, the feed and the CSAF provider.

Included from ``akrites/urls.py`` at the site root (namespace ``advisories``).
"""

from django.urls import path

from disclosure.advisories import public_views as views

app_name = "advisories"

urlpatterns = [
    path("advisories/", views.advisory_list, name="list"),
    path("advisories/feed.atom", views.AdvisoryFeed(), name="feed"),
    path("advisories/osv/index.json", views.osv_index, name="osv_index"),
    path("advisories/osv/<str:osv_id>.json", views.osv_record, name="osv"),
    path("advisories/cve/<str:cve_id>.json", views.cve_record, name="cve"),
    path("advisories/<str:identifier>/", views.advisory_detail, name="detail"),
    path("advisories/<str:identifier>/csaf.json", views.advisory_csaf, name="csaf"),
    path(
        ".well-known/csaf/provider-metadata.json",
        views.provider_metadata,
        name="csaf_provider_metadata",
    ),
    path(".well-known/csaf/white/", views.csaf_directory, name="csaf_directory"),
    path(".well-known/csaf/white/index.txt", views.csaf_index_txt, name="csaf_index"),
    path(".well-known/csaf/white/changes.csv", views.csaf_changes_csv, name="csaf_changes"),
    path(".well-known/csaf/white/<int:year>/", views.csaf_year, name="csaf_year"),
    path(
        ".well-known/csaf/white/<int:year>/<str:filename>",
        views.csaf_file,
        name="csaf_provider_file",
    ),
]
