"""Signals the callbacks app sends. Visits saved in bulk (services._insert) send no post_save."""

from django.dispatch import Signal

# Sent after new visits are saved in bulk, with `visits`: the saved CallbackVisit objects.
visits_inserted = Signal()
