"""Browser tests run in Debian's Chromium through Playwright (see tests/conftest.py)."""
