"""Request ids: unique across processes, cheap, readable in logs."""
import itertools
import os

_counter = itertools.count(1)


def new_request_id(prefix: str = "rq") -> str:
    """A process-unique id such as 'buy-4242-17' (pid keeps ids unique across actor processes)."""
    return f"{prefix}-{os.getpid()}-{next(_counter)}"
