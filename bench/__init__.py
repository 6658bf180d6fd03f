"""`make bench` (``python -m bench``): how fast is the shop page next to a bare Django view?

Absolute milliseconds depend on the machine; a ratio measured side by side in
one run does not, much. The bench serves the shop (production settings) and a
bare Django project with the same gunicorn.conf.py, loads both with wrk, and
fails when the shop's ratio misses its goal. It also counts the shop page's
queries and times the checkout's own work. Kept out of `make test`: it takes
minutes and needs wrk. docs/PERFORMANCE.md has the results and how to read them.
"""
