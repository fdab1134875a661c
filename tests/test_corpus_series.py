"""Per-example NumPy code from time-series analysis, econometrics and forecasting, one series
per example: EWMA, Holt and additive Holt-Winters by Python loops over a static length with
index updates (a list of seasonal states updated at ``t % period``), AR(2) / ARMA(1,1)
filters and an lfilter written by hand with ``if n - k >= 0`` on static indices, Yule-Walker
by np.correlate(x, x, "full") + np.linalg.solve (a Toeplitz matrix by list comprehension and
by ``r[idx]``), autocorrelation by np.correlate and by sums, PACF by Durbin-Levinson, Ljung-Box;
rolling mean / std / min / max / median / percentiles by sliding_window_view, by cumsum
differences and by a loop over slices; np.diff with prepend / append / n=2, seasonal
differences, returns, log returns, drawdowns by np.maximum.accumulate and their duration by
a loop, volatility / Sharpe / Sortino with ddof, VaR / CVaR by ``r[r <= q].mean()`` and
``np.mean(..., where=)``, z-score anomaly flags, np.percentile / np.quantile bands; NaN
gaps (np.nanmean / nanstd / nanmin / nanmax, forward fill by np.maximum.accumulate(...,
out=idx), backward fill, gaps filled by np.interp of the kept points, ``x[~isnan(x)].std()``);
seasonal decomposition by reshape(-1, period).mean(axis=0) after np.polyfit / np.polyval
and by a centred np.convolve, resampling by reshape and np.add.reduceat, OHLC bars; lag
matrices by np.column_stack, AR by np.linalg.lstsq, trend + seasonal dummies, iterated AR
forecasts by ``sum(c * v for c, v in zip(coefs, reversed(hist)))``; 1-D and local-linear
Kalman filters (np.linalg.inv of a 1x1 S) and a Gaussian log-likelihood; CUSUM, changepoint
scores over a static grid and by cumsum; np.convolve full / same / valid with a shared and
a per-example kernel, a Hann smoother, np.histogram with static edges, with bins + range
and with density; Poisson int counts and float32 series; in_axes None (shared kernel,
weights, market series, noise level), series along axis 1, out_axes 1 and a tuple (0, 1),
dict and tuple outputs, and nested vmaps (assets x window weights, a vmap over axis 1 inside).

Of the 89 cases here, 82 batched on arrival and matched the loop on every backend and plan
kind. Four were refused and batch now (gvmap/numpy/masked.py, sorting.py;
tests/test_updates.py):

* ``interp_gaps``, ``interp_gaps_masked``: ``np.interp(t, t[ok], x[ok])`` (and
  ``out[~ok] = np.interp(t[~ok], t[ok], x[ok])``), the usual way to fill gaps, was refused as
  a data-dependent shape; the kept points are moved to the front in order, the places after
  them climb past the last one with its value, ``right`` is put back, and an example that
  keeps no point (NumPy raises "array of sample points is empty") gives NaN.
* ``clean_std``, ``clean_std_int``: ``x[~np.isnan(x)].std()`` / ``.var(ddof=1)`` / ``np.std(c, ddof=1)``
  compute as NumPy's two passes over the kept elements.

The corpus run again on series with an inf, on constant series, with a NaN example, as
float32, with chunk_size=2, under jit and with batches of 1 found three wrong answers, fixed
with tests that fail on the old code (tests/test_edge_values.py, tests/test_linalg.py):

* np.convolve / np.correlate in "full" / "same" zero-padded and multiplied, so an inf or
  NaN tap gave 0 * inf = NaN in outputs whose overlap never holds it
  (``convolve_modes_per_example`` with an inf in the kernel); the padding is left out of
  the sums now, as NumPy sums only the overlap (gvmap/numpy/signal.py).
* np.interp at a sample point next to an inf (``interp_gaps`` with an inf kept) gave
  inf * 0 = NaN where NumPy takes fp[j] (gvmap/numpy/sorting.py).
* np.linalg.lstsq / np.polyfit of a series holding an inf (``detrend_quadratic``,
  ``ols_trend_season``) gave inf / -inf / NaN mixed where NumPy's gelsd gives every
  coefficient NaN (gvmap/numpy/linalg_solvers.py; NumPy's residuals there are not matched).

Left as they are: float32 ``ljung_box`` and ``resample_reduceat`` differ from the loop by
rounding only (relative 1e-7 and 2e-6: float32 sums in another order); where NumPy raises
for one example (lstsq that "did not converge" on an inf, interp of no kept point) the
batch gives NaN for it.

The 3 in ``REFUSED`` stay refused, each naming argument 'x' or the rewrite: a conditional
expression ``np.argmax(alarm) if alarm.any() else -1`` and ``if np.isnan(v): continue`` in
an EWMA (Python control flow on traced values: np.where instead), and np.median of
``x[~np.isnan(x)]`` (an order statistic of a data-dependent selection), whose message,
which named only np.where, names np.nanmedian(np.where(mask, x, np.nan)) now (as for
percentile / quantile / min / max / argmin / argmax / cumsum).
"""
from __future__ import annotations

import numpy as np

import gvmap
from gvmap.errors import TracerConversionError
from corpus import corpus_tests

rng = np.random.RandomState(20261202)
B = 5  # examples per batch
T = 24  # series length


def walk(*shape):
    return np.cumsum(rng.randn(*shape), axis=-1)


def prices(*shape):
    return 100.0 * np.exp(np.cumsum(0.01 * rng.randn(*shape), axis=-1))


def gappy(*shape, p=0.25):
    x = walk(*shape)
    x[rng.rand(*shape) < p] = np.nan
    return x


# --- smoothing by Python loops with index updates -------------------------------------------
def ewma(x, alpha=0.3):
    s = np.empty_like(x)
    s[0] = x[0]
    for t in range(1, len(x)):
        s[t] = alpha * x[t] + (1 - alpha) * s[t - 1]
    return s


def ewma_traced_alpha(x, alpha):
    s = np.zeros(len(x))
    s[0] = x[0]
    for t in range(1, len(x)):
        s[t] = alpha * x[t] + (1 - alpha) * s[t - 1]
    return s


def holt_linear(x, alpha=0.5, beta=0.3, h=4):
    level, trend = x[0], x[1] - x[0]
    fitted = np.zeros(len(x))
    for t in range(len(x)):
        fitted[t] = level + trend
        new_level = alpha * x[t] + (1 - alpha) * (level + trend)
        trend = beta * (new_level - level) + (1 - beta) * trend
        level = new_level
    forecast = level + trend * np.arange(1, h + 1)
    return fitted, forecast


def holt_winters_additive(x, period=4, alpha=0.4, beta=0.1, gamma=0.3):
    n = len(x)
    level = x[:period].mean()
    trend = (x[period:2 * period].mean() - x[:period].mean()) / period
    season = list(x[:period] - level)
    fitted = np.zeros(n)
    for t in range(n):
        s = season[t % period]
        fitted[t] = level + trend + s
        prev = level
        level = alpha * (x[t] - s) + (1 - alpha) * (level + trend)
        trend = beta * (level - prev) + (1 - beta) * trend
        season[t % period] = gamma * (x[t] - level) + (1 - gamma) * s
    sse = np.sum((x - fitted) ** 2)
    return {"fitted": fitted, "sse": sse, "season": np.array(season)}


def double_exp_smooth_pairs(x, alpha=0.4):
    s1 = s2 = x[0]
    out = []
    for v in x:
        s1 = alpha * v + (1 - alpha) * s1
        s2 = alpha * s1 + (1 - alpha) * s2
        out.append(2 * s1 - s2)
    return np.array(out)


# --- AR / ARMA filters, lfilter by hand ------------------------------------------------------
def ar2_filter(e, phi=(0.6, -0.2)):
    y = np.zeros_like(e)
    for t in range(len(e)):
        y[t] = e[t]
        if t >= 1:
            y[t] += phi[0] * y[t - 1]
        if t >= 2:
            y[t] += phi[1] * y[t - 2]
    return y


def arma11(e, phi, theta):
    y = np.zeros(len(e))
    prev_y, prev_e = 0.0, 0.0
    for t in range(len(e)):
        y[t] = phi * prev_y + e[t] + theta * prev_e
        prev_y, prev_e = y[t], e[t]
    return y


def lfilter_by_hand(b, a, x):
    y = np.zeros(len(x))
    for n in range(len(x)):
        acc = 0.0
        for k in range(len(b)):
            if n - k >= 0:
                acc += b[k] * x[n - k]
        for k in range(1, len(a)):
            if n - k >= 0:
                acc -= a[k] * y[n - k]
        y[n] = acc / a[0]
    return y


def ar_residuals_dot(x, coefs):
    p = len(coefs)
    res = np.zeros(len(x) - p)
    for t in range(p, len(x)):
        res[t - p] = x[t] - np.dot(coefs, x[t - p:t][::-1])
    return res


# --- Yule-Walker, autocorrelation, PACF ------------------------------------------------------
def acf_correlate(x, nlags=6):
    x = x - x.mean()
    r = np.correlate(x, x, "full")[len(x) - 1:]
    return r[:nlags + 1] / r[0]


def acf_sums(x, nlags=5):
    n = len(x)
    xm = x - np.mean(x)
    denom = np.sum(xm ** 2)
    return np.array([np.sum(xm[:n - k] * xm[k:]) / denom for k in range(nlags + 1)])


def yule_walker(x, order=3):
    x = x - x.mean()
    n = len(x)
    r = np.correlate(x, x, mode="full")[n - 1:n + order] / n
    R = np.array([[r[abs(i - j)] for j in range(order)] for i in range(order)])
    phi = np.linalg.solve(R, r[1:order + 1])
    sigma2 = r[0] - phi @ r[1:order + 1]
    return phi, sigma2


def yule_walker_toeplitz_index(x, order=3):
    x = x - x.mean()
    n = len(x)
    r = np.array([x[:n - k] @ x[k:] for k in range(order + 1)]) / n
    idx = np.abs(np.subtract.outer(np.arange(order), np.arange(order)))
    return np.linalg.solve(r[idx], r[1:])


def pacf_durbin_levinson(x, nlags=5):
    x = x - x.mean()
    n = len(x)
    r = np.array([np.sum(x[:n - k] * x[k:]) for k in range(nlags + 1)]) / np.sum(x * x)
    pacf = np.zeros(nlags + 1)
    pacf[0] = 1.0
    phi = np.zeros((nlags + 1, nlags + 1))
    phi[1, 1] = r[1]
    pacf[1] = r[1]
    for k in range(2, nlags + 1):
        num = r[k] - np.sum(phi[k - 1, 1:k] * r[1:k][::-1])
        den = 1.0 - np.sum(phi[k - 1, 1:k] * r[1:k])
        phi[k, k] = num / den
        for j in range(1, k):
            phi[k, j] = phi[k - 1, j] - phi[k, k] * phi[k - 1, k - j]
        pacf[k] = phi[k, k]
    return pacf


def ljung_box(x, lags=4):
    n = len(x)
    xm = x - x.mean()
    acf = np.correlate(xm, xm, "full")[n - 1:] / np.dot(xm, xm)
    k = np.arange(1, lags + 1)
    return n * (n + 2) * np.sum(acf[1:lags + 1] ** 2 / (n - k))


# --- rolling windows ------------------------------------------------------------------------
def rolling_stats_view(x, w=5):
    win = np.lib.stride_tricks.sliding_window_view(x, w)
    return win.mean(axis=1), win.std(axis=1, ddof=1), win.min(axis=1), win.max(axis=1)


def rolling_median_view(x, w=5):
    from numpy.lib.stride_tricks import sliding_window_view
    return np.median(sliding_window_view(x, window_shape=w), axis=-1)


def rolling_mean_cumsum(x, w=4):
    c = np.cumsum(np.insert(x, 0, 0.0))
    return (c[w:] - c[:-w]) / w


def rolling_std_cumsum(x, w=6):
    c1 = np.concatenate(([0.0], np.cumsum(x)))
    c2 = np.concatenate(([0.0], np.cumsum(x * x)))
    s1 = c1[w:] - c1[:-w]
    s2 = c2[w:] - c2[:-w]
    var = (s2 - s1 ** 2 / w) / (w - 1)
    return np.sqrt(np.maximum(var, 0))


def rolling_quantile_band(x, w=6):
    win = np.lib.stride_tricks.sliding_window_view(x, w)
    lo, hi = np.percentile(win, [10, 90], axis=1)
    return lo, hi


def rolling_zscore_flags(x, w=8, k=2.0):
    win = np.lib.stride_tricks.sliding_window_view(x[:-1], w)
    mu = win.mean(axis=1)
    sd = win.std(axis=1)
    z = (x[w:] - mu) / sd
    return np.abs(z) > k


def rolling_padded_mean(x, w=5):
    pad = np.full(w - 1, np.nan)
    out = np.concatenate([pad, np.lib.stride_tricks.sliding_window_view(x, w).mean(axis=-1)])
    return out


def rolling_max_loop(x, w=4):
    out = np.empty(len(x) - w + 1)
    for i in range(len(out)):
        out[i] = x[i:i + w].max()
    return out


# --- differences, returns, drawdowns ---------------------------------------------------------
def diff_prepend_append(x):
    d1 = np.diff(x, prepend=x[0])
    d2 = np.diff(x, n=2)
    d3 = np.diff(x, append=np.nan)
    return d1, d2, d3


def seasonal_difference(x, period=4):
    return x[period:] - x[:-period]


def returns_and_log_returns(p):
    simple = p[1:] / p[:-1] - 1
    logr = np.diff(np.log(p))
    cum = np.cumprod(1 + simple) - 1
    return simple, logr, cum


def pct_change_with_nan_head(p):
    r = np.empty_like(p)
    r[0] = np.nan
    r[1:] = p[1:] / p[:-1] - 1
    return r


def max_drawdown(p):
    peak = np.maximum.accumulate(p)
    dd = p / peak - 1
    return dd.min(), np.argmin(dd), dd


def drawdown_duration(p):
    peak = np.maximum.accumulate(p)
    under = p < peak
    dur = np.zeros(len(p), dtype=int)
    for t in range(1, len(p)):
        dur[t] = np.where(under[t], dur[t - 1] + 1, 0)
    return dur.max()


def sharpe_sortino(p, rf=0.0001, periods=252):
    r = np.diff(p) / p[:-1]
    ex = r - rf
    vol = r.std(ddof=1) * np.sqrt(periods)
    sharpe = ex.mean() / ex.std(ddof=1) * np.sqrt(periods)
    downside = np.sqrt(np.mean(np.minimum(ex, 0) ** 2)) * np.sqrt(periods)
    sortino = ex.mean() * periods / downside
    return {"vol": vol, "sharpe": sharpe, "sortino": sortino}


def rolling_volatility(p, w=5):
    r = np.diff(np.log(p))
    win = np.lib.stride_tricks.sliding_window_view(r, w)
    return np.std(win, axis=1, ddof=1) * np.sqrt(252)


def var_cvar(r, level=5):
    q = np.percentile(r, level)
    return q, r[r <= q].mean()


def var_cvar_where(r, level=5):
    q = np.percentile(r, level)
    return q, np.mean(r, where=r <= q)


def quantile_bands(x):
    q = np.quantile(x, [0.05, 0.25, 0.5, 0.75, 0.95])
    iqr = q[3] - q[1]
    outliers = (x < q[1] - 1.5 * iqr) | (x > q[3] + 1.5 * iqr)
    return q, outliers.sum()


def zscore_anomalies(x, k=1.5):
    z = (x - x.mean()) / x.std()
    return np.where(np.abs(z) > k, 1, 0), z


# --- NaN gaps ---------------------------------------------------------------------------------
def nan_summary(x):
    return np.nanmean(x), np.nanstd(x, ddof=1), np.nanmin(x), np.nanmax(x), np.isnan(x).sum()


def forward_fill(x):
    mask = np.isnan(x)
    idx = np.where(~mask, np.arange(len(x)), 0)
    np.maximum.accumulate(idx, out=idx)
    return x[idx]


def forward_fill_returned(x):
    mask = np.isnan(x)
    idx = np.where(~mask, np.arange(mask.shape[0]), 0)
    idx = np.maximum.accumulate(idx)
    return x[idx]


def backward_fill(x):
    mask = np.isnan(x)
    n = len(x)
    idx = np.where(~mask, np.arange(n), n - 1)
    idx = np.minimum.accumulate(idx[::-1])[::-1]
    return x[idx]


def interp_gaps(x):
    t = np.arange(len(x))
    good = ~np.isnan(x)
    return np.interp(t, t[good], x[good])


def interp_gaps_masked(x):
    t = np.arange(len(x))
    ok = np.isfinite(x)
    out = x.copy()
    out[~ok] = np.interp(t[~ok], t[ok], x[ok])
    return out


def nan_rolling_mean(x, w=4):
    win = np.lib.stride_tricks.sliding_window_view(x, w)
    return np.nanmean(win, axis=1)


def fill_with_mean(x):
    return np.where(np.isnan(x), np.nanmean(x), x)


# --- seasonal decomposition, detrending, resampling ------------------------------------------
def seasonal_decompose(x, period=4):
    trend_coef = np.polyfit(np.arange(len(x)), x, 1)
    trend = np.polyval(trend_coef, np.arange(len(x)))
    detr = x - trend
    seasonal = detr.reshape(-1, period).mean(axis=0)
    seasonal = seasonal - seasonal.mean()
    resid = detr - np.tile(seasonal, len(x) // period)
    return trend, seasonal, resid


def moving_average_decompose(x, period=4):
    kernel = np.r_[0.5, np.ones(period - 1), 0.5] / period
    trend = np.convolve(x, kernel, mode="same")
    detr = x - trend
    idx = np.arange(len(x)) % period
    seasonal = np.array([detr[idx == k].mean() for k in range(period)])
    return trend, seasonal


def detrend_quadratic(x):
    t = np.linspace(0, 1, len(x))
    c = np.polyfit(t, x, deg=2)
    return x - np.polyval(c, t), c


def resample_reshape(x, k=4):
    blocks = x.reshape(-1, k)
    return blocks.sum(axis=1), blocks[:, -1], blocks.max(axis=1)


def resample_reduceat(x, edges=(0, 5, 9, 16, 20)):
    sums = np.add.reduceat(x, list(edges))
    counts = np.diff(np.append(edges, len(x)))
    return sums / counts


def ohlc(p, k=6):
    b = p.reshape(-1, k)
    return np.stack([b[:, 0], b.max(1), b.min(1), b[:, -1]], axis=1)


# --- lag matrices, OLS -----------------------------------------------------------------------
def lag_matrix(x, p=3):
    n = len(x)
    return np.column_stack([x[p - k - 1:n - k - 1] for k in range(p)])


def ar_ols_lstsq(x, p=3):
    n = len(x)
    X = np.column_stack([np.ones(n - p)] + [x[p - k:n - k] for k in range(1, p + 1)])
    y = x[p:]
    beta, res, rank, sv = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    return beta, resid.std(ddof=p + 1)


def ols_trend_season(x, period=4):
    n = len(x)
    t = np.arange(n)
    dummies = (t[:, None] % period == np.arange(period)[None, :]).astype(float)
    X = np.hstack([t[:, None], dummies])
    beta = np.linalg.lstsq(X, x, rcond=None)[0]
    return beta


def ar_forecast(x, coefs, h=5):
    hist = list(x[-len(coefs):])
    out = []
    for _ in range(h):
        nxt = sum(c * v for c, v in zip(coefs, reversed(hist)))
        out.append(nxt)
        hist.append(nxt)
    return np.array(out)


def lag_shift_nan(x, k=2):
    lagged = np.roll(x, k).astype(float)
    lagged[:k] = np.nan
    return np.corrcoef(x[k:], lagged[k:])[0, 1], lagged


# --- Kalman filters --------------------------------------------------------------------------
def kalman_1d(z, q=1e-3, r=0.1):
    n = len(z)
    xhat = np.zeros(n)
    P = np.zeros(n)
    x, p = z[0], 1.0
    for k in range(n):
        p = p + q
        K = p / (p + r)
        x = x + K * (z[k] - x)
        p = (1 - K) * p
        xhat[k], P[k] = x, p
    return xhat, P


def kalman_local_linear(z, q=0.01, r=0.5):
    F = np.array([[1.0, 1.0], [0.0, 1.0]])
    H = np.array([[1.0, 0.0]])
    Q = q * np.eye(2)
    R = np.array([[r]])
    x = np.array([z[0], 0.0])
    P = np.eye(2)
    out = np.zeros((len(z), 2))
    for k in range(len(z)):
        x = F @ x
        P = F @ P @ F.T + Q
        S = H @ P @ H.T + R
        K = P @ H.T @ np.linalg.inv(S)
        x = x + (K @ (z[k] - H @ x)).ravel()
        P = (np.eye(2) - K @ H) @ P
        out[k] = x
    return out


def kalman_shared_noise(z, q, r):
    x, p = 0.0, 1.0
    ll = 0.0
    for zk in z:
        p += q
        s = p + r
        innov = zk - x
        ll += -0.5 * (np.log(2 * np.pi * s) + innov ** 2 / s)
        k = p / s
        x += k * innov
        p *= 1 - k
    return ll


# --- CUSUM, changepoints ---------------------------------------------------------------------
def cusum(x, k=0.5, h=4.0):
    mu, sd = x[:8].mean(), x[:8].std()
    z = (x - mu) / sd
    sp = np.zeros(len(x))
    sn = np.zeros(len(x))
    for t in range(1, len(x)):
        sp[t] = max(0.0, sp[t - 1] + z[t] - k)
        sn[t] = min(0.0, sn[t - 1] + z[t] + k)
    alarm = (sp > h) | (sn < -h)
    first = np.argmax(alarm) if alarm.any() else -1
    return sp, sn, first


def cusum_where(x, k=0.5):
    s = np.zeros_like(x)
    for t in range(1, len(x)):
        s[t] = np.maximum(0, s[t - 1] + x[t] - k)
    return s


def changepoint_scores(x, grid=range(4, 21, 2)):
    n = len(x)
    total = np.sum((x - x.mean()) ** 2)
    scores = []
    for tau in grid:
        left, right = x[:tau], x[tau:]
        cost = np.sum((left - left.mean()) ** 2) + np.sum((right - right.mean()) ** 2)
        scores.append(total - cost)
    scores = np.array(scores)
    return np.array(list(grid))[np.argmax(scores)], scores


def changepoint_cumsum(x):
    n = len(x)
    c = np.cumsum(x)
    k = np.arange(1, n)
    stat = np.abs(c[:-1] - k * c[-1] / n) / np.sqrt(k * (n - k) / n)
    return np.argmax(stat) + 1, stat.max()


# --- convolution, histograms -----------------------------------------------------------------
def convolve_modes(x, kernel):
    return np.convolve(x, kernel, "full"), np.convolve(x, kernel, "same"), np.convolve(x, kernel, "valid")


def hann_smooth(x, w=5):
    k = np.hanning(w)
    return np.convolve(x, k / k.sum(), mode="valid")


def returns_histogram(p, bins=np.linspace(-0.03, 0.03, 7)):
    r = np.diff(np.log(p))
    counts, edges = np.histogram(r, bins=bins)
    return counts, edges


def returns_histogram_range(p):
    r = np.diff(p) / p[:-1]
    counts, _ = np.histogram(r, bins=8, range=(-0.04, 0.04))
    return counts / counts.sum()


def histogram_density(x):
    h, e = np.histogram(x, bins=5, range=(-6, 6), density=True)
    return h


# --- integer and float32 series ---------------------------------------------------------------
def daily_counts_summary(c):
    weekly = c.reshape(-1, 7).sum(axis=1)
    growth = np.diff(weekly) / np.maximum(weekly[:-1], 1)
    return weekly, growth, np.argmax(c), c.cumsum()


def int_rolling_sum(c, w=3):
    s = np.cumsum(c)
    s[w:] = s[w:] - s[:-w]
    return s[w - 1:]


def float32_ewma(x):
    a = np.float32(0.2)
    s = x[0]
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        s = a * x[i] + (1 - a) * s
        out[i] = s
    return out


def float32_returns_vol(p):
    r = np.log(p[1:] / p[:-1])
    return r.std(ddof=1), r.dtype == np.float32


# --- in_axes / out_axes variety ---------------------------------------------------------------
def weighted_ma_shared(x, w):
    return np.convolve(x, w[::-1] / w.sum(), mode="valid")


def series_on_axis1(x):
    return np.diff(x).std(), np.maximum.accumulate(x)


def asset_window_vol(p, w):
    r = np.diff(np.log(p))
    return np.std(r * w)


def beta_to_market(r, m):
    c = np.cov(r, m)
    return c[0, 1] / c[1, 1], np.corrcoef(r, m)[0, 1]


# --- refused ------------------------------------------------------------------------------------
def ewma_if_first(x, alpha=0.3):
    s = x[0]
    out = []
    for v in x:
        if np.isnan(v):
            out.append(s)
            continue
        s = alpha * v + (1 - alpha) * s
        out.append(s)
    return np.array(out)


def ewma_skip_nan(x, alpha=0.3):
    s = x[0]
    out = []
    for v in x:
        s = np.where(np.isnan(v), s, alpha * v + (1 - alpha) * s)
        out.append(s)
    return np.array(out)


def median_of_kept(x):
    clean = x[~np.isnan(x)]
    return np.median(clean)


def median_nan_form(x):
    return np.nanmedian(x)


def cusum_first_alarm_where(x, k=0.5, h=4.0):
    mu, sd = x[:8].mean(), x[:8].std()
    z = (x - mu) / sd
    sp = np.zeros(len(x))
    sn = np.zeros(len(x))
    for t in range(1, len(x)):
        sp[t] = max(0.0, sp[t - 1] + z[t] - k)
        sn[t] = min(0.0, sn[t - 1] + z[t] + k)
    alarm = (sp > h) | (sn < -h)
    first = np.where(alarm.any(), np.argmax(alarm), -1)
    return sp, sn, first


def clean_std(x):
    clean = x[~np.isnan(x)]
    return clean.std(), clean.var(ddof=1), np.std(clean, ddof=1)


def nested_windows(p, w):
    return gvmap.vmap(asset_window_vol, (0, None))(p, w)


def nested_assets_windows(p, ws):
    # assets x windows: the inner vmap maps window weights over one asset's prices
    return gvmap.vmap(lambda w: asset_window_vol(p, w))(ws)


def nested_rolling_axis1(x):
    return gvmap.vmap(rolling_mean_cumsum, in_axes=1, out_axes=1)(x)


CASES = [
    ("ewma", ewma, (walk(B, T),), 0, 0),
    ("ewma_traced_alpha", ewma_traced_alpha, (walk(B, T), rng.uniform(0.1, 0.9, B)), 0, 0),
    ("ewma_shared_alpha", ewma_traced_alpha, (walk(B, T), 0.25), (0, None), 0),
    ("holt_linear", holt_linear, (walk(B, T),), 0, 0),
    ("holt_winters_additive", holt_winters_additive, (walk(B, T) + np.tile([3.0, -1, 0, -2], T // 4),), 0, 0),
    ("double_exp_smooth_pairs", double_exp_smooth_pairs, (walk(B, T),), 0, 0),
    ("ar2_filter", ar2_filter, (rng.randn(B, T),), 0, 0),
    ("arma11", arma11, (rng.randn(B, T), rng.uniform(-0.9, 0.9, B), rng.uniform(-0.5, 0.5, B)), 0, 0),
    ("lfilter_by_hand_shared_coefs", lfilter_by_hand, (np.array([0.2, 0.3, 0.2]), np.array([1.0, -0.5, 0.1]), rng.randn(B, T)), (None, None, 0), 0),
    ("lfilter_by_hand_per_example", lfilter_by_hand, (rng.randn(B, 3), np.column_stack([np.ones(B), rng.uniform(-0.5, 0.5, (B, 2))]), rng.randn(B, T)), 0, 0),
    ("ar_residuals_dot", ar_residuals_dot, (walk(B, T), np.array([0.5, 0.3, 0.1])), (0, None), 0),
    ("acf_correlate", acf_correlate, (walk(B, T),), 0, 0),
    ("acf_sums", acf_sums, (rng.randn(B, T),), 0, 0),
    ("yule_walker", yule_walker, (walk(B, T),), 0, 0),
    ("yule_walker_toeplitz_index", yule_walker_toeplitz_index, (walk(B, T),), 0, 0),
    ("pacf_durbin_levinson", pacf_durbin_levinson, (walk(B, T),), 0, 0),
    ("ljung_box", ljung_box, (rng.randn(B, T),), 0, 0),
    ("rolling_stats_view", rolling_stats_view, (walk(B, T),), 0, 0),
    ("rolling_median_view", rolling_median_view, (walk(B, T),), 0, 0),
    ("rolling_mean_cumsum", rolling_mean_cumsum, (walk(B, T),), 0, 0),
    ("rolling_std_cumsum", rolling_std_cumsum, (walk(B, T),), 0, 0),
    ("rolling_quantile_band", rolling_quantile_band, (walk(B, T),), 0, 0),
    ("rolling_zscore_flags", rolling_zscore_flags, (rng.randn(B, T),), 0, 0),
    ("rolling_padded_mean", rolling_padded_mean, (walk(B, T),), 0, 0),
    ("rolling_max_loop", rolling_max_loop, (walk(B, T),), 0, 0),
    ("diff_prepend_append", diff_prepend_append, (walk(B, T),), 0, 0),
    ("seasonal_difference", seasonal_difference, (walk(B, T),), 0, 0),
    ("returns_and_log_returns", returns_and_log_returns, (prices(B, T),), 0, 0),
    ("pct_change_with_nan_head", pct_change_with_nan_head, (prices(B, T),), 0, 0),
    ("max_drawdown", max_drawdown, (prices(B, T),), 0, 0),
    ("drawdown_duration", drawdown_duration, (prices(B, T),), 0, 0),
    ("sharpe_sortino", sharpe_sortino, (prices(B, T),), 0, 0),
    ("rolling_volatility", rolling_volatility, (prices(B, T),), 0, 0),
    ("var_cvar_where", var_cvar_where, (0.01 * rng.randn(B, T),), 0, 0),
    ("quantile_bands", quantile_bands, (rng.standard_t(3, (B, T)),), 0, 0),
    ("zscore_anomalies", zscore_anomalies, (rng.standard_t(3, (B, T)),), 0, 0),
    ("nan_summary", nan_summary, (gappy(B, T),), 0, 0),
    ("forward_fill", forward_fill, (gappy(B, T),), 0, 0),
    ("forward_fill_returned", forward_fill_returned, (gappy(B, T),), 0, 0),
    ("backward_fill", backward_fill, (gappy(B, T),), 0, 0),
    ("interp_gaps", interp_gaps, (gappy(B, T),), 0, 0),
    ("interp_gaps_masked", interp_gaps_masked, (gappy(B, T),), 0, 0),
    ("nan_rolling_mean", nan_rolling_mean, (gappy(B, T, p=0.2),), 0, 0),
    ("fill_with_mean", fill_with_mean, (gappy(B, T),), 0, 0),
    ("ewma_skip_nan", ewma_skip_nan, (gappy(B, T),), 0, 0),
    ("clean_std", clean_std, (gappy(B, T),), 0, 0),
    ("clean_std_int", clean_std, (rng.randint(0, 9, (B, T)),), 0, 0),
    ("var_cvar", var_cvar, (0.01 * rng.randn(B, T),), 0, 0),
    ("median_nan_form", median_nan_form, (gappy(B, T),), 0, 0),
    ("seasonal_decompose", seasonal_decompose, (walk(B, T) + np.tile([2.0, 0, -1, -1], T // 4),), 0, 0),
    ("moving_average_decompose", moving_average_decompose, (walk(B, T),), 0, 0),
    ("detrend_quadratic", detrend_quadratic, (walk(B, T),), 0, 0),
    ("resample_reshape", resample_reshape, (walk(B, T),), 0, 0),
    ("resample_reduceat", resample_reduceat, (walk(B, T),), 0, 0),
    ("ohlc", ohlc, (prices(B, T),), 0, 0),
    ("lag_matrix", lag_matrix, (walk(B, T),), 0, 0),
    ("ar_ols_lstsq", ar_ols_lstsq, (walk(B, T),), 0, 0),
    ("ols_trend_season", ols_trend_season, (walk(B, T),), 0, 0),
    ("ar_forecast", ar_forecast, (walk(B, T), (0.5, 0.2, 0.1)), (0, None), 0),
    ("ar_forecast_traced_coefs", ar_forecast, (walk(B, T), rng.uniform(-0.3, 0.3, (B, 3))), 0, 0),
    ("lag_shift_nan", lag_shift_nan, (walk(B, T),), 0, 0),
    ("kalman_1d", kalman_1d, (walk(B, T),), 0, 0),
    ("kalman_local_linear", kalman_local_linear, (walk(B, T),), 0, 0),
    ("kalman_shared_noise", kalman_shared_noise, (walk(B, T), 0.01, rng.uniform(0.1, 1, B)), (0, None, 0), 0),
    ("cusum_first_alarm_where", cusum_first_alarm_where,
     (np.concatenate([rng.randn(B, 12), rng.randn(B, 12) + 2 * (np.arange(B) % 2)[:, None]], 1),), 0, 0),
    ("cusum_where", cusum_where, (rng.randn(B, T),), 0, 0),
    ("changepoint_scores", changepoint_scores, (np.concatenate([rng.randn(B, 10), rng.randn(B, 14) + 1.5], 1),), 0, 0),
    ("changepoint_cumsum", changepoint_cumsum, (np.concatenate([rng.randn(B, 10), rng.randn(B, 14) + 1.5], 1),), 0, 0),
    ("convolve_modes_shared_kernel", convolve_modes, (walk(B, T), np.array([0.25, 0.5, 0.25, 0.1])), (0, None), 0),
    ("convolve_modes_per_example", convolve_modes, (walk(B, T), rng.rand(B, 5)), 0, 0),
    ("hann_smooth", hann_smooth, (walk(B, T),), 0, 0),
    ("returns_histogram", returns_histogram, (prices(B, T),), 0, 0),
    ("returns_histogram_range", returns_histogram_range, (prices(B, T),), 0, 0),
    ("histogram_density", histogram_density, (walk(B, T),), 0, 0),
    ("daily_counts_summary_int", daily_counts_summary, (rng.poisson(5, (B, 28)),), 0, 0),
    ("int_rolling_sum", int_rolling_sum, (rng.randint(0, 9, (B, T)),), 0, 0),
    ("float32_ewma", float32_ewma, (walk(B, T).astype(np.float32),), 0, 0),
    ("float32_returns_vol", float32_returns_vol, (prices(B, T).astype(np.float32),), 0, 0),
    ("float32_rolling_stats", rolling_stats_view, (walk(B, T).astype(np.float32),), 0, 0),
    ("weighted_ma_shared", weighted_ma_shared, (walk(B, T), np.arange(1.0, 5.0)), (0, None), 0),
    ("series_on_axis1", series_on_axis1, (walk(B, T).T,), 1, (0, 1)),
    ("beta_to_market_shared", beta_to_market, (0.01 * rng.randn(B, T), 0.01 * rng.randn(T)), (0, None), 0),
    ("holt_linear_out_axis1", holt_linear, (walk(B, T),), 0, 1),
    ("nested_windows", nested_windows, (prices(3, T), rng.rand(B, T - 1)), (None, 0), 0),
    ("nested_assets_windows", nested_assets_windows, (prices(3, T), rng.rand(B, T - 1)), (0, None), 0),
    ("nested_rolling_axis1", nested_rolling_axis1, (walk(B, T, 3),), 0, 0),
]

REFUSED = [
    ("cusum_first_alarm_if", cusum, (np.concatenate([rng.randn(B, 12), rng.randn(B, 12) + 2], 1),), 0,
     TracerConversionError, r"Python `if`.*computed from argument 0 \('x'\).*np\.where\(cond, x, y\)",
     "cusum_first_alarm_where"),
    ("ewma_if_nan_continue", ewma_if_first, (gappy(B, T),), 0, TracerConversionError,
     r"Python `if`.*computed from argument 0 \('x'\).*np\.where\(cond, x, y\)", "ewma_skip_nan"),
    ("median_of_kept", median_of_kept, (gappy(B, T),), 0, NotImplementedError,
     r"numpy\.median of x\[mask\] with a traced mask.*np\.nanmedian\(np\.where\(mask, x, np\.nan\)\)",
     "median_nan_form"),
]

(test_series_corpus_function, test_series_corpus_refusal_and_its_rewrite,
 test_series_corpus_size) = corpus_tests(CASES, REFUSED, (86, 3))
