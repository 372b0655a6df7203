"""The admin question editor: the importer's validation, versions with a diff, and re-grading."""
