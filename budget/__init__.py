"""budget module."""
