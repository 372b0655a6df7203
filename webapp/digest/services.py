"""The weekly digest: the week's figures, the unsubscribe token, and the exactly-once send run.

Weeks are ISO weeks in UTC (Monday 00:00 to the next Monday 00:00): `flask digest send` defaults
to the last complete one, so a run on any day of a week sends the week before. Answers count by
their UTC time; goal days are the learner's own local days (`goal_days.day`) whose date falls in
the week.

Exactly once: a run claims a learner's week by inserting its `digest_log` row (`sending`); the
unique key on (user, week) refuses a second claim, so two runs (or two servers) never both send.
A `failed` week, or a `sending` claim older than DIGEST_CLAIM_TIMEOUT_MINUTES (a run that died),
is claimed again by a conditional UPDATE that only one run can win.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from webapp.digest import mailer
from webapp.exceptions import AppError, ValidationError
from webapp.extensions import db
from webapp.models import Answer, DailyGoal, DigestLog, GoalDay, User
from webapp.models.base import utcnow
from webapp.models.enums import DigestStatus

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "digest-unsubscribe"
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class InvalidUnsubscribeLink(AppError):
    status = 400
    code = "INVALID_UNSUBSCRIBE_LINK"
    message = "This unsubscribe link is not valid or has expired. Switch the digest off on your account page."


@dataclass(frozen=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """`YYYY-Www` (e.g. 2026-W07); a ValidationError on field `week` otherwise."""
        match = _ISO_WEEK.match((text or "").strip())
        if match:
            try:
                date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
            except ValueError:
                pass
            else:
                return cls(int(match.group(1)), int(match.group(2)))
        raise ValidationError(f"Give the week as YYYY-Www, for example 2026-W07 (got {text!r}).", field="week")

    @classmethod
    def last_complete(cls, now: datetime | None = None) -> IsoWeek:
        """The last ISO week (UTC) that has fully ended at `now`."""
        year, week, _ = ((now or utcnow()).astimezone(timezone.utc).date() - timedelta(days=7)).isocalendar()
        return cls(year, week)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.monday, time(), tzinfo=timezone.utc)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(days=7)

    def previous(self) -> IsoWeek:
        year, week, _ = (self.monday - timedelta(days=7)).isocalendar()
        return IsoWeek(year, week)


@dataclass(frozen=True)
class WeekFigures:
    answered: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        """Percent, one decimal; None for a week without answers."""
        return round(100.0 * self.correct / self.answered, 1) if self.answered else None


@dataclass(frozen=True)
class DigestLink:
    title: str
    detail: str
    url: str


@dataclass(frozen=True)
class Digest:
    user_id: int
    username: str
    email: str
    week: IsoWeek
    this_week: WeekFigures
    last_week: WeekFigures
    goal_set: bool
    goal_days_met: int
    weak_areas: list[DigestLink]
    reviews_due: list[DigestLink]  # one per exam with spaced-review cards due when the digest is built
    recommendation: DigestLink | None
    dashboard_url: str
    account_url: str
    unsubscribe_url: str

    @property
    def accuracy_change(self) -> float | None:
        """Points up or down against the week before; None unless both weeks have answers."""
        if self.this_week.accuracy is None or self.last_week.accuracy is None:
            return None
        return round(self.this_week.accuracy - self.last_week.accuracy, 1)


@dataclass
class SendReport:
    week: IsoWeek
    dry_run: bool
    sent: list[str] = field(default_factory=list)  # email addresses
    failed: list[str] = field(default_factory=list)
    skipped: int = 0  # already sent, or claimed by another run

    def summary(self) -> str:
        verb = "Would send" if self.dry_run else "Sent"
        lines = [f"{verb} {len(self.sent)} digest(s) for {self.week}; {len(self.failed)} failed; "
                 f"{self.skipped} skipped (already sent or being sent)."]
        lines += [f"  {'would send' if self.dry_run else 'sent'}: {address}" for address in self.sent]
        lines += [f"  failed: {address}" for address in self.failed]
        return "\n".join(lines)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for email: EXTERNAL_URL plus the route's path (no request is needed)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["EXTERNAL_URL"] + path


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def make_unsubscribe_token(user: User) -> str:
    """A signed token naming the learner and their email address, checked by `unsubscribe`."""
    return _serializer().dumps({"u": user.id, "e": user.email})


def user_for_unsubscribe_token(token: str) -> User:
    """The learner a token names; InvalidUnsubscribeLink when forged, expired (older than
    DIGEST_UNSUBSCRIBE_MAX_AGE_DAYS) or for an account that is gone or changed its email."""
    max_age = current_app.config["DIGEST_UNSUBSCRIBE_MAX_AGE_DAYS"] * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature) as exc:
        raise InvalidUnsubscribeLink() from exc
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(data.get("u"), int) else None
    if user is None or user.email != data.get("e"):
        raise InvalidUnsubscribeLink()
    return user


def unsubscribe(token: str) -> User:
    """Switch the digest off for the token's learner (idempotent)."""
    user = user_for_unsubscribe_token(token)
    if user.digest_opt_in:
        user.digest_opt_in = False
        db.session.commit()
        logger.info("digest unsubscribed", extra={"user_id": user.id})
    return user


def _figures(user_id: int, week: IsoWeek) -> WeekFigures:
    answered, correct = db.session.execute(
        sa.select(sa.func.count(Answer.id), sa.func.sum(sa.case((Answer.is_correct.is_(True), 1), else_=0)))
        .where(Answer.user_id == user_id, Answer.answered_at >= week.starts_at, Answer.answered_at < week.ends_at)
    ).one()
    return WeekFigures(int(answered or 0), int(correct or 0))


def _recommendation(user: User) -> DigestLink | None:
    """The learner's top practice recommendation. Its action is a POST, which an email link
    cannot make, so the link opens the dashboard, where the same suggestion has its button."""
    from webapp.recommendations.services import recommendations

    items = recommendations(user)[:1]
    if not items:
        return None
    return DigestLink(items[0].title, items[0].reason, external_url("main.index"))


def _reviews_due(user: User) -> list[DigestLink]:
    """Per exam, the spaced-review cards due as the digest is built, linking to the exam page
    (its Review now button starts them; an email link cannot POST)."""
    from webapp.learning.due import due_by_exam

    return [DigestLink(item.exam.name, f"{item.due} review{'s' if item.due != 1 else ''} due",
                       external_url("questions.show_exam", slug=item.exam.slug))
            for item in due_by_exam(user) if item.due]


def build_digest(user: User, week: IsoWeek) -> Digest:
    """Everything the learner's digest shows for `week`, and the reviews due now."""
    from webapp.analytics.services import weak_areas

    weak = weak_areas(user).weak_domains[: current_app.config["DIGEST_WEAK_AREAS"]]
    goal_days = db.session.scalar(sa.select(sa.func.count()).select_from(GoalDay).where(
        GoalDay.user_id == user.id, GoalDay.day >= week.monday, GoalDay.day <= week.sunday))
    goal_set = db.session.scalar(sa.select(sa.func.count()).select_from(DailyGoal)
                                 .where(DailyGoal.user_id == user.id)) > 0
    return Digest(
        user_id=user.id, username=user.username, email=user.email, week=week,
        this_week=_figures(user.id, week), last_week=_figures(user.id, week.previous()),
        goal_set=goal_set, goal_days_met=int(goal_days or 0),
        weak_areas=[DigestLink(f"{item.exam_name} {item.domain} {item.domain_name}",
                               f"{item.accuracy:.0f}% over {item.total_attempts} answers",
                               external_url("questions.show_exam", slug=item.exam_type)) for item in weak],
        reviews_due=_reviews_due(user),
        recommendation=_recommendation(user),
        dashboard_url=external_url("main.index"),
        account_url=external_url("account.page"),
        unsubscribe_url=external_url("digest.unsubscribe", token=make_unsubscribe_token(user)),
    )


def render_message(digest: Digest):
    """The digest as an EmailMessage: plain text and HTML from templates/digest/weekly.*."""
    subject = f"Your CertQuest week ({digest.week})"
    text = render_template("digest/weekly.txt", digest=digest)
    html = render_template("digest/weekly.html", digest=digest)
    return mailer.compose(digest.email, subject, text, html, digest.unsubscribe_url)


def _claim(user_id: int, week: IsoWeek, now: datetime) -> bool:
    """Take the learner's week for this run: insert the row, or re-take a failed or stale claim
    with a conditional UPDATE. False when another run holds it or it was sent."""
    db.session.add(DigestLog(user_id=user_id, iso_week=str(week), status=DigestStatus.SENDING.value, attempts=1,
                             claimed_at=now, created_at=now))
    try:
        db.session.commit()
        return True
    except sa.exc.IntegrityError:
        db.session.rollback()
    stale = now - timedelta(minutes=current_app.config["DIGEST_CLAIM_TIMEOUT_MINUTES"])
    taken = db.session.execute(
        sa.update(DigestLog)
        .where(DigestLog.user_id == user_id, DigestLog.iso_week == str(week),
               sa.or_(DigestLog.status == DigestStatus.FAILED.value,
                      sa.and_(DigestLog.status == DigestStatus.SENDING.value, DigestLog.claimed_at < stale)))
        .values(status=DigestStatus.SENDING.value, attempts=DigestLog.attempts + 1, claimed_at=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return taken.rowcount == 1


def _finish(user_id: int, week: IsoWeek, error: str | None) -> None:
    values = ({"status": DigestStatus.SENT.value, "sent_at": utcnow(), "last_error": None} if error is None
              else {"status": DigestStatus.FAILED.value, "last_error": error[:2000]})
    db.session.execute(sa.update(DigestLog).where(DigestLog.user_id == user_id, DigestLog.iso_week == str(week))
                       .values(**values).execution_options(synchronize_session=False))
    db.session.commit()


def _already_sent(user_id: int, week: IsoWeek) -> bool:
    return db.session.scalar(sa.select(DigestLog.id).where(
        DigestLog.user_id == user_id, DigestLog.iso_week == str(week),
        DigestLog.status == DigestStatus.SENT.value)) is not None


def recipients() -> list[User]:
    """Active learners who switched the digest on, in id order."""
    return list(db.session.scalars(sa.select(User).where(User.digest_opt_in.is_(True), User.is_active.is_(True))
                                   .order_by(User.id)))


def send_digests(week: IsoWeek, dry_run: bool = False, now: datetime | None = None) -> SendReport:
    """Send `week`'s digest to every opted-in active learner not yet sent it.

    An SMTP error (or a rendering error) for one learner marks their week failed with the error
    and the run goes on; the next run retries it. `dry_run` renders each digest that would go and writes and sends
    nothing.
    """
    report = SendReport(week, dry_run)
    for user in recipients():
        if dry_run:
            if _already_sent(user.id, week):
                report.skipped += 1
            else:
                render_message(build_digest(user, week))
                report.sent.append(user.email)
            continue
        if not _claim(user.id, week, now or utcnow()):
            report.skipped += 1
            continue
        fields = {"user_id": user.id, "iso_week": str(week)}
        try:
            message = render_message(build_digest(user, week))
        except Exception as exc:  # a bug for one learner's data must not hold the claim or stop the run
            db.session.rollback()
            _finish(user.id, week, f"render: {type(exc).__name__}: {exc}")
            report.failed.append(user.email)
            logger.error("digest failed", exc_info=exc, extra={**fields, "error": f"render: {type(exc).__name__}"})
            continue
        try:
            mailer.send(message)
        except mailer.MailError as exc:
            _finish(user.id, week, str(exc))
            report.failed.append(user.email)
            logger.warning("digest failed", extra={**fields, "error": str(exc)})
        else:
            _finish(user.id, week, None)
            report.sent.append(user.email)
            logger.info("digest sent", extra=fields)
    return report
