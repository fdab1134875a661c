"""Exceptions users see.

Each names what went wrong and what to do about it; the built-in base classes are the
ones users already catch (``TypeError`` for control flow on traced values, ...), so code that
catches the standard exceptions keeps working.
"""


class TracerConversionError(TypeError):
    """A traced value was used where Python needs a concrete one.

    Raised by ``bool(x)``, ``float(x)``, ``int(x)``, ``np.asarray(x)``, ``x.item()`` ...
    on a traced array: inside ``vmap``/``jit`` a value stands for a whole batch, so a
    Python ``if`` on it has no single answer.
    """


class LeakedTracerError(RuntimeError):
    """A traced value escaped the function being traced and was used afterwards."""


class TracedRandomnessError(RuntimeError):
    """The function drew random numbers while being traced (they would be frozen into the
    plan: the same numbers for every example and every call)."""
