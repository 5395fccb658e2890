"""The one retry loop, apart from ``_submit`` so a worker interpreter can run tasks without
importing the caller's side of submission (handles, validation, the errors module's imports)."""

from ._bridge import bridge


def call_with_retries(fn, args, kwargs, retries, retry_on=Exception, again=None, give_up=None):
    """``fn(*args, **kwargs)``, re-run up to ``retries`` times on ``retry_on``, never once the
    running task was cancelled. The one retry loop: tasks' ``retries`` and ``@retry``/
    ``@retry_backoff`` (which log and pause in ``again(k, exc)`` after failure k, and log in
    ``give_up(k, exc)`` before the last error is raised).
    """
    attempt = 0
    while True:
        try:
            return fn(*args, **kwargs)
        except retry_on as exc:
            attempt += 1
            if attempt > retries or bridge.currentCancelled():
                if give_up is not None:
                    give_up(attempt, exc)
                raise
            if again is not None:
                again(attempt, exc)
