"""petitions module."""
