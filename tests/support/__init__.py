"""What the tests (and bench/) share, imported as `from tests.support.processes import start_web`.

servers: throwaway PostgreSQL and Redis. processes: the Procfile's commands as real processes, HOST.
sentry_sink, sentry_api, loopback_http: loopback stand-ins for Sentry. calls, raw_http, broker: requests
to the web process, crafted raw requests, Celery messages into Redis. participants, staff, map_api: data
and users for a test, the map API through the test client.
"""
