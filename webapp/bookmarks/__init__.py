"""Bookmarks with tags and private notes on questions."""
