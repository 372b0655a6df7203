"""`/api/v1/questions/{id}/bookmark`, `/api/v1/questions/bookmarks`, `/api/v1/questions/{id}/note` and
`/api/v1/notes`: bookmarks with tags and private notes. Thin views over the bookmark services.

Another user's bookmark or note simply does not exist for the caller (404). A bookmark's `notes`
is the caller's one note on the question: omitted leaves it, text sets it, "" or null deletes it.
"""

from __future__ import annotations

import marshmallow as ma

from webapp.api import Blueprint, link, links
from webapp.api.auth import api_user, token_required
from webapp.api.catalogue import QuestionOut, question_body
from webapp.api.schemas import BEARER, NOT_BLANK, PageArgsSchema, exam_type_field, page_body, page_schema
from webapp.bookmarks import services
from webapp.bookmarks.tags import MAX_TAG_LENGTH, MAX_TAGS

bookmarks_bp = Blueprint("api_bookmarks", __name__, description="Bookmarks with tags, and private notes")

NOTES_FIELD = ("the caller's private note on the question (the same note as /questions/{id}/note): omitted "
               "leaves it, text sets it (1 to NOTE_MAX_LENGTH characters), \"\" or null deletes it")
TAGS_FIELD = (f"up to {MAX_TAGS} tags of 1 to {MAX_TAG_LENGTH} characters, case-insensitive; a tag keeps the "
              "spelling the caller first used on any bookmark")


class BookmarkIn(ma.Schema):
    notes = ma.fields.String(allow_none=True, metadata={"description": NOTES_FIELD, "pattern": f"^$|{NOT_BLANK}"})
    tags = ma.fields.List(
        # Documented, not validated here: the service's tag rules answer 400 INVALID_TAG on `tags`,
        # as clients have always been told (a schema check would change that to VALIDATION_ERROR).
        ma.fields.String(metadata={"minLength": 1, "maxLength": MAX_TAG_LENGTH, "pattern": NOT_BLANK}),
        allow_none=True, metadata={"description": TAGS_FIELD, "maxItems": MAX_TAGS})


class BookmarkPatchIn(BookmarkIn):
    """At least one of `notes` and `tags`; `tags` replaces the bookmark's tags (`[]` removes them all)."""

    class Meta:
        openapi = {"minProperties": 1}

    @ma.validates_schema
    def changes_something(self, data: dict, **kwargs) -> None:
        if not data:
            raise ma.ValidationError("Send notes, tags or both.", field_name="body")


class BookmarkOut(ma.Schema):
    question_id = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)
    notes = ma.fields.String(allow_none=True, metadata={"description": "your private note, or null"})
    tags = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "alphabetical, as first spelled"})
    retired = ma.fields.Boolean(required=True, metadata={
        "description": "the question was retired since: still yours to read, tag and remove, no longer quizzed"})
    question = ma.fields.Nested(QuestionOut, required=True, metadata={
        "description": "as in GET /questions/{id}: the answer only for admins or once you have answered it"})


BookmarkPage = page_schema(BookmarkOut, "BookmarkPage")


class BookmarkArgs(PageArgsSchema):
    exam_type = exam_type_field(blank_is_none=True)
    domain = ma.fields.String(metadata={"description": "objective code, e.g. 2.3 (needs exam_type)"})
    tag = ma.fields.String(metadata={"description": "only bookmarks with this tag (case-insensitive)"})


class NoteIn(ma.Schema):
    body = ma.fields.String(required=True, metadata={
        "description": "1 to NOTE_MAX_LENGTH characters after trimming; a line break counts as one",
        "pattern": NOT_BLANK})


class NoteOut(ma.Schema):
    question_id = ma.fields.Integer(required=True)
    body = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class NoteQuestionOut(ma.Schema):
    id = ma.fields.Integer()
    exam_type = ma.fields.String()
    domain = ma.fields.String(metadata={"description": "the objective code"})
    domain_name = ma.fields.String(metadata={"description": "the objective title"})
    stem = ma.fields.String()
    retired = ma.fields.Boolean()


class NoteItemOut(NoteOut):
    question = ma.fields.Nested(NoteQuestionOut, required=True)


NotePage = page_schema(NoteItemOut, "NotePage")


class NoteArgs(PageArgsSchema):
    exam_type = exam_type_field(blank_is_none=True)


def bookmark_body(item: services.BookmarkItem) -> dict:
    return {"question_id": item.question_id, "created_at": item.bookmark.created_at, "notes": item.notes,
            "tags": item.tags, "retired": item.retired, "question": question_body(item.question, item.answer_visible)}


def note_body(note, with_question: bool = False) -> dict:
    body = {"question_id": note.question_id, "body": note.body, "created_at": note.created_at,
            "updated_at": note.updated_at}
    if with_question:
        question = note.question
        body["question"] = {"id": question.id, "exam_type": question.exam.slug, "domain": question.objective.code,
                            "domain_name": question.objective.title, "stem": question.stem,
                            "retired": services.is_retired(question)}
    return body


@bookmarks_bp.route("/questions/bookmarks", methods=["GET"])
@bookmarks_bp.doc(security=BEARER)
@bookmarks_bp.arguments(BookmarkArgs, location="query")
@bookmarks_bp.response(200, BookmarkPage)
@token_required
def list_bookmarks(args):
    """Your bookmarks, newest first, filtered by exam, objective (needs exam_type) and tag."""
    wanted = services.BookmarkFilter(args.get("exam_type"), args.get("domain"), args.get("tag"))
    found = services.list_bookmarks(api_user(), wanted, args["page"], args["per_page"])
    return page_body(found.page, [bookmark_body(item) for item in found.items])


SAME_QUESTION = {"question_id": "$request.path.question_id"}
BOOKMARK_LINKS = {
    "UpdateBookmark": link("patch", "/questions/{question_id}/bookmark", "Change its notes or tags", SAME_QUESTION),
    "RemoveBookmark": link("delete", "/questions/{question_id}/bookmark", "Remove it", SAME_QUESTION),
}
NOTE_LINKS = {
    "GetNote": link("get", "/questions/{question_id}/note", "Read the note", SAME_QUESTION),
    "DeleteNote": link("delete", "/questions/{question_id}/note", "Delete the note", SAME_QUESTION),
}


@bookmarks_bp.route("/questions/<int:question_id>/bookmark", methods=["POST"])
@bookmarks_bp.doc(security=BEARER, **links(201, **BOOKMARK_LINKS))
@bookmarks_bp.arguments(BookmarkIn)
@bookmarks_bp.response(201, BookmarkOut)
@bookmarks_bp.alt_response(200, schema=BookmarkOut, description="Already bookmarked: returned as it is, unchanged")
@token_required
def add_bookmark(body, question_id: int):
    """Bookmark a question you can see (201). Idempotent: an existing bookmark is returned unchanged
    with 200, whatever the body says; change it with PATCH."""
    item, created = services.add_bookmark(api_user(), question_id, body.get("notes", services.UNCHANGED),
                                          body.get("tags"))
    return bookmark_body(item), 201 if created else 200


@bookmarks_bp.route("/questions/<int:question_id>/bookmark", methods=["PATCH"])
@bookmarks_bp.doc(security=BEARER)
@bookmarks_bp.arguments(BookmarkPatchIn)
@bookmarks_bp.response(200, BookmarkOut)
@token_required
def update_bookmark(body, question_id: int):
    """Change a bookmark's notes and/or tags (404 if you have not bookmarked the question)."""
    return bookmark_body(services.update_bookmark(api_user(), question_id, body.get("notes", services.UNCHANGED),
                                                  body.get("tags", services.UNCHANGED)))


@bookmarks_bp.route("/questions/<int:question_id>/bookmark", methods=["DELETE"])
@bookmarks_bp.doc(security=BEARER)
@bookmarks_bp.response(204)
@token_required
def remove_bookmark(question_id: int):
    """Remove a bookmark and its tags (404 if there is none). Your note on the question stays."""
    services.remove_bookmark(api_user(), question_id)
    return ""


@bookmarks_bp.route("/questions/<int:question_id>/note", methods=["GET"])
@bookmarks_bp.doc(security=BEARER)
@bookmarks_bp.response(200, NoteOut)
@token_required
def get_note(question_id: int):
    """Your private note on a question (404 if there is none)."""
    return note_body(services.get_note(api_user(), question_id))


@bookmarks_bp.route("/questions/<int:question_id>/note", methods=["PUT"])
@bookmarks_bp.doc(security=BEARER, **links(201, **NOTE_LINKS))
@bookmarks_bp.arguments(NoteIn)
@bookmarks_bp.response(200, NoteOut)
@bookmarks_bp.alt_response(201, schema=NoteOut, description="The note was created")
@token_required
def put_note(body, question_id: int):
    """Set your private note on a question you can see: 201 when created, 200 when replaced.
    Blank is 400 NOTE_EMPTY, over NOTE_MAX_LENGTH characters 400 NOTE_TOO_LONG (both on `body`)."""
    note, created = services.set_note(api_user(), question_id, body["body"])
    return note_body(note), 201 if created else 200


@bookmarks_bp.route("/questions/<int:question_id>/note", methods=["DELETE"])
@bookmarks_bp.doc(security=BEARER)
@bookmarks_bp.response(204)
@token_required
def delete_note(question_id: int):
    """Delete your note on a question (404 if there is none). A bookmark of it stays."""
    services.delete_note(api_user(), question_id)
    return ""


@bookmarks_bp.route("/notes", methods=["GET"])
@bookmarks_bp.doc(security=BEARER)
@bookmarks_bp.arguments(NoteArgs, location="query")
@bookmarks_bp.response(200, NotePage)
@token_required
def list_notes(args):
    """Your private notes, most recently updated first, optionally of one exam."""
    page = services.list_notes(api_user(), args.get("exam_type"), args["page"], args["per_page"])
    return page_body(page, [note_body(note, with_question=True) for note in page.items])
