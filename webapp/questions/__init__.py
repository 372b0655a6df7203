"""The question bank: exams, objectives, questions, import/export and catalogue pages.

The catalogue that pages and the API read is `webapp.questions.services`; the bank file format,
import and export (`flask load-bank`, `flask questions ...`) are `webapp.questions.bank`.
"""
