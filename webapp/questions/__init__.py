"""The question bank: exams, objectives, questions, import/export and catalogue pages."""

loader = None  # the bank loader arrives with the question-bank feature
