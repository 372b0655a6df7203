"""Helpers that run the suite: the throwaway PostgreSQL cluster, servers on free ports."""
