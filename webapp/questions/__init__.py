"""The question bank: exams, objectives, questions, import/export and catalogue pages.

The rules live in `webapp.questions.services`; `flask load-bank` and `flask questions ...` call them.
"""
