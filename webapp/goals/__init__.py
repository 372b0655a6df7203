"""Daily goals and exam dates: the goal meter, the dashboard widget, the goals page."""
