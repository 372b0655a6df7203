"""Bookmarks with tags and private notes: the rules, written once for the pages and the JSON API.

- A learner bookmarks any question they can see (`browse.get_question`: an active question of an
  exam they may see). Adding a bookmark that exists changes nothing and reports it as existing;
  changes go through `update_bookmark`.
- Tags follow `webapp.bookmarks.tags` and are per user: a tag keeps the spelling the learner
  first used on any of their bookmarks.
- One private note per learner per question, bookmarked or not. A bookmark's `notes` is that
  note (no second copy): writing a bookmark's notes writes the note, and empty text deletes it.
- A bookmark or note of a question later deactivated stays the learner's: it is listed, marked
  retired, and can be removed, but no new bookmark or note can be written on it. Those of a
  retired exam are hidden from learners with the exam itself (admins still see them).
- Bookmarking and notes reveal nothing about correctness: a listed question carries its key only
  when `browse.answer_visible_for` allows it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from webapp.bookmarks.tags import clean_tag, clean_tags, tag_key
from webapp.database import commit_keeping_loaded
from webapp.exceptions import NotFound, ValidationError
from webapp.extensions import db
from webapp.models import BookmarkTag, Domain, Exam, Objective, Question, QuestionBookmark, QuestionNote, User
from webapp.models.base import utcnow
from webapp.pagination import MAX_PER_PAGE, bounded_page
from webapp.questions import browse
from webapp.questions.services import visible_exams_query

logger = logging.getLogger(__name__)


class _Unchanged:
    """The value of an optional field that was not sent (distinct from None, which clears)."""

    def __repr__(self) -> str:
        return "UNCHANGED"

    def __bool__(self) -> bool:  # never mistaken for text that was sent
        return False


UNCHANGED: Any = _Unchanged()


class NoBookmark(NotFound):
    message = "You have not bookmarked this question."


class NoNote(NotFound):
    message = "You have no note on this question."


class NoteTooLong(ValidationError):
    code = "NOTE_TOO_LONG"

    def __init__(self, limit: int, field: str = "body") -> None:
        super().__init__(f"A note has at most {limit:,} characters.", field=field)


class NoteEmpty(ValidationError):
    code = "NOTE_EMPTY"
    message = "Write something in the note, or delete it."

    def __init__(self) -> None:
        super().__init__(field="body")


def is_retired(question: Question) -> bool:
    """The question no longer takes new bookmarks or notes: it, or its exam, was retired."""
    return not question.is_active or not question.exam.is_active


@dataclass(frozen=True)
class BookmarkItem:
    """A bookmark as shown: its question, tags, the learner's note and whether the key may show."""

    bookmark: QuestionBookmark
    note: QuestionNote | None
    answer_visible: bool

    @property
    def question(self) -> Question:
        return self.bookmark.question

    @property
    def question_id(self) -> int:
        return self.bookmark.question_id

    @property
    def tags(self) -> list[str]:
        return [tag.name for tag in self.bookmark.tags]

    @property
    def notes(self) -> str | None:
        return self.note.body if self.note else None

    @property
    def retired(self) -> bool:
        return is_retired(self.bookmark.question)


@dataclass(frozen=True)
class BookmarkPage:
    """One page of bookmarks: the pagination (page, per_page, total, pages) and its items."""

    page: Pagination
    items: list[BookmarkItem]


@dataclass(frozen=True)
class BookmarkFilter:
    """What the bookmarks list is narrowed to: an exam slug, an objective code (needs the exam) and a tag."""

    exam_slug: str | None = None
    objective_code: str | None = None
    tag: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.exam_slug or self.objective_code or self.tag)



def _own(model, user: User, *columns) -> sa.Select:
    """`model` rows of `user` (or `columns` of them) whose question's exam `user` may see: a
    retired exam hides them from learners, as it hides the exam everywhere else."""
    visible = visible_exams_query(user).with_only_columns(Exam.id)
    return (sa.select(*(columns or [model])).select_from(model).join(Question, Question.id == model.question_id)
            .where(model.user_id == user.id, Question.exam_id.in_(visible)))


def _bookmark(user: User, question_id: int) -> QuestionBookmark:
    found = db.session.scalar(_own(QuestionBookmark, user).where(QuestionBookmark.question_id == question_id))
    if found is None:
        raise NoBookmark()
    return found


def _note_row(user_id: int, question_id: int) -> QuestionNote | None:
    return db.session.get(QuestionNote, (user_id, question_id))


def _items(user: User, bookmarks: list[QuestionBookmark]) -> list[BookmarkItem]:
    ids = [b.question_id for b in bookmarks]
    notes = notes_for(user, ids)
    visible = browse.answer_visible_for(user, ids)
    return [BookmarkItem(b, notes.get(b.question_id), b.question_id in visible) for b in bookmarks]


def get_bookmark(user: User, question_id: int) -> BookmarkItem:
    """The user's bookmark of a question, with its note and tags; NoBookmark (404) when there is none."""
    return _items(user, [_bookmark(user, question_id)])[0]


def _filtered(user: User, wanted: BookmarkFilter) -> sa.Select:
    """The user's bookmarks narrowed by exam, objective and tag (400s name the field at fault)."""
    query = browse.narrow_to_exam(_own(QuestionBookmark, user), user, wanted.exam_slug, wanted.objective_code)
    if wanted.tag:
        tagged = sa.select(BookmarkTag.question_id).where(BookmarkTag.user_id == user.id,
                                                          BookmarkTag.tag_key == tag_key(clean_tag(wanted.tag, "tag")))
        query = query.where(QuestionBookmark.question_id.in_(tagged))
    return query


def list_bookmarks(user: User, wanted: BookmarkFilter, page: int, per_page: int,
                   with_choices: bool = True) -> BookmarkPage:
    """A page of the user's bookmarks, newest first, filtered; each with its question, tags and note.

    The question, its objective and exam come joined to the page's own query (one row each);
    tags and (`with_choices`) choices in one query each. The bookmarks page asks without
    choices: its cards' question parts are rendered once per question version
    (webapp/bookmarks/cards.py), which loads the choices only of those it has not rendered yet."""
    question = contains_eager(QuestionBookmark.question)
    options = [selectinload(QuestionBookmark.tags), question.joinedload(Question.objective, innerjoin=True),
               question.joinedload(Question.exam, innerjoin=True)]
    if with_choices:
        options.append(question.selectinload(Question.choices))
    query = (_filtered(user, wanted).options(*options)
             .order_by(QuestionBookmark.created_at.desc(), QuestionBookmark.question_id.desc()))
    found = db.paginate(query, page=bounded_page(page), per_page=per_page, max_per_page=MAX_PER_PAGE,
                        error_out=False)
    return BookmarkPage(found, _items(user, list(found.items)))


def bookmark_count(user: User) -> int:
    """How many bookmarks the user has (the navigation's "Bookmarks (N)"; the list's total)."""
    return db.session.scalar(_own(QuestionBookmark, user, sa.func.count())) or 0


def bookmarked_ids(user: User, question_ids: list[int]) -> set[int]:
    """Which of `question_ids` the user has bookmarked (for the toggles of a page of questions)."""
    if not question_ids:
        return set()
    return set(db.session.scalars(sa.select(QuestionBookmark.question_id).where(
        QuestionBookmark.user_id == user.id, QuestionBookmark.question_id.in_(question_ids))))


def user_tags(user: User) -> list[str]:
    """The user's tags as first spelled, alphabetically (the tag filter's choices)."""
    rows = db.session.execute(sa.select(BookmarkTag.tag_key, sa.func.min(BookmarkTag.name))
                              .where(BookmarkTag.user_id == user.id).group_by(BookmarkTag.tag_key)
                              .order_by(BookmarkTag.tag_key))
    return [name for _key, name in rows]


def _holding(user: User) -> sa.Select:
    """The exam ids of the user's bookmarked active questions."""
    return (sa.select(Question.exam_id).join(QuestionBookmark, QuestionBookmark.question_id == Question.id)
            .where(QuestionBookmark.user_id == user.id, Question.is_active.is_(True)))


def bookmarked_exams(user: User) -> list[Exam]:
    """Active exams where the user has bookmarked an active question: where "Quiz me on these" can start."""
    query = (visible_exams_query(user).where(Exam.is_active.is_(True), Exam.id.in_(_holding(user)))
             .order_by(Exam.code))
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class FilterChoices:
    """What the bookmarks page's filter offers: the exams the user may see, the chosen exam's
    objectives (none until an exam is chosen) and the user's tags; and, read with the exams,
    those of them `bookmarked_exams` would give (where the page's start buttons go)."""

    exams: list[Exam]
    objectives: list[Objective]
    tags: list[str]
    bookmarked: list[Exam] = field(default_factory=list)


def filter_choices(user: User, exam_slug: str | None) -> FilterChoices:
    """The filter's choices for the user, with `exam_slug` chosen (an unknown slug has no objectives)."""
    # bookmarked_exams' rule as a column of the same read: one statement for both lists.
    holds = (Exam.is_active.is_(True) & Exam.id.in_(_holding(user))).label("holds")
    rows = db.session.execute(visible_exams_query(user).add_columns(holds).order_by(Exam.code)).all()
    exams = [exam for exam, _holds in rows]
    chosen = next((exam for exam in exams if exam.slug == exam_slug), None)
    objectives = [] if chosen is None else list(db.session.scalars(
        sa.select(Objective).join(Domain, Domain.id == Objective.domain_id).where(Objective.exam_id == chosen.id)
        .order_by(Domain.position, Objective.position)))
    return FilterChoices(exams, objectives, user_tags(user), [exam for exam, held in rows if held])


def startable_exams(user: User, wanted: BookmarkFilter, choices: FilterChoices | None = None) -> list[Exam]:
    """The exams the page offers "Study these" and "Quiz me on these" for: the filtered exam, or
    every exam holding the user's bookmarks, each only when a quiz can start on it (from
    `choices` when the page has read them, else read now)."""
    exams = choices.bookmarked if choices is not None else bookmarked_exams(user)
    return [exam for exam in exams if exam.slug == wanted.exam_slug] if wanted.exam_slug else exams


def is_bookmarked(user: User, question_id: int) -> bool:
    """Whether the user has bookmarked this question (the toggle's state)."""
    return question_id in bookmarked_ids(user, [question_id])



def _shown_names(user_id: int, names: list[str]) -> list[str]:
    """`names` (already cleaned) as the user first spelled each one on any of their bookmarks."""
    keys = {tag_key(name): name for name in names}
    if not keys:
        return []
    known = dict(db.session.execute(sa.select(BookmarkTag.tag_key, sa.func.min(BookmarkTag.name))
                                    .where(BookmarkTag.user_id == user_id, BookmarkTag.tag_key.in_(keys))
                                    .group_by(BookmarkTag.tag_key)).all())
    return [known.get(key, name) for key, name in keys.items()]


def _replace_tags(bookmark: QuestionBookmark, user_id: int, raw: list | None) -> None:
    """Give the bookmark exactly these tags (a 400 on `tags` when they break the rules)."""
    names = _shown_names(user_id, clean_tags(raw))
    wanted = {tag_key(name): name for name in names}
    for tag in list(bookmark.tags):
        if tag.tag_key not in wanted:
            bookmark.tags.remove(tag)
    kept = {tag.tag_key for tag in bookmark.tags}
    for key, name in wanted.items():
        if key not in kept:
            bookmark.tags.append(BookmarkTag(user_id=user_id, question_id=bookmark.question_id, tag_key=key, name=name))
    bookmark.tags.sort(key=lambda tag: tag.tag_key)  # the relationship's order, without reading it back


def _clean_note(body: object, field: str = "body") -> str:
    """The note as stored: trimmed, line breaks as "\\n"; NoteEmpty or NoteTooLong (400 on `field`)."""
    if not isinstance(body, str):
        raise ValidationError("A note is text.", field=field)
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise NoteEmpty()
    limit = int(current_app.config["NOTE_MAX_LENGTH"])
    if len(text) > limit:
        raise NoteTooLong(limit, field)
    return text


def _write_note(user_id: int, question_id: int, body: str) -> tuple[QuestionNote, bool]:
    """Set the note (not committed): (the note, True when it is new)."""
    note = _note_row(user_id, question_id)
    if note is None:
        note = QuestionNote(user_id=user_id, question_id=question_id, body=body)
        db.session.add(note)
        return note, True
    if note.body != body:
        note.body = body
        note.updated_at = utcnow()
    return note, False


def _note_text(notes: object) -> str:
    """What a bookmark's `notes` asks for, checked before anything is written: the note's new
    text, "" to delete it ("" , blank or None), or UNCHANGED when it was not sent."""
    if notes is UNCHANGED:
        return UNCHANGED
    if notes is None or (isinstance(notes, str) and not notes.strip()):
        return ""
    return _clean_note(notes, field="notes")


def _apply_note_text(user_id: int, question_id: int, text: str) -> None:
    """Write (not commit) what `_note_text` decided."""
    if text is UNCHANGED:
        return
    if text == "":
        note = _note_row(user_id, question_id)
        if note is not None:
            db.session.delete(note)
        return
    _write_note(user_id, question_id, text)


def add_bookmark(user: User, question_id: int, notes: object = UNCHANGED,
                 tags: list | None = None) -> tuple[BookmarkItem, bool]:
    """Bookmark a question the user can see: (the bookmark, True) when new.

    Idempotent: when the bookmark exists it is returned as it is, with False, whatever `notes` and
    `tags` say (changes go through `update_bookmark`), even when a concurrent request created it."""
    created, _count = _insert_bookmark(user, question_id, notes, tags)
    return get_bookmark(user, question_id), created


def _insert_bookmark(user: User, question_id: int, notes: object = UNCHANGED, tags: list | None = None,
                     count: bool = False) -> tuple[bool, int | None]:
    """`add_bookmark` without reading the bookmark back (the toggle shows only its state): (True
    when it was created, False when it already existed; with `count`, the user's bookmark count
    afterwards, counted in the same transaction, so the response needs no second one)."""
    question = browse.get_question(user, question_id)
    existing = db.session.get(QuestionBookmark, (user.id, question.id))
    if existing is not None:
        return False, bookmark_count(user) if count else None
    clean_tags(tags)  # refuse bad tags and notes before anything is written
    text = _note_text(notes)
    try:
        with db.session.no_autoflush:  # a concurrent insert surfaces at the flush below, not mid-way
            bookmark = QuestionBookmark(user_id=user.id, question_id=question.id)
            db.session.add(bookmark)
            _replace_tags(bookmark, user.id, tags)
            _apply_note_text(user.id, question.id, text)
        db.session.flush()
        counted = bookmark_count(user) if count else None
        commit_keeping_loaded()
    except IntegrityError:  # a concurrent request bookmarked it first: that one stands
        db.session.rollback()
        return False, bookmark_count(user) if count else None
    logger.info("question bookmarked", extra={"question_id": question.id})
    return True, counted


def update_bookmark(user: User, question_id: int, notes: object = UNCHANGED,
                    tags: object = UNCHANGED) -> BookmarkItem:
    """Change a bookmark's notes and/or tags (NoBookmark when there is none). `tags` replaces them all."""
    bookmark = _bookmark(user, question_id)
    text = _note_text(notes)
    if text:  # new text needs a question the user can see, as for `set_note` (UNCHANGED is falsy)
        browse.get_question(user, question_id)
    if tags is not UNCHANGED:
        _replace_tags(bookmark, user.id, tags)  # checks every tag before changing any
    _apply_note_text(user.id, question_id, text)
    db.session.commit()
    return get_bookmark(user, question_id)


def _delete_bookmark(user: User, question_id: int) -> bool:
    """Delete the bookmark (its tags go with it: ON DELETE CASCADE), not committed; False when
    the user had none on this question (or none `_own` can see)."""
    visible = _own(QuestionBookmark, user, QuestionBookmark.question_id).where(
        QuestionBookmark.question_id == question_id)
    removed = db.session.execute(
        sa.delete(QuestionBookmark).where(QuestionBookmark.user_id == user.id,
                                          QuestionBookmark.question_id == question_id,
                                          QuestionBookmark.question_id.in_(visible))
        .execution_options(synchronize_session=False)).rowcount
    if not removed:
        return False
    gone = db.session.identity_map.get(db.session.identity_key(QuestionBookmark, (user.id, question_id)))
    if gone is not None:  # a copy this request had read: it must not be taken for a live row
        db.session.expunge(gone)
    logger.info("bookmark removed", extra={"question_id": question_id})
    return True


def remove_bookmark(user: User, question_id: int) -> None:
    """Delete a bookmark and its tags (NoBookmark when there is none). The note stays: it is not the bookmark's.

    One DELETE of the row `_own` can see, committed without expiring the learner, whom the
    response reads again for the navigation's count."""
    if not _delete_bookmark(user, question_id):
        db.session.rollback()
        raise NoBookmark()
    commit_keeping_loaded()


@dataclass(frozen=True)
class ToggleState:
    """The toggle after a click: bookmarked or not, whether the question still takes bookmarks,
    and the user's bookmark count afterwards (the navigation's, re-sent with the toggle)."""

    bookmarked: bool
    retired: bool
    count: int | None = field(default=None, compare=False)


def set_bookmarked(user: User, question_id: int, wanted: bool) -> ToggleState:
    """The browser toggle: make the bookmark exist or not, whichever was asked (so a repeated click
    changes nothing). Removing works on a retired question too; adding needs one the user can see.

    One transaction: the count (and, on removal, whether the question is retired) is read before
    the commit, so the response does not open a second one (on PostgreSQL a pool checkout with its
    ping, a BEGIN and a ROLLBACK more)."""
    if wanted:
        _created, count = _insert_bookmark(user, question_id, count=True)
        return ToggleState(bookmarked=True, retired=False, count=count)
    removed = _delete_bookmark(user, question_id)
    active, count = db.session.execute(
        sa.select(Question.is_active & Exam.is_active, _own(QuestionBookmark, user, sa.func.count()).correlate(None).scalar_subquery())
        .join(Exam, Exam.id == Question.exam_id).where(Question.id == question_id)).one_or_none() or (False, None)
    if removed:
        commit_keeping_loaded()
    return ToggleState(bookmarked=False, retired=not active, count=count)


def save_tags(user: User, question_id: int, tags: list[str]) -> BookmarkItem:
    """Replace a bookmark's tags (the bookmarks page's tag form)."""
    return update_bookmark(user, question_id, tags=tags)



def notes_for(user: User, question_ids: list[int]) -> dict[int, QuestionNote]:
    """The user's notes on these questions, by question id (review, result and bookmark pages)."""
    if not question_ids:
        return {}
    rows = db.session.scalars(sa.select(QuestionNote).where(QuestionNote.user_id == user.id,
                                                            QuestionNote.question_id.in_(question_ids)))
    return {note.question_id: note for note in rows}


def get_note(user: User, question_id: int) -> QuestionNote:
    """The user's note on a question; NoNote (404) when there is none or its exam is hidden."""
    note = db.session.scalar(_own(QuestionNote, user).where(QuestionNote.question_id == question_id))
    if note is None:
        raise NoNote()
    return note


def find_note(user: User, question_id: int) -> QuestionNote | None:
    """The user's note on a question, or None."""
    try:
        return get_note(user, question_id)
    except NoNote:
        return None


def set_note(user: User, question_id: int, body: object) -> tuple[QuestionNote, bool]:
    """Write the user's note on a question they can see: (the note, True when new).

    1 to NOTE_MAX_LENGTH characters after trimming; blank is NoteEmpty, longer NoteTooLong."""
    question = browse.get_question(user, question_id)
    text = _clean_note(body)
    note, created = _write_note(user.id, question.id, text)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent first write won: this one updates it
        db.session.rollback()
        note, created = _write_note(user.id, question.id, text)
        db.session.commit()
    return note, created


def delete_note(user: User, question_id: int) -> None:
    """Delete the user's note on a question (NoNote when there is none). A bookmark of it stays."""
    db.session.delete(get_note(user, question_id))
    db.session.commit()


def discard_note(user: User, question_id: int) -> None:
    """The browser's Delete: remove the note if there is one (a second click changes nothing)."""
    try:
        delete_note(user, question_id)
    except NoNote:
        pass


def list_notes(user: User, exam_slug: str | None, page: int, per_page: int) -> Pagination:
    """A page of the user's notes, most recently updated first, optionally of one exam."""
    query = _own(QuestionNote, user).options(selectinload(QuestionNote.question).selectinload(Question.objective),
                                             selectinload(QuestionNote.question).selectinload(Question.exam))
    query = browse.narrow_to_exam(query, user, exam_slug, None)
    query = query.order_by(QuestionNote.updated_at.desc(), QuestionNote.question_id.desc())
    return db.paginate(query, page=bounded_page(page), per_page=per_page, max_per_page=MAX_PER_PAGE,
                       error_out=False)
