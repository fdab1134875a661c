"""Per-example NumPy code as people write it (ML, geometry, physics, statistics, signal,
array habits), each function unmodified, against the loop oracle on every backend and
plan kind. Of these 119 functions 81 batched before the rebinding, the traced-mask
selections and the library work of 2026-12-01; 118 then, and all 119 since the builtin
``max`` of traced values is Python's fold made of selects (gvmap/pybuiltins.py).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pytest

import gvmap
from oracle import assert_tree_close, oracle

# --- corpus c1 ----------------------------------------------------------------------
rng = _RNG_C1 = np.random.RandomState(0)
W1 = rng.randn(8, 4); b1 = rng.randn(8); W2 = rng.randn(3, 8)
EMB = rng.randn(20, 5)
KERNEL = np.array([0.25, 0.5, 0.25])
def mlp(x):
    h = np.maximum(W1 @ x + b1, 0)
    logits = W2 @ h
    e = np.exp(logits - logits.max())
    return e / e.sum()
def softmax_xent(logits, label):
    z = logits - np.max(logits)
    logp = z - np.log(np.sum(np.exp(z)))
    return -logp[label]
def onehot(label):
    out = np.zeros(10); out[label] = 1.0
    return out
def rot2(theta, p):
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    return R @ p
def quat_to_mat(q):
    w, x, y, z = q / np.linalg.norm(q)
    return np.array([[1-2*(y*y+z*z), 2*(x*y-z*w), 2*(x*z+y*w)],
                     [2*(x*y+z*w), 1-2*(x*x+z*z), 2*(y*z-x*w)],
                     [2*(x*z-y*w), 2*(y*z+x*w), 1-2*(x*x+y*y)]])
def rk4(y):
    def f(y): return np.array([y[1], -y[0]])
    h = 0.1
    for _ in range(5):
        k1 = f(y); k2 = f(y + h/2*k1); k3 = f(y + h/2*k2); k4 = f(y + h*k3)
        y = y + h/6*(k1 + 2*k2 + 2*k3 + k4)
    return y
def embed_mean(tokens):
    return EMB[tokens].mean(axis=0)
def smooth(x):
    return np.convolve(x, KERNEL, mode="same")
def zscore(x):
    return (x - x.mean()) / (x.std() + 1e-8)
def running_max(x):
    return np.maximum.accumulate(x)
def pairwise(x):
    d = x[:, None, :] - x[None, :, :]
    return np.sqrt((d ** 2).sum(-1))
def clip_norm(g, maxn=1.0):
    n = np.linalg.norm(g)
    return g * np.minimum(1.0, maxn / (n + 1e-12))
def poly(x):
    coeffs = [1.0, -2.0, 0.5]
    return np.polyval(coeffs, x)
def triangle_area(p):
    a, b, c = p
    return 0.5 * np.abs(np.cross(b - a, c - a))
def bbox_iou(a, b):
    x1 = max(a[0], b[0]) if False else np.maximum(a[0], b[0])
    y1 = np.maximum(a[1], b[1]); x2 = np.minimum(a[2], b[2]); y2 = np.minimum(a[3], b[3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])
    return inter / (area(a) + area(b) - inter)
def hist_feat(x):
    h, _ = np.histogram(x, bins=5, range=(-3, 3))
    return h / len(x)
def interp_curve(x):
    xp = np.linspace(0, 1, 5); fp = np.array([0, 1, 0, 1, 0.0])
    return np.interp(x, xp, fp)
def moving_avg(x):
    c = np.cumsum(np.insert(x, 0, 0))
    return (c[3:] - c[:-3]) / 3
def pad_edge(x):
    return np.pad(x, 2, mode="edge")
def solve_small(A, b):
    return np.linalg.solve(A + 5*np.eye(3), b)
def topk(x):
    return np.sort(x)[-3:]
def gram_schmidt(V):
    Q = np.zeros_like(V)
    for i in range(V.shape[0]):
        v = V[i].copy()
        for j in range(i):
            v -= np.dot(Q[j], V[i]) * Q[j]
        Q[i] = v / np.linalg.norm(v)
    return Q
def lerp_table(t):
    TABLE = np.array([0.0, 1.0, 4.0, 9.0])
    i = np.clip(np.floor(t).astype(int), 0, 2)
    f = t - i
    return TABLE[i] * (1 - f) + TABLE[i + 1] * f
def stack_feats(x):
    return np.concatenate([x, x**2, [x.sum()]])
def hstack_feats(x):
    return np.hstack([x, np.sin(x)])
def where_mask(x):
    y = x.copy()
    y[y < 0] = 0
    return y
def dtype_habit(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.shape[0] + 1)
    out[:-1] = x
    out[-1] = x.sum()
    return out
def angles(v):
    return np.degrees(np.arctan2(v[1], v[0]))
def mahalanobis(x):
    S = np.array([[2.0, 0.3], [0.3, 1.0]])
    d = x - np.array([0.5, -0.5])
    return float(0) + d @ np.linalg.inv(S) @ d
def argmax_label(x):
    return int(np.argmax(x)) if False else np.argmax(x)
def meshgrid_fn(s):
    xs, ys = np.meshgrid(np.arange(3), np.arange(2))
    return s * xs + ys
def outer_fn(a):
    return np.outer(a, a).ravel()
def tril_fn(M):
    return np.tril(M) + np.triu(M, 1).T
def cov_fn(X):
    return np.cov(X, rowvar=False)
def einsum_trace(M):
    return np.einsum("ii->", M)
def diag_fn(M):
    return np.diag(np.diag(M))
def flip_fn(x):
    return np.flip(x) + x[::-1]
def split_fn(x):
    a, b = np.split(x, 2)
    return a * b
def lin_fn(a):
    return np.linspace(a, a + 1, 5)
def gradient_fn(x):
    return np.gradient(x)

N = 6
cases = {
 "mlp": (mlp, (rng.randn(N, 4),)),
 "softmax_xent": (softmax_xent, (rng.randn(N, 10), rng.randint(0, 10, N))),
 "onehot": (onehot, (rng.randint(0, 10, N),)),
 "rot2": (rot2, (rng.randn(N), rng.randn(N, 2))),
 "quat_to_mat": (quat_to_mat, (rng.randn(N, 4),)),
 "rk4": (rk4, (rng.randn(N, 2),)),
 "embed_mean": (embed_mean, (rng.randint(0, 20, (N, 7)),)),
 "smooth": (smooth, (rng.randn(N, 16),)),
 "zscore": (zscore, (rng.randn(N, 16),)),
 "running_max": (running_max, (rng.randn(N, 16),)),
 "pairwise": (pairwise, (rng.randn(N, 5, 3),)),
 "clip_norm": (clip_norm, (rng.randn(N, 5),)),
 "poly": (poly, (rng.randn(N, 5),)),
 "triangle_area": (triangle_area, (rng.randn(N, 3, 3),)),
 "bbox_iou": (bbox_iou, (np.sort(rng.rand(N, 4), 1)[:, [0, 1, 2, 3]], np.sort(rng.rand(N, 4), 1))),
 "hist_feat": (hist_feat, (rng.randn(N, 32),)),
 "interp_curve": (interp_curve, (rng.rand(N, 8),)),
 "moving_avg": (moving_avg, (rng.randn(N, 10),)),
 "pad_edge": (pad_edge, (rng.randn(N, 5),)),
 "solve_small": (solve_small, (rng.randn(N, 3, 3), rng.randn(N, 3))),
 "topk": (topk, (rng.randn(N, 10),)),
 "gram_schmidt": (gram_schmidt, (rng.randn(N, 3, 3),)),
 "lerp_table": (lerp_table, (rng.rand(N, 5) * 3,)),
 "stack_feats": (stack_feats, (rng.randn(N, 4),)),
 "hstack_feats": (hstack_feats, (rng.randn(N, 4),)),
 "where_mask": (where_mask, (rng.randn(N, 6),)),
 "dtype_habit": (dtype_habit, (rng.randint(0, 5, (N, 4)),)),
 "angles": (angles, (rng.randn(N, 2),)),
 "mahalanobis": (mahalanobis, (rng.randn(N, 2),)),
 "argmax_label": (argmax_label, (rng.randn(N, 5),)),
 "meshgrid_fn": (meshgrid_fn, (rng.randn(N),)),
 "outer_fn": (outer_fn, (rng.randn(N, 3),)),
 "tril_fn": (tril_fn, (rng.randn(N, 3, 3),)),
 "cov_fn": (cov_fn, (rng.randn(N, 6, 2),)),
 "einsum_trace": (einsum_trace, (rng.randn(N, 3, 3),)),
 "diag_fn": (diag_fn, (rng.randn(N, 3, 3),)),
 "flip_fn": (flip_fn, (rng.randn(N, 4),)),
 "split_fn": (split_fn, (rng.randn(N, 4),)),
 "lin_fn": (lin_fn, (rng.randn(N),)),
 "gradient_fn": (gradient_fn, (rng.randn(N, 6),)),
}
CASES_C1 = list(cases.items())

# --- corpus c2 ----------------------------------------------------------------------
rng = _RNG_C2 = np.random.RandomState(1)
LUT = np.linspace(0, 1, 11) ** 2
COLORS = rng.rand(4, 3).astype(np.float32)
class Model:
    def __init__(self): self.W = rng.randn(3, 4); self.scale = 2.0
    def __call__(self, x): return np.tanh(self.W @ x) * self.scale
@dataclass
class Cfg:
    alpha: float = 0.3
CFG = Cfg()
def gamma_lut(x):
    idx = np.clip((x * 10).astype(np.int64), 0, 10)
    return LUT[idx]
def palette(label): return COLORS[label] * 255
def leaky(x): return np.where(x > 0, x, CFG.alpha * x)
def f_int_div(x): return x // 3 + x % 3
def f_bool_sum(x): return (x > 0).sum() + np.count_nonzero(x < -1)
def f_float32(x):
    x = x.astype(np.float32)
    return x * 0.1 + np.float32(1)
def f_round(x): return np.round(x, 2) + np.floor(x) - np.ceil(x) + np.trunc(x)
def f_mathconst(x): return x * math.pi + np.e
def f_minmax(x): return np.max(x) - np.min(x), np.argmin(x)
def f_unpack(v):
    a, b, c = v
    return a * b - c
def f_listcomp(v): return np.array([v[i] * i for i in range(len(v))])
def f_sum_python(v): return sum(v[i] ** 2 for i in range(v.shape[0]))
def f_abs_builtin(v): return abs(v).max()
def f_max_builtin(v): return max(v[0], v[1])
def f_norm_axis(M): return np.linalg.norm(M, axis=1)
def f_reshape(v): return v.reshape(2, -1).T.ravel()
def f_where3(x): return np.where(x > 0, 1, -1)
def f_nan(x): return np.nansum(np.where(x > 0, x, np.nan)), np.nanmax(np.where(x > 0, x, np.nan))
def f_clip(x): return np.clip(x, -0.5, 0.5)
def f_std(x): return x.std(ddof=1), np.var(x, ddof=1)
def f_kron(x): return np.kron(x, np.ones(2))
def f_tile(x): return np.tile(x, 2) + np.repeat(x, 2)
def f_roll(x): return np.roll(x, 1) - x
def f_diff(x): return np.diff(x, n=2)
def f_cumprod(x): return np.cumprod(1 + x * 0.1)
def f_log_softmax(x):
    m = x.max()
    return x - m - np.log(np.exp(x - m).sum())
def f_einsum(A, b): return np.einsum("ij,j->i", A, b)
def f_matvec(A, b): return A @ b, b @ A
def f_any_all(x): return np.any(x > 1), np.all(x > -3)
def f_sign(x): return np.sign(x) * np.abs(x) ** 0.5
def f_isfinite(x): return np.isfinite(x / (x - x[0]))
def f_logical(x): return np.logical_and(x > 0, x < 1) | np.logical_not(x > -1)
def f_ternary_chain(x): return np.select([x < -1, x > 1], [-1.0, 1.0], default=0.0)
def f_piecewise(x): return np.piecewise(x, [x < 0, x >= 0], [lambda t: -t, lambda t: t ** 2])
def f_arange_mul(x): return x * np.arange(x.shape[0])
def f_eye(x): return np.eye(3) * x[0] + np.identity(3)
def f_ones_dtype(x): return np.ones(3, dtype=np.int32) + (x[:3] > 0)
def f_triu(M): return np.triu(M).sum()
def f_trace(M): return np.trace(M)
def f_swap(M):
    M = M.copy()
    M[[0, 1]] = M[[1, 0]]
    return M
def f_argsort(x): return x[np.argsort(x)]
def f_fill_diag(M):
    M = M.copy()
    np.fill_diagonal(M, 0)
    return M
def f_dot_scalar(x): return np.dot(x, 2.0)
def f_prod(x): return np.prod(x), x.prod(keepdims=True)
def f_inplace_slice(x):
    out = np.zeros(6)
    out[::2] = x[:3]
    out[1::2] += x[3:]
    return out
def f_outer_sub(x): return np.subtract.outer(x, x)
def f_meshgrid(x):
    a, b = np.meshgrid(x, x)
    return a * b
def f_float_index(x): return x[int(len(x) / 2)]
def f_neg_zero(x): return np.copysign(1.0, x * 0.0)
def f_pow_int(x): return x.astype(np.int64) ** 2
def f_mean_int(x): return np.mean(x.astype(np.int32))
def f_sqrt_neg(x): return np.sqrt(np.abs(x))
N = 5
m = Model()
cases = [(gamma_lut, rng.rand(N, 6)), (palette, rng.randint(0, 4, N)), (leaky, rng.randn(N, 4)),
         (f_int_div, rng.randint(-9, 9, (N, 4))), (f_bool_sum, rng.randn(N, 6)), (f_float32, rng.randn(N, 3)),
         (f_round, rng.randn(N, 4)), (f_mathconst, rng.randn(N, 2)), (f_minmax, rng.randn(N, 5)),
         (f_unpack, rng.randn(N, 3)), (f_listcomp, rng.randn(N, 4)), (f_sum_python, rng.randn(N, 4)),
         (f_abs_builtin, rng.randn(N, 4)), (f_max_builtin, rng.randn(N, 2)), (f_norm_axis, rng.randn(N, 3, 2)),
         (f_reshape, rng.randn(N, 6)), (f_where3, rng.randn(N, 4)), (f_nan, rng.randn(N, 6)), (f_clip, rng.randn(N, 4)),
         (f_std, rng.randn(N, 5)), (f_kron, rng.randn(N, 3)), (f_tile, rng.randn(N, 3)), (f_roll, rng.randn(N, 4)),
         (f_diff, rng.randn(N, 5)), (f_cumprod, rng.randn(N, 5)), (f_log_softmax, rng.randn(N, 5)),
         (m, rng.randn(N, 4)), (f_any_all, rng.randn(N, 4)), (f_sign, rng.randn(N, 4)), (f_isfinite, rng.randn(N, 4)),
         (f_logical, rng.randn(N, 4)), (f_ternary_chain, rng.randn(N, 5)), (f_piecewise, rng.randn(N, 5)),
         (f_arange_mul, rng.randn(N, 4)), (f_eye, rng.randn(N, 2)), (f_ones_dtype, rng.randn(N, 4)),
         (f_triu, rng.randn(N, 3, 3)), (f_trace, rng.randn(N, 3, 3)), (f_swap, rng.randn(N, 3, 2)),
         (f_argsort, rng.randn(N, 5)), (f_fill_diag, rng.randn(N, 3, 3)), (f_dot_scalar, rng.randn(N, 3)),
         (f_prod, rng.randn(N, 3)), (f_inplace_slice, rng.randn(N, 6)), (f_outer_sub, rng.randn(N, 3)),
         (f_meshgrid, rng.randn(N, 3)), (f_float_index, rng.randn(N, 5)), (f_neg_zero, rng.randn(N, 3)),
         (f_pow_int, rng.randn(N, 3) * 3), (f_mean_int, rng.randn(N, 4) * 5), (f_sqrt_neg, rng.randn(N, 3))]
two = [(f_einsum, (rng.randn(N, 3, 4), rng.randn(N, 4))), (f_matvec, (rng.randn(N, 3, 3), rng.randn(N, 3)))]
allc = [(f, (a,)) for f, a in cases] + two
CASES_C2 = [(getattr(f, '__name__', type(f).__name__), f, (a,)) for f, a in cases] + [(f.__name__, f, a) for f, a in two]

# --- corpus c3 ----------------------------------------------------------------------
rng = _RNG_C3 = np.random.RandomState(2)
LAYERS = [(rng.randn(4, 3), rng.randn(4)), (rng.randn(2, 4), rng.randn(2))]
PARAMS = {"W": rng.randn(3, 3), "b": rng.randn(3)}
SCALE = np.float32(0.5)
def mlp_list(x):
    for W, b in LAYERS:
        x = np.tanh(W @ x + b)
    return x
def dict_params(x): return PARAMS["W"] @ x + PARAMS["b"]
def make_affine(W, b):
    def f(x): return W @ x + b
    return f
aff = make_affine(rng.randn(2, 3), rng.randn(2))
def scale32(x): return x.astype(np.float32) * SCALE + 1.0
def nested_helpers(x):
    def sq(y): return y * y
    return np.sum(sq(x) + sq(x[::-1]))
def kw_default(x, *, k=np.arange(3.0)): return x * k
def partial_user(x, W): return W @ x
pu = functools.partial(partial_user, W=rng.randn(2, 3))
def lambda_closure():
    T = np.array([1.0, 2.0, 3.0])
    return lambda x: (x * T).sum()
lc = lambda_closure()
def recursion(x, n=3):
    return x if n == 0 else recursion(x * 0.5 + 1, n - 1)
def gen_expr(x): return np.stack([x * k for k in np.arange(3)])
def loop_update(x):
    acc = np.zeros_like(x)
    for i in range(3):
        acc += x ** i
    return acc
def int_table(i):
    T = np.array([[1, 2], [3, 4], [5, 6]])
    return T[i % 3, i % 2] * 2
def bool_ops(x):
    m = (x > 0) & (x < 1)
    return m.astype(float).mean(), m.any(), np.sum(m)
def fancy_ix(M): return M[np.ix_([0, 2], [1, 2])]
def structured_return(x): return {"mean": x.mean(), "parts": (x[:2], [x.max()])}
def known_shape_logic(x):
    n = x.shape[0]
    half = n // 2
    w = np.hanning(n)
    return (x * w)[:half].sum()
def np_where_scalar(x): return np.where(x.sum() > 0, 1.0, 0.0)
def trig_identity(x): return np.sin(x) ** 2 + np.cos(x) ** 2
def log_sum_exp(x):
    c = np.max(x)
    return c + np.log(np.sum(np.exp(x - c)))
def normalize_rows(M): return M / M.sum(axis=1, keepdims=True)
def cross_entropy(p, y):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
def cumsum_reverse(x): return np.cumsum(x[::-1])[::-1]
def distance_matrix(P): return np.linalg.norm(P[:, None] - P[None], axis=-1)
def angle_between(a, b):
    cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    return np.arccos(np.clip(cos, -1, 1))
def ema(x, alpha=0.3):
    out = np.empty_like(x)
    out[0] = x[0]
    for t in range(1, len(x)):
        out[t] = alpha * x[t] + (1 - alpha) * out[t - 1]
    return out
def conv2d_valid(img):
    K = np.array([[1, 0], [0, -1.0]])
    H, W = img.shape
    out = np.zeros((H - 1, W - 1))
    for i in range(H - 1):
        for j in range(W - 1):
            out[i, j] = (img[i:i + 2, j:j + 2] * K).sum()
    return out
N = 5
cases = [(mlp_list, (rng.randn(N, 3),)), (dict_params, (rng.randn(N, 3),)), (aff, (rng.randn(N, 3),)),
 (scale32, (rng.randn(N, 3),)), (nested_helpers, (rng.randn(N, 4),)), (kw_default, (rng.randn(N, 3),)),
 (pu, (rng.randn(N, 3),)), (lc, (rng.randn(N, 3),)), (recursion, (rng.randn(N, 3),)), (gen_expr, (rng.randn(N, 2),)),
 (loop_update, (rng.randn(N, 3),)), (int_table, (rng.randint(0, 9, N),)), (bool_ops, (rng.rand(N, 4) * 2 - 0.5,)),
 (fancy_ix, (rng.randn(N, 3, 3),)), (known_shape_logic, (rng.randn(N, 8),)), (np_where_scalar, (rng.randn(N, 3),)),
 (trig_identity, (rng.randn(N, 3),)), (log_sum_exp, (rng.randn(N, 4),)), (normalize_rows, (rng.rand(N, 2, 3),)),
 (cross_entropy, (rng.rand(N, 4), (rng.rand(N, 4) > 0.5).astype(float))), (cumsum_reverse, (rng.randn(N, 4),)),
 (distance_matrix, (rng.randn(N, 4, 2),)), (angle_between, (rng.randn(N, 3), rng.randn(N, 3))), (ema, (rng.randn(N, 6),)),
 (conv2d_valid, (rng.randn(N, 4, 4),))]
CASES_C3 = [(getattr(f, '__name__', 'partial'), f, a) for f, a in cases] + [('structured_return', structured_return, (rng.randn(N, 3),))]


CASES = ([(name, f, args) for name, (f, args) in CASES_C1] + CASES_C2 + CASES_C3)
@pytest.mark.parametrize("name,f,args", CASES, ids=[c[0] for c in CASES])
def test_corpus_function(plan_kind, name, f, args):
    assert_tree_close(gvmap.vmap(f)(*args), oracle(f)(*args))


def test_corpus_size():
    assert len(CASES) == 119
