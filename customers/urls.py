from django.urls import path

from .views import detail, edit, imports, listing, privacy

app_name = "customers"

urlpatterns = [
    path("", listing.CustomerListView.as_view(), name="index"),
    path("export.csv", listing.CustomerExportView.as_view(), name="export"),
    path("new/", edit.CustomerCreateView.as_view(), name="create"),
    path("<int:pk>/", detail.CustomerDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", edit.CustomerEditView.as_view(), name="edit"),
    path("<int:pk>/archive/", edit.CustomerArchiveView.as_view(), name="archive"),
    path("<int:pk>/merge/", edit.CustomerMergeView.as_view(), name="merge"),
    path("<int:pk>/contacts/new/", edit.ContactCreateView.as_view(), name="contact_add"),
    path(
        "<int:pk>/interactions/new/", edit.InteractionCreateView.as_view(), name="interaction_add"
    ),
    path("<int:pk>/products/new/", edit.ProductOwnedCreateView.as_view(), name="product_add"),
    # Administrators only: a customer's personal data as a file, and the erasure (privacy.py).
    path(
        "<int:pk>/personal-data.json",
        privacy.CustomerPersonalDataExportView.as_view(),
        name="privacy_export",
    ),
    path("<int:pk>/erase/", privacy.CustomerEraseView.as_view(), name="erase"),
    path("import/", imports.ImportUploadView.as_view(), name="import"),
    path("import/<int:pk>/", imports.ImportPreviewView.as_view(), name="import_preview"),
    path("import/<int:pk>/progress/", imports.ImportProgressView.as_view(), name="import_progress"),
    path("import/<int:pk>/status/", imports.ImportStatusView.as_view(), name="import_status"),
]
