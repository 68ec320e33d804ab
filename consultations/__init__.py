"""consultations module."""
