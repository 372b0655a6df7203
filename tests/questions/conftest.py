"""Fixtures for the question-bank tests: bank folders on disk, an app context, a CLI runner."""

from __future__ import annotations

import pytest

from tests.questions.factories import write_bank_folder


@pytest.fixture
def app_context(app):
    """Service calls run inside an application context, as they do in views and commands."""
    with app.app_context():
        yield


@pytest.fixture
def bank_folder(tmp_path):
    """A valid exam folder: the demo exam.json and three questions covering every objective."""
    return write_bank_folder(tmp_path / "bank" / "demo")


@pytest.fixture
def cli(app):
    """Click runner for `flask ...` commands of the app under test."""
    return app.test_cli_runner()
