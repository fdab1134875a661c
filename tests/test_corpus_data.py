"""Per-example NumPy code from machine learning, data science, statistics and finance, as
people write it (closures over weights, dicts of params, helpers, unrolled loops over layers
and time steps, in-place updates of local arrays, tuples and dicts returned, in_axes=None
for shared params, out_axes, nested vmap, functools.partial, methods of a small class),
each function unmodified, against the loop oracle on every backend and plan kind.

Of these 84 functions 77 batched when first written; np.nan_to_num, sliding_window_view and
np.trapezoid (gvmap/numpy/dataprep.py) brought that to 80, and np.bincount of signed ints
with minlength (its length bounded by minlength, checked when it runs: gvmap/numpy/sorting.py)
to 81; ``sortino_masked``, x[mask].std(), batches since tests/test_corpus_series.py (82);
``bag_of_words_indexing``, self.emb[tokens] in a method, since gvmap.views reads the
attributes of the user's objects rebound (83). The one left is refused with a message
naming the operation and a rewrite, and the rewrite is a case here: math.erf of a traced
value (Python floats only; an erf written with NumPy). Ranks use kind="stable" where values tie: gvmap's argsort is always
stable, NumPy's default quicksort orders ties as its implementation happens to.
"""
from __future__ import annotations

import functools
import math

import numpy as np

import gvmap
from corpus import corpus_tests

rng = np.random.RandomState(20261201)
B = 7          # examples per batch
T = 8          # tokens
D = 6          # model width


# --- neural layers -----------------------------------------------------------------------
ATT = {"Wq": rng.randn(D, D) / np.sqrt(D), "Wk": rng.randn(D, D) / np.sqrt(D),
       "Wv": rng.randn(D, D) / np.sqrt(D), "Wo": rng.randn(D, D) / np.sqrt(D)}


def softmax(z, axis=-1):
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def causal_attention(x):
    q, k, v = x @ ATT["Wq"], x @ ATT["Wk"], x @ ATT["Wv"]
    scores = q @ k.T / np.sqrt(q.shape[-1])
    mask = np.triu(np.ones((x.shape[0], x.shape[0]), dtype=bool), k=1)
    scores = np.where(mask, -np.inf, scores)
    return softmax(scores) @ v @ ATT["Wo"]


def causal_attention_tril(x, Wq, Wk):
    n = x.shape[0]
    s = (x @ Wq) @ (x @ Wk).T
    s[np.tril(np.ones((n, n))) == 0] = -1e9
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return p @ x


def layer_norm(x, gamma=np.linspace(0.5, 1.5, D), beta=np.zeros(D), eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def rms_norm(x, weight=np.ones(D)):
    return x / np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True) + 1e-6) * weight


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * np.power(x, 3))))


def log_softmax(logits):
    m = np.max(logits)
    return logits - m - np.log(np.sum(np.exp(logits - m)))


H = 4
LSTM = {"W": rng.randn(4 * H, 3) * 0.5, "U": rng.randn(4 * H, H) * 0.5, "b": np.zeros(4 * H)}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_unrolled(xs):
    h = np.zeros(H)
    c = np.zeros(H)
    hs = []
    for t in range(5):
        z = LSTM["W"] @ xs[t] + LSTM["U"] @ h + LSTM["b"]
        i, f, g, o = np.split(z, 4)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        hs.append(h)
    return np.stack(hs), (h, c)


GRU_W = rng.randn(3, H, 3) * 0.5
GRU_U = rng.randn(3, H, H) * 0.5


def gru_unrolled(xs):
    h = np.zeros(H)
    for t in range(xs.shape[0]):
        x = xs[t]
        z = sigmoid(GRU_W[0] @ x + GRU_U[0] @ h)
        r = sigmoid(GRU_W[1] @ x + GRU_U[1] @ h)
        n = np.tanh(GRU_W[2] @ x + GRU_U[2] @ (r * h))
        h = (1 - z) * n + z * h
    return h


CONV_K = np.array([0.2, -0.5, 1.0, -0.5, 0.2])


def conv1d_same(x):
    return np.maximum(np.convolve(x, CONV_K, mode="same") + 0.1, 0.0)


def conv1d_windows(x, w):
    windows = np.lib.stride_tricks.sliding_window_view(x, w.shape[0])
    return windows @ w


def conv1d_channels(x):
    # x: (length, in_channels); kernel (width, in, out), a valid convolution by hand
    width = CONV_W.shape[0]
    out = np.zeros((x.shape[0] - width + 1, CONV_W.shape[2]))
    for i in range(out.shape[0]):
        out[i] = np.einsum("wi,wio->o", x[i:i + width], CONV_W)
    return out


CONV_W = rng.randn(3, 2, 4)
VOCAB = rng.randn(30, D)


def embed_pool(tokens, mask):
    e = VOCAB[tokens]
    return (e * mask[:, None]).sum(0) / np.maximum(mask.sum(), 1)


def dropout(x, keep_mask, p=0.2):
    return np.where(keep_mask, x / (1 - p), 0.0)


RES = [(rng.randn(D, D) * 0.3, rng.randn(D) * 0.1) for _ in range(3)]


def residual_mlp(x):
    for W, b in RES:
        x = x + gelu_tanh(layer_norm(x) @ W + b)
    return x


class Classifier:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def logits(self, x):
        return self.W @ x + self.b

    def predict(self, x):
        p = softmax(self.logits(x))
        return np.argmax(p), p.max()


CLF = Classifier(rng.randn(5, D), rng.randn(5))


class BagOfWords:
    """Weights on the instance: self.emb[tokens] gathers (gvmap.views), as np.take does."""

    def __init__(self):
        self.emb = rng.randn(30, D)
        self.head = rng.randn(2, D)

    def forward_indexing(self, tokens):
        return self.head @ self.emb[tokens].mean(0)

    def forward(self, tokens):
        return self.head @ np.take(self.emb, tokens, axis=0).mean(0)


BOW = BagOfWords()


# --- losses and metrics ------------------------------------------------------------------
def xent_int_label(logits, label):
    return -log_softmax(logits)[label]


def focal_loss(logits, label, gamma=2.0, alpha=0.25):
    p = sigmoid(logits)
    y = np.eye(logits.shape[0])[label]
    pt = np.where(y == 1, p, 1 - p)
    return -np.sum(alpha * (1 - pt) ** gamma * np.log(np.clip(pt, 1e-8, 1.0)))


def multiclass_hinge(scores, label):
    margins = np.maximum(0, scores - scores[label] + 1.0)
    margins[label] = 0
    return margins.sum()


def huber(pred, target, delta=1.0):
    r = np.abs(pred - target)
    return np.mean(np.where(r <= delta, 0.5 * r ** 2, delta * (r - 0.5 * delta)))


def kl_div(p_logits, q_logits):
    p = softmax(p_logits)
    return np.sum(p * (np.log(p) - np.log(softmax(q_logits))))


def cosine_sim(a, b):
    return np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12)


def topk_accuracy(logits, label, k=3):
    top = np.argsort(logits)[::-1][:k]
    return np.any(top == label), (top[0] == label).astype(np.float64)


def auc_by_ranks(scores, labels):
    ranks = np.argsort(np.argsort(scores)) + 1
    n_pos = labels.sum()
    n_neg = labels.shape[0] - n_pos
    return (ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def auc_by_ranks_masked(scores, labels):
    ranks = np.argsort(np.argsort(scores)) + 1
    n_pos = labels.sum()
    n_neg = labels.shape[0] - n_pos
    return (np.sum(ranks * (labels == 1)) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def confusion_bincount(y_true, y_pred, K=3):
    return np.bincount(y_true * K + y_pred, minlength=K * K).reshape(K, K)


def confusion_compare(y_true, y_pred, K=3):
    cm = np.zeros((K, K), dtype=np.int64)
    for i in range(K):
        for j in range(K):
            cm[i, j] = np.sum((y_true == i) & (y_pred == j))
    return cm


def precision_recall(scores, labels, thr=0.5):
    pred = scores > thr
    tp = np.sum(pred & (labels == 1))
    fp = np.sum(pred & (labels == 0))
    fn = np.sum(~pred & (labels == 1))
    precision = tp / max(tp + fp, 1) if False else tp / np.maximum(tp + fp, 1)
    recall = tp / np.maximum(tp + fn, 1)
    f1 = 2 * precision * recall / (precision + recall + 1e-12)
    return {"precision": precision, "recall": recall, "f1": f1}


def argmax_ties(x):
    return np.argmax(np.round(x)), np.argmin(np.round(x))


# --- data processing ---------------------------------------------------------------------
def standardize(x):
    return (x - np.mean(x)) / np.std(x, ddof=1)


def minmax_scale(x):
    lo, hi = x.min(), x.max()
    return (x - lo) / (hi - lo)


def onehot_eye(label, K=5):
    return np.eye(K)[label]


def winsorize(x):
    lo, hi = np.percentile(x, [5, 95])
    return np.clip(x, lo, hi)


def rolling_mean_std(x, w=4):
    c = np.cumsum(np.concatenate([[0.0], x]))
    c2 = np.cumsum(np.concatenate([[0.0], x ** 2]))
    mean = (c[w:] - c[:-w]) / w
    var = (c2[w:] - c2[:-w]) / w - mean ** 2
    return mean, np.sqrt(np.maximum(var, 0))


def ema_loop(x, alpha=0.2):
    s = x[0]
    out = [s]
    for t in range(1, x.shape[0]):
        s = alpha * x[t] + (1 - alpha) * s
        out.append(s)
    return np.array(out)


def impute_mean(x):
    return np.where(np.isnan(x), np.nanmean(x), x)


def impute_inplace(x):
    x = x.copy()
    x[np.isnan(x)] = np.nanmedian(x)
    return x


def clean_inf(x):
    return np.nan_to_num(x, nan=0.0, posinf=1e3, neginf=-1e3)


def zscore_outliers(x, thr=1.5):
    z = (x - x.mean()) / x.std()
    return np.abs(z) > thr, np.count_nonzero(np.abs(z) > thr)


def rank_transform(x):
    return np.argsort(np.argsort(x)) / (x.shape[0] - 1.0)


CATS = np.array([0, 1, 2, 3])


def category_counts(cats):
    return np.array([np.sum(cats == c) for c in CATS]), (cats[:, None] == CATS).sum(0)


def feature_dict(x):
    return {"mean": x.mean(), "std": x.std(), "q": np.quantile(x, [0.25, 0.5, 0.75]),
            "skew": np.mean(((x - x.mean()) / x.std()) ** 3)}


# --- statistics --------------------------------------------------------------------------
def bootstrap_mean(x, idx):
    return x[idx].mean(axis=1)


def weighted_quantile(values, weights, q=0.5):
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cw = np.cumsum(w) - 0.5 * w
    cw /= np.sum(w)
    return np.interp(q, cw, v)


def ols_lstsq(X, y):
    A = np.column_stack([np.ones(X.shape[0]), X])
    beta, *_ = np.linalg.lstsq(A, y, rcond=None)
    return beta


def ols_normal(X, y):
    A = np.hstack([np.ones((X.shape[0], 1)), X])
    beta = np.linalg.solve(A.T @ A, A.T @ y)
    resid = y - A @ beta
    return beta, resid @ resid / (A.shape[0] - A.shape[1])


def logreg_step(w, X, y, lr=0.1):
    p = 1 / (1 + np.exp(-(X @ w)))
    grad = X.T @ (p - y) / y.shape[0]
    return w - lr * grad


def gaussian_loglik(x, mu, sigma):
    return -0.5 * np.sum(np.log(2 * np.pi * sigma ** 2) + ((x - mu) / sigma) ** 2)


def welford(x):
    n, mean, m2 = 0, 0.0, 0.0
    for i in range(x.shape[0]):
        n += 1
        delta = x[i] - mean
        mean += delta / n
        m2 += delta * (x[i] - mean)
    return mean, m2 / (n - 1)


def corr_matrix(X):
    return np.corrcoef(X.T)


def autocorr(x, max_lag=5):
    x = x - x.mean()
    denom = np.dot(x, x)
    return np.array([np.dot(x[:-k], x[k:]) / denom for k in range(1, max_lag + 1)])


# --- finance -----------------------------------------------------------------------------
def norm_cdf(z):
    # Abramowitz-Stegun 7.1.26 erf, good to 1.5e-7
    t = 1.0 / (1.0 + 0.3275911 * np.abs(z) / np.sqrt(2))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                      + t * 1.061405429))))
    erf = 1 - poly * np.exp(-(z ** 2) / 2)
    return 0.5 * (1 + np.sign(z) * erf)


def black_scholes(S, K, T, r, sigma):
    d1 = (np.log(S / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * np.sqrt(T))
    d2 = d1 - sigma * np.sqrt(T)
    call = S * norm_cdf(d1) - K * np.exp(-r * T) * norm_cdf(d2)
    put = call - S + K * np.exp(-r * T)
    return call, put


def black_scholes_math_erf(S, K, T, r, sigma):
    d1 = (np.log(S / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * np.sqrt(T))
    return S * 0.5 * (1 + math.erf(d1 / math.sqrt(2)))


def binomial_tree(S, K, sigma, r=0.03, T=1.0, steps=16):
    dt = T / steps
    u = np.exp(sigma * np.sqrt(dt))
    d = 1 / u
    q = (np.exp(r * dt) - d) / (u - d)
    j = np.arange(steps + 1)
    values = np.maximum(S * u ** j * d ** (steps - j) - K, 0.0)
    for n in range(steps - 1, -1, -1):
        values = np.exp(-r * dt) * (q * values[1:n + 2] + (1 - q) * values[:n + 1])
    return values[0]


SIGMA = np.cov(rng.randn(4, 50))


def portfolio_stats(w):
    w = w / w.sum()
    mu = np.array([0.05, 0.07, 0.02, 0.1])
    return w @ mu, np.sqrt(w @ SIGMA @ w)


def max_drawdown(prices):
    peak = np.maximum.accumulate(prices)
    dd = (prices - peak) / peak
    return dd.min(), np.argmin(dd)


def sharpe(prices, rf=0.0):
    r = np.diff(np.log(prices))
    return (r.mean() - rf) / r.std(ddof=1) * np.sqrt(252)


def vwap(price, volume):
    return np.sum(price * volume) / np.sum(volume), np.cumsum(price * volume) / np.cumsum(volume)


# --- more habits: RL returns, quantization, pooling, trading signals ----------------------
def gae(rewards, values, dones, gamma=0.99, lam=0.95):
    adv = np.zeros_like(rewards)
    last = 0.0
    for t in reversed(range(len(rewards))):
        nxt = values[t + 1] if t + 1 < len(rewards) else 0.0
        delta = rewards[t] + gamma * nxt * (1 - dones[t]) - values[t]
        last = delta + gamma * lam * (1 - dones[t]) * last
        adv[t] = last
    return adv, adv + values


def discounted_returns(r, gamma=0.9):
    out = np.empty_like(r)
    acc = 0.0
    for t in range(r.shape[0] - 1, -1, -1):
        acc = r[t] + gamma * acc
        out[t] = acc
    return out


def label_smoothing_xent(logits, y, eps=0.1):
    K = logits.shape[-1]
    target = np.full(K, eps / K)
    target[y] += 1 - eps
    return -(target * log_softmax(logits)).sum()


def batchnorm_eval(x, mean, var, g, b):
    return g * (x - mean) / np.sqrt(var + 1e-5) + b


def maxpool_avgpool(x):
    return x.reshape(-1, 2).max(axis=1), np.mean([x[i::3] for i in range(3)], axis=0)


def quantize_uint8(x):
    scale = (x.max() - x.min()) / 255
    q = np.round((x - x.min()) / scale).astype(np.uint8)
    return q, q.astype(np.float64) * scale + x.min()


def layer_norm_f32(x):
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(x.var(-1, keepdims=True) + np.float32(1e-5))


def attention_einsum(q, k):
    s = np.einsum("td,sd->ts", q, k) / np.sqrt(q.shape[1])
    return np.einsum("ts,sd->td", softmax(s), k)


def scatter_counts(idx, x):
    y = np.zeros(5)
    y[idx] += x          # buffered: a repeated index keeps one write, as in NumPy
    z = np.zeros(5)
    np.add.at(z, idx, x)  # unbuffered: repeats accumulate
    return y, z


def order_stats(x):
    return (np.median(x), np.percentile(x, 30, method="nearest"),
            np.percentile(x, [10, 90], method="lower"))


def stable_ranks_with_ties(x):
    return np.argsort(np.argsort(x, kind="stable"), kind="stable")


def drawdown_duration(p):
    under = p < np.maximum.accumulate(p)
    dur = np.zeros(len(p), dtype=int)
    for t in range(1, len(p)):
        dur[t] = (dur[t - 1] + 1) * under[t]
    return dur.max()


def rsi(p, n=5):
    d = np.diff(p)
    up, down = np.where(d > 0, d, 0), np.where(d < 0, -d, 0)
    return 100 - 100 / (1 + up[-n:].mean() / (down[-n:].mean() + 1e-12))


def bollinger(p, w=5):
    mid = np.convolve(p, np.ones(w) / w, mode="valid")
    sd = np.array([p[i:i + w].std() for i in range(len(p) - w + 1)])
    return mid + 2 * sd, mid - 2 * sd


def sortino_masked(r):
    return r.mean() / r[r < 0].std()


def sortino(r):
    downside = np.where(r < 0, r, 0.0)   # r[r < 0] has a per-example length
    return r.mean() / np.sqrt((downside ** 2).mean())


def ewma_vol(r, lam=0.94):
    v = r[0] ** 2
    for t in range(1, r.shape[0]):
        v = lam * v + (1 - lam) * r[t] ** 2
    return np.sqrt(v), r.mean() / r.var()   # and the Kelly fraction


def rolling_window_stats(x):
    w = np.lib.stride_tricks.sliding_window_view(x, 4)
    return w.mean(-1), w.std(-1, ddof=1), np.nan_to_num(w.max(-1) / w.min(-1))


def roc_auc_trapezoid(scores, labels):
    thr = np.sort(scores)[::-1]
    hit = scores >= thr[:, None]
    tpr = np.concatenate([[0.0], (hit & (labels == 1)).sum(1) / labels.sum()])
    fpr = np.concatenate([[0.0], (hit & (labels == 0)).sum(1) / (labels == 0).sum()])
    return np.trapezoid(tpr, fpr)


def confusion_add_at(y_true, y_pred, K=3):
    cm = np.zeros(K * K, dtype=np.intp)
    np.add.at(cm, y_true * K + y_pred, 1)
    return cm.reshape(K, K)


# --- transforms: in_axes / out_axes / nested vmap / partial ------------------------------
def per_token_then_pool(x):
    per_token = gvmap.vmap(lambda t: gelu_tanh(t @ ATT["Wq"]))(x)
    return per_token.mean(0)


def shared_params_dense(params, x):
    return np.tanh(params["W"] @ x + params["b"])


def scaled_dot(x, scale):
    return np.sum(x * x) * scale


dense_partial = functools.partial(shared_params_dense, {"W": rng.randn(3, D), "b": rng.randn(3)})


def pos_prices(n, m=()):
    return np.cumprod(1 + 0.01 * rng.randn(*m, n), axis=-1) * 100


def probs(*shape):
    return rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])


X_NAN = rng.randn(B, 10)
X_NAN[rng.rand(B, 10) < 0.2] = np.nan
X_NAN[:, 0] = 0.3        # at least one finite value per row
X_INF = rng.randn(B, 6)
X_INF[0, 1], X_INF[2, 3], X_INF[4, 0] = np.inf, -np.inf, np.nan
LABELS20 = np.array([rng.permutation([0] * 9 + [1] * 11) for _ in range(B)])
SCORES_TIED = np.array([[0.2, 1.4, 1.6, 0.1, 1.5]] * B) + rng.rand(B, 5) * 0.01

# (name, function, args, in_axes, out_axes)
CASES = [
    ("causal_attention", causal_attention, (rng.randn(B, T, D),), 0, 0),
    ("causal_attention_tril", causal_attention_tril,
     (rng.randn(B, T, D), rng.randn(D, D), rng.randn(D, D)), (0, None, None), 0),
    ("layer_norm", layer_norm, (rng.randn(B, T, D),), 0, 0),
    ("rms_norm", rms_norm, (rng.randn(B, D),), 0, 0),
    ("gelu_tanh", gelu_tanh, (rng.randn(B, D),), 0, 0),
    ("log_softmax", log_softmax, (rng.randn(B, 10),), 0, 0),
    ("lstm_unrolled", lstm_unrolled, (rng.randn(B, 5, 3),), 0, 0),
    ("gru_unrolled", gru_unrolled, (rng.randn(B, 5, 3),), 0, 0),
    ("conv1d_same", conv1d_same, (rng.randn(B, 12),), 0, 0),
    ("conv1d_windows", conv1d_windows, (rng.randn(B, 12), rng.randn(3)), (0, None), 0),
    ("conv1d_channels", conv1d_channels, (rng.randn(B, 9, 2),), 0, 0),
    ("embed_pool", embed_pool, (rng.randint(0, 30, (B, T)), (rng.rand(B, T) > 0.3).astype(float)), 0, 0),
    ("dropout", dropout, (rng.randn(B, D), rng.rand(B, D) > 0.2), 0, 0),
    ("residual_mlp", residual_mlp, (rng.randn(B, D),), 0, 0),
    ("classifier_method", CLF.predict, (rng.randn(B, D),), 0, 0),
    ("bag_of_words_method", BOW.forward, (rng.randint(0, 30, (B, T)),), 0, 0),
    ("bag_of_words_indexing", BOW.forward_indexing, (rng.randint(0, 30, (B, T)),), 0, 0),
    ("xent_int_label", xent_int_label, (rng.randn(B, 10), rng.randint(0, 10, B)), 0, 0),
    ("focal_loss", focal_loss, (rng.randn(B, 5), rng.randint(0, 5, B)), 0, 0),
    ("multiclass_hinge", multiclass_hinge, (rng.randn(B, 5), rng.randint(0, 5, B)), 0, 0),
    ("huber", huber, (rng.randn(B, 8) * 2, rng.randn(B, 8)), 0, 0),
    ("kl_div", kl_div, (rng.randn(B, 6), rng.randn(B, 6)), 0, 0),
    ("cosine_sim", cosine_sim, (rng.randn(B, D), rng.randn(B, D)), 0, 0),
    ("topk_accuracy", topk_accuracy, (rng.randn(B, 10), rng.randint(0, 10, B)), 0, 0),
    ("auc_by_ranks", auc_by_ranks, (rng.randn(B, 20), LABELS20), 0, 0),
    ("auc_by_ranks_masked", auc_by_ranks_masked, (rng.randn(B, 20), LABELS20), 0, 0),
    ("confusion_compare", confusion_compare, (rng.randint(0, 3, (B, 15)), rng.randint(0, 3, (B, 15))), 0, 0),
    ("precision_recall", precision_recall, (rng.rand(B, 12), rng.randint(0, 2, (B, 12))), 0, 0),
    ("argmax_ties", argmax_ties, (SCORES_TIED,), 0, 0),
    ("standardize", standardize, (rng.randn(B, 10) * 3 + 1,), 0, 0),
    ("minmax_scale", minmax_scale, (rng.rand(B, 10),), 0, 0),
    ("onehot_eye", onehot_eye, (rng.randint(0, 5, B),), 0, 0),
    ("winsorize", winsorize, (rng.standard_t(3, (B, 30)),), 0, 0),
    ("rolling_mean_std", rolling_mean_std, (rng.randn(B, 12),), 0, 0),
    ("ema_loop", ema_loop, (rng.randn(B, 9),), 0, 0),
    ("impute_mean", impute_mean, (X_NAN,), 0, 0),
    ("impute_inplace", impute_inplace, (X_NAN,), 0, 0),
    ("clean_inf", clean_inf, (X_INF,), 0, 0),
    ("zscore_outliers", zscore_outliers, (rng.standard_t(2, (B, 15)),), 0, 0),
    ("rank_transform", rank_transform, (rng.randn(B, 9),), 0, 0),
    ("category_counts", category_counts, (rng.randint(0, 4, (B, 11)),), 0, 0),
    ("feature_dict", feature_dict, (rng.randn(B, 13),), 0, 0),
    ("bootstrap_mean", bootstrap_mean, (rng.randn(B, 10), rng.randint(0, 10, (B, 20, 10))), 0, 0),
    ("weighted_quantile", weighted_quantile, (rng.randn(B, 9), rng.rand(B, 9) + 0.1), 0, 0),
    ("ols_lstsq", ols_lstsq, (rng.randn(B, 12, 2), rng.randn(B, 12)), 0, 0),
    ("ols_normal", ols_normal, (rng.randn(B, 12, 2), rng.randn(B, 12)), 0, 0),
    ("logreg_step", logreg_step, (rng.randn(3), rng.randn(B, 10, 3), rng.randint(0, 2, (B, 10))), (None, 0, 0), 0),
    ("gaussian_loglik", gaussian_loglik, (rng.randn(B, 10), rng.randn(B), rng.rand(B) + 0.5), 0, 0),
    ("welford", welford, (rng.randn(B, 8),), 0, 0),
    ("corr_matrix", corr_matrix, (rng.randn(B, 20, 3),), 0, 0),
    ("autocorr", autocorr, (rng.randn(B, 30),), 0, 0),
    ("black_scholes", black_scholes,
     (rng.uniform(80, 120, B), 100.0, rng.uniform(0.1, 2, B), 0.03, rng.uniform(0.1, 0.5, B)),
     (0, None, 0, None, 0), 0),
    ("binomial_tree", binomial_tree, (rng.uniform(80, 120, B), rng.uniform(80, 120, B), rng.uniform(0.1, 0.5, B)), 0, 0),
    ("portfolio_stats", portfolio_stats, (rng.rand(B, 4),), 0, 0),
    ("max_drawdown", max_drawdown, (pos_prices(40, (B,)),), 0, 0),
    ("sharpe", sharpe, (pos_prices(40, (B,)),), 0, 0),
    ("vwap", vwap, (pos_prices(10, (B,)), rng.randint(1, 100, (B, 10)).astype(float)), 0, 0),
    ("per_token_then_pool", per_token_then_pool, (rng.randn(B, T, D),), 0, 0),
    ("shared_params_dense", shared_params_dense,
     ({"W": rng.randn(3, D), "b": rng.randn(3)}, rng.randn(B, D)), (None, 0), 0),
    ("params_batched_by_key", shared_params_dense,
     ({"W": rng.randn(3, D), "b": rng.randn(B, 3)}, rng.randn(B, D)), ({"W": None, "b": 0}, 0), 0),
    ("dense_partial_out_axis1", dense_partial, (rng.randn(D, B),), 1, 1),
    ("scaled_dot_out_none", lambda x, s: (scaled_dot(x, s), s * 2), (rng.randn(B, 4), 3.0), (0, None), (0, None)),
    ("gae", gae, (rng.randn(B, 6), rng.randn(B, 6), (rng.rand(B, 6) < 0.2).astype(float)), 0, 0),
    ("discounted_returns", discounted_returns, (rng.randn(B, 6),), 0, 0),
    ("label_smoothing_xent", label_smoothing_xent, (rng.randn(B, 5), rng.randint(0, 5, B)), 0, 0),
    ("batchnorm_eval", batchnorm_eval, (rng.randn(B, 4), rng.randn(4), rng.rand(4), rng.randn(4), rng.randn(4)),
     (0, None, None, None, None), 0),
    ("maxpool_avgpool", maxpool_avgpool, (rng.randn(B, 12),), 0, 0),
    ("quantize_uint8", quantize_uint8, (rng.randn(B, 8),), 0, 0),
    ("layer_norm_f32", layer_norm_f32, (rng.randn(B, 4, 8).astype(np.float32),), 0, 0),
    ("attention_einsum", attention_einsum, (rng.randn(B, 4, 3), rng.randn(B, 4, 3)), 0, 0),
    ("scatter_counts", scatter_counts, (rng.randint(0, 5, (B, 6)), rng.randn(B, 6)), 0, 0),
    ("order_stats", order_stats, (rng.randn(B, 10),), 0, 0),
    ("stable_ranks_with_ties", stable_ranks_with_ties, (rng.randint(0, 4, (B, 9)),), 0, 0),
    ("drawdown_duration", drawdown_duration, (pos_prices(20, (B,)),), 0, 0),
    ("rsi", rsi, (pos_prices(20, (B,)),), 0, 0),
    ("bollinger", bollinger, (pos_prices(20, (B,)),), 0, 0),
    ("sortino", sortino, (np.diff(np.log(pos_prices(20, (B,)))),), 0, 0),
    ("sortino_masked", sortino_masked, (np.diff(np.log(pos_prices(20, (B,)))),), 0, 0),
    ("ewma_vol", ewma_vol, (np.diff(np.log(pos_prices(20, (B,)))),), 0, 0),
    ("rolling_window_stats", rolling_window_stats, (rng.rand(B, 10) + 0.5,), 0, 0),
    ("roc_auc_trapezoid", roc_auc_trapezoid, (rng.rand(B, 20), LABELS20), 0, 0),
    ("confusion_add_at", confusion_add_at, (rng.randint(0, 3, (B, 15)), rng.randint(0, 3, (B, 15))), 0, 0),
    ("confusion_bincount", confusion_bincount,
     (rng.randint(0, 3, (B, 15)), rng.randint(0, 3, (B, 15))), 0, 0),
]
# Refused, each with its message and the rewrite (in CASES) that batches:
# (name, function, args, in_axes, error, message pattern, the rewrite's name)
REFUSED = [
    ("black_scholes_math_erf", black_scholes_math_erf,
     (rng.uniform(80, 120, B), 100.0, 1.0, 0.03, 0.2), (0, None, None, None, None),
     TypeError, r"math\.erf\(\) of a traced array.*NumPy has no erf.*0\.3275911", "black_scholes"),
]


(test_data_corpus_function, test_data_corpus_refusal_and_its_rewrite,
 test_data_corpus_size) = corpus_tests(CASES, REFUSED, (83, 1))
