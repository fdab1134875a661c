"""Per-example NumPy code that leans on Python's own habits, each function unmodified, against the
loop oracle on every backend and plan kind: object-oriented models (a layer class with its
weights as attributes and ``__call__``, an MLP of them, properties, a classmethod building
Chebyshev coefficients, a kernel class whose subclass overrides a method or calls
``super().__call__``, an object counting its own calls, bound methods and instances passed to
``vmap``), dataclasses and NamedTuples as inputs and outputs (with ``_replace`` and methods),
functional Python (``functools.reduce`` / ``partial`` / ``lru_cache``, ``itertools``
accumulate, pairwise, product, combinations, islice, chain, starmap, cycle, groupby, zip /
enumerate / reversed over arrays, generator expressions and a generator function, ``sum`` /
``abs`` / ``round(x, n)`` / ``divmod`` / ``pow``, map and filter with static predicates,
recursion of a static depth, a ``nonlocal`` counter, lambda defaults, ``*args`` / ``**kwargs``
forwarding, star unpacking, the walrus, a deque ring buffer, dict / list / tuple outputs and
dict comprehensions), the ``math`` and ``operator`` modules (prod, hypot(*v), isclose,
copysign, fmod, remainder, frexp / ldexp, nextafter, comb on static ints, itemgetter,
attrgetter, methodcaller), numerics dressing (``np.errstate`` (main meanwhile runs each
equation under the traced code's own error state, so it silences the plan too),
``warnings.catch_warnings``, ``np.float32(x)`` / ``np.int64(x)``, ``float`` / ``int`` /
``.item()`` / ``.tolist()``, astype chains, ``np.result_type``, ``np.finfo`` / ``np.iinfo``,
``np.ndim`` / ``np.shape`` / ``np.isscalar`` / ``len``, ``isinstance`` on ``np.ndarray`` and
``numbers.Number``, ``x.T`` / ``x.flat`` / ``x.flatten()``, ``copy.copy`` / ``deepcopy``,
``print`` of traced values) and exception-based control flow (try / except around
np.linalg.cholesky, solve and a division), with None arguments, axis-1 batches, pytree in_axes
/ out_axes, nested vmaps and gvmap.jit.

Of the 66 cases first written, 64 batched on arrival and matched the loop, the other two
needed ``math.remainder`` and ``x.item()``. Probing around them found, and fixed:

* a wrong answer: ``round(t, n)`` of a traced Python float (``round(float(x.sum()), 3)``)
  was np.round's scaled rounding, where Python rounds correctly (the decimal nearest the
  exact binary value): ``round(5.4885, 3)`` is 5.489 in the loop and was 5.488, as for
  about a third of halfway-looking inputs. It is exact now for |n| <= 11 (an error-free
  product by a bit split of t and TwoSum, all of whose products are exact, so FMA
  contraction on CUDA changes nothing), bit for bit with CPython on 9,000 values x 11 digit
  counts, signed zeros included; larger |n| is refused naming np.round; ``round(k, -n)`` of
  a traced int is exact integer arithmetic (it went through float64) (gvmap/pyscalars.py
  ``python_round``; ``python_round_report``). A NumPy scalar's round stays np.round, as
  NumPy's own ``np.float64.__round__`` is;
* a wrong answer: ``int(h[0])`` of a uint64 past 2**63 wrapped to a negative int64 (the
  loop's Python int holds it); it raises ``BeyondInt64Error`` naming the example now, as
  ``int()`` of a float past int64 does (gvmap/pyscalars.py ``to_int``;
  ``test_python_corpus_uint64_past_int64_raises``);
* ``math.remainder`` was refused naming ``np.remainder`` -- floor modulo, another function:
  it is computed now as CPython's m_remainder (ties to even, ValueError for y == 0 or an
  infinite x; ``math_remainder_ties``), and ``math.nextafter`` batches (``nextafter_bracket``);
* ``x.item()`` / ``x.item(k)`` / ``x.item(i, j)`` and ``x.tolist()`` were refused; they give
  traced Python numbers (nested lists of them for tolist), as ``float(x[0])`` already did:
  that is what the loop's values are (``item_float_int``, ``item_index``, ``tolist_traced``,
  ``tolist_nested``, ``tolist_int_labels``). main made them batch at the same time; its
  ``Tracer.item`` / ``tolist`` are the ones kept (a uint64 element is refused there);
* a try / except around an operation that raises for some examples (np.linalg.cholesky /
  solve / inv, ``1.0 / t``, ``math.sqrt(t)``, ``row[int(k)]``, any ``gvmap.numpy.checks``
  check) ran the
  ``try`` branch for the batch and, where an example failed, raised saying "the loop over
  examples raises too" -- false, the loop takes the except branch. gvmap.trycatch now reads
  the user frames' exception tables while tracing and refuses where an ``except`` clause
  would catch the error, naming the call site and an np.where rewrite; the refusal is raised
  again when the function returns, so an ``except Exception`` cannot swallow it and take the
  fallback for every example (``cholesky_except_exception``); an ``assert`` inside
  ``try: ... except AssertionError`` is refused too. A try whose clauses cannot
  catch it (``except KeyError``), ``finally`` and ``with`` blocks are not refused
  (``keyerror_try_not_refused``, ``with_finally_not_refused``), nor a clause that always
  raises again (``reraise_wrapper_not_refused``), nor a try around the vmap call itself;
* a wrong answer: a callable object updating its own state per call (``self.running =
  0.9 * self.running + 0.1 * x``, a BatchNorm-style running mean) or a function assigning a
  ``global``: the loop's example k reads what examples before it stored; gvmap computed
  every example from the state before the call and left a dead tracer in the attribute
  (the next use raised LeakedTracerError). After tracing, gvmap.transform now looks at
  the callable's attributes and the globals its code assigns, puts any traced value back
  to the old one and refuses, naming the attribute and the functional rewrite
  (``running_norm_state``, ``running_norm_functional``); storing values that do not
  depend on the example (``self.basis = np.eye(n)``, ``self.n = x.shape[0]``) is not
  refused: they are left as the loop leaves them (``cached_basis_not_refused``);
* refusals a user would not expect, now batching: ``pow(a, b, m)`` of traced Python ints
  (a static exponent; modular squarings, Python's sign rule, ``m == 0`` Python's
  ValueError; ``pow_mod_hash``), ``k.bit_length()`` and ``t.is_integer()`` of traced
  numbers (``number_methods``), and ``min(parts, key=len)`` / ``max`` with static keys over
  traced items of different shapes, which pick statically (``min_static_key``);
* clearer refusals: ``f"{s:.3f}"`` of a traced value was Python's "unsupported format
  string" TypeError, and ``{s}`` without a spec (print while debugging) printed the tracer
  only by accident: it prints the traced shape and dtype once, at trace time, and a format
  spec is refused naming the argument; ``complex(...)`` and the cmath module say that gvmap
  computes real dtypes and how to carry (re, im) pairs (cmath.sqrt was told to use
  np.sqrt, which gives NaN for negatives); math.comb / factorial / perm / isqrt / ulp of
  traced values name a table or NumPy rewrite.

85 of the 98 cases here batched on the code before this work; of the 13 others
``python_round_report`` gave a wrong answer and 12 were refused. The 10 in ``REFUSED`` stay
refused, each naming a rewrite that is a case here: complex numbers (``complex()``, cmath:
gvmap has no complex dtype), a format spec of a traced value (each example has its own string;
return the value), try / except fallbacks (five: cholesky, a division, solve, a traced index
past the row, and ``except Exception``), math.comb of a traced n (a closed-over table), state
updated per call (``running_norm_state``: return the new state). (``pow(a, b, m)`` with a
traced exponent, refused here at first, batches since tests/test_corpus_integers.py's
work: squarings over its 63 bits, the extended-Euclid inverse for a negative one; it is a
case now, so the counts are 99 and 10.)

Left: ``str(t)`` / ``f"{t}"`` of a traced value is its description (``Tracer<f64[]>``), so
print works, but a string of it used as data (``len(str(x.sum()))``) differs from the loop's,
silently, as under every tracer; ``with contextlib.suppress(LinAlgError)`` around a failing
routine is not detected (the error says the loop raises); gvmap's other refusals
(TracerConversionError, a TypeError) raised inside a user's ``except TypeError`` or ``except
Exception`` can still be swallowed by it. State kept in a container (``history.append(x)`` in a
closure) is refused where it is stored since session 9 (LeakedTracerError); one reached
through a library's object is still found only when used later.
"""
from __future__ import annotations

import cmath
import copy
import dataclasses
import functools
import itertools
import math
import numbers
import operator
import warnings
from typing import NamedTuple

import numpy as np
import pytest

import gvmap
from gvmap.errors import LeakedTracerError, TracerConversionError
from corpus import corpus_tests

rng = np.random.RandomState(20261203)
B = 5  # examples per batch


# --- object-oriented code ------------------------------------------------------------------
class Dense:
    def __init__(self, n_in, n_out, seed):
        r = np.random.RandomState(seed)
        self.W = r.randn(n_out, n_in) / math.sqrt(n_in)
        self.b = r.randn(n_out) * 0.1

    def __call__(self, x):
        return np.tanh(self.W @ x + self.b)


class MLP:
    def __init__(self, sizes, seed=0):
        self.layers = [Dense(a, b, seed + k) for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def logits(self, x):
        h = self(x)
        return h - np.log(np.exp(h).sum())


MODEL = MLP([4, 6, 3])


def mlp_call(x):
    return MODEL(x)


class Standardiser:
    def __init__(self, mean, scale):
        self.mean, self.scale = mean, scale

    @property
    def inv_scale(self):
        return 1.0 / self.scale

    def transform(self, x):
        return (x - self.mean) * self.inv_scale

    def inverse(self, z):
        return z * self.scale + self.mean


STD = Standardiser(np.array([1.0, -2.0, 0.5]), np.array([2.0, 0.5, 1.5]))


def standardise_roundtrip(x):
    z = STD.transform(x)
    return z, STD.inverse(z)


class Polynomial:
    def __init__(self, coeffs):
        self.coeffs = tuple(coeffs)

    @classmethod
    def chebyshev(cls, n):
        # T_n's coefficients built with a Python recurrence over static lists
        t0, t1 = [1], [0, 1]
        for _ in range(n - 1):
            t0, t1 = t1, [2 * a - b for a, b in itertools.zip_longest([0] + t1, t0 + [0, 0], fillvalue=0)]
        return cls(t1 if n else t0)

    def __call__(self, x):
        # Horner, right to left
        acc = 0.0
        for c in reversed(self.coeffs):
            acc = acc * x + c
        return acc

    def derivative(self):
        return Polynomial([k * c for k, c in enumerate(self.coeffs)][1:])


T4 = Polynomial.chebyshev(4)


def chebyshev_eval(x):
    return T4(x), T4.derivative()(x)


class Kernel:
    def __init__(self, length=1.0):
        self.length = length

    def __call__(self, a, b):
        d = a[:, None, :] - b[None, :, :]
        return self.k((d ** 2).sum(-1))

    def k(self, r2):
        return np.exp(-0.5 * r2 / self.length ** 2)


class Matern12(Kernel):
    def k(self, r2):
        return np.exp(-np.sqrt(r2 + 1e-12) / self.length)


def gram_rbf_and_matern(X):
    return Kernel(0.7)(X, X), Matern12(0.7)(X, X)


class Counter:
    def __init__(self):
        self.calls = 0

    def step(self, x):
        self.calls += 1
        return 0.5 * x + self.calls


def bound_method_counter(x):
    c = Counter()
    for _ in range(3):
        x = c.step(x)
    return x, c.calls


@dataclasses.dataclass
class Particle:
    pos: np.ndarray
    vel: np.ndarray
    mass: float = 1.0


def particle_step(p, dt=0.1):
    acc = -p.pos / p.mass
    vel = p.vel + dt * acc
    return Particle(pos=p.pos + dt * vel, vel=vel, mass=p.mass)


def particle_energy(p):
    return 0.5 * p.mass * (p.vel @ p.vel) + 0.5 * (p.pos @ p.pos)


class Stats(NamedTuple):
    mean: np.ndarray
    std: np.ndarray
    n: int


def summarise(x):
    return Stats(x.mean(0), x.std(0), len(x))


def stats_to_z(s, x):
    return (x - s.mean) / s.std


class Gaussian(NamedTuple):
    mu: float
    sigma: float

    def logpdf(self, x):
        return -0.5 * ((x - self.mu) / self.sigma) ** 2 - np.log(self.sigma * math.sqrt(2 * math.pi))


def namedtuple_method(params, x):
    g = Gaussian(*params)
    return g.logpdf(x).sum(), g._replace(sigma=g.sigma * 2).logpdf(x).sum()


# --- functional Python ---------------------------------------------------------------------
def reduce_compose(x):
    steps = [np.sin, np.cos, lambda t: t * 2, np.tanh]
    return functools.reduce(lambda acc, f: f(acc), steps, x)


def reduce_product_of_matrices(Ms):
    return functools.reduce(np.matmul, Ms), functools.reduce(operator.add, Ms)


def _scaled_norm(x, p=2, scale=1.0):
    return scale * (np.abs(x) ** p).sum() ** (1.0 / p)


norm3_half = functools.partial(_scaled_norm, p=3, scale=0.5)


def partial_norms(x):
    return norm3_half(x), functools.partial(_scaled_norm, scale=2.0)(x, 1)


def accumulate_running(x):
    return (np.array(list(itertools.accumulate(x))),
            np.array(list(itertools.accumulate(x, max))),
            np.array(list(itertools.accumulate(x, operator.mul, initial=1.0))))


def pairwise_lengths(pts):
    return sum(np.linalg.norm(b - a) for a, b in itertools.pairwise(pts))


def product_grid_energy(x):
    n = len(x)
    return sum(x[i] * x[j] / (1 + abs(i - j)) for i, j in itertools.product(range(n), repeat=2))


def combinations_min_distance(pts):
    return min(np.linalg.norm(pts[i] - pts[j]) for i, j in itertools.combinations(range(len(pts)), 2))


def islice_chain(x, y):
    head = list(itertools.islice(x, 3))
    return np.array(list(itertools.chain(head, y[::2], [x[-1]])))


def zip_enumerate_reversed(x, w):
    acc = 0.0
    for k, (a, b) in enumerate(zip(x, w)):
        acc += (k + 1) * a * b
    back = [a for a in reversed(x)]
    return acc, np.stack(back)


def generator_sums(x):
    return sum(a * a for a in x), sum((a for a in x), start=10.0), sum(abs(a) for a in x)


def builtin_scalars(x):
    s = x.sum()
    q, r = divmod(s, 1.5)
    return abs(s), round(s, 2), q, r, pow(abs(s), 0.5), pow(x[0], 2)


def map_filter_static(x):
    idx = list(filter(lambda k: k % 2 == 0, range(len(x))))
    return np.array(list(map(lambda k: x[k] ** 2, idx))), list(map(np.exp, x[:2]))


def _tree_sum(x, depth):
    if depth == 0:
        return x
    half = x.shape[0] // 2
    return _tree_sum(x[:half], depth - 1) + _tree_sum(x[half:], depth - 1)


def recursion_static_depth(x):
    return _tree_sum(x, 3)


def _make_counter():
    count = 0

    def bump(v):
        nonlocal count
        count += 1
        return v * count
    return bump


def closure_counter(x):
    bump = _make_counter()
    return bump(x) + bump(x) + bump(x)


def lambda_defaults(x):
    fs = [lambda t, k=k: t ** k for k in range(1, 4)]
    return [f(x) for f in fs]


def _forward(f, *args, **kwargs):
    return f(*args, **kwargs)


def args_kwargs_forwarding(x, y):
    return _forward(np.clip, x, a_min=-0.5, a_max=y.max()), _forward(np.add, *[x, y])


def dict_outputs(x):
    return {"mean": x.mean(), "max": x.max(), "argmax": x.argmax(), "norm": np.linalg.norm(x)}


def dict_comprehension(x):
    feats = {f"p{k}": (x ** k).mean() for k in range(1, 4)}
    feats["range"] = x.max() - x.min()
    return feats


def list_tuple_outputs(x):
    return [x[0], x[-1]], (x.cumsum(), (x.min(), x.max()))


def dict_input(d):
    return d["w"] @ d["x"] + d["b"]


def star_unpack(v):
    first, *mid, last = v
    return first + last, np.stack(mid)


# --- math and operator ---------------------------------------------------------------------
def math_prod_hypot(v):
    return math.prod(v), math.hypot(*v), math.prod(v[:2], start=2.0)


def math_isclose_copysign(x):
    a, b = x[0], x[1]
    return (math.isclose(a, b, rel_tol=0.1), math.copysign(a, b), math.fmod(a * 10, 3.0),
            math.remainder(a * 10, 3.0))


def math_ldexp_frexp(x):
    m, e = math.frexp(x[0])
    return m, e, math.ldexp(m, e + 1), math.ldexp(x[1], 3)


def binomial_pmf(p, n=6):
    return np.array([math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(n + 1)])


def operator_getters(rec):
    get = operator.itemgetter(0, 2)
    a, c = get(rec)
    return operator.mul(a, c), operator.truediv(a, 2.0), operator.neg(c)


def attrgetter_particle(p):
    pos, vel = operator.attrgetter("pos", "vel")(p)
    return operator.matmul(pos, vel)


def cmath_phase(x):
    return cmath.phase(complex(x[0], x[1]))


def polar_atan2(x):
    return math.atan2(x[1], x[0]), math.hypot(x[0], x[1])


# --- numerics dressing ---------------------------------------------------------------------
def errstate_safe_log(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(x)
        r = x / (x - x)
    return np.where(np.isfinite(y), y, 0.0), np.isnan(r).sum()


def catch_warnings_mean(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        m = np.nanmean(np.where(x > 0, x, np.nan))
    return m


def scalar_constructors(x):
    a = np.float32(x[0])
    n = np.int64(x[1] * 10)
    return a, n, np.float64(a) * 2, np.int32(n) + 1


def item_float_int(x):
    s = x.sum().item()
    return float(x[0]) * 2, int(x[1] * 10), s


def astype_chains(x):
    q = (x * 100).astype(np.int32).astype(np.float32) / 100
    return q, x.astype("float32").astype(np.float64) - x, (x > 0).astype(int).sum()


def result_type_dtype(x, y):
    dt = np.result_type(x, y)
    out = np.zeros(x.shape, dtype=dt)
    out += x * y
    return out, np.empty_like(x, dtype=np.result_type(x.dtype, np.float32)).fill(0) is None


def finfo_eps(x):
    eps = np.finfo(x.dtype).eps
    tiny = np.finfo(x.dtype).tiny
    return x / (np.linalg.norm(x) + eps), np.maximum(x, tiny)


def iinfo_clip(x):
    info = np.iinfo(np.int16)
    return np.clip(x * 1000, info.min, info.max).astype(np.int16)


def scalar_shape_queries(x):
    out = x.copy()
    if np.ndim(x) == 2 and np.shape(x)[1] == 3 and len(x) > 1:
        out = out * 2
    if np.isscalar(x[0, 0]) and not np.isscalar(x):
        out = out + 1
    return out, x.size, x.ndim


def isinstance_checks(x, s):
    y = x if isinstance(x, np.ndarray) else np.asarray(x)
    k = 2.0 if isinstance(s, numbers.Number) else 3.0
    z = y[0]
    w = 1.0 if isinstance(z, (float, np.floating)) else 0.0
    return y * k, w


def transpose_flat_flatten(m):
    return m.T @ m, m.flatten(), m.flat[3], m.ravel()[::2]


def tolist_traced(x):
    return sum(x.tolist())


def tolist_sum_rewrite(x):
    return sum(list(x))


def copy_deepcopy(x):
    a = copy.copy(x)
    b = copy.deepcopy(x)
    a[0] = 0.0
    b *= 2
    return x, a, b


def print_fstring(x):
    s = x.sum()
    print(f"sum = {s}")
    print("shape", x.shape, "dtype", x.dtype)
    return s


def fstring_format_spec(x):
    return f"{x.sum():.3f}"


def logging_like(x):
    msg = "x has %d elements" % x.size
    return x * len(msg)


# --- exception-based control flow -----------------------------------------------------------
def cholesky_fallback(A):
    try:
        L = np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        L = np.linalg.cholesky(A + 1e-3 * np.eye(len(A)))
    return L


def cholesky_jitter_where(A):
    w = np.linalg.eigvalsh(A)
    shift = np.where(w[0] > 0, 0.0, 1e-3 - w[0])
    return np.linalg.cholesky(A + shift * np.eye(len(A)))


def division_fallback(x):
    try:
        r = 1.0 / float(x[0])
    except ZeroDivisionError:
        r = 0.0
    return r


def division_where(x):
    return np.where(x[0] != 0, 1.0 / np.where(x[0] != 0, x[0], 1.0), 0.0)


def lookup_fallback(table_row, k):
    # the loop's except IndexError runs for the examples whose k is past the row
    try:
        return table_row[int(k)]
    except IndexError:
        return 0.0


def lookup_clip_where(table_row, k):
    n = len(table_row)
    i = int(k)
    return np.where((i >= -n) & (i < n), table_row[np.clip(i, -n, n - 1)], 0.0)


class RunningNorm:
    """A layer keeping a running mean, updated by each call (as BatchNorm's in training)."""

    def __init__(self, n):
        self.running = np.zeros(n)

    def __call__(self, x):
        self.running = 0.9 * self.running + 0.1 * x
        return x - self.running

    def step(self, x, running):
        new = 0.9 * running + 0.1 * x
        return x - new, new


RUNNING = RunningNorm(3)


class CachedBasis:
    """Stores what does not depend on the example (a basis, a shape): not refused."""

    def __call__(self, x):
        self.basis = np.eye(len(x))[::-1]
        self.n = x.shape[0]
        return self.basis @ x / self.n


def running_norm_functional(x):
    # the state in and out as values: each example from the state before the call
    return RUNNING.step(x, RUNNING.running)


def reraise_wrapper_not_refused(A):
    # an except clause that always raises again catches nothing: the loop raises too
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError as e:
        warnings.warn(f"inv failed: {e}")
        raise RuntimeError("inverse failed") from e


def cholesky_except_exception(A):
    # swallowing gvmap's refusal here would take the fallback for every example: the
    # refusal is raised again when the function returns
    try:
        return np.linalg.cholesky(A)
    except Exception:
        return np.zeros_like(A)


def solve_fallback(A, b):
    try:
        return np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(A, b, rcond=None)[0]


# --- vmaps of methods, nested vmaps, jit ----------------------------------------------------
def vmap_of_bound_method(x):
    return gvmap.vmap(MODEL.logits)(x)


def nested_kernel_rows(X, Y):
    def row(x):
        return gvmap.vmap(lambda y: np.exp(-((x - y) ** 2).sum()))(Y)
    return gvmap.vmap(row)(X).sum()


@gvmap.jit
def jitted_helper(v):
    return np.sqrt((v * v).sum())


def calls_jit(x):
    return x / jitted_helper(x)


# --- more of the same habits --------------------------------------------------------------
def math_remainder_ties(x):
    # IEEE remainder: halves go to the even multiple (np.remainder is floor modulo)
    return math.remainder(x[0], x[1]), math.remainder(x[0], 2.0), math.remainder(7.5, x[1])


def item_index(v):
    m = v.reshape(2, 3)
    return v.item(2), m.item(1, 0), m.item((0, 2)), (v > 0).item(1), v.astype(int).item(-1)


def tolist_nested(m):
    rows = m.tolist()
    return [sum(r) for r in rows], max(rows[0]), rows[1][2] * 2


def tolist_int_labels(labels):
    counts = [0] * 3
    for lab in labels.tolist():
        counts = [c + (lab == k) for k, c in enumerate(counts)]
    return np.array(counts)


def int_of_uint64(h):
    # hash buckets from a uint64 digest (values below 2**63)
    return int(h[0]) % 97, int(h[1]) >> 4


def nextafter_bracket(x):
    return math.nextafter(x[0], math.inf) - x[0], math.nextafter(x[0], 0.0)


def keyerror_try_not_refused(x, cfg={"scale": 2.0}):
    # a try whose except cannot catch what the traced code raises per example
    try:
        y = x / x.sum() * cfg["scale"]
    except KeyError:
        y = x
    return y


def with_finally_not_refused(x):
    with warnings.catch_warnings():
        try:
            return math.sqrt(abs(x[0])) + 1.0 / (1.0 + x[1] ** 2)
        finally:
            pass


def solve_guarded(A, b):
    ok = np.abs(np.linalg.det(A)) > 1e-9
    x = np.linalg.solve(np.where(ok, A, np.eye(len(A))), b)
    return np.where(ok, x, np.linalg.pinv(A) @ b)


def starmap_cycle(x):
    dots = sum(itertools.starmap(operator.mul, zip(x, x[::-1])))
    return dots, np.stack(list(itertools.islice(itertools.cycle(x), 7)))


def groupby_static(x):
    return [sum(x[i] for i in g) for _, g in itertools.groupby(range(len(x)), key=lambda i: i // 2)]


def deque_ring(x):
    import collections
    window = collections.deque(maxlen=3)
    means = []
    for a in x:
        window.append(a)
        means.append(sum(window) / len(window))
    return np.stack(means)


def walrus_and_conditional(x, mode="center"):
    if (m := x.mean()) is not None and mode == "center":
        x = x - m
    return x, m


def methodcaller_ops(m):
    return operator.methodcaller("sum", axis=0)(m), operator.methodcaller("max")(m)


class Scaled(Kernel):
    def __init__(self, length, amplitude):
        super().__init__(length)
        self.amplitude = amplitude

    def __call__(self, a, b):
        return self.amplitude * super().__call__(a, b)


def super_call_kernel(X):
    return Scaled(0.5, 3.0)(X, X[:2])


@functools.lru_cache(maxsize=None)
def _binomial_table(n):
    return np.array([math.comb(n, k) for k in range(n + 1)], dtype=float)


def lru_cached_table(p, n=5):
    k = np.arange(n + 1)
    return _binomial_table(n) * p ** k * (1 - p) ** (n - k)


@dataclasses.dataclass(frozen=True)
class Config:
    lr: float = 0.1
    steps: int = 4


def dataclass_config_static(w, g, cfg=Config()):
    for _ in range(cfg.steps):
        w = w - cfg.lr * g * w
    return w


def user_generator(x):
    def halves(v):
        while v.shape[0] > 1:
            yield v
            v = v[: v.shape[0] // 2]
    return [h.sum() for h in halves(x)]


def abs_pow_neg_arrays(x):
    return abs(x), pow(x, 3), -x, +x, ~(x > 0.5), divmod(x, 0.3)


def enumerate_start_weights(x):
    return sum(k * a for k, a in enumerate(x, start=1)) / sum(range(1, len(x) + 1))


def python_round_report(x):
    # round() of Python floats is correctly rounded: round(5.4885, 3) is 5.489 (5.4885 is
    # 5.48850000000000016...), where np.round, scaling in floating point, gives 5.488
    total = float(x[0] + x[1])
    return round(total, 3), round(float(x[0]), 1), round(float(x[1]) * 100, -2), round(int(x[2]), -1)


ROUND_ROWS = np.array([[5.4885, 0.0, 25.0], [5.4495, 0.0, 35.0], [4.2375, 0.0, -25.0], [-4.3765, 0.0, 1499.0],
                       [0.25, 0.5, 15.0], [2.675, 2.5, 1e6 + 5], [1e15 + 0.3, 1e15, 0.0],
                       [53216190477870.414, 0.07, 5.0]])


def pow_mod_hash(tokens, base=131, m=1000003):
    # a polynomial string hash with Python's three-argument pow (Python ints, modulus static)
    n = len(tokens)
    h = sum(int(t) * pow(base, n - 1 - k, m) for k, t in enumerate(tokens)) % m
    return h, pow(int(tokens[0]), 5, m), pow(int(tokens[1]) + 2, 3, int(tokens[2]) + 11)


def pow_traced_exponent(k, m=97):
    return pow(int(k[0]), int(k[1]), m)


def pow_mod_bits(k, m=97):
    # the same by squarings over the exponent's bits (b < 256)
    a, b = int(k[0]) % m, int(k[1])
    r = 1
    for j in range(8):
        r = np.where((b >> j) & 1, r * a % m, r)
        a = a * a % m
    return r


def number_methods(x):
    k = int(x[0] * 1000)
    return k.bit_length(), (-k).bit_length(), float(x[1] * 4).is_integer(), (x[1] * 4).is_integer()


def min_static_key(x):
    # the keys are static (len): the pick is too, whatever the items' shapes
    parts = [x[:2], x[:5], x[:3]]
    return min(parts, key=len).sum(), max(parts, key=len)


PSPD = np.stack([(lambda M: M @ M.T + 0.1 * np.eye(3))(rng.randn(3, 3)) for _ in range(B)])
PIND = PSPD.copy()
PIND[1] -= 2.0 * np.eye(3) * np.linalg.eigvalsh(PIND[1])[-1]

CASES = [
    ("mlp_call", mlp_call, (rng.randn(B, 4),), 0, 0),
    ("mlp_bound_logits", MODEL.logits, (rng.randn(B, 4),), 0, 0),
    ("mlp_instance", MODEL, (rng.randn(B, 4),), 0, 0),
    ("standardise_roundtrip", standardise_roundtrip, (rng.randn(B, 3),), 0, 0),
    ("standardise_bound_axis1", STD.transform, (rng.randn(3, B),), 1, 1),
    ("chebyshev_eval", chebyshev_eval, (rng.uniform(-1, 1, B),), 0, 0),
    ("chebyshev_instance_f32", T4, (rng.uniform(-1, 1, (B, 3)).astype(np.float32),), 0, 0),
    ("gram_rbf_and_matern", gram_rbf_and_matern, (rng.randn(B, 4, 2),), 0, 0),
    ("bound_method_counter", bound_method_counter, (rng.randn(B, 3),), 0, 0),
    ("particle_step", particle_step, (Particle(rng.randn(B, 3), rng.randn(B, 3), 2.0),),
     (Particle(0, 0, None),), Particle(0, 0, None)),
    ("particle_energy", particle_energy, (Particle(rng.randn(B, 3), rng.randn(B, 3), 2.0),),
     (Particle(0, 0, None),), 0),
    ("summarise_namedtuple", summarise, (rng.randn(B, 6, 2),), 0, Stats(0, 1, None)),
    ("stats_to_z", stats_to_z, (Stats(rng.randn(B, 2), rng.rand(B, 2) + 0.5, 6), rng.randn(B, 6, 2)),
     (Stats(0, 0, None), 0), 0),
    ("namedtuple_method", namedtuple_method, (rng.rand(B, 2) + 0.5, rng.randn(B, 7)), 0, 0),
    ("reduce_compose", reduce_compose, (rng.randn(B, 4),), 0, 0),
    ("reduce_product_of_matrices", reduce_product_of_matrices, (rng.randn(B, 4, 3, 3),), 0, 0),
    ("partial_norms", partial_norms, (rng.randn(B, 5),), 0, 0),
    ("partial_vmapped", norm3_half, (rng.randn(B, 5),), 0, 0),
    ("accumulate_running", accumulate_running, (rng.randn(B, 6),), 0, 0),
    ("pairwise_lengths", pairwise_lengths, (rng.randn(B, 5, 2),), 0, 0),
    ("product_grid_energy", product_grid_energy, (rng.randn(B, 4),), 0, 0),
    ("combinations_min_distance", combinations_min_distance, (rng.randn(B, 5, 3),), 0, 0),
    ("islice_chain", islice_chain, (rng.randn(B, 6), rng.randn(B, 4)), 0, 0),
    ("zip_enumerate_reversed", zip_enumerate_reversed, (rng.randn(B, 5), rng.randn(5)), (0, None), 0),
    ("generator_sums", generator_sums, (rng.randn(B, 5),), 0, 0),
    ("generator_sums_f32", generator_sums, (rng.randn(B, 5).astype(np.float32),), 0, 0),
    ("builtin_scalars", builtin_scalars, (rng.randn(B, 4) * 3,), 0, 0),
    ("map_filter_static", map_filter_static, (rng.randn(B, 5),), 0, 0),
    ("recursion_static_depth", recursion_static_depth, (rng.randn(B, 16),), 0, 0),
    ("closure_counter", closure_counter, (rng.randn(B, 3),), 0, 0),
    ("lambda_defaults", lambda_defaults, (rng.randn(B, 3),), 0, 0),
    ("args_kwargs_forwarding", args_kwargs_forwarding, (rng.randn(B, 4), rng.randn(B, 4)), 0, 0),
    ("dict_outputs", dict_outputs, (rng.randn(B, 6),), 0, 0),
    ("dict_outputs_axis1", dict_outputs, (rng.randn(6, B),), 1, 0),
    ("dict_comprehension", dict_comprehension, (rng.randn(B, 6),), 0, 0),
    ("list_tuple_outputs", list_tuple_outputs, (rng.randn(B, 6),), 0, ([0, 0], (1, 0))),
    ("dict_input", dict_input, ({"w": rng.randn(3, 4), "x": rng.randn(B, 4), "b": rng.randn(B, 3)},),
     ({"w": None, "x": 0, "b": 0},), 0),
    ("star_unpack", star_unpack, (rng.randn(B, 5),), 0, 0),
    ("math_prod_hypot", math_prod_hypot, (rng.randn(B, 4),), 0, 0),
    ("math_isclose_copysign", math_isclose_copysign, (np.stack([rng.rand(B), rng.rand(B) * 1.1], 1),), 0, 0),
    ("math_ldexp_frexp", math_ldexp_frexp, (rng.randn(B, 2) * 100,), 0, 0),
    ("binomial_pmf", binomial_pmf, (rng.rand(B),), 0, 0),
    ("operator_getters", operator_getters, (rng.randn(B, 3),), 0, 0),
    ("attrgetter_particle", attrgetter_particle, (Particle(rng.randn(B, 3), rng.randn(B, 3)),),
     (Particle(0, 0, None),), 0),
    ("polar_atan2", polar_atan2, (rng.randn(B, 2),), 0, 0),
    ("errstate_safe_log", errstate_safe_log, (np.abs(rng.randn(B, 5)) * (rng.rand(B, 5) > 0.3),), 0, 0),
    ("catch_warnings_mean", catch_warnings_mean, (np.concatenate([rng.randn(B - 1, 5), -np.ones((1, 5))]),), 0, 0),
    ("scalar_constructors", scalar_constructors, (rng.randn(B, 2),), 0, 0),
    ("item_float_int", item_float_int, (rng.randn(B, 3),), 0, 0),
    ("astype_chains", astype_chains, (rng.randn(B, 5),), 0, 0),
    ("result_type_dtype", result_type_dtype, (rng.randn(B, 3).astype(np.float32), rng.randint(0, 5, (B, 3))), 0, 0),
    ("finfo_eps", finfo_eps, (rng.randn(B, 4).astype(np.float32),), 0, 0),
    ("finfo_eps_f64", finfo_eps, (rng.randn(B, 4),), 0, 0),
    ("iinfo_clip", iinfo_clip, (rng.randn(B, 5) * 50,), 0, 0),
    ("scalar_shape_queries", scalar_shape_queries, (rng.randn(B, 2, 3),), 0, 0),
    ("isinstance_checks", isinstance_checks, (rng.randn(B, 3), 2), (0, None), 0),
    ("transpose_flat_flatten", transpose_flat_flatten, (rng.randn(B, 3, 2),), 0, 0),
    ("tolist_sum_rewrite", tolist_sum_rewrite, (rng.randn(B, 4),), 0, 0),
    ("copy_deepcopy", copy_deepcopy, (rng.randn(B, 3),), 0, 0),
    ("logging_like", logging_like, (rng.randn(B, 3),), 0, 0),
    ("cholesky_jitter_where", cholesky_jitter_where, (PIND,), 0, 0),
    ("division_where", division_where, (np.where(rng.rand(B, 2) < 0.4, 0.0, rng.randn(B, 2)),), 0, 0),
    ("vmap_of_bound_method", vmap_of_bound_method, (rng.randn(B, 3, 4),), 0, 0),
    ("nested_kernel_rows", nested_kernel_rows, (rng.randn(B, 4, 2), rng.randn(B, 3, 2)), 0, 0),
    ("calls_jit", calls_jit, (rng.randn(B, 4),), 0, 0),
    ("python_round_report", python_round_report, (ROUND_ROWS,), 0, 0),
    ("pow_mod_hash", pow_mod_hash, (rng.randint(0, 1000, (B, 6)),), 0, 0),
    # refused before probe10's modular_pow, which squares over all 63 bits of a traced exponent
    ("pow_traced_exponent", pow_traced_exponent,
     (np.stack([rng.randint(-500, 500, B), rng.randint(0, 256, B)], 1),), 0, 0),
    ("pow_mod_bits", pow_mod_bits, (np.stack([rng.randint(-500, 500, B), rng.randint(0, 256, B)], 1),), 0, 0),
    ("number_methods", number_methods, (np.round(rng.randn(B, 2) * 8) / 8,), 0, 0),
    ("min_static_key", min_static_key, (rng.randn(B, 6),), 0, 0),
    ("lookup_clip_where", lookup_clip_where, (rng.randn(B, 4), np.array([0.0, 3.0, 4.0, -5.0, 9.0])), 0, 0),
    ("reraise_wrapper_not_refused", reraise_wrapper_not_refused, (PSPD,), 0, 0),
    ("cached_basis_not_refused", CachedBasis(), (rng.randn(B, 4),), 0, 0),
    ("running_norm_functional", running_norm_functional, (rng.randn(B, 3),), 0, 0),
    ("tolist_traced", tolist_traced, (rng.randn(B, 4),), 0, 0),
    ("print_fstring", print_fstring, (rng.randn(B, 4),), 0, 0),
    ("math_remainder_ties", math_remainder_ties,
     (np.array([[7.5, 2.0], [-7.5, 2.0], [5.0, 2.0], [-5.0, 2.0], [3.0, -2.0], [1e300, 3.0],
                [-0.0, 1.0], [4.0, np.inf], [2.5, 1.0], [3.5, 1.0]]),), 0, 0),
    ("item_index", item_index, (rng.randn(B, 6) * 4,), 0, 0),
    ("item_index_f32", item_index, (rng.randn(B, 6).astype(np.float32),), 0, 0),
    ("tolist_nested", tolist_nested, (rng.randn(B, 2, 3),), 0, 0),
    ("tolist_int_labels", tolist_int_labels, (rng.randint(0, 3, (B, 7)),), 0, 0),
    ("int_of_uint64", int_of_uint64, (rng.randint(0, 2 ** 62, (B, 2)).astype(np.uint64) * 2,), 0, 0),
    ("nextafter_bracket", nextafter_bracket, (rng.randn(B, 2),), 0, 0),
    ("keyerror_try_not_refused", keyerror_try_not_refused, (rng.rand(B, 4),), 0, 0),
    ("with_finally_not_refused", with_finally_not_refused, (rng.randn(B, 2),), 0, 0),
    ("solve_guarded", solve_guarded, (np.concatenate([rng.randn(B - 1, 3, 3), np.ones((1, 3, 3))]),
                                      rng.randn(B, 3)), 0, 0),
    ("starmap_cycle", starmap_cycle, (rng.randn(B, 4),), 0, 0),
    ("groupby_static", groupby_static, (rng.randn(B, 5),), 0, 0),
    ("deque_ring", deque_ring, (rng.randn(B, 6),), 0, 0),
    ("walrus_and_conditional", walrus_and_conditional, (rng.randn(B, 4),), 0, 0),
    ("methodcaller_ops", methodcaller_ops, (rng.randn(B, 3, 2),), 0, 0),
    ("super_call_kernel", super_call_kernel, (rng.randn(B, 4, 2),), 0, 0),
    ("lru_cached_table", lru_cached_table, (rng.rand(B),), 0, 0),
    ("dataclass_config_static", dataclass_config_static, (rng.randn(B, 3), rng.rand(3)), (0, None), 0),
    ("user_generator", user_generator, (rng.randn(B, 8),), 0, 0),
    ("abs_pow_neg_arrays", abs_pow_neg_arrays, (rng.rand(B, 4),), 0, 0),
    ("enumerate_start_weights", enumerate_start_weights, (rng.randn(B, 5),), 0, 0),
    ("enumerate_start_weights_axis1", enumerate_start_weights, (rng.randn(5, B),), 1, 0),
]

# Refused, each with its message and the rewrite (in CASES) that batches:
# (name, function, args, in_axes, error, message pattern, the rewrite's name)
CAUGHT = r"inside a `try:` whose `except` catches {}.*cannot take an except branch per example.*np\.where"
REFUSED = [
    ("cmath_phase", cmath_phase, (rng.randn(B, 2),), 0, TracerConversionError,
     r"complex\(\) on a traced array.*real dtypes only.*cmath\.phase\(complex\(re, im\)\) is "
     r"math\.atan2\(im, re\)", "polar_atan2"),
    ("cmath_sqrt", lambda x: cmath.sqrt(x[0]), (rng.randn(B, 2),), 0, TracerConversionError,
     r"cmath\.sqrt\(\) of a traced value: its result is a complex number", "polar_atan2"),
    ("fstring_format_spec", fstring_format_spec, (rng.randn(B, 4),), 0, TracerConversionError,
     r"format\(x, '\.3f'\).*argument 0 \('x'\).*format the result after the call", "print_fstring"),
    ("cholesky_fallback", cholesky_fallback, (PIND,), 0, TracerConversionError,
     CAUGHT.format(r"numpy\.linalg\.LinAlgError") + r".*eigvalsh", "cholesky_jitter_where"),
    ("division_fallback", division_fallback, (np.where(rng.rand(B, 2) < 0.4, 0.0, rng.randn(B, 2)),), 0,
     TracerConversionError, CAUGHT.format("ZeroDivisionError") + r".*b != 0", "division_where"),
    ("solve_fallback", solve_fallback, (np.concatenate([rng.randn(B - 1, 3, 3), np.ones((1, 3, 3))]),
                                        rng.randn(B, 3)), 0,
     TracerConversionError, CAUGHT.format(r"numpy\.linalg\.LinAlgError") + r".*lstsq", "solve_guarded"),
    ("cholesky_except_exception", cholesky_except_exception, (PSPD,), 0, TracerConversionError,
     CAUGHT.format(r"numpy\.linalg\.LinAlgError"), "cholesky_jitter_where"),
    ("lookup_fallback", lookup_fallback, (rng.randn(B, 4), np.array([0.0, 3.0, 4.0, -5.0, 9.0])), 0,
     TracerConversionError, CAUGHT.format("IndexError") + r".*np\.clip\(i, -n, n - 1\)", "lookup_clip_where"),
    ("running_norm_state", RUNNING, (rng.randn(B, 3),), 0, LeakedTracerError,
     r"stored a traced value in RunningNorm\.running: in the loop over examples each call "
     r"updates it in turn.*put the old value back.*Return the new value as an output",
     "running_norm_functional"),
    ("comb_of_traced", lambda x: math.comb(int(x[0] * 4) + 4, 2), (rng.rand(B, 2),), 0,
     TracerConversionError, r"math\.comb\(\) of a traced.*C\[n, k\]", "binomial_pmf"),
]


(test_python_corpus_function, test_python_corpus_refusal_and_its_rewrite,
 test_python_corpus_size) = corpus_tests(CASES, REFUSED, (99, 10))


def test_python_corpus_uint64_past_int64_raises():
    """int() of a uint64 past 2**63 is a Python int the loop holds; gvmap's traced ints are
    int64, so it raises naming the example (it wrapped to a negative number, silently)."""
    h = np.array([[2 ** 64 - 5, 1], [7, 1]], dtype=np.uint64)
    with pytest.raises(OverflowError, match=r"builtins\.int: the integer does not fit in int64.* in "
                                            r"example 0"):
        gvmap.vmap(int_of_uint64)(h)
    with pytest.raises(TracerConversionError, match=r"\.item\(\) on a traced array"):
        gvmap.vmap(lambda v: v.item(0) + 1)(np.array([[3], [2 ** 63]], dtype=np.uint64))


def test_python_corpus_state_written_is_put_back():
    """The refused call leaves the object's state as it was (no dead tracer in it), and
    a global the function assigns is refused too."""
    with pytest.raises(LeakedTracerError):
        gvmap.vmap(RUNNING)(np.ones((2, 3)))
    assert type(RUNNING.running) is np.ndarray and not RUNNING.running.any()
    with pytest.raises(LeakedTracerError, match="the global _TOTAL"):
        gvmap.vmap(_accumulate)(np.ones((2, 3)))
    assert _TOTAL == 0.0


_TOTAL = 0.0


def _accumulate(x):
    global _TOTAL
    _TOTAL = _TOTAL + x.sum()
    return x * 2


# compiled from source: pytest rewrites the assert statements of test modules
_USER_CODE: dict = {"np": np}
exec("def assert_fallback(x):\n"
     "    try:\n"
     "        assert x.sum() > 0, 'negative total'\n"
     "        return x\n"
     "    except AssertionError:\n"
     "        return -x\n", _USER_CODE)


def test_python_corpus_assert_inside_try_is_refused():
    """The loop's except AssertionError runs for the examples whose assert fails."""
    with pytest.raises(TracerConversionError, match=CAUGHT.format("AssertionError")):
        gvmap.vmap(_USER_CODE["assert_fallback"])(np.array([[1.0, 2.0], [-3.0, 1.0]]))


def test_python_corpus_math_remainder_domain():
    with pytest.raises(ValueError, match=r"math\.remainder: math domain error in example 1"):
        with np.errstate(all="ignore"):
            gvmap.vmap(math_remainder_ties)(np.array([[1.0, 2.0], [1.0, 0.0]]))


def test_python_corpus_try_outside_the_traced_function_is_not_refused():
    """A try around the vmap call is the caller's: the error names the example."""
    try:
        gvmap.vmap(np.linalg.cholesky)(PIND)
    except np.linalg.LinAlgError as e:
        assert "in example 1, where the loop over examples raises" in str(e)
    else:
        raise AssertionError("no LinAlgError")


def test_python_corpus_try_in_an_outer_function_of_a_nested_vmap():
    def outer(A):
        try:
            return gvmap.vmap(np.linalg.inv)(A[None])[0]
        except np.linalg.LinAlgError:
            return A
    with pytest.raises(TracerConversionError, match=CAUGHT.format(r"numpy\.linalg\.LinAlgError")):
        gvmap.vmap(outer)(PSPD)
