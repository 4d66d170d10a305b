"""Tests that start a server or a process: the Procfile's lines, PostgreSQL, Redis, the loopback Sentry sink."""
