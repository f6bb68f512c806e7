"""Staff pages of the customer archive, one module per area (list, 360°, edits, import)."""
