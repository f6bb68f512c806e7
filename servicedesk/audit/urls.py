from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.ReviewListView.as_view(), name="index"),
    path("mine/", views.MyReviewsView.as_view(), name="mine"),
    path("reviews/new/", views.ReviewCreateView.as_view(), name="review_create"),
    path("reviews/<int:pk>/", views.ReviewDetailView.as_view(), name="review"),
    path(
        "reviews/<int:pk>/acknowledge/",
        views.ReviewAcknowledgeView.as_view(),
        name="review_acknowledge",
    ),
    path("forms/", views.CheckFormListView.as_view(), name="forms"),
    path("forms/<int:pk>/", views.CheckFormDetailView.as_view(), name="form"),
    path("scorecard/", views.ScorecardView.as_view(), name="scorecard"),
]
