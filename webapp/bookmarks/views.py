"""Bookmarks and private notes in the browser: the bookmarks page and the toggle, tag and note components.

Each component is a self-replacing htmx fragment and also a plain form: without JavaScript a
POST redirects back to `next` (a local path only), anchored at the component. The toggle posts
the state it wants, so a repeated click changes nothing; its htmx answer also updates the
navigation's bookmark count out of band.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from webapp.auth.session import safe_next
from webapp.bookmarks import services
from webapp.bookmarks.cards import question_parts
from webapp.bookmarks.forms import CsrfForm, NoteForm, TagsForm, ToggleForm, filter_form_for, start_forms_for
from webapp.bookmarks.tags import MAX_TAG_LENGTH, MAX_TAGS
from webapp.exceptions import ValidationError
from webapp.extensions import db
from webapp.htmx import is_htmx, render_page_or_fragment
from webapp.questions import browse

bp = Blueprint("bookmarks", __name__)

# Which filter field a list error belongs to (the service names the API's query fields).
FILTER_FIELDS = {"exam_type": "exam", "domain": "objective", "tag": "tag"}


@bp.before_request
@login_required
def require_login() -> None:
    """Bookmarks and notes belong to signed-in learners."""


@bp.app_context_processor
def component_globals() -> dict:
    """What the navigation and the components need on any page: the count, a CSRF form, the tag limits."""
    return {"bookmark_count": _bookmark_count, "csrf_form": _csrf_form,
            "MAX_TAGS": MAX_TAGS, "MAX_TAG_LENGTH": MAX_TAG_LENGTH}


def _csrf_form() -> CsrfForm:
    """The token-only form, built once per request: a page of bookmarks renders it in every
    item's toggle."""
    if "bookmarks_csrf_form" not in g:
        g.bookmarks_csrf_form = CsrfForm(formdata=None)
    return g.bookmarks_csrf_form


def _bookmark_count() -> int | None:
    """The navigation's count, or None when the database fails: an error page must still render.
    The unfiltered bookmarks page has just counted them for its pagination (`bookmark_total`)."""
    if "bookmark_total" in g:
        return g.bookmark_total
    try:
        return services.bookmark_count(_user())
    except SQLAlchemyError:
        db.session.rollback()
        return None


bp.add_app_template_test(services.is_retired, "retired")


def _user():
    return current_user._get_current_object()


def _next(target: str | None) -> str:
    """`next` made safe: a local path, else the home page; the bookmarks page when none was sent."""
    return safe_next(target) if target else url_for("bookmarks.list_bookmarks")


def _back(target: str | None, anchor: str) -> str:
    """Where a plain form returns: `next`, scrolled to the component."""
    location = _next(target)
    return location if "#" in location else f"{location}#{anchor}"


@bp.get("/bookmarks")
def list_bookmarks():
    """Your bookmarks, newest first, filtered by exam, objective and tag (the list alone for htmx)."""
    user = _user()
    choices = services.filter_choices(user, request.args.get("exam") or None)
    form = filter_form_for(request.args, choices.exams, choices.objectives, choices.tags)
    wanted = services.BookmarkFilter(form.exam.data or None, form.objective.data or None, form.tag.data or None)
    found, status = None, 200
    try:
        found = services.list_bookmarks(user, wanted, request.args.get("page", 1, type=int),
                                        current_app.config["BOOKMARKS_PER_PAGE"], with_choices=False)
        if not wanted.active:
            g.bookmark_total = found.page.total  # what bookmark_count would count again
    except ValidationError as exc:
        field = getattr(form, FILTER_FIELDS.get(exc.field or "", "exam"))
        field.errors, status = [exc.message], 400
    return render_page_or_fragment(
        "bookmarks/page.html", "bookmarks/_list_swap.html", status=status, form=form, found=found, wanted=wanted,
        card_parts=question_parts(found.items) if found else {},
        start_pairs=[(exam, *start_forms_for(exam, wanted.tag, wanted.objective_code))
                     for exam in (services.startable_exams(user, wanted, choices) if found and found.items else [])],
        focus_list=request.headers.get("HX-Trigger", "").startswith("bookmark-page-"))


@bp.post("/bookmarks/<int:question_id>")
def toggle_bookmark(question_id: int):
    """Bookmark or un-bookmark a question: the toggle and the count for htmx, else back to `next`."""
    form = ToggleForm()
    state = services.set_bookmarked(_user(), question_id, form.wanted)
    if is_htmx():
        return render_template("bookmarks/_toggle_saved.html", question_id=question_id, bookmarked=state.bookmarked,
                               retired=state.retired, next=_next(form.next.data), bookmark_total=state.count)
    flash("Bookmarked." if state.bookmarked else "Bookmark removed.", "success")
    return redirect(_back(form.next.data, f"bookmark-toggle-{question_id}"))


def _tags_page(question_id: int, editing: bool, **context):
    """The tags component for htmx, or the plain tags page around it (a bookmark of the user's)."""
    item = services.get_bookmark(_user(), question_id)
    return render_page_or_fragment("bookmarks/tags.html", "bookmarks/_tags.html", item=item, tags=item.tags,
                                   question_id=question_id, next=_next(request.args.get("next")), editing=editing,
                                   **context)


@bp.get("/bookmarks/<int:question_id>/tags")
def show_tags(question_id: int):
    """The tags as shown (what Cancel returns to)."""
    return _tags_page(question_id, editing=False, focus=True)


@bp.get("/bookmarks/<int:question_id>/tags/edit")
def edit_tags(question_id: int):
    """The tags' edit form: in place for htmx, the plain form page otherwise."""
    return _tags_page(question_id, editing=True)


@bp.post("/bookmarks/<int:question_id>/tags")
def save_tags(question_id: int):
    """Replace a bookmark's tags; a refused tag is shown next to the field (the component, or a page)."""
    form = TagsForm()
    context = {"question_id": question_id, "next": _next(form.next.data)}
    try:
        item = services.save_tags(_user(), question_id, form.tag_list)
    except ValidationError as exc:
        item = services.get_bookmark(_user(), question_id)
        return render_page_or_fragment("bookmarks/tags.html", "bookmarks/_tags.html", status=400, item=item,
                                       tags=item.tags, typed=form.tags.data, error=exc.message, **context)
    if is_htmx():
        return render_template("bookmarks/_tags.html", tags=item.tags, status_message="Tags saved.", focus=True,
                               **context)
    flash("Tags saved.", "success")
    return redirect(_back(form.next.data, f"tags-{question_id}"))


def _note_page(question_id: int, editing: bool, status: int = 200, **context):
    """The note component for htmx, or the plain note page around it (a question the user can see)."""
    question = browse.get_question(_user(), question_id)
    context.setdefault("note", services.find_note(_user(), question.id))
    context.setdefault("next", _next(request.args.get("next")))
    return render_page_or_fragment("bookmarks/note.html", "bookmarks/_note.html", status=status, question=question,
                                   question_id=question.id, editing=editing, **context)


@bp.get("/notes/<int:question_id>")
def show_note(question_id: int):
    """The note as shown (what Cancel returns to)."""
    return _note_page(question_id, editing=False, focus=True)


@bp.get("/notes/<int:question_id>/edit")
def edit_note(question_id: int):
    """The note's edit form: in place for htmx, the plain form page otherwise."""
    return _note_page(question_id, editing=True)


@bp.post("/notes/<int:question_id>")
def save_note(question_id: int):
    """Save or delete the note; blank or too long is shown on the form (400)."""
    form = NoteForm()
    try:
        if form.deleting:
            services.discard_note(_user(), question_id)
            note, message = None, "Note deleted."
        else:
            note, _created = services.set_note(_user(), question_id, form.body.data or "")
            message = "Note saved."
    except ValidationError as exc:
        return _note_page(question_id, editing=True, status=400, typed=form.body.data, error=exc.message,
                          next=_next(form.next.data))
    if is_htmx():
        return render_template("bookmarks/_note.html", question_id=question_id, note=note,
                               next=_next(form.next.data), status_message=message, focus=True)
    flash(message, "success")
    return redirect(_back(form.next.data, f"note-{question_id}"))
