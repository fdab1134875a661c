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

    @classmethod
    def state_written(cls, places: list[str]) -> "LeakedTracerError":
        """The refusal of a traced value stored in state that outlives the call (an
        attribute of the callable, a global, a module's attribute), ``places`` naming it."""
        return cls(
            f"the function stored a traced value in {', '.join(places)}: in the loop "
            f"over examples each call updates it in turn, so an example reads what the "
            f"examples before it stored (a running statistic, a counter), which one "
            f"batched program cannot follow (gvmap put the old value back). Return the "
            f"new value as an output and update the state after the call, e.g. `out, "
            f"new = gvmap.vmap(step)(x); model.running = new[-1]` (or a scan written as "
            f"a Python loop over the batch outside vmap)")


class TracedRandomnessError(RuntimeError):
    """The function drew random numbers while being traced (they would be frozen into the
    plan: the same numbers for every example and every call)."""


import numpy as _np


class _FailedExample:
    """What ``LinAlgError`` and ``ExampleError`` share: ``example``, the index of the first
    failing example (a tuple, one entry per ``vmap`` level, outermost first; empty outside
    ``vmap``), the third of the constructor's arguments that ``_args`` returns, so an error
    can move to a chunk's offset and pickle (Dask ships it back from a worker)."""

    example: tuple  # and each subclass's ``_args()``: its constructor's arguments

    def _in_example(self) -> str:
        if not self.example:
            return ""
        return f" in example {self.example[0] if len(self.example) == 1 else self.example}"

    def shifted(self, offset: int):
        """The same error for a chunk of the batch that starts at example ``offset``."""
        if not self.example:
            return self
        args = list(self._args())
        args[2] = (self.example[0] + offset,) + self.example[1:]
        return type(self)(*args)

    def __reduce__(self):
        return type(self), self._args()


class LinAlgError(_FailedExample, _np.linalg.LinAlgError):
    """An ``np.linalg`` routine failed for one example (a singular matrix for ``solve`` /
    ``inv``, a matrix that is not positive definite for ``cholesky``, an SVD that did not
    converge), where the per-example loop raises ``numpy.linalg.LinAlgError``: a subclass of
    it, so code catching NumPy's error keeps working, on every backend.

    ``example``: the index of the first failing example (``_FailedExample``); ``matrix``:
    the index of the failing matrix within that example's own stack (empty for a single
    matrix); ``routine`` and ``reason`` say what failed, as NumPy's message does.
    """

    kind = "LinAlgError"  # raised by a check too (``numpy.checks``: its matrix is ())

    def __init__(self, routine: str, reason: str, example: tuple = (), matrix: tuple = ()):
        self.routine, self.reason = routine, reason
        self.example, self.matrix = tuple(example), tuple(matrix)
        super().__init__(self._message())

    def _args(self) -> tuple:
        return self.routine, self.reason, self.example, self.matrix

    def _message(self) -> str:
        where = self._in_example()
        if self.matrix:
            where += f" (matrix {self.matrix} of {'that example' if self.example else 'the stack'})"
        fix = ("replace that example's inf / NaN entries first (np.nan_to_num(a), or a mask "
               "and np.where)" if "converge" in self.reason else
               "fix that example's input (e.g. regularise: a + eps * np.eye(n)) or compute a "
               "routine that cannot fail (np.linalg.lstsq, np.linalg.pinv)")
        return (f"numpy.{self.routine}: {self.reason}{where}, where the loop over examples "
                f"raises numpy.linalg.LinAlgError too; {fix}")


class ExampleError(_FailedExample, Exception):
    """A NumPy function raised for one example in the per-example loop (np.nanargmax of an
    all-NaN slice, np.geomspace with an endpoint 0, np.choose with an invalid entry), or
    Python's math module or operators did (math.sqrt(-1.0), 1.0 / 0.0): gvmap raises the
    same built-in error (``ExampleValueError`` is a ``ValueError``, ``ExampleIndexError``
    an ``IndexError``...), naming the first failing example (``_FailedExample``), on every
    backend. ``function``: NumPy's function by its name (``nanargmax``), any other with its
    module (``math.sqrt``) or as an operator (``a / b``); ``reason``: the loop's message;
    ``hint``: a rewrite that cannot fail."""

    kind = "Exception"

    def __init__(self, function: str, reason: str, example: tuple = (), hint: str = ""):
        self.function, self.reason = function, reason
        self.example, self.hint = tuple(example), hint
        super().__init__(self._message())

    def _args(self) -> tuple:
        return self.function, self.reason, self.example, self.hint

    def _message(self) -> str:
        where = self._in_example()
        if where:
            where += f", where the loop over examples raises {self.kind} too"
        function = self.function if "." in self.function or " " in self.function else \
            f"numpy.{self.function}"
        return f"{function}: {self.reason}{where}" + (f"; {self.hint}" if self.hint else "")


class ExampleValueError(ExampleError, ValueError):
    kind = "ValueError"


class ExampleTypeError(ExampleError, TypeError):
    kind = "TypeError"


class ExampleIndexError(ExampleError, IndexError):
    kind = "IndexError"


class ExampleOverflowError(ExampleError, OverflowError):
    kind = "OverflowError"


class ExampleZeroDivisionError(ExampleError, ZeroDivisionError):
    kind = "ZeroDivisionError"


class BeyondInt64Error(ExampleError, OverflowError):
    """A traced Python int that int64 cannot hold (``int(x[0])``, ``math.floor(x[0])`` of
    1e30): the loop's Python int has arbitrary precision and gvmap's traced ones are int64,
    so gvmap raises, naming the first such example, where the loop goes on."""
    kind = "BeyondInt64Error"

    def _message(self) -> str:
        return f"{self.function}: {self.reason}{self._in_example()}" + (
            f"; {self.hint}" if self.hint else "")


class LoopRaise:
    """What the loop raises at an ``assert`` or ``if bad: raise E(...)`` on a traced value
    (``gvmap.assertions``), as a ``check``'s ``error``: the user's exception class and its
    constant arguments, and the statement's source for the note. ``make(example)`` is the
    exception, of that class with those arguments, with a note naming the example (and
    ``gvmap_example`` holding its index, which ``shifted`` moves to a chunk's offset)."""

    __slots__ = ("cls", "args", "source")

    def __init__(self, cls: type, args: tuple, source: str):
        self.cls, self.args, self.source = cls, args, source

    def __repr__(self) -> str:
        return f"{self.cls.__name__}{self.args!r}"

    def make(self, example: tuple) -> BaseException:
        exc = self.cls(*self.args)
        exc.gvmap_example, exc.gvmap_raise = tuple(example), self
        where = f"example {example[0] if len(example) == 1 else example}" if example else \
            "the traced function"
        note = (f"gvmap: raised for {where} of the batch, as the loop over examples raises it "
                f"there (`{self.source}`)")
        if hasattr(exc, "add_note"):
            exc.add_note(note)
        else:  # Python 3.10: no notes; the message carries it
            exc.args = exc.args + (note,)
        return exc

    @staticmethod
    def shifted(exc: BaseException, offset: int) -> BaseException:
        """``exc`` (made by ``make``) for a chunk of the batch that starts at ``offset``."""
        example = exc.gvmap_example
        if not example:
            return exc
        return exc.gvmap_raise.make((example[0] + offset,) + example[1:])


def shifted_error(e: BaseException, offset: int) -> BaseException | None:
    """``e`` as raised by a chunk of the batch that starts at example ``offset``, naming the
    example in the whole batch (``LinAlgError``, ``ExampleError``, a user's assert or raise
    made by ``LoopRaise``); None for an error that names no example."""
    if isinstance(e, _FailedExample):
        return e.shifted(offset)
    if getattr(e, "gvmap_raise", None) is not None:
        return LoopRaise.shifted(e, offset)
    return None


class ExampleShapeError(ExampleError, NotImplementedError):
    """One example's values call for an output shape other than the one fixed when the
    function was traced (np.bincount(x, minlength=m) with a value >= m, whose NumPy result
    is longer): the loop succeeds with another shape for that example, which no batch can
    hold, so gvmap refuses there, naming the example, the reason and a fixed-shape rewrite."""
    kind = "ShapeError"

    def _message(self) -> str:
        where = self._in_example()
        if where:
            where += ", where the loop over examples gives a result of another shape"
        hint = f"; {self.hint}" if self.hint else ""
        return f"numpy.{self.function}: {self.reason}{where}{hint}"


class ExampleOrderError(ExampleError, NotImplementedError):
    """Python's sorted() of traced keys one of which is NaN, in one example: a NaN compares
    False both ways, so where the loop puts it depends on the comparisons CPython's sort
    happens to make, which gvmap's batched stable sort does not reproduce (it equals
    Python's wherever the keys are ordered); gvmap refuses there, naming the example."""
    kind = "OrderError"

    def _message(self) -> str:
        where = self._in_example()
        if where:
            where += (", where the loop's order depends on the comparisons Python's sort "
                      "happens to make")
        hint = f"; {self.hint}" if self.hint else ""
        return f"{self.function}: {self.reason}{where}{hint}"


EXAMPLE_ERRORS = {cls.kind: cls for cls in (ExampleValueError, ExampleTypeError, ExampleIndexError,
                                            ExampleOverflowError, ExampleZeroDivisionError,
                                            BeyondInt64Error, ExampleShapeError,
                                            ExampleOrderError, LinAlgError)}
