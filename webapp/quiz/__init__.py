"""The quiz engine: practice quizzes and exam simulations."""
