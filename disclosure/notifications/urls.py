from django.urls import path

from disclosure.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.centre, name="centre"),
    path("<int:pk>/read/", views.mark_read, name="mark_read"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("preferences/", views.preferences, name="preferences"),
    path("mute/<str:reference>/", views.mute, name="mute"),
    path("failures/", views.failures, name="failures"),
    path("failures/<int:pk>/retry/", views.failure_retry, name="failure_retry"),
    path("webhooks/", views.webhook_list, name="webhook_list"),
    path("webhooks/new/", views.webhook_create, name="webhook_create"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/test/", views.webhook_test, name="webhook_test"),
    path("webhooks/<int:pk>/enable/", views.webhook_enable, name="webhook_enable"),
    path("webhooks/<int:pk>/disable/", views.webhook_disable, name="webhook_disable"),
    path("webhooks/<int:pk>/rotate-secret/", views.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
]
