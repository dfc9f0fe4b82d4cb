"""Several callers at the same moment, as two clinicians, two admins or a
phone's retries are: each on its own thread with its own database
connection (closed after), all released together by a barrier."""

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import connection

T = TypeVar("T")
R = TypeVar("R")


def at_once(call: Callable[[T], R], callers: Sequence[T]) -> list[R]:
    """call(caller) for every caller at once; what they returned, in the order
    they finished. An exception in any of them fails the test, with every error."""
    barrier = threading.Barrier(len(callers))
    returned: list[R] = []
    errors: list[str] = []

    def run(caller: T) -> None:
        try:
            barrier.wait()
            returned.append(call(caller))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(caller,)) for caller in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return returned
