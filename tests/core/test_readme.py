"""README.md lists every config key and every feature area, and its screenshots exist."""

from __future__ import annotations

import re

from config import ROOT, Config, ProductionConfig, TestingConfig

README = (ROOT / "README.md").read_text()


def _keys(config_class) -> set[str]:
    return {name for name in dir(config_class) if name.isupper() and not name.startswith("_")}


def test_every_config_key_is_in_the_readme():
    """Each upper-case setting of Config (and those only the test or production config add) is
    named in README.md, so an operator can find every knob in one place."""
    keys = _keys(Config) | _keys(TestingConfig) | _keys(ProductionConfig)
    missing = sorted(key for key in keys if not re.search(rf"\b{key}\b", README))
    assert missing == []


def test_every_screenshot_the_readme_shows_is_committed():
    """Each image README.md embeds is a file under docs/img/ (the Playwright suite writes them)."""
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert images, "the README shows the main pages"
    for image in images:
        assert image.startswith("docs/img/") and (ROOT / image).is_file(), image
