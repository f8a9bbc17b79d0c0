"""Long work off the web worker: exports of whole lists, a department's PDFs as one ZIP.

A user starts a job from a page (:mod:`core.jobs.views`); :func:`core.jobs.queue.submit`
records it and hands it to RQ on Redis when ``REDIS_URL`` is configured, or runs it in
the same process when it is not (the demo on SQLite needs nothing else). The job page
shows its progress, its error in words, a download link when done and a retry button
when it failed or its worker was restarted mid-way. Each kind of job is one function
in :mod:`core.jobs.kinds`.
"""
