"""The bookmark and note rules, without HTTP: idempotence, tags, note length, one note, filters,
pagination, retired questions and the answer-visibility rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import gen_answer, gen_bookmark, gen_exam, gen_note, gen_question, gen_user
from webapp.bookmarks import services
from webapp.exceptions import NotFound, ValidationError
from webapp.extensions import db
from webapp.models import BookmarkTag, Exam, Question, QuestionBookmark, QuestionNote, User
from webapp.models.base import utcnow



def _user(user) -> User:
    return db.session.get(User, user.id)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _error(call, *args, **kwargs):
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_adding_a_bookmark_twice_keeps_one_row(app, ctx):
    """POST twice: the first add creates (True), the second returns the same bookmark (False); one row."""
    exam = gen_exam(app)
    question = gen_question(app, exam)
    learner = _user(gen_user(app))
    first, created = services.add_bookmark(learner, question.id)
    again, created_again = services.add_bookmark(learner, question.id)
    assert created is True and created_again is False
    assert first.question_id == again.question_id == question.id
    assert _count(QuestionBookmark) == 1


def test_repeating_an_add_leaves_notes_and_tags_as_they_are(app, ctx):
    """A repeated add with other notes and tags changes nothing: PATCH (update_bookmark) is for changes."""
    question = gen_question(app, gen_exam(app))
    learner = _user(gen_user(app))
    services.add_bookmark(learner, question.id, "First note", ["VPN"])
    item, created = services.add_bookmark(learner, question.id, "Other note", ["DNS", "NAT"])
    assert created is False
    assert item.notes == "First note" and item.tags == ["VPN"]


def test_six_tags_are_refused_and_nothing_is_written(app, ctx):
    """More than MAX_TAGS (5) tags is TOO_MANY_TAGS on `tags`; five are accepted."""
    question = gen_question(app, gen_exam(app))
    learner = _user(gen_user(app))
    refused = _error(services.add_bookmark, learner, question.id, tags=[f"t{i}" for i in range(6)])
    assert (refused.code, refused.field) == ("TOO_MANY_TAGS", "tags")
    assert _count(QuestionBookmark) == 0
    item, _ = services.add_bookmark(learner, question.id, tags=[f"t{i}" for i in range(5)])
    assert len(item.tags) == 5


def test_a_tag_of_31_characters_is_refused(app, ctx):
    """Tags are 1 to 30 characters: 31 is INVALID_TAG on `tags`, 30 is kept whole."""
    question = gen_question(app, gen_exam(app))
    learner = _user(gen_user(app))
    refused = _error(services.add_bookmark, learner, question.id, tags=["x" * 31])
    assert (refused.code, refused.field) == ("INVALID_TAG", "tags")
    item, _ = services.add_bookmark(learner, question.id, tags=["y" * 30])
    assert item.tags == ["y" * 30]


def test_tags_merge_ignoring_case_and_keep_the_first_spelling(app, ctx):
    """Adding "vpn" when the learner already has "VPN" stores "VPN"; "DNS" and "dns" on one bookmark are one tag."""
    exam = gen_exam(app)
    first, second = gen_question(app, exam), gen_question(app, exam)
    learner = _user(gen_user(app))
    services.add_bookmark(learner, first.id, tags=["VPN"])
    item, _ = services.add_bookmark(learner, second.id, tags=["vpn", "DNS", "dns"])
    assert item.tags == ["DNS", "VPN"]
    assert services.user_tags(learner) == ["DNS", "VPN"]
    names = db.session.scalars(sa.select(BookmarkTag.name).where(BookmarkTag.tag_key == "vpn")).all()
    assert names == ["VPN", "VPN"]


def test_tags_are_per_user(app, ctx):
    """Another learner's "VPN" is theirs: a second learner's "vpn" keeps its own spelling and list."""
    question = gen_question(app, gen_exam(app))
    ada, bob = _user(gen_user(app)), _user(gen_user(app))
    services.add_bookmark(ada, question.id, tags=["VPN"])
    item, _ = services.add_bookmark(bob, question.id, tags=["vpn"])
    assert item.tags == ["vpn"]
    assert services.user_tags(ada) == ["VPN"] and services.user_tags(bob) == ["vpn"]
    tagged = services.list_bookmarks(bob, services.BookmarkFilter(tag="VPN"), 1, 20)
    assert [i.tags for i in tagged.items] == [["vpn"]]


def test_replacing_tags_keeps_the_ones_still_wanted(app, ctx):
    """update_bookmark's tags replace the set: kept tags keep their spelling, [] removes them all."""
    question = gen_question(app, gen_exam(app))
    learner = _user(gen_user(app))
    services.add_bookmark(learner, question.id, tags=["VPN", "DNS"])
    assert services.update_bookmark(learner, question.id, tags=["vpn", "NAT"]).tags == ["NAT", "VPN"]
    assert services.update_bookmark(learner, question.id, tags=[]).tags == []
    assert _count(BookmarkTag) == 0


def test_a_note_may_be_5000_characters_not_5001(app, ctx):
    """NOTE_MAX_LENGTH characters are accepted; one more is NOTE_TOO_LONG, blank is NOTE_EMPTY, both on `body`."""
    limit = app.config["NOTE_MAX_LENGTH"]
    assert limit == 5000
    question = gen_question(app, gen_exam(app))
    learner = _user(gen_user(app))
    note, created = services.set_note(learner, question.id, "n" * limit)
    assert created and len(note.body) == limit
    too_long = _error(services.set_note, learner, question.id, "n" * (limit + 1))
    blank = _error(services.set_note, learner, question.id, "  \n ")
    assert (too_long.code, too_long.field) == ("NOTE_TOO_LONG", "body")
    assert (blank.code, blank.field) == ("NOTE_EMPTY", "body")
    assert db.session.get(QuestionNote, (learner.id, question.id)).body == "n" * limit


def test_a_line_break_counts_as_one_character(app, ctx):
    """A browser's CRLF line breaks are stored as LF, so the count matches what the learner sees."""
    limit = app.config["NOTE_MAX_LENGTH"]
    question = gen_question(app, gen_exam(app))
    learner = _user(gen_user(app))
    body = ("a" * 9 + "\r\n") * (limit // 10)
    note, _ = services.set_note(learner, question.id, body)
    assert len(note.body) == limit - 1 and "\r" not in note.body  # the trailing break is trimmed


def test_one_note_per_learner_per_question(app, ctx):
    """A second write replaces the note (created False) and moves updated_at; there is still one row."""
    question = gen_question(app, gen_exam(app))
    learner = _user(gen_user(app))
    first, created = services.set_note(learner, question.id, "one")
    first_updated = first.updated_at
    second, created_again = services.set_note(learner, question.id, "two")
    assert created and not created_again
    assert second.body == "two" and second.updated_at >= first_updated
    assert _count(QuestionNote) == 1


def test_a_bookmarks_notes_are_the_note(app, ctx):
    """The bookmark's notes read and write the one note: set either way, the other agrees; "" and None delete it."""
    exam = gen_exam(app)
    question = gen_question(app, exam)
    learner = _user(gen_user(app))
    services.add_bookmark(learner, question.id, notes="From the bookmark")
    assert services.get_note(learner, question.id).body == "From the bookmark"
    services.set_note(learner, question.id, "From the note")
    assert services.get_bookmark(learner, question.id).notes == "From the note"
    assert services.update_bookmark(learner, question.id, tags=["x"]).notes == "From the note"  # omitted: kept
    assert services.update_bookmark(learner, question.id, notes="").notes is None
    with pytest.raises(services.NoNote):
        services.get_note(learner, question.id)
    services.update_bookmark(learner, question.id, notes="Again")
    assert services.update_bookmark(learner, question.id, notes=None).notes is None
    assert _count(QuestionNote) == 0


def test_a_note_needs_no_bookmark_and_outlives_one(app, ctx):
    """A note is written on an unbookmarked question; removing a bookmark keeps the note."""
    exam = gen_exam(app)
    loose, marked = gen_question(app, exam), gen_question(app, exam)
    learner = _user(gen_user(app))
    services.set_note(learner, loose.id, "Loose note")
    services.add_bookmark(learner, marked.id, notes="Kept note")
    services.remove_bookmark(learner, marked.id)
    assert services.get_note(learner, loose.id).body == "Loose note"
    assert services.get_note(learner, marked.id).body == "Kept note"
    with pytest.raises(services.NoBookmark):
        services.remove_bookmark(learner, marked.id)


def test_filters_by_exam_objective_and_tag(app, ctx):
    """The list narrows by exam, by objective within it and by tag (case-insensitive)."""
    security, network = gen_exam(app, slug="security"), gen_exam(app, slug="network")
    q11, q21, other = gen_question(app, security, "1.1"), gen_question(app, security, "2.1"), gen_question(app, network)
    learner = gen_user(app)
    gen_bookmark(app, learner, q11, tags=["VPN"])
    gen_bookmark(app, learner, q21)
    gen_bookmark(app, learner, other, tags=["vpn"])
    user = _user(learner)

    def ids(**wanted):
        return sorted(i.question_id for i in services.list_bookmarks(user, services.BookmarkFilter(**wanted), 1, 20).items)

    assert ids() == sorted([q11.id, q21.id, other.id])
    assert ids(exam_slug="security") == sorted([q11.id, q21.id])
    assert ids(exam_slug="security", objective_code="2.1") == [q21.id]
    assert ids(tag="Vpn") == sorted([q11.id, other.id])
    assert ids(exam_slug="network", tag="VPN") == [other.id]


def test_filter_errors_name_the_field(app, ctx):
    """domain without exam_type is EXAM_TYPE_REQUIRED; unknown exams, objectives and over-long tags are 400s."""
    exam = gen_exam(app, slug="security")
    user = _user(gen_user(app))
    cases = [(services.BookmarkFilter(objective_code="1.1"), "EXAM_TYPE_REQUIRED", "domain"),
             (services.BookmarkFilter(exam_slug="nope"), "UNKNOWN_EXAM", "exam_type"),
             (services.BookmarkFilter(exam_slug=exam.slug, objective_code="9.9"), "UNKNOWN_OBJECTIVE", "domain"),
             (services.BookmarkFilter(tag="t" * 31), "INVALID_TAG", "tag")]
    for wanted, code, field in cases:
        refused = _error(services.list_bookmarks, user, wanted, 1, 20)
        assert (refused.code, refused.field) == (code, field), wanted


def test_pagination_is_newest_first(app, ctx):
    """Pages list bookmarks newest first; the total counts them all."""
    exam = gen_exam(app)
    questions = [gen_question(app, exam) for _ in range(5)]
    learner = gen_user(app)
    start = utcnow() - timedelta(days=1)
    for minutes, question in enumerate(questions):
        gen_bookmark(app, learner, question, created_at=start + timedelta(minutes=minutes))
    user = _user(learner)
    first = services.list_bookmarks(user, services.BookmarkFilter(), 1, 2)
    last = services.list_bookmarks(user, services.BookmarkFilter(), 3, 2)
    assert first.page.total == 5 and first.page.pages == 3
    assert [i.question_id for i in first.items] == [questions[4].id, questions[3].id]
    assert [i.question_id for i in last.items] == [questions[0].id]


def test_inactive_questions_and_retired_exams_cannot_be_bookmarked_or_noted(app, ctx):
    """A learner cannot bookmark or note an inactive question or one of a retired exam: 404, as it is hidden."""
    inactive = gen_question(app, gen_exam(app), is_active=False)
    retired = gen_question(app, gen_exam(app, is_active=False))
    user = _user(gen_user(app))
    for question in (inactive, retired):
        with pytest.raises(NotFound):
            services.add_bookmark(user, question.id)
        with pytest.raises(NotFound):
            services.set_note(user, question.id, "text")
    with pytest.raises(NotFound):
        services.add_bookmark(user, 999_999)
    assert _count(QuestionBookmark) == _count(QuestionNote) == 0


def test_a_bookmark_of_a_later_deactivated_question_stays_listed_as_retired(app, ctx):
    """Deactivated after bookmarking: still listed, marked retired, removable; its note is kept but takes no new text."""
    exam = gen_exam(app)
    question = gen_question(app, exam)
    learner = gen_user(app)
    gen_bookmark(app, learner, question, tags=["keep"], notes="Old note")
    db.session.get(Question, question.id).is_active = False
    db.session.commit()
    user = _user(learner)
    listed = services.list_bookmarks(user, services.BookmarkFilter(), 1, 20).items
    assert [(i.question_id, i.retired, i.notes) for i in listed] == [(question.id, True, "Old note")]
    assert services.bookmark_count(user) == 1 and services.bookmarked_exams(user) == []
    with pytest.raises(NotFound):
        services.update_bookmark(user, question.id, notes="New text")
    assert services.update_bookmark(user, question.id, tags=["still"]).tags == ["still"]
    assert services.set_bookmarked(user, question.id, False) == services.ToggleState(bookmarked=False, retired=True)
    assert services.get_note(user, question.id).body == "Old note"


def test_bookmarks_of_a_retired_exam_are_hidden_like_the_exam(app, ctx):
    """Retiring an exam hides its bookmarks and notes from learners (count, list, note) but not from admins."""
    exam = gen_exam(app)
    question = gen_question(app, exam)
    learner, admin = gen_user(app), gen_user(app, is_admin=True)
    for owner in (learner, admin):
        gen_bookmark(app, owner, question, notes="Hidden with the exam")
    db.session.get(Exam, exam.id).is_active = False
    db.session.commit()
    user, boss = _user(learner), _user(admin)
    assert services.bookmark_count(user) == 0 and services.list_bookmarks(user, services.BookmarkFilter(), 1, 20).items == []
    with pytest.raises(services.NoNote):
        services.get_note(user, question.id)
    assert services.bookmark_count(boss) == 1 and services.get_bookmark(boss, question.id).retired is True


def test_the_list_carries_no_key_until_the_question_is_answered(app, ctx):
    """answer_visible follows browse.answer_visible_for: false for an unanswered question, true once answered or for admins."""
    exam = gen_exam(app)
    answered, unanswered = gen_question(app, exam), gen_question(app, exam)
    learner, admin = gen_user(app), gen_user(app, is_admin=True)
    for question in (answered, unanswered):
        gen_bookmark(app, learner, question)
        gen_bookmark(app, admin, question)
    gen_answer(app, learner, answered)
    shown = {i.question_id: i.answer_visible for i in services.list_bookmarks(_user(learner), services.BookmarkFilter(), 1, 20).items}
    assert shown == {answered.id: True, unanswered.id: False}
    assert all(i.answer_visible for i in services.list_bookmarks(_user(admin), services.BookmarkFilter(), 1, 20).items)


def test_the_toggle_is_idempotent(app, ctx):
    """set_bookmarked sets the state asked for: twice on gives one bookmark, twice off gives none, no error."""
    question = gen_question(app, gen_exam(app))
    user = _user(gen_user(app))
    assert services.set_bookmarked(user, question.id, True).bookmarked is True
    assert services.set_bookmarked(user, question.id, True).bookmarked is True
    assert _count(QuestionBookmark) == 1
    assert services.set_bookmarked(user, question.id, False) == services.ToggleState(False, False)
    assert services.set_bookmarked(user, question.id, False).bookmarked is False
    assert _count(QuestionBookmark) == 0


def test_notes_list_is_newest_updated_first_and_filters_by_exam(app, ctx):
    """list_notes orders by updated_at (newest first) and narrows to one exam."""
    security, network = gen_exam(app, slug="security"), gen_exam(app, slug="network")
    old, new, other = gen_question(app, security), gen_question(app, security), gen_question(app, network)
    learner = gen_user(app)
    now = utcnow()
    gen_note(app, learner, old, "old", updated_at=now - timedelta(hours=2))
    gen_note(app, learner, new, "new", updated_at=now - timedelta(hours=1))
    gen_note(app, learner, other, "other", updated_at=now - timedelta(hours=3))
    user = _user(learner)
    assert [n.body for n in services.list_notes(user, None, 1, 20).items] == ["new", "old", "other"]
    assert [n.body for n in services.list_notes(user, "network", 1, 20).items] == ["other"]
    assert _error(services.list_notes, user, "nope", 1, 20).code == "UNKNOWN_EXAM"


def test_startable_exams_are_those_with_active_bookmarks(app, ctx):
    """"Study these" and "Quiz me on these" are offered per exam with an active bookmarked question, or for the filtered exam."""
    security, network, empty = gen_exam(app, slug="security"), gen_exam(app, slug="network"), gen_exam(app, slug="empty")
    learner = gen_user(app)
    gen_bookmark(app, learner, gen_question(app, security))
    gen_bookmark(app, learner, gen_question(app, network))
    gen_question(app, empty)
    user = _user(learner)
    assert {e.slug for e in services.startable_exams(user, services.BookmarkFilter())} == {"security", "network"}
    assert [e.slug for e in services.startable_exams(user, services.BookmarkFilter(exam_slug="network"))] == ["network"]


def _racing(monkeypatch, name: str, table, **row):
    """Replace the service helper `name` by one that, after its first call, commits `row` into
    `table` from another connection: a concurrent request landing between the service's check and
    its commit."""
    real = getattr(services, name)
    done = []

    def racing(*args, **kwargs):
        result = real(*args, **kwargs)
        if not done:
            done.append(True)
            with db.engine.begin() as connection:
                connection.execute(table.insert().values(**row))
        return result

    monkeypatch.setattr(services, name, racing)


def test_a_concurrent_first_bookmark_stands(app, ctx, monkeypatch):
    """When another request bookmarks the question between the check and the commit, the add returns that bookmark, not created."""
    question = gen_question(app, gen_exam(app))
    learner = _user(gen_user(app))
    _racing(monkeypatch, "clean_tags", QuestionBookmark.__table__, user_id=learner.id, question_id=question.id,
            created_at=utcnow())
    item, created = services.add_bookmark(learner, question.id, tags=["late"])
    assert created is False and item.question_id == question.id and item.tags == []
    assert _count(QuestionBookmark) == 1


def test_a_concurrent_first_note_is_replaced(app, ctx, monkeypatch):
    """When another request writes the first note meanwhile, set_note replaces it instead of failing."""
    question = gen_question(app, gen_exam(app))
    learner = _user(gen_user(app))
    now = utcnow()
    _racing(monkeypatch, "_note_row", QuestionNote.__table__, user_id=learner.id, question_id=question.id,
            body="theirs", created_at=now, updated_at=now)
    note, created = services.set_note(learner, question.id, "mine")
    assert created is False and note.body == "mine"
    assert _count(QuestionNote) == 1
