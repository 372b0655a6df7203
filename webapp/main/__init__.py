"""Landing page and other site-wide pages."""
