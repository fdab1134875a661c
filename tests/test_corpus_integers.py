"""Per-example NumPy code built on integer and bit-level arithmetic, where wrong answers
hide: hashing and PRNGs (FNV-1a 32/64 over byte rows, djb2, murmur3's finalizers and a
one-key murmur3, an xxhash-like lane mix, xorshift32 / xorshift64*, splitmix64, PCG32 with
its ``(-rot) & 31`` rotation, LCGs on uint32 and with Python-style masks on int64, Philox-like
mulhi/mullo rounds, rotations by shifts and masks with traced counts, token ids hashed into
buckets with ``%`` and np.bincount, boost's hash_combine), checksums and codes (CRC-8 / 16
/ 32 by bit loops, CRC-32 through a closed-over 256-entry table indexed by traced bytes and
by np.take, Adler-32 by a loop of Python ints and by np.cumsum, Luhn, Hamming(7,4) encode
and syndrome decode, parity by folding, Gray code and back, SWAR popcounts against
np.bitwise_count, bit reversal, Morton interleave / deinterleave and a Z-order sort,
decimal and binary digits by ``//`` / ``%`` / shifts), fixed point and integer numerics
(Q15 / Q16.16 multiplies with rounding and saturation through np.clip and np.iinfo, Q15
MACs, integer sqrt by Newton and bisection, Euclid with fixed steps, np.gcd / np.lcm on
int8, modular exponentiation by squaring on int64 and by Python's ``pow(a, b, m)``,
``pow(a, -1, m)``, the extended Euclid inverse, quantization by np.floor(...).astype(int)
and np.digitize, ordered and Floyd-Steinberg dithering, RGBA8888 and RGB565 packing,
uint8 image arithmetic that wraps against cv2-style saturation, integer alpha blending, a
gamma LUT) and dtype edges (int8 ... uint64 and bool inputs; shifts by 31 / 32 / 63 / 64 and
by traced counts past the width; signed right shifts; ``~`` of bools and signed ints;
abs(INT_MIN); uint64 meeting Python ints up to 2**64 - 1 and int64 arrays (float64 under
NumPy 2); mixed-width promotion of arrays and NumPy scalars; floor division, modulo and fmod
of negatives, by zero and MIN // -1; integer powers that wrap; integer casts that wrap;
float-to-int truncation of in-range values and a NaN / inf-safe cast through np.nan_to_num
and np.clip; bool arithmetic; Python constants past 32 bits), with in_axes None and 1,
tuple outputs, out_axes 1 and nested vmaps, each function unmodified, against the loop
oracle on every backend and plan kind.

Of the 127 cases here 121 batched on the code this work started from (9c28558) and matched
the loop on every backend and plan kind, and so did the whole corpus with chunk_size=2 and
under jit; the CUDA source of every kernel the cupy plans generate for it (382, both plan
kinds) compiles with NVRTC (no GPU was available to run them). Nor did ~70 further edge
probes written around them give a wrong NumPy-level answer (uint64 sorts and reductions
near 2**64, comparisons with Python ints outside the dtype, np.where / np.clip /
np.maximum with them, int8 reductions and matmuls that wrap, integer rounding with negative
decimals, astype of NaN / inf on the CPU backends, which call NumPy's own cast). The
wrong answers and refusals were all in the traced Python numbers, fixed here
(gvmap/pyscalars.py, gvmap/pybuiltins.py, gvmap/tracing.py; tests/test_pyscalars.py); main
meanwhile gained probe9's ``modular_pow`` (a static exponent >= 0) and its BeyondInt64Error
for ``int()`` of a uint64 past int64, merged here into one implementation:

* ``modpow_python``, ``modpow_python_list``, ``modinv_pow``, ``pow_traced_modulus``,
  ``pow_mixed_sign``: Python's three-argument ``pow(int(a), e, m)`` raised a TypeError about
  gvmap's own two-argument ``__pow__`` (main's modular_pow took a static exponent >= 0 only,
  refusing the four with a traced or negative one). It batches now as square and multiply
  mod |m| (all 63 exponent bits when the exponent is traced), with Python's sign of m, the
  extended Euclid inverse for a negative exponent, and Python's ValueErrors (m == 0, no
  inverse) naming the first failing example; the builtin ``pow`` is rebound, since Python
  calls only the base's ``__pow__`` with a modulus (``pow(3, e, m)``). Residue products stay
  exact in int64 for |m| <= 3037000499: a larger constant m is refused, a larger traced one
  raises BeyondInt64Error naming the example. ``pow(x[0], 5, m)`` of a NumPy scalar raises
  the loop's own TypeError.
* wrong answers: ``int(u[0])`` and ``math.gcd(u[0], 360)`` of a uint64 of 2**63 or more
  (``uint64_bucket_past_int64``) wrapped to a negative int64 (``math.gcd(2**63 + 2, 6)``
  gave 6, not 2); they raise BeyondInt64Error naming the example now (below 2**63,
  ``uint64_bucket_python``, they batch; main's fix covered ``int()``). And
  ``math.floor(x[0])`` / ``math.ceil`` of a NumPy integer scalar gave the exact integer,
  while NumPy's integer scalars have no ``__floor__``, so the loop's math.floor takes
  ``float(x)``: 2**62 + 1 floors to 2**62 there, and in gvmap now (``uint64_floor_digits``).
* ``python_int_from_big_constant``: a Python constant past int64 meeting a traced Python
  int said "Python int too large to convert to C long"; the message names the constant,
  the operator and why (traced Python ints are int64) now.

The 3 in ``REFUSED`` stay refused, each naming a rewrite that is a case here: a uint64 of
2**63 or more made a Python int (gvmap's Python ints are int64: keep the NumPy scalar), a
Python constant past int64 meeting one (``int(x[0]) * c % 2**64``: stay in np.uint64), and
``int8 + 300`` (NumPy 2's own OverflowError for a Python int outside the dtype, as the
loop: widen first). Documented, not tested here: arithmetic on traced Python ints that
passes 2**63 wraps as int64 where the loop's ints grow; the tie order of np.argsort's
default kind (gvmap's is always stable, NumPy's is unspecified); float-to-int casts of NaN,
inf or out-of-range values saturate on the GPU where NumPy's result is platform-defined
(the cases here cast only values NumPy defines, or clip first). np.bitwise_or.accumulate
(and the other bitwise accumulates) is refused as untraced, a rare spelling left alone.
"""
from __future__ import annotations

import math

import numpy as np

import gvmap
from gvmap.errors import TracerConversionError
from corpus import corpus_tests

rng = np.random.RandomState(20261202)
B = 5  # examples per batch


def u32(*shape):
    return rng.randint(0, 2 ** 32, shape, dtype=np.uint64).astype(np.uint32)


def u64(*shape):
    return rng.randint(0, 2 ** 63, shape, dtype=np.uint64) * np.uint64(2) + rng.randint(0, 2, shape).astype(np.uint64)


def u8(*shape):
    return rng.randint(0, 256, shape).astype(np.uint8)


# --- hashing and PRNGs -----------------------------------------------------------------------
def fnv1a32(data):
    h = np.uint32(2166136261)
    for b in data:
        h ^= b
        h *= np.uint32(16777619)
    return h


def fnv1a64(data):
    h = np.uint64(0xCBF29CE484222325)
    for b in data:
        h = h ^ np.uint64(b)
        h = h * np.uint64(0x100000001B3)
    return h


def djb2(data):
    h = np.uint32(5381)
    for c in data:
        h = (h << 5) + h + c
    return h


def fmix32(h):
    h = h ^ (h >> 16)
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> 13)
    h = h * np.uint32(0xC2B2AE35)
    h = h ^ (h >> 16)
    return h


def fmix64(k):
    k = k.copy()
    k ^= k >> 33
    k *= 0xFF51AFD7ED558CCD
    k ^= k >> 33
    k *= 0xC4CEB9FE1A85EC53
    k ^= k >> 33
    return k


def murmur3_32(keys, seed=0x9747B28C):
    # murmur3 of one 4-byte key per element
    c1, c2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)
    k = keys.astype(np.uint32) * c1
    k = (k << 15) | (k >> 17)
    k *= c2
    h = np.uint32(seed) ^ k
    h = (h << 13) | (h >> 19)
    h = h * np.uint32(5) + np.uint32(0xE6546B64)
    h ^= np.uint32(4)
    return fmix32(h)


PRIME32_1, PRIME32_2, PRIME32_3 = 0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D


def xxh32_like(lanes, seed=7):
    acc = np.uint32((seed + PRIME32_1 + PRIME32_2) & 0xFFFFFFFF)
    for lane in lanes:
        acc = acc + lane * np.uint32(PRIME32_2)
        acc = (acc << np.uint32(13)) | (acc >> np.uint32(19))
        acc = acc * np.uint32(PRIME32_1)
    acc ^= acc >> 15
    acc *= np.uint32(PRIME32_2)
    acc ^= acc >> 13
    acc *= np.uint32(PRIME32_3)
    acc ^= acc >> 16
    return acc


def xorshift32_stream(seed, n=6):
    x = seed.copy()
    out = np.empty(n, dtype=np.uint32)
    for i in range(n):
        x ^= x << 13
        x ^= x >> 17
        x ^= x << 5
        out[i] = x
    return out


def xorshift64star(state, n=4):
    x = state
    outs = []
    for _ in range(n):
        x = x ^ (x >> np.uint64(12))
        x = x ^ (x << np.uint64(25))
        x = x ^ (x >> np.uint64(27))
        outs.append(x * np.uint64(0x2545F4914F6CDD1D))
    return np.stack(outs), x


def splitmix64_stream(seed, n=4):
    s = np.uint64(seed)
    out = []
    for _ in range(n):
        s = s + np.uint64(0x9E3779B97F4A7C15)
        z = s
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        out.append(z ^ (z >> np.uint64(31)))
    return np.array(out)


def pcg32(state, inc, n=5):
    outs = np.zeros(n, dtype=np.uint32)
    for i in range(n):
        old = state
        state = old * np.uint64(6364136223846793005) + (inc | np.uint64(1))
        xorshifted = (((old >> np.uint64(18)) ^ old) >> np.uint64(27)).astype(np.uint32)
        rot = (old >> np.uint64(59)).astype(np.uint32)
        outs[i] = (xorshifted >> rot) | (xorshifted << ((-rot) & np.uint32(31)))
    return outs, state


def lcg_uniforms(seed, n=6):
    x = seed.astype(np.uint32)
    u = np.empty(n)
    for i in range(n):
        x = x * np.uint32(1664525) + np.uint32(1013904223)
        u[i] = x / 2.0 ** 32
    return u


def lcg_python_ints(seed, n=5):
    # the int64 version written with Python-style masks
    x = seed
    vals = []
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        vals.append(x >> 16)
    return np.array(vals)


def philox_round(ctr, key):
    M0 = np.uint64(0xD2511F53)
    prod = ctr[0].astype(np.uint64) * M0
    hi = (prod >> np.uint64(32)).astype(np.uint32)
    lo = prod.astype(np.uint32)
    return np.array([hi ^ key ^ ctr[1], lo])


def philox_rounds(ctr, key, rounds=7):
    c = ctr
    k = key
    for _ in range(rounds):
        c = philox_round(c, k)
        k = k + np.uint32(0x9E3779B9)
    return c


def rotl32(x, r):
    r = r & 31
    return ((x << r) | (x >> ((32 - r) & 31))) & np.uint32(0xFFFFFFFF)


def rotl64_int64(x, r=13):
    # rotation of int64 bit patterns through uint64 views
    u = x.astype(np.uint64)
    return ((u << np.uint64(r)) | (u >> np.uint64(64 - r))).astype(np.int64)


def token_buckets(ids, n_buckets=16):
    h = (ids.astype(np.uint64) * np.uint64(2654435761)) % np.uint64(2 ** 32)
    return h % n_buckets, np.bincount((h % n_buckets).astype(np.intp), minlength=n_buckets)


def hashing_trick(ids, n_buckets=13):
    return (ids * 2654435761) % n_buckets


def row_hash_combine(row):
    # boost::hash_combine over a row of token ids
    seed = np.uint64(0)
    for v in row:
        seed ^= np.uint64(v) + np.uint64(0x9E3779B9) + (seed << np.uint64(6)) + (seed >> np.uint64(2))
    return seed % np.uint64(1000)


# --- checksums and codes ---------------------------------------------------------------------
def crc8_bits(data, poly=0x07):
    crc = np.uint8(0)
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = np.where(crc & 0x80, (crc << 1) ^ poly, crc << 1).astype(np.uint8)
    return crc


def crc16_ccitt(data):
    crc = np.uint16(0xFFFF)
    for byte in data:
        crc ^= np.uint16(byte) << 8
        for _ in range(8):
            crc = np.where(crc & 0x8000, (crc << 1) ^ 0x1021, crc << 1).astype(np.uint16)
    return crc


def crc32_bits(data):
    crc = np.uint32(0xFFFFFFFF)
    for byte in data:
        crc = crc ^ byte
        for _ in range(8):
            mask = -(crc & np.uint32(1))
            crc = (crc >> 1) ^ (np.uint32(0xEDB88320) & mask)
    return ~crc


def _crc32_table():
    table = np.zeros(256, dtype=np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table[i] = c
    return table


CRC_TABLE = _crc32_table()


def crc32_table(data):
    crc = np.uint32(0xFFFFFFFF)
    for b in data:
        crc = CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ np.uint32(0xFFFFFFFF)


def crc32_table_take(data):
    crc = np.full((), 0xFFFFFFFF, dtype=np.uint32)
    for i in range(len(data)):
        crc = np.take(CRC_TABLE, (crc ^ data[i]) & 0xFF) ^ (crc >> 8)
    return ~crc


def adler32(data):
    a, b = 1, 0
    for d in data:
        a = (a + int(d)) % 65521
        b = (b + a) % 65521
    return (b << 16) | a


def adler32_vector(data):
    d = data.astype(np.int64)
    a = (1 + np.cumsum(d)) % 65521
    b = np.sum(a) % 65521
    return (b << 16) | a[-1]


def luhn_valid(digits):
    d = digits[::-1].copy()
    doubled = d[1::2] * 2
    d[1::2] = np.where(doubled > 9, doubled - 9, doubled)
    return d.sum() % 10 == 0, (10 - d.sum() % 10) % 10


G74 = np.array([[1, 1, 0, 1], [1, 0, 1, 1], [1, 0, 0, 0], [0, 1, 1, 1],
                [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
H74 = np.array([[1, 0, 1, 0, 1, 0, 1], [0, 1, 1, 0, 0, 1, 1], [0, 0, 0, 1, 1, 1, 1]])


def hamming74_encode(d):
    return (G74 @ d) % 2


def hamming74_decode(r):
    s = (H74 @ r) % 2
    pos = s[0] + 2 * s[1] + 4 * s[2]  # 1-based error position, 0 for none
    fixed = r.copy()
    flip = np.arange(1, 8) == pos
    fixed = fixed ^ flip.astype(fixed.dtype)
    return fixed[[2, 4, 5, 6]], pos


def hamming_roundtrip(d, err):
    code = hamming74_encode(d)
    code[err] ^= 1
    return hamming74_decode(code)


def parity32(x):
    x = x ^ (x >> 16)
    x = x ^ (x >> 8)
    x = x ^ (x >> 4)
    x &= 0xF
    return (0x6996 >> x) & 1


def gray_roundtrip(n):
    g = n ^ (n >> 1)
    b = g.copy()
    shift = g >> 1
    while_steps = 16
    for _ in range(while_steps):
        b ^= shift
        shift >>= 1
    return g, b


def popcount_swar32(x):
    x = x - ((x >> 1) & 0x55555555)
    x = (x & 0x33333333) + ((x >> 2) & 0x33333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F
    return (x * 0x01010101) >> 24, np.bitwise_count(x)


def popcount_swar64(x):
    m1, m2, m4, h01 = 0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x0101010101010101
    x = x - ((x >> np.uint64(1)) & np.uint64(m1))
    x = (x & np.uint64(m2)) + ((x >> np.uint64(2)) & np.uint64(m2))
    x = (x + (x >> np.uint64(4))) & np.uint64(m4)
    return ((x * np.uint64(h01)) >> np.uint64(56)).astype(np.uint8)


def popcount_check(x):
    return popcount_swar64(x) == np.bitwise_count(x)


def popcount_loop(x):
    c = np.zeros_like(x)
    for i in range(16):
        c += (x >> i) & 1
    return c, np.bitwise_count(x)


def reverse_bits32(v):
    v = ((v >> 1) & 0x55555555) | ((v & 0x55555555) << 1)
    v = ((v >> 2) & 0x33333333) | ((v & 0x33333333) << 2)
    v = ((v >> 4) & 0x0F0F0F0F) | ((v & 0x0F0F0F0F) << 4)
    v = ((v >> 8) & 0x00FF00FF) | ((v & 0x00FF00FF) << 8)
    v = (v >> 16) | (v << 16)
    return v


def reverse_bits8_loop(b):
    r = np.zeros_like(b)
    for i in range(8):
        r |= ((b >> i) & 1) << (7 - i)
    return r


def _part1by1(n):
    n = n & 0x0000FFFF
    n = (n | (n << 8)) & 0x00FF00FF
    n = (n | (n << 4)) & 0x0F0F0F0F
    n = (n | (n << 2)) & 0x33333333
    n = (n | (n << 1)) & 0x55555555
    return n


def _compact1by1(n):
    n &= 0x55555555
    n = (n ^ (n >> 1)) & 0x33333333
    n = (n ^ (n >> 2)) & 0x0F0F0F0F
    n = (n ^ (n >> 4)) & 0x00FF00FF
    n = (n ^ (n >> 8)) & 0x0000FFFF
    return n


def morton2d(xy):
    x = xy[:, 0].astype(np.uint32)
    y = xy[:, 1].astype(np.uint32)
    z = _part1by1(x) | (_part1by1(y) << 1)
    return z, np.stack([_compact1by1(z), _compact1by1(z >> 1)], axis=1)


def morton_sort(xy):
    z, _ = morton2d(xy)
    return xy[np.argsort(z, kind="stable")]


def decimal_digits(n, k=6):
    n = np.abs(n)
    digits = np.zeros(k, dtype=n.dtype)
    for i in range(k):
        digits[k - 1 - i] = n % 10
        n = n // 10
    return digits


def binary_digits(n, bits=10):
    return (n[..., None] >> np.arange(bits)) & 1


def digit_sum_mod9(n):
    s = np.zeros_like(n)
    m = n.copy()
    for _ in range(10):
        s += m % 10
        m //= 10
    return s, n % 9, (s - n) % 9


# --- fixed-point and integer numerics --------------------------------------------------------
def q15_mul(a, b):
    p = a.astype(np.int32) * b.astype(np.int32)
    p = (p + (1 << 14)) >> 15
    return np.clip(p, -32768, 32767).astype(np.int16)


def q15_mac_saturate(x, h):
    acc = np.int64(0)
    for k in range(len(h)):
        acc = acc + np.int64(x[k]) * np.int64(h[k])
    acc = (acc + (1 << 14)) >> 15
    return np.int16(np.clip(acc, np.iinfo(np.int16).min, np.iinfo(np.int16).max))


def q16_16_mul(a, b):
    prod = a.astype(np.int64) * b.astype(np.int64)
    prod += 1 << 15
    return np.clip(prod >> 16, np.iinfo(np.int32).min, np.iinfo(np.int32).max).astype(np.int32)


def q16_16_from_float(x):
    return np.round(x * 65536).astype(np.int32), (x * 65536).astype(np.int32)


def q15_sat_add(a, b):
    s = a.astype(np.int32) + b
    return np.clip(s, -32768, 32767).astype(np.int16), a + b  # saturating vs wrapping


def isqrt_newton(n, iters=40):
    x = n.copy()
    y = (x + 1) // 2
    for _ in range(iters):
        better = y < x
        x = np.where(better, y, x)
        y = np.where(better, (x + n // np.maximum(x, 1)) // 2, y)
    return x


def isqrt_bisect(n, bits=32):
    lo = np.zeros_like(n)
    hi = np.minimum(n, 3037000499) + 1
    for _ in range(bits):
        mid = (lo + hi) // 2
        ok = mid * mid <= n
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    return lo


def gcd_euclid(a, b, iters=40):
    a, b = np.abs(a), np.abs(b)
    for _ in range(iters):
        nz = b != 0
        a, b = np.where(nz, b, a), np.where(nz, a % np.where(nz, b, 1), 0)
    return a, np.gcd(a, b), np.lcm(a, 12)


def gcd_lcm_numpy(a, b):
    return np.gcd(a, b), np.lcm(a, b), np.gcd.reduce(a)


def modpow_squaring(base, exp, mod=1_000_000_007):
    result = np.ones_like(base)
    b = base % mod
    e = exp.copy()
    for _ in range(31):
        result = np.where(e & 1, (result * b) % mod, result)
        b = (b * b) % mod
        e >>= 1
    return result


def modpow_python(a, e, m=10007):
    return pow(int(a), int(e), m)


def modpow_python_list(a, e, m=97):
    return [pow(int(x), 5, m) for x in a], pow(int(e), 3, m)


def modinv_pow(a, m=10007):
    inv = pow(int(a), -1, m)
    return inv, inv * int(a) % m


def pow_traced_modulus(e, m):
    return pow(3, int(e), int(m)), pow(int(e), 2, int(m)), pow(-7, int(e), int(m))


def pow_mixed_sign(a, e, m):
    return [pow(int(x), int(k), int(n)) for x, k, n in zip(a, e, m)]


def modinv_extended(a, m=10007, iters=30):
    old_r, r = a % m, np.full_like(a, m)
    old_s, s = np.ones_like(a), np.zeros_like(a)
    for _ in range(iters):
        nz = r != 0
        q = np.where(nz, old_r // np.where(nz, r, 1), 0)
        old_r, r = np.where(nz, r, old_r), np.where(nz, old_r - q * r, r)
        old_s, s = np.where(nz, s, old_s), np.where(nz, old_s - q * s, s)
    return old_s % m, (old_s % m) * a % m


def quantize_bins(x, lo=-2.0, hi=2.0, nbins=8):
    step = (hi - lo) / nbins
    idx = np.floor((x - lo) / step).astype(int)
    idx = np.clip(idx, 0, nbins - 1)
    edges = np.linspace(lo, hi, nbins + 1)
    return idx, np.digitize(x, edges), np.bincount(idx, minlength=nbins)


def quantize_uint8(x):
    lo, hi = x.min(), x.max()
    q = np.round((x - lo) / (hi - lo) * 255).astype(np.uint8)
    return q, lo + q.astype(np.float64) / 255 * (hi - lo)


BAYER4 = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]])


def ordered_dither(img):
    thresh = (BAYER4 + 0.5) / 16.0 * 255
    return (img > thresh).astype(np.uint8) * 255


def floyd_steinberg(img):
    out = img.astype(np.float64)
    h, w = out.shape
    for i in range(h):
        for j in range(w):
            old = out[i, j]
            new = np.where(old > 127, 255.0, 0.0)
            out[i, j] = new
            err = old - new
            if j + 1 < w:
                out[i, j + 1] += err * 7 / 16
            if i + 1 < h:
                if j > 0:
                    out[i + 1, j - 1] += err * 3 / 16
                out[i + 1, j] += err * 5 / 16
                if j + 1 < w:
                    out[i + 1, j + 1] += err * 1 / 16
    return out.astype(np.uint8)


def pack_rgba(rgba):
    r, g, b, a = (rgba[..., k].astype(np.uint32) for k in range(4))
    return (r << 24) | (g << 16) | (b << 8) | a


def unpack_rgba(p):
    return np.stack([(p >> s) & 0xFF for s in (24, 16, 8, 0)], axis=-1).astype(np.uint8)


def rgba_roundtrip(rgba):
    p = pack_rgba(rgba)
    return p, unpack_rgba(p)


def rgb565(rgb):
    r = (rgb[..., 0] >> 3).astype(np.uint16)
    g = (rgb[..., 1] >> 2).astype(np.uint16)
    b = (rgb[..., 2] >> 3).astype(np.uint16)
    packed = (r << 11) | (g << 5) | b
    back = np.stack([((packed >> 11) & 0x1F) << 3, ((packed >> 5) & 0x3F) << 2,
                     (packed & 0x1F) << 3], axis=-1).astype(np.uint8)
    return packed, back


def image_add_wrap_vs_saturate(a, b):
    wrapped = a + b
    saturated = np.clip(a.astype(np.int16) + b.astype(np.int16), 0, 255).astype(np.uint8)
    diff = np.clip(a.astype(np.int16) - b, 0, 255).astype(np.uint8)
    return wrapped, saturated, diff, a - b


def saturate_cast_uint8(x):
    # cv2.saturate_cast<uchar>: round half to even, then clamp
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def alpha_blend_int(fg, bg, alpha):
    a = alpha.astype(np.uint16)
    out = (fg.astype(np.uint16) * a + bg.astype(np.uint16) * (255 - a) + 127) // 255
    return out.astype(np.uint8)


def brighten(img, gain=1.3, bias=20):
    return np.clip(img * gain + bias, 0, 255).astype(np.uint8), img + bias


def gamma_lut(img, gamma=2.2):
    lut = (np.linspace(0, 1, 256) ** (1 / gamma) * 255).astype(np.uint8)
    return lut[img]


# --- dtype edges -----------------------------------------------------------------------------
def shift_edges(x32, x64, u64):
    return (np.left_shift(x32, 31), np.left_shift(x32, 32), np.left_shift(x64, 63),
            np.left_shift(x64, 64), np.left_shift(u64, np.uint64(63)), u64 >> np.uint64(64),
            np.right_shift(x32, 40))


def traced_shift_counts(x, s):
    return x << s, x >> s, np.int64(1) << s


def signed_right_shift(a8, a16):
    return a8 >> 1, a8 >> 7, a8 >> 9, a16 >> 3, np.right_shift(a16, 15), a8 // 2


def invert_edges(b, i8, u16):
    return ~b, np.invert(i8), ~u16, -i8, np.logical_not(b), ~i8 + 1


def abs_int_min(x8, x32):
    return np.abs(x8), abs(x32), -x32, np.negative(x8), np.absolute(x32).astype(np.uint32)


def iinfo_bounds(x):
    info = np.iinfo(x.dtype)
    at_max = x == info.max
    nxt = np.where(at_max, info.min, x + 1)
    return at_max, nxt, x + 1, np.clip(x.astype(np.int64) * 2, info.min, info.max).astype(x.dtype)


def uint64_meets_python_int(u):
    return (u + 1, u * 3, u // 7, u % 10, u > -1, u == 2 ** 64 - 1,
            u - (2 ** 64 - 1), u & 0xFFFFFFFF00000000, u >= 2 ** 63)


def uint64_meets_int64(u, i):
    return u + i, u.astype(np.int64) + i, u ^ i.astype(np.uint64), u > i, u == i


def uint64_scalar_mix(u):
    s = u[0]
    return s + np.uint64(1), s * 2, s // np.uint64(3), u[1] > u[0], int(s % np.uint64(1000))


def uint64_bucket_python(u, n=1000):
    key = int(u[0])  # a Python int for a dict-free bucket computation
    return key % n, (key >> 32) & 0xFF, math.gcd(int(u[1]), 360)


def uint64_floor_digits(u):
    return math.floor(u[0]), math.ceil(u[1] % np.uint64(1000))


def mixed_width_promotion(i8, u8, i16, u16, i32, u32):
    return (i8 + u8, i16 * u16, i32 + u32, u8 * np.int8(2), u8 + 200, i8 - 100,
            u16 + i8, u32 * 2, i8.astype(np.uint8) + u8)


def scalar_promotion(x8, u8):
    return x8 + np.int16(1), u8 * np.uint8(2), x8 * 2.5, u8 + np.float32(0.5), u8 / 2


def floor_div_mod_int(a, b):
    return a // b, a % b, np.fmod(a, b), np.divmod(a, b), -a // 3, a % -4


def div_by_zero_int(a, b):
    with np.errstate(divide="ignore"):
        return a // b, a % b, np.fmod(a, b)


def int_min_div_neg_one(x8, x64):
    with np.errstate(over="ignore"):
        return x8 // -1, x8 % -1, x64 // np.int64(-1), np.fmod(x64, -1)


def integer_powers(i8, i64, u8):
    return (i8 ** 2, i64 ** 3, 2 ** i64, u8 ** 8, np.power(i8, 0), i64 ** np.int64(5),
            np.power(u8, 3, dtype=np.uint8), 3 ** u8)


def power_mod_pattern(x):
    return (x ** 2) % 7, np.square(x) % 7, x * x % 7


def int_casts_wrap(x64, u32):
    return (x64.astype(np.int8), x64.astype(np.uint16), u32.astype(np.int32), x64.astype(bool),
            u32.astype(np.int16), x64.astype(np.uint64))


def float_to_int_truncation(x):
    return (x.astype(np.int32), x.astype(np.int64), np.trunc(x).astype(int), np.floor(x).astype(int),
            np.rint(x).astype(np.int16), x.astype(np.uint8))


def float_cast_clipped_first(x):
    info = np.iinfo(np.int32)
    safe = np.nan_to_num(x, nan=0.0, posinf=info.max, neginf=info.min)
    return np.clip(safe, info.min, info.max).astype(np.int32)


def bool_arithmetic(a, b):
    return a + b, a * b, a ^ b, a & ~b, np.sum(a), a.sum(dtype=np.uint8), a | b, a + 1, a * 2.0


def bool_counts(mask):
    return mask.sum(), np.count_nonzero(mask), (mask * 1).cumsum(), mask.astype(np.int8) - 1


def big_python_constants(u32, i64):
    return (u32 & 0xFFFF0000, u32 ^ 0xDEADBEEF, u32 * 0x9E3779B1, i64 % (2 ** 61 - 1),
            i64 * 6364136223846793005)


def int8_accumulate(x):
    return x.sum(), x.sum(dtype=np.int8), np.cumsum(x, dtype=np.int8), x.prod(dtype=np.int8), x.mean()


def uint_subtract_wrap(a, b):
    return a - b, np.where(a > b, a - b, b - a), (a.astype(np.int64) - b), np.abs(a - b)


def sign_extend(x, bits=12):
    m = 1 << (bits - 1)
    v = x & ((1 << bits) - 1)
    return (v ^ m) - m


def sign_extend_shifts(x):
    return (x.astype(np.int32) << 20) >> 20, ((x << 4).astype(np.int16) >> 4)


def bit_fields(words):
    opcode = (words >> 26) & 0x3F
    rs = (words >> 21) & 0x1F
    imm = words & 0xFFFF
    simm = imm.astype(np.uint16).view(np.int16) if False else (imm ^ 0x8000) - 0x8000
    return opcode, rs, imm, simm


def set_clear_toggle(x, k):
    one = np.uint32(1)
    return x | (one << k), x & ~(one << k), x ^ (one << k), (x >> k) & one


def lowest_set_bit(x):
    return x & -x, x & (x - 1), (x & (x - 1)) == 0


def leading_zeros32(x):
    n = np.zeros_like(x)
    y = x.copy()
    for shift in (16, 8, 4, 2, 1):
        move = y < (np.uint32(1) << np.uint32(32 - shift))
        n = np.where(move, n + shift, n)
        y = np.where(move, y << np.uint32(shift), y)
    return np.where(x == 0, 32, n)


def log2_floor(x):
    r = np.zeros_like(x)
    for s in (16, 8, 4, 2, 1):
        big = x >= (1 << s)
        x = np.where(big, x >> s, x)
        r = np.where(big, r + s, r)
    return r, np.floor(np.log2(np.maximum(x, 1)))


# --- nesting and axes ------------------------------------------------------------------------
def hash_pair_nested(keys, salt):
    return gvmap.vmap(lambda k: fmix32(k ^ salt))(keys)


def crc_rows_nested(blocks):
    return gvmap.vmap(crc32_table)(blocks)


def morton_grid_nested(xs, ys):
    return gvmap.vmap(lambda x: gvmap.vmap(lambda y: _part1by1(x) | (_part1by1(y) << 1))(ys))(xs)


def clamp_shared_bounds(x, lo, hi):
    return np.clip(x, lo, hi), np.minimum(np.maximum(x, lo), hi)


# --- refused, and the rewrites --------------------------------------------------------------
def python_int_from_big_constant(x):
    return int(x[0]) * 6364136223846793005 % 2 ** 64


def python_int_small_constant(x):
    return (x[0] * np.uint64(6364136223846793005)) % np.uint64(2 ** 63)


def int8_plus_out_of_range(x):
    return x + 300


def int8_plus_widened(x):
    return x.astype(np.int16) + 300


CASES = [
    # hashing and PRNGs
    ("fnv1a32", fnv1a32, (u8(B, 9),), 0, 0),
    ("fnv1a32_int64_bytes", fnv1a32, (rng.randint(0, 256, (B, 7)),), 0, 0),
    ("fnv1a64", fnv1a64, (u8(B, 8),), 0, 0),
    ("djb2", djb2, (u8(B, 12),), 0, 0),
    ("djb2_axis1", djb2, (u8(12, B),), 1, 0),
    ("fmix32", fmix32, (u32(B, 6),), 0, 0),
    ("fmix64", fmix64, (u64(B, 5),), 0, 0),
    ("murmur3_32", murmur3_32, (u32(B, 6),), 0, 0),
    ("murmur3_32_int_keys", murmur3_32, (rng.randint(-2 ** 31, 2 ** 31, (B, 6)),), 0, 0),
    ("xxh32_like", xxh32_like, (u32(B, 4),), 0, 0),
    ("xorshift32_stream", xorshift32_stream, (u32(B) | np.uint32(1),), 0, 0),
    ("xorshift64star", xorshift64star, (u64(B),), 0, (1, 0)),
    ("splitmix64_stream", splitmix64_stream, (u64(B),), 0, 0),
    ("pcg32", pcg32, (u64(B), u64(B)), 0, 0),
    ("pcg32_shared_inc", pcg32, (u64(B), np.uint64(54)), (0, None), (0, 0)),
    ("lcg_uniforms", lcg_uniforms, (rng.randint(0, 2 ** 31, B),), 0, 0),
    ("lcg_python_ints", lcg_python_ints, (rng.randint(0, 2 ** 31, B),), 0, 1),
    ("philox_rounds", philox_rounds, (u32(B, 2), u32(B)), 0, 0),
    ("philox_rounds_shared_key", philox_rounds, (u32(2, B), np.uint32(0xA4093822)), (1, None), 1),
    ("rotl32", rotl32, (u32(B, 6), rng.randint(0, 40, (B, 6)).astype(np.uint32)), 0, 0),
    ("rotl32_static_r", rotl32, (u32(B, 6), 7), (0, None), 0),
    ("rotl64_int64", rotl64_int64, (rng.randint(-2 ** 63, 2 ** 63 - 1, (B, 4), dtype=np.int64),), 0, 0),
    ("token_buckets", token_buckets, (rng.randint(0, 50000, (B, 10)),), 0, 0),
    ("hashing_trick", hashing_trick, (rng.randint(0, 2 ** 20, (B, 10)),), 0, 0),
    ("row_hash_combine", row_hash_combine, (rng.randint(0, 1000, (B, 6)),), 0, 0),
    # checksums and codes
    ("crc8_bits", crc8_bits, (u8(B, 6),), 0, 0),
    ("crc16_ccitt", crc16_ccitt, (u8(B, 5),), 0, 0),
    ("crc32_bits", crc32_bits, (u8(B, 6),), 0, 0),
    ("crc32_table", crc32_table, (u8(B, 10),), 0, 0),
    ("crc32_table_int_bytes", crc32_table, (rng.randint(0, 256, (B, 6)),), 0, 0),
    ("crc32_table_take", crc32_table_take, (u8(B, 8),), 0, 0),
    ("adler32", adler32, (u8(B, 9),), 0, 0),
    ("adler32_vector", adler32_vector, (u8(B, 40),), 0, 0),
    ("luhn_valid", luhn_valid, (rng.randint(0, 10, (B, 16)),), 0, 0),
    ("hamming74_encode", hamming74_encode, (rng.randint(0, 2, (B, 4)),), 0, 0),
    ("hamming74_decode", hamming74_decode, (rng.randint(0, 2, (B, 7)),), 0, 0),
    ("hamming_roundtrip", hamming_roundtrip, (rng.randint(0, 2, (B, 4)), rng.randint(0, 7, B)), 0, 0),
    ("parity32", parity32, (u32(B, 8),), 0, 0),
    ("parity32_int64", parity32, (rng.randint(0, 2 ** 32, (B, 8)),), 0, 0),
    ("gray_roundtrip", gray_roundtrip, (rng.randint(0, 2 ** 16, (B, 6)).astype(np.uint16),), 0, 0),
    ("popcount_swar32", popcount_swar32, (u32(B, 6),), 0, 0),
    ("popcount_swar32_int64", popcount_swar32, (rng.randint(0, 2 ** 32, (B, 6)),), 0, 0),
    ("popcount_check64", popcount_check, (u64(B, 6),), 0, 0),
    ("popcount_loop_int16", popcount_loop, (rng.randint(-2 ** 15, 2 ** 15, (B, 6)).astype(np.int16),), 0, 0),
    ("reverse_bits32", reverse_bits32, (u32(B, 5),), 0, 0),
    ("reverse_bits8_loop", reverse_bits8_loop, (u8(B, 5),), 0, 0),
    ("morton2d", morton2d, (rng.randint(0, 2 ** 16, (B, 6, 2)),), 0, 0),
    ("morton_sort", morton_sort, (rng.randint(0, 64, (B, 7, 2)),), 0, 0),
    ("decimal_digits", decimal_digits, (rng.randint(-999999, 999999, B),), 0, 0),
    ("decimal_digits_int16", decimal_digits, (rng.randint(-32767, 32767, B).astype(np.int16),), 0, 1),
    ("binary_digits", binary_digits, (rng.randint(0, 1024, (B, 4)),), 0, 0),
    ("digit_sum_mod9", digit_sum_mod9, (rng.randint(0, 10 ** 9, (B, 5)),), 0, 0),
    # fixed point and integer numerics
    ("q15_mul", q15_mul, (rng.randint(-32768, 32768, (B, 8)).astype(np.int16),
                          rng.randint(-32768, 32768, (B, 8)).astype(np.int16)), 0, 0),
    ("q15_mul_shared_gain", q15_mul, (rng.randint(-32768, 32768, (B, 8)).astype(np.int16),
                                      np.int16(-32768)), (0, None), 0),
    ("q15_mac_saturate", q15_mac_saturate, (rng.randint(-32768, 32768, (B, 6)).astype(np.int16),
                                            rng.randint(-32768, 32768, 6).astype(np.int16)), (0, None), 0),
    ("q16_16_mul", q16_16_mul, (rng.randint(-2 ** 31, 2 ** 31, (B, 6)).astype(np.int32),
                                rng.randint(-2 ** 31, 2 ** 31, (B, 6)).astype(np.int32)), 0, 0),
    ("q16_16_from_float", q16_16_from_float, (rng.uniform(-1000, 1000, (B, 6)),), 0, 0),
    ("q15_sat_add", q15_sat_add, (rng.randint(-32768, 32768, (B, 8)).astype(np.int16),
                                  rng.randint(-32768, 32768, (B, 8)).astype(np.int16)), 0, 0),
    ("isqrt_newton", isqrt_newton, (rng.randint(1, 2 ** 40, (B, 5)),), 0, 0),
    ("isqrt_bisect", isqrt_bisect, (rng.randint(0, 2 ** 62, (B, 5)),), 0, 0),
    ("gcd_euclid", gcd_euclid, (rng.randint(-10 ** 6, 10 ** 6, (B, 5)), rng.randint(-10 ** 6, 10 ** 6, (B, 5))), 0, 0),
    ("gcd_lcm_numpy", gcd_lcm_numpy, (rng.randint(-500, 500, (B, 6)), rng.randint(-500, 500, (B, 6))), 0, 0),
    ("gcd_lcm_int8", gcd_lcm_numpy, (rng.randint(-128, 128, (B, 6)).astype(np.int8),
                                     rng.randint(-128, 128, (B, 6)).astype(np.int8)), 0, 0),
    ("modpow_squaring", modpow_squaring, (rng.randint(0, 10 ** 9, (B, 4)), rng.randint(0, 2 ** 30, (B, 4))), 0, 0),
    ("modpow_python", modpow_python, (rng.randint(0, 10 ** 6, B), rng.randint(0, 10 ** 6, B)), 0, 0),
    ("modpow_python_list", modpow_python_list, (rng.randint(0, 1000, (B, 4)), rng.randint(0, 1000, B)), 0, 0),
    ("modinv_pow", modinv_pow, (rng.randint(1, 10007, B),), 0, 0),
    ("pow_traced_modulus", pow_traced_modulus, (rng.randint(0, 10 ** 6, B), np.array([7, -7, 1, -1, 3037000499])), 0, 0),
    ("pow_mixed_sign", pow_mixed_sign, (rng.randint(-10 ** 6, 10 ** 6, (B, 4)), rng.randint(-3, 40, (B, 4)),
                                        np.array([[97, -97, 1, 2 ** 31 - 1]] * B)), 0, 0),
    ("modinv_extended", modinv_extended, (rng.randint(1, 10007, (B, 5)),), 0, 0),
    ("quantize_bins", quantize_bins, (rng.randn(B, 12),), 0, 0),
    ("quantize_uint8", quantize_uint8, (rng.randn(B, 12),), 0, 0),
    ("ordered_dither", ordered_dither, (rng.uniform(0, 255, (B, 4, 4)),), 0, 0),
    ("floyd_steinberg", floyd_steinberg, (rng.uniform(0, 255, (B, 4, 5)),), 0, 0),
    ("rgba_roundtrip", rgba_roundtrip, (u8(B, 5, 4),), 0, 0),
    ("rgb565", rgb565, (u8(B, 3, 2, 3),), 0, 0),
    ("image_add_wrap_vs_saturate", image_add_wrap_vs_saturate, (u8(B, 4, 4), u8(B, 4, 4)), 0, 0),
    ("image_add_shared_offset", image_add_wrap_vs_saturate, (u8(B, 4, 4), u8(4, 4)), (0, None), 0),
    ("saturate_cast_uint8", saturate_cast_uint8, (rng.uniform(-300, 600, (B, 8)).round(1),), 0, 0),
    ("alpha_blend_int", alpha_blend_int, (u8(B, 3, 3), u8(B, 3, 3), u8(B, 3, 3)), 0, 0),
    ("brighten", brighten, (u8(B, 3, 4),), 0, 0),
    ("gamma_lut", gamma_lut, (u8(B, 3, 4),), 0, 0),
    # dtype edges
    ("shift_edges", shift_edges, (rng.randint(-9, 9, (B, 3)).astype(np.int32), rng.randint(-9, 9, (B, 3)),
                                  u64(B, 3)), 0, 0),
    ("traced_shift_counts", traced_shift_counts, (rng.randint(-100, 100, (B, 8)),
                                                  np.array([[0, 1, 31, 32, 62, 63, 64, 70]] * B)), 0, 0),
    ("signed_right_shift", signed_right_shift, (rng.randint(-128, 128, (B, 6)).astype(np.int8),
                                                rng.randint(-2 ** 15, 2 ** 15, (B, 6)).astype(np.int16)), 0, 0),
    ("invert_edges", invert_edges, (rng.rand(B, 4) < 0.5, np.array([[-128, -1, 0, 127]] * B, np.int8),
                                    np.array([[0, 1, 65535, 32768]] * B, np.uint16)), 0, 0),
    ("abs_int_min", abs_int_min, (np.array([[-128, -127, 0, 5]] * B, np.int8),
                                  np.array([[-2 ** 31, -1, 2 ** 31 - 1, 0]] * B, np.int32)), 0, 0),
    ("iinfo_bounds_int16", iinfo_bounds, (np.array([[32767, -32768, 0, 5]] * B, np.int16),), 0, 0),
    ("iinfo_bounds_uint8", iinfo_bounds, (u8(B, 6) | np.uint8(0x80),), 0, 0),
    ("uint64_meets_python_int", uint64_meets_python_int,
     (np.concatenate([u64(B, 3), np.full((B, 1), 2 ** 64 - 1, np.uint64)], 1),), 0, 0),
    ("uint64_meets_int64", uint64_meets_int64, (u64(B, 4), rng.randint(-2 ** 40, 2 ** 40, (B, 4))), 0, 0),
    ("uint64_scalar_mix", uint64_scalar_mix, (u64(B, 2),), 0, 0),
    ("uint64_bucket_python", uint64_bucket_python, (u64(B, 2) >> np.uint64(1),), 0, 0),
    ("uint64_floor_digits", uint64_floor_digits, (np.array([[2 ** 62 + 1, 2 ** 64 - 1]] * B, np.uint64)
                                                  + np.arange(B, dtype=np.uint64)[:, None] * np.uint64(2 ** 40),), 0, 0),
    ("mixed_width_promotion", mixed_width_promotion,
     (rng.randint(-128, 128, (B, 3)).astype(np.int8), u8(B, 3),
      rng.randint(-2 ** 15, 2 ** 15, (B, 3)).astype(np.int16), rng.randint(0, 2 ** 16, (B, 3)).astype(np.uint16),
      rng.randint(-2 ** 31, 2 ** 31, (B, 3)).astype(np.int32), u32(B, 3)), 0, 0),
    ("scalar_promotion", scalar_promotion, (rng.randint(-128, 128, (B, 3)).astype(np.int8), u8(B, 3)), 0, 0),
    ("floor_div_mod_int", floor_div_mod_int, (rng.randint(-50, 50, (B, 6)),
                                              np.array([[3, -3, 7, -7, 1, -1]] * B)), 0, 0),
    ("floor_div_mod_int16_shared", floor_div_mod_int, (rng.randint(-300, 300, (B, 6)).astype(np.int16),
                                                       np.array([3, -3, 7, -7, 1, -1], np.int16)), (0, None), 0),
    ("div_by_zero_int", div_by_zero_int, (rng.randint(-50, 50, (B, 4)), np.array([[0, 3, 0, -2]] * B)), 0, 0),
    ("int_min_div_neg_one", int_min_div_neg_one, (np.array([[-128, -127, 5, 127]] * B, np.int8),
                                                  np.array([[-2 ** 63, -1, 2 ** 63 - 1, 9]] * B)), 0, 0),
    ("integer_powers", integer_powers, (rng.randint(-128, 128, (B, 4)).astype(np.int8), rng.randint(0, 30, (B, 4)),
                                        u8(B, 4)), 0, 0),
    ("power_mod_pattern", power_mod_pattern, (rng.randint(-10 ** 9, 10 ** 9, (B, 5)),), 0, 0),
    ("int_casts_wrap", int_casts_wrap, (rng.randint(-2 ** 40, 2 ** 40, (B, 5)), u32(B, 5)), 0, 0),
    ("float_to_int_truncation", float_to_int_truncation, (rng.uniform(-100, 100, (B, 6)).round(1),), 0, 0),
    ("float_cast_clipped_first", float_cast_clipped_first,
     (np.array([[np.nan, np.inf, -np.inf, 3e10, -3e10, 1.7, -1.7]] * B),), 0, 0),
    ("bool_arithmetic", bool_arithmetic, (rng.rand(B, 5) < 0.5, rng.rand(B, 5) < 0.5), 0, 0),
    ("bool_counts", bool_counts, (rng.rand(B, 7) < 0.5,), 0, 0),
    ("big_python_constants", big_python_constants, (u32(B, 4), rng.randint(-2 ** 62, 2 ** 62, (B, 4))), 0, 0),
    ("int8_accumulate", int8_accumulate, (rng.randint(-128, 128, (B, 6)).astype(np.int8),), 0, 0),
    ("uint_subtract_wrap", uint_subtract_wrap, (u8(B, 6), u8(B, 6)), 0, 0),
    ("uint_subtract_wrap_u32", uint_subtract_wrap, (u32(B, 6), u32(B, 6)), 0, 0),
    ("sign_extend", sign_extend, (rng.randint(0, 2 ** 16, (B, 6)),), 0, 0),
    ("sign_extend_int16", sign_extend, (rng.randint(-2 ** 15, 2 ** 15, (B, 6)).astype(np.int16),), 0, 0),
    ("sign_extend_shifts", sign_extend_shifts, (rng.randint(0, 4096, (B, 6)).astype(np.int16),), 0, 0),
    ("bit_fields", bit_fields, (u32(B, 4),), 0, 0),
    ("set_clear_toggle", set_clear_toggle, (u32(B, 5), rng.randint(0, 32, (B, 5)).astype(np.uint32)), 0, 0),
    ("lowest_set_bit", lowest_set_bit, (rng.randint(-1000, 1000, (B, 6)),), 0, 0),
    ("lowest_set_bit_uint16", lowest_set_bit, (rng.randint(0, 2 ** 16, (B, 6)).astype(np.uint16),), 0, 0),
    ("leading_zeros32", leading_zeros32, (np.concatenate([u32(B, 5), np.zeros((B, 1), np.uint32)], 1),), 0, 0),
    ("log2_floor", log2_floor, (rng.randint(1, 2 ** 31, (B, 6)),), 0, 0),
    ("python_int_small_constant", python_int_small_constant, (u64(B, 2),), 0, 0),
    ("int8_plus_widened", int8_plus_widened, (rng.randint(-128, 128, (B, 3)).astype(np.int8),), 0, 0),
    # nesting and axes
    ("hash_pair_nested", hash_pair_nested, (u32(B, 3, 4), u32(B)), 0, 0),
    ("crc_rows_nested", crc_rows_nested, (u8(B, 3, 6),), 0, 0),
    ("crc_rows_nested_axis1", crc_rows_nested, (u8(3, B, 6),), 1, 1),
    ("morton_grid_nested", morton_grid_nested, (rng.randint(0, 2 ** 16, (B, 3)).astype(np.uint32),
                                                rng.randint(0, 2 ** 16, 4).astype(np.uint32)), (0, None), 0),
    ("clamp_shared_bounds_int8", clamp_shared_bounds, (rng.randint(-128, 128, (B, 6)).astype(np.int8),
                                                       np.int8(-100), np.int8(100)), (0, None, None), 0),
]

REFUSED = [
    ("uint64_bucket_past_int64", uint64_bucket_python, (u64(B, 2) | np.uint64(2 ** 63),), 0, OverflowError,
     r"builtins\.int: the integer does not fit in int64.*in example 0; keep it a NumPy uint64",
     "uint64_scalar_mix"),
    ("python_int_from_big_constant", python_int_from_big_constant, (rng.randint(0, 100, (B, 2)),), 0,
     OverflowError, r"Python int 18446744073709551616 meets a traced Python int in `a % b`.*int64",
     "python_int_small_constant"),
    ("int8_plus_out_of_range", int8_plus_out_of_range, (rng.randint(-128, 128, (B, 3)).astype(np.int8),), 0,
     OverflowError, r"Python integer 300 out of bounds for int8", "int8_plus_widened"),
]


(test_integers_corpus_function, test_integers_corpus_refusal_and_its_rewrite,
 test_integers_corpus_size) = corpus_tests(CASES, REFUSED, (127, 3))
