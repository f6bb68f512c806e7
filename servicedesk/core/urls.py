from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.MyWorkView.as_view(), name="my_work"),
    path("account/", views.AccountView.as_view(), name="account"),
    path("account/tokens/", views.ApiTokenListView.as_view(), name="tokens"),
    path(
        "account/tokens/<int:pk>/revoke/", views.ApiTokenRevokeView.as_view(), name="token_revoke"
    ),
    path("system/", views.SystemView.as_view(), name="system"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
]
