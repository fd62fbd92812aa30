"""Durable position journal (SQLite, WAL): see store.py and schema.sql."""
from adapters.journal.store import OPEN_STATES, Journal, JournalError, journal_path

__all__ = ['OPEN_STATES', 'Journal', 'JournalError', 'journal_path']
