"""Configuration of the servers the suite starts (see conftest.py), shared by the tests."""

USERNAME = "alice"
EMAIL = "alice@example.com"
PASSWORD = "correct-horse-battery"
TITLE = "Topi Test"
OOB = "urn:ietf:wg:oauth:2.0:oob"
