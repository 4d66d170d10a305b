"""In-process tests: Django's test client, SQLite in memory, pure functions; no server, no subprocess.

Run them alone with `bin/test tests/unit` (about 10 s).
"""
