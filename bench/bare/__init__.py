"""The yardstick: a bare Django project (startproject's middleware, one view, no database)."""
