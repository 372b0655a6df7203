"""All models, re-exported so `from webapp.models import X` works everywhere.

Models live centrally because a question is used by nearly every feature.
"""

from __future__ import annotations

from webapp.extensions import db
from webapp.models.enums import (AnalyticsPeriod, AttemptStatus, Confidence, FeedbackStatus, FeedbackType,
                                 QuestionSource, QuizMode, ReviewFilter, Trend)
from webapp.models.feedback import QuestionFeedback, QuestionStats, QuestionVersion
from webapp.models.digest import DigestLog
from webapp.models.goals import DailyGoal, ExamDate, GoalDay
from webapp.models.learning import ObjectiveMastery, ReviewCard, ReviewLog
from webapp.models.gamification import Streak, UserAchievement, WeeklyXp, XpEvent
from webapp.models.question import Choice, Domain, Exam, Objective, Question
from webapp.models.quiz import Answer, AttemptQuestion, AttemptResult, QuizAttempt
from webapp.models.study import BookmarkTag, QuestionBookmark, QuestionNote, StudyQuestion, StudySession
from webapp.models.user import ApiToken, AuditEvent, User

__all__ = ["db", "QuizMode", "AttemptStatus", "ReviewFilter", "QuestionSource", "Confidence",
           "FeedbackType", "FeedbackStatus", "AnalyticsPeriod", "Trend", "QuestionFeedback", "QuestionStats", "QuestionVersion",
           "User", "ApiToken", "AuditEvent", "Exam", "Domain", "Objective", "Question", "Choice",
           "QuizAttempt", "AttemptQuestion", "AttemptResult", "Answer",
           "StudySession", "StudyQuestion", "QuestionBookmark", "BookmarkTag", "QuestionNote",
           "ObjectiveMastery", "ReviewCard", "ReviewLog",
           "DigestLog", "DailyGoal", "ExamDate", "GoalDay", "XpEvent", "WeeklyXp", "Streak", "UserAchievement"]
