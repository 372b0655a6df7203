"""The question part of a bookmark card (exhibit, stem, choices and, when allowed, the folded
answer), rendered once per process for each question version and reused.

It is the same for every learner: what differs per learner (the bookmark's date, the toggle,
tags, note and report controls) stays outside it, and whether the answer may show is part of
the key. The key is what the request has just read from the question's own row: its id, its
`version` and `updated_at` (the editor and the bank import bump both with every content change,
choices included; webapp/questions/bank.py, webapp/editor/services.py) and its stem. An edit
therefore makes a new key, and the old entry is simply never asked for again: an entry cannot
be stale. Only the cards not yet rendered load their choices (one query for them all), so a
warm page reads no choices at all. A bounded LRU per process (config BOOKMARK_CARD_CACHE_SIZE)
holds them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import Question

TEMPLATE = "bookmarks/_question_part.html"
_lock = threading.Lock()


def _key(question: Question, answer_visible: bool) -> tuple:
    return question.id, question.version, question.updated_at, question.stem, answer_visible


def _store() -> OrderedDict:
    return current_app.extensions.setdefault("bookmark_card_parts", OrderedDict())


def question_parts(items) -> dict[int, Markup]:
    """The rendered question part (templates/bookmarks/_question_part.html) of each BookmarkItem's
    question, by question id."""
    store = _store()
    keys = {item.question_id: _key(item.question, item.answer_visible) for item in items}
    parts: dict[int, Markup] = {}
    with _lock:
        for qid, key in keys.items():
            found = store.get(key)
            if found is not None:
                store.move_to_end(key)
                parts[qid] = found
    missing = [item for item in items if item.question_id not in parts]
    if not missing:
        return parts
    # The questions are in the session already: this fills in their choices (one query).
    db.session.scalars(sa.select(Question).where(Question.id.in_([item.question_id for item in missing]))
                       .options(selectinload(Question.choices))).all()
    # The template alone, without the context processors a render_template call would run again.
    template = current_app.jinja_env.get_template(TEMPLATE)
    size = int(current_app.config["BOOKMARK_CARD_CACHE_SIZE"])
    for item in missing:
        parts[item.question_id] = Markup(template.render(question=item.question, answer_visible=item.answer_visible))
    if size > 0:
        with _lock:
            for item in missing:
                store[keys[item.question_id]] = parts[item.question_id]
            while len(store) > size:
                store.popitem(last=False)
    return parts
