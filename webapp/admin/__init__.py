"""Admin pages. Closed by default: the blueprint checks admin rights before every request."""
