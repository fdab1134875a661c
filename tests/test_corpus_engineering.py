"""Per-example NumPy code from image processing, robotics and graphics, probabilistic
inference, classic algorithms and audio, as people write it (local arrays filled by index
in Python loops, DP tables, hand-written sorts with tuple swaps, ``np.array([...])`` of
traced scalars, closures over tables, helpers, tuples and dicts returned, dtype juggling,
``out=`` and in-place ops, in_axes=None for shared params, batch on axis 1, out_axes,
nested vmap), each function unmodified, against the loop oracle on every backend and plan
kind.

Of these 88 cases (82 functions) 81 batched when first written, and none gave a wrong
answer. The 7 others batch now: a list index holding a traced int (``A[[k, p]] = A[[p, k]]``,
the row swap of LU with partial pivoting) is a traced index array (gvmap/numpy/indexing.py);
``np.copyto``, ``np.putmask`` (gvmap/numpy/inplace.py), ``np.unravel_index`` /
``np.ravel_multi_index`` (gvmap/numpy/idioms.py), ``np.fmax.accumulate`` and
``np.fft.fftshift`` (gvmap/numpy/fft.py) are compositions; ``np.multiply(y, 0.5, out=y)``
(a ufunc's out= a local array) is a write into y. DTW with Python's ``min()`` of three
traced values, refused at first, batches since the builtin is Python's fold made of selects
(gvmap/pybuiltins.py). The 2 in ``REFUSED`` are refused with a message naming the rewrite,
which is a case here: Python ``if`` on traced values (a bubble sort with
``if a[j] > a[j + 1]``) and ``np.fft.rfft`` (complex results; the real DFT tables give the
magnitude spectrum).
"""
from __future__ import annotations

import numpy as np

import gvmap
from gvmap.errors import TracerConversionError
from corpus import corpus_tests

rng = np.random.RandomState(20261203)
B = 6  # examples per batch


# --- image processing --------------------------------------------------------------------
def rgb_to_gray(img):
    # img: (H, W, 3) floats in [0, 1]
    return img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114


def rgb_to_hsv(rgb):
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    maxc = np.max(rgb, axis=-1)
    minc = np.min(rgb, axis=-1)
    v = maxc
    delta = maxc - minc
    s = np.where(maxc > 0, delta / np.where(maxc > 0, maxc, 1), 0.0)
    safe = np.where(delta > 0, delta, 1.0)
    rc = (maxc - r) / safe
    gc = (maxc - g) / safe
    bc = (maxc - b) / safe
    h = np.where(r == maxc, bc - gc, np.where(g == maxc, 2.0 + rc - bc, 4.0 + gc - rc))
    h = (h / 6.0) % 1.0
    h[delta == 0] = 0.0
    return np.stack([h, s, v], axis=-1)


def gamma_uint8(img, gamma=2.2):
    f = img.astype(np.float32) / 255.0
    out = np.power(f, 1.0 / gamma)
    return (out * 255 + 0.5).astype(np.uint8)


def normalize_image(img):
    mean = img.mean(axis=(0, 1))
    std = img.std(axis=(0, 1))
    return (img - mean) / (std + 1e-8)


def box_blur3(img):
    H, W = img.shape
    p = np.pad(img, 1, mode="edge")
    out = np.zeros_like(img)
    for dy in range(3):
        for dx in range(3):
            out += p[dy:dy + H, dx:dx + W]
    return out / 9.0


SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)


def filter3x3(img, k):
    H, W = img.shape
    out = np.zeros((H - 2, W - 2))
    for i in range(3):
        for j in range(3):
            out += k[i, j] * img[i:i + H - 2, j:j + W - 2]
    return out


def sobel(img):
    gx = filter3x3(img, SOBEL_X)
    gy = filter3x3(img, SOBEL_X.T)
    mag = np.hypot(gx, gy)
    ang = np.arctan2(gy, gx)
    return mag, np.degrees(ang)


def nms_3x3(resp):
    H, W = resp.shape
    p = np.pad(resp, 1, constant_values=-np.inf)
    neigh = np.stack([p[i:i + H, j:j + W] for i in range(3) for j in range(3) if (i, j) != (1, 1)])
    is_max = resp > neigh.max(axis=0)
    return np.where(is_max & (resp > 0.5), resp, 0.0), is_max.sum()


def hist_equalize(img, bins=16):
    # img: uint8 (H, W)
    hist, _ = np.histogram(img, bins=bins, range=(0, 256))
    cdf = hist.cumsum()
    cdf = cdf / cdf[-1]
    idx = (img.astype(np.int64) * bins) // 256
    return (cdf[idx] * 255).astype(np.uint8)


def hist_by_compare(img, bins=8):
    edges = np.linspace(0, 1, bins + 1)
    counts = np.zeros(bins, dtype=np.int64)
    for b in range(bins):
        counts[b] = np.sum((img >= edges[b]) & (img < edges[b + 1]))
    return counts


def bilinear_sample(img, x, y):
    H, W = img.shape
    x = np.clip(x, 0, W - 1.001)
    y = np.clip(y, 0, H - 1.001)
    x0 = np.floor(x).astype(int)
    y0 = np.floor(y).astype(int)
    fx = x - x0
    fy = y - y0
    top = img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx
    bot = img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bot * fy


def composite_background(img, bg, alpha):
    out = np.empty_like(img)
    np.copyto(out, bg)
    np.copyto(out, img, where=alpha[..., None] > 0.5)
    return out


def brightest_pixel(img):
    gray = img.mean(axis=-1)
    r, c = np.unravel_index(np.argmax(gray), gray.shape)
    return np.array([r, c]), img[r, c], np.ravel_multi_index((r, c), gray.shape)


def integral_image(img):
    ii = img.cumsum(axis=0).cumsum(axis=1)
    ii = np.pad(ii, ((1, 0), (1, 0)))
    # sum of every 2x2 box from the integral image
    return ii, ii[2:, 2:] - ii[:-2, 2:] - ii[2:, :-2] + ii[:-2, :-2]


def erode_dilate(mask):
    H, W = mask.shape
    p = np.pad(mask, 1, mode="constant")
    er = np.ones_like(mask)
    di = np.zeros_like(mask)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            win = p[dy:dy + H, dx:dx + W]
            er = np.minimum(er, win)
            di = np.maximum(di, win)
    return er, di


def image_moments(img):
    H, W = img.shape
    ys, xs = np.mgrid[0:H, 0:W]
    m00 = img.sum()
    cx = (xs * img).sum() / m00
    cy = (ys * img).sum() / m00
    mu20 = ((xs - cx) ** 2 * img).sum() / m00
    mu02 = ((ys - cy) ** 2 * img).sum() / m00
    mu11 = ((xs - cx) * (ys - cy) * img).sum() / m00
    theta = 0.5 * np.arctan2(2 * mu11, mu20 - mu02)
    return {"centroid": (cx, cy), "cov": np.array([[mu20, mu11], [mu11, mu02]]), "theta": theta}


def apply_homography(Hm, pts):
    # pts: (N, 2)
    ph = np.hstack([pts, np.ones((pts.shape[0], 1))])
    q = (Hm @ ph.T).T
    return q[:, :2] / q[:, 2:3]


def patch_descriptor(patch):
    gx = np.zeros_like(patch)
    gy = np.zeros_like(patch)
    gx[:, 1:-1] = (patch[:, 2:] - patch[:, :-2]) / 2
    gy[1:-1, :] = (patch[2:, :] - patch[:-2, :]) / 2
    mag = np.sqrt(gx ** 2 + gy ** 2)
    ori = np.arctan2(gy, gx) % (2 * np.pi)
    b = (ori / (2 * np.pi) * 8).astype(np.int64) % 8
    desc = np.zeros(8)
    np.add.at(desc, b.ravel(), mag.ravel())
    return desc / (np.linalg.norm(desc) + 1e-7)


def threshold_otsu_like(img, levels=8):
    ts = np.linspace(0.1, 0.9, levels)
    scores = []
    for t in ts:
        fg = img > t
        w1 = fg.mean()
        w0 = 1 - w1
        m1 = np.where(fg, img, 0).sum() / np.maximum(fg.sum(), 1)
        m0 = np.where(~fg, img, 0).sum() / np.maximum((~fg).sum(), 1)
        scores.append(w0 * w1 * (m0 - m1) ** 2)
    scores = np.array(scores)
    return ts[np.argmax(scores)], scores


# --- robotics and graphics ---------------------------------------------------------------
def quat_mul(q, r):
    w0, x0, y0, z0 = q
    w1, x1, y1, z1 = r
    return np.array([
        w0 * w1 - x0 * x1 - y0 * y1 - z0 * z1,
        w0 * x1 + x0 * w1 + y0 * z1 - z0 * y1,
        w0 * y1 - x0 * z1 + y0 * w1 + z0 * x1,
        w0 * z1 + x0 * y1 - y0 * x1 + z0 * w1,
    ])


def quat_normalize(q):
    q = q / np.linalg.norm(q)
    if q.shape[0] == 4:
        q = np.where(q[0] < 0, -q, q)
    return q


def quat_to_matrix(q):
    w, x, y, z = q / np.sqrt(np.sum(q * q))
    R = np.empty((3, 3))
    R[0, 0] = 1 - 2 * (y * y + z * z)
    R[0, 1] = 2 * (x * y - z * w)
    R[0, 2] = 2 * (x * z + y * w)
    R[1, 0] = 2 * (x * y + z * w)
    R[1, 1] = 1 - 2 * (x * x + z * z)
    R[1, 2] = 2 * (y * z - x * w)
    R[2, 0] = 2 * (x * z - y * w)
    R[2, 1] = 2 * (y * z + x * w)
    R[2, 2] = 1 - 2 * (x * x + y * y)
    return R


def slerp(q0, q1, t):
    q0 = q0 / np.linalg.norm(q0)
    q1 = q1 / np.linalg.norm(q1)
    dot = np.dot(q0, q1)
    q1 = np.where(dot < 0, -q1, q1)
    dot = np.abs(dot)
    dot = np.clip(dot, -1.0, 1.0)
    theta = np.arccos(dot)
    sin_t = np.sin(theta)
    near = sin_t < 1e-6
    s0 = np.where(near, 1 - t, np.sin((1 - t) * theta) / np.where(near, 1, sin_t))
    s1 = np.where(near, t, np.sin(t * theta) / np.where(near, 1, sin_t))
    out = s0 * q0 + s1 * q1
    return out / np.linalg.norm(out)


def skew(v):
    return np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])


def rodrigues(rvec):
    theta = np.linalg.norm(rvec)
    k = rvec / theta
    K = skew(k)
    return np.eye(3) + np.sin(theta) * K + (1 - np.cos(theta)) * (K @ K)


def rotate_rodrigues(v, axis, angle):
    k = axis / np.linalg.norm(axis)
    return v * np.cos(angle) + np.cross(k, v) * np.sin(angle) + k * np.dot(k, v) * (1 - np.cos(angle))


def matrix_to_euler(R):
    sy = np.sqrt(R[0, 0] ** 2 + R[1, 0] ** 2)
    singular = sy < 1e-6
    x = np.where(singular, np.arctan2(-R[1, 2], R[1, 1]), np.arctan2(R[2, 1], R[2, 2]))
    y = np.arctan2(-R[2, 0], sy)
    z = np.where(singular, 0.0, np.arctan2(R[1, 0], R[0, 0]))
    return np.array([x, y, z])


def make_transform(R, t):
    T = np.eye(4)
    T[:3, :3] = R
    T[:3, 3] = t
    return T


def invert_transform(T):
    R = T[:3, :3]
    t = T[:3, 3]
    Ti = np.eye(4)
    Ti[:3, :3] = R.T
    Ti[:3, 3] = -R.T @ t
    return Ti


def transform_roundtrip(R, t, pts):
    T = make_transform(R, t)
    Ti = invert_transform(T)
    ph = np.concatenate([pts, np.ones((len(pts), 1))], axis=1)
    moved = ph @ T.T
    back = moved @ Ti.T
    return moved[:, :3], back[:, :3], np.linalg.inv(T)


LINKS = [1.0, 0.8, 0.5]


def planar_fk(thetas):
    x, y, phi = 0.0, 0.0, 0.0
    joints = np.zeros((len(LINKS) + 1, 2))
    for i, L in enumerate(LINKS):
        phi = phi + thetas[i]
        x = x + L * np.cos(phi)
        y = y + L * np.sin(phi)
        joints[i + 1] = [x, y]
    return joints, phi


def planar_jacobian(thetas):
    phis = np.cumsum(thetas)
    L = np.array(LINKS)
    J = np.zeros((2, len(L)))
    for i in range(len(L)):
        J[0, i] = -np.sum(L[i:] * np.sin(phis[i:]))
        J[1, i] = np.sum(L[i:] * np.cos(phis[i:]))
    return J


def ray_sphere(o, d, center, radius):
    d = d / np.linalg.norm(d)
    oc = o - center
    b = np.dot(oc, d)
    c = np.dot(oc, oc) - radius * radius
    disc = b * b - c
    hit = disc >= 0
    t = -b - np.sqrt(np.maximum(disc, 0.0))
    t = np.where(hit & (t > 0), t, np.inf)
    return hit, t


def ray_plane(o, d, n, p0):
    denom = d @ n
    parallel = np.abs(denom) < 1e-9
    t = np.where(parallel, np.nan, ((p0 - o) @ n) / np.where(parallel, 1.0, denom))
    return t, o + t * d


def moller_trumbore(orig, d, v0, v1, v2, eps=1e-9):
    e1 = v1 - v0
    e2 = v2 - v0
    p = np.cross(d, e2)
    det = e1.dot(p)
    inv = 1.0 / det
    s = orig - v0
    u = s.dot(p) * inv
    q = np.cross(s, e1)
    v = d.dot(q) * inv
    t = e2.dot(q) * inv
    ok = (np.abs(det) > eps) & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > eps)
    return np.where(ok, t, -1.0), (u, v)


def barycentric(p, a, b, c):
    v0, v1, v2 = b - a, c - a, p - a
    d00 = v0 @ v0
    d01 = v0 @ v1
    d11 = v1 @ v1
    d20 = v2 @ v0
    d21 = v2 @ v1
    denom = d00 * d11 - d01 * d01
    v = (d11 * d20 - d01 * d21) / denom
    w = (d00 * d21 - d01 * d20) / denom
    return np.array([1.0 - v - w, v, w])


K_CAM = np.array([[500.0, 0, 320], [0, 500.0, 240], [0, 0, 1]])


def project_points(X, R, t):
    # X: (N, 3) world points
    Xc = X @ R.T + t
    uvw = Xc @ K_CAM.T
    uv = uvw[:, :2] / uvw[:, [2]]
    visible = Xc[:, 2] > 0
    return uv, visible


def phong(n, l, v, kd=0.7, ks=0.3, shininess=16):
    n = n / np.linalg.norm(n)
    l = l / np.linalg.norm(l)
    v = v / np.linalg.norm(v)
    ndl = np.maximum(np.dot(n, l), 0.0)
    r = 2 * np.dot(n, l) * n - l
    spec = np.maximum(np.dot(r, v), 0.0) ** shininess
    spec = np.where(ndl > 0, spec, 0.0)
    return kd * ndl + ks * spec


def look_at(eye, target, up=np.array([0.0, 0.0, 1.0])):
    f = target - eye
    f /= np.linalg.norm(f)
    s = np.cross(f, up)
    s /= np.linalg.norm(s)
    u = np.cross(s, f)
    M = np.identity(4)
    M[0, :3], M[1, :3], M[2, :3] = s, u, -f
    M[:3, 3] = -M[:3, :3] @ eye
    return M


# --- probabilistic inference -------------------------------------------------------------
def gauss_logpdf(x, mu, cov):
    d = x.shape[0]
    diff = x - mu
    L = np.linalg.cholesky(cov)
    z = np.linalg.solve(L, diff)
    logdet = 2 * np.sum(np.log(np.diag(L)))
    return -0.5 * (d * np.log(2 * np.pi) + logdet + z @ z)


def logsumexp(a, axis=None):
    m = np.max(a, axis=axis, keepdims=True)
    s = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return np.squeeze(s, axis=axis) if axis is not None else s.reshape(())


GMM_W = np.array([0.5, 0.3, 0.2])
GMM_MU = rng.randn(3, 2)
GMM_SIG = np.array([0.5, 1.0, 2.0])


def gmm_loglik(X):
    # X: (N, 2), isotropic components
    d2 = ((X[:, None, :] - GMM_MU[None]) ** 2).sum(-1)
    logp = (np.log(GMM_W) - X.shape[1] * np.log(GMM_SIG) - 0.5 * X.shape[1] * np.log(2 * np.pi)
            - 0.5 * d2 / GMM_SIG ** 2)
    ll = logsumexp(logp, axis=1)
    resp = np.exp(logp - ll[:, None])
    return ll.sum(), resp


HMM_A = np.array([[0.8, 0.15, 0.05], [0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])
HMM_E = np.array([[0.6, 0.3, 0.1], [0.2, 0.6, 0.2], [0.1, 0.3, 0.6]])
HMM_PI = np.array([0.5, 0.3, 0.2])


def hmm_forward(obs):
    T = obs.shape[0]
    alpha = np.zeros((T, 3))
    alpha[0] = HMM_PI * HMM_E[:, obs[0]]
    c = np.zeros(T)
    c[0] = alpha[0].sum()
    alpha[0] /= c[0]
    for t in range(1, T):
        alpha[t] = (alpha[t - 1] @ HMM_A) * HMM_E[:, obs[t]]
        c[t] = alpha[t].sum()
        alpha[t] /= c[t]
    return np.log(c).sum(), alpha


def viterbi(obs):
    T, S = obs.shape[0], HMM_A.shape[0]
    logA, logE = np.log(HMM_A), np.log(HMM_E)
    delta = np.zeros((T, S))
    psi = np.zeros((T, S), dtype=int)
    delta[0] = np.log(HMM_PI) + logE[:, obs[0]]
    for t in range(1, T):
        scores = delta[t - 1][:, None] + logA
        psi[t] = np.argmax(scores, axis=0)
        delta[t] = np.max(scores, axis=0) + logE[:, obs[t]]
    path = np.zeros(T, dtype=int)
    path[-1] = np.argmax(delta[-1])
    for t in range(T - 2, -1, -1):
        path[t] = psi[t + 1, path[t + 1]]
    return path, delta[-1].max()


KF_F = np.array([[1.0, 0.1], [0.0, 1.0]])
KF_H = np.array([[1.0, 0.0]])
KF_Q = np.eye(2) * 1e-3
KF_R = np.array([[0.05]])


def kalman_step(x, P, z):
    # predict
    x = KF_F @ x
    P = KF_F @ P @ KF_F.T + KF_Q
    # update
    y = z - KF_H @ x
    S = KF_H @ P @ KF_H.T + KF_R
    K = P @ KF_H.T @ np.linalg.inv(S)
    x = x + K @ y
    P = (np.eye(2) - K @ KF_H) @ P
    return x, P


def kalman_filter(zs):
    x = np.zeros(2)
    P = np.eye(2)
    xs = np.empty((zs.shape[0], 2))
    for k in range(zs.shape[0]):
        x, P = kalman_step(x, P, zs[k:k + 1])
        xs[k] = x
    return xs, np.trace(P)


def kalman_update_solve(x, P, z, H, R):
    S = H @ P @ H.T + R
    K = np.linalg.solve(S, H @ P).T
    innov = z - H @ x
    return x + K @ innov, P - K @ S @ K.T, innov @ np.linalg.solve(S, innov)


def particle_weights(logw):
    w = np.exp(logw - logw.max())
    w /= w.sum()
    ess = 1.0 / np.sum(w ** 2)
    return w, ess


def systematic_resample(w, u0):
    N = w.shape[0]
    positions = (np.arange(N) + u0) / N
    cs = np.cumsum(w / w.sum())
    cs[-1] = 1.0
    return np.searchsorted(cs, positions)


def entropy_kl(p, q):
    p = p / p.sum()
    q = q / q.sum()
    H = -np.sum(np.where(p > 0, p * np.log(p), 0.0))
    kl = np.sum(p * np.log(p / q))
    return H, kl, np.sum(p * np.log2(p / q))


def dirichlet_logpdf(x, alpha):
    from math import lgamma
    norm = sum(lgamma(a) for a in alpha) - lgamma(sum(alpha))
    return np.sum((np.asarray(alpha) - 1) * np.log(x)) - norm


def beta_bernoulli_update(a, b, flips):
    heads = np.sum(flips)
    tails = flips.size - heads
    a_post, b_post = a + heads, b + tails
    mean = a_post / (a_post + b_post)
    var = a_post * b_post / ((a_post + b_post) ** 2 * (a_post + b_post + 1))
    return mean, var


# --- classic algorithms with static sizes ------------------------------------------------
def dtw(a, b):
    n, m = len(a), len(b)
    D = np.full((n + 1, m + 1), np.inf)
    D[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost = abs(a[i - 1] - b[j - 1])
            D[i, j] = cost + min(D[i - 1, j], D[i, j - 1], D[i - 1, j - 1])
    return D[n, m]


def dtw_np_min(a, b):
    n, m = a.shape[0], b.shape[0]
    D = np.full((n + 1, m + 1), np.inf)
    D[0, 0] = 0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            D[i, j] = np.abs(a[i - 1] - b[j - 1]) + np.min([D[i - 1, j], D[i, j - 1], D[i - 1, j - 1]])
    return D[1:, 1:]


def edit_distance(s, t):
    n, m = s.shape[0], t.shape[0]
    d = np.zeros((n + 1, m + 1), dtype=np.int64)
    d[:, 0] = np.arange(n + 1)
    d[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub = d[i - 1, j - 1] + (s[i - 1] != t[j - 1])
            d[i, j] = np.minimum(np.minimum(d[i - 1, j] + 1, d[i, j - 1] + 1), sub)
    return d[n, m]


def bisection_sqrt(c, iters=40):
    lo = np.zeros_like(c)
    hi = np.maximum(c, 1.0)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        too_big = mid * mid > c
        hi = np.where(too_big, mid, hi)
        lo = np.where(too_big, lo, mid)
    return 0.5 * (lo + hi)


def newton_cubic_root(a, iters=20):
    x = np.where(a > 1, a / 3, 1.0)
    for _ in range(iters):
        x = x - (x ** 3 - a) / (3 * x ** 2)
    return x


def kepler_fixed_point(M, e, n=30):
    E = M.copy()
    for _ in range(n):
        E = M + e * np.sin(E)
    return E


def bubble_sort(a):
    a = a.copy()
    n = len(a)
    for i in range(n):
        for j in range(n - 1 - i):
            swap = a[j] > a[j + 1]
            lo = np.where(swap, a[j + 1], a[j])
            hi = np.where(swap, a[j], a[j + 1])
            a[j], a[j + 1] = lo, hi
    return a


def bubble_sort_if(a):
    a = a.copy()
    for i in range(len(a)):
        for j in range(len(a) - 1 - i):
            if a[j] > a[j + 1]:
                a[j], a[j + 1] = a[j + 1], a[j]
    return a


def insertion_sort(x):
    x = np.array(x, dtype=np.float64)
    for i in range(1, x.shape[0]):
        for j in range(i, 0, -1):
            a, b = x[j - 1], x[j]
            x[j - 1] = np.minimum(a, b)
            x[j] = np.maximum(a, b)
    return x


def swap_rows_fixed(M):
    M = M.copy()
    M[[0, 2]] = M[[2, 0]]
    M[:, 0], M[:, 1] = M[:, 1].copy(), M[:, 0].copy()
    return M


def running_max(x):
    out = np.empty_like(x)
    cur = -np.inf
    for i in range(x.shape[0]):
        cur = np.maximum(cur, x[i])
        out[i] = cur
    return out, np.maximum.accumulate(x), np.fmax.accumulate(x)


def horner(coeffs, x):
    acc = np.zeros_like(x)
    for c in coeffs:
        acc = acc * x + c
    return acc, np.polyval(coeffs, x)


def life_step(grid):
    n = sum(np.roll(np.roll(grid, dy, 0), dx, 1)
            for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))
    return ((n == 3) | ((grid == 1) & (n == 2))).astype(grid.dtype)


def rule30_step(cells):
    left = np.roll(cells, 1)
    right = np.roll(cells, -1)
    pattern = (left << 2) | (cells << 1) | right
    return (30 >> pattern) & 1


def gcd_euclid(a, b, steps=12):
    for _ in range(steps):
        nz = b != 0
        a, b = np.where(nz, b, a), np.where(nz, a % np.where(nz, b, 1), 0)
    return a


def matrix_power_loop(M, k=5):
    R = np.eye(M.shape[0])
    for _ in range(k):
        R = R @ M
    return R, np.linalg.matrix_power(M, k)


def knapsack_dp(values, weights_, cap=10):
    # weights_ are shared static ints, values per example
    best = np.zeros(cap + 1)
    for i in range(len(weights_)):
        w = weights_[i]
        new = best.copy()
        new[w:] = np.maximum(best[w:], best[:cap + 1 - w] + values[i])
        best = new
    return best[cap]


def lu_partial_pivot(A):
    A = A.astype(float).copy()
    n = A.shape[0]
    perm = np.arange(n)
    for k in range(n - 1):
        p = np.argmax(np.abs(A[k:, k])) + k
        A[[k, p]] = A[[p, k]]
        perm[[k, p]] = perm[[p, k]]
        A[k + 1:, k] /= A[k, k]
        A[k + 1:, k + 1:] -= np.outer(A[k + 1:, k], A[k, k + 1:])
    return A, perm


def swap_rows_views(M):
    # M[0], M[1] = M[1], M[0] assigns a view: NumPy leaves both rows equal to the old M[1]
    M = M.copy()
    M[0], M[1] = M[1], M[0]
    return M


def reverse_by_swaps(a):
    a = a.copy()
    n = len(a)
    for i in range(n // 2):
        a[i], a[n - 1 - i] = a[n - 1 - i], a[i]
    return a


def peak_location(img):
    i = np.argmax(img)
    r, c = divmod(i, img.shape[1])
    return i, (r, c), img[r, c], np.sort(img, axis=None)[-3:]


# --- audio -------------------------------------------------------------------------------
def pre_emphasis(x, coef=0.97):
    return np.append(x[0], x[1:] - coef * x[:-1])


def frame_signal(x, frame_len=8, hop=4):
    n_frames = 1 + (len(x) - frame_len) // hop
    frames = np.zeros((n_frames, frame_len), dtype=x.dtype)
    for i in range(n_frames):
        frames[i, :] = x[i * hop:i * hop + frame_len]
    return frames * np.hanning(frame_len)


def hann_rms(x, frame_len=8, hop=4):
    idx = np.arange(frame_len)[None, :] + hop * np.arange((len(x) - frame_len) // hop + 1)[:, None]
    frames = x[idx] * (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame_len) / (frame_len - 1)))
    return np.sqrt(np.mean(frames ** 2, axis=1))


def zero_crossing_rate(x):
    signs = np.sign(x)
    signs[signs == 0] = 1
    return np.mean(np.abs(np.diff(signs)) / 2), np.sum(x[:-1] * x[1:] < 0)


def autocorr_pitch(x, fs=100.0, min_lag=3):
    x = x - x.mean()
    ac = np.correlate(x, x, mode="full")[len(x) - 1:]
    ac = ac / ac[0]
    lag = np.argmax(ac[min_lag:]) + min_lag
    return fs / lag, ac


BQ_B = np.array([0.2, 0.4, 0.2])
BQ_A = np.array([1.0, -0.3, 0.1])


def biquad(x):
    y = np.zeros_like(x)
    x1 = x2 = y1 = y2 = 0.0
    for n in range(len(x)):
        y[n] = BQ_B[0] * x[n] + BQ_B[1] * x1 + BQ_B[2] * x2 - BQ_A[1] * y1 - BQ_A[2] * y2
        x2, x1 = x1, x[n]
        y2, y1 = y1, y[n]
    return y


def one_pole_lowpass_f32(x, a=0.1):
    y = np.empty_like(x)
    acc = np.float32(0)
    for i in range(x.shape[0]):
        acc = acc + np.float32(a) * (x[i] - acc)
        y[i] = acc
    return y


def pcm16_roundtrip(x):
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)
    back = pcm.astype(np.float32) / 32768.0
    return pcm, back, np.abs(back - x).max()


def spectral_centroid(x, fs=1000.0):
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), d=1.0 / fs)
    return np.sum(freqs * spec) / np.sum(spec)


def spectral_centroid_dft(x, fs=1000.0):
    n = len(x)
    k = np.arange(n // 2 + 1)[:, None]
    xw = x * np.hanning(n)
    re = np.cos(2 * np.pi * k * np.arange(n) / n) @ xw
    im = -np.sin(2 * np.pi * k * np.arange(n) / n) @ xw
    spec = np.hypot(re, im)
    freqs = np.fft.rfftfreq(n, d=1.0 / fs)
    return np.sum(freqs * spec) / np.sum(spec), np.fft.fftshift(spec)


def mu_law(x, mu=255):
    y = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    q = ((y + 1) / 2 * mu + 0.5).astype(np.int32)
    return q, np.sign(y) * (1 / mu) * ((1 + mu) ** np.abs(y) - 1)


def envelope_follower(x, attack=0.5, release=0.05):
    env = np.zeros(x.shape)
    e = 0.0
    for i, s in enumerate(np.abs(x)):
        coef = np.where(s > e, attack, release)
        e = e + coef * (s - e)
        env[i] = e
    return env


def delay_echo(x, d=3, g=0.5):
    y = x.copy()
    y[d:] += g * x[:-d]
    np.multiply(y, 0.5, out=y)
    return y


def delay_echo_scaled(x, d=3, g=0.5):
    y = x.copy()
    y[d:] += g * x[:-d]
    y *= 0.5
    return y


def hard_clip_putmask(x, limit=0.8):
    y = x.copy()
    np.putmask(y, y > limit, limit)
    np.putmask(y, y < -limit, -limit)
    return y, np.count_nonzero(np.abs(x) > limit)


# --- transforms: in_axes / out_axes / nested vmap ----------------------------------------
def per_pixel_then_pool(img):
    # inner vmap over pixels of the image, an HSV per pixel then the mean
    hsv = gvmap.vmap(rgb_to_hsv)(img.reshape(-1, 3))
    return hsv.mean(axis=0)


def per_point_projection(X, R, t):
    return gvmap.vmap(lambda p: K_CAM @ (R @ p + t))(X)


def posterior_predictive(mu, Sigma_shared, x):
    return gauss_logpdf(x, mu, Sigma_shared)


def unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def quats(*shape):
    return unit(rng.randn(*shape, 4))


def rotations(n):
    return np.stack([quat_to_matrix(q) for q in quats(n)])


def spd(n, d):
    A = rng.randn(n, d, d)
    return A @ A.transpose(0, 2, 1) + d * np.eye(d)


IMG = rng.rand(B, 6, 7)
TRI = rng.randn(3, 3)

# (name, function, args, in_axes, out_axes)
CASES = [
    ("rgb_to_gray", rgb_to_gray, (rng.rand(B, 5, 4, 3),), 0, 0),
    ("rgb_to_hsv", rgb_to_hsv, (np.concatenate([rng.rand(B, 4, 3), np.full((B, 1, 3), 0.4)], 1),), 0, 0),
    ("gamma_uint8", gamma_uint8, (rng.randint(0, 256, (B, 4, 5)).astype(np.uint8),), 0, 0),
    ("normalize_image", normalize_image, (rng.rand(B, 5, 4, 3),), 0, 0),
    ("box_blur3", box_blur3, (IMG,), 0, 0),
    ("sobel", sobel, (IMG,), 0, 0),
    ("nms_3x3", nms_3x3, (IMG,), 0, 0),
    ("hist_equalize", hist_equalize, (rng.randint(0, 256, (B, 8, 8)).astype(np.uint8),), 0, 0),
    ("hist_by_compare", hist_by_compare, (IMG,), 0, 0),
    ("bilinear_sample", bilinear_sample, (IMG, rng.uniform(-1, 8, (B, 10)), rng.uniform(-1, 7, (B, 10))), 0, 0),
    ("bilinear_shared_image", bilinear_sample, (IMG[0], rng.uniform(0, 6, B), rng.uniform(0, 5, B)), (None, 0, 0), 0),
    ("integral_image", integral_image, (IMG,), 0, 0),
    ("composite_background", composite_background, (rng.rand(B, 4, 5, 3), rng.rand(4, 5, 3), rng.rand(B, 4, 5)), (0, None, 0), 0),
    ("brightest_pixel", brightest_pixel, (rng.rand(B, 4, 5, 3),), 0, 0),
    ("brightest_pixel_axis1", brightest_pixel, (rng.rand(4, B, 5, 3),), 1, 0),
    ("erode_dilate", erode_dilate, ((rng.rand(B, 6, 6) > 0.4).astype(np.uint8),), 0, 0),
    ("image_moments", image_moments, (IMG,), 0, 0),
    ("apply_homography", apply_homography, (np.eye(3) + 0.1 * rng.randn(B, 3, 3), rng.randn(B, 5, 2)), 0, 0),
    ("homography_shared_points", apply_homography, (np.eye(3) + 0.1 * rng.randn(B, 3, 3), rng.randn(5, 2)), (0, None), 0),
    ("patch_descriptor", patch_descriptor, (rng.rand(B, 6, 6),), 0, 0),
    ("threshold_otsu_like", threshold_otsu_like, (IMG,), 0, 0),
    ("quat_mul", quat_mul, (quats(B), quats(B)), 0, 0),
    ("quat_normalize", quat_normalize, (rng.randn(B, 4),), 0, 0),
    ("quat_to_matrix", quat_to_matrix, (rng.randn(B, 4),), 0, 0),
    ("slerp", slerp, (quats(B), quats(B), rng.rand(B)), 0, 0),
    ("slerp_shared_t_axis1", slerp, (quats(B).T, quats(B).T, 0.3), (1, 1, None), 1),
    ("rodrigues", rodrigues, (rng.randn(B, 3),), 0, 0),
    ("rotate_rodrigues", rotate_rodrigues, (rng.randn(B, 3), rng.randn(B, 3), rng.randn(B)), 0, 0),
    ("matrix_to_euler", matrix_to_euler, (rotations(B),), 0, 0),
    ("transform_roundtrip", transform_roundtrip, (rotations(B), rng.randn(B, 3), rng.randn(B, 4, 3)), 0, 0),
    ("planar_fk", planar_fk, (rng.randn(B, 3),), 0, 0),
    ("planar_jacobian", planar_jacobian, (rng.randn(B, 3),), 0, 0),
    ("ray_sphere", ray_sphere, (rng.randn(B, 3) * 3, rng.randn(B, 3), np.zeros(3), 1.5), (0, 0, None, None), 0),
    ("ray_plane", ray_plane, (rng.randn(B, 3), rng.randn(B, 3), unit(rng.randn(B, 3)), rng.randn(B, 3)), 0, 0),
    ("moller_trumbore", moller_trumbore,
     (rng.randn(B, 3) * 0.2 + [0, 0, -2], unit(rng.randn(B, 3) * 0.2 + [0, 0, 1]), TRI[0], TRI[1], TRI[2]),
     (0, 0, None, None, None), 0),
    ("barycentric", barycentric, (rng.randn(B, 2), rng.randn(B, 2), rng.randn(B, 2), rng.randn(B, 2)), 0, 0),
    ("project_points", project_points, (rng.randn(B, 5, 3) + [0, 0, 4], rotations(B), rng.randn(B, 3) * 0.1), 0, 0),
    ("phong", phong, (rng.randn(B, 3), rng.randn(B, 3), rng.randn(B, 3)), 0, 0),
    ("look_at", look_at, (rng.randn(B, 3) * 5, rng.randn(B, 3)), 0, 0),
    ("gauss_logpdf", gauss_logpdf, (rng.randn(B, 3), rng.randn(B, 3), spd(B, 3)), 0, 0),
    ("gmm_loglik", gmm_loglik, (rng.randn(B, 9, 2),), 0, 0),
    ("hmm_forward", hmm_forward, (rng.randint(0, 3, (B, 7)),), 0, 0),
    ("viterbi", viterbi, (rng.randint(0, 3, (B, 7)),), 0, 0),
    ("kalman_step", kalman_step, (rng.randn(B, 2), spd(B, 2), rng.randn(B, 1)), 0, 0),
    ("kalman_filter", kalman_filter, (np.cumsum(rng.randn(B, 8) * 0.1, axis=1),), 0, 0),
    ("kalman_update_solve", kalman_update_solve,
     (rng.randn(B, 3), spd(B, 3), rng.randn(B, 2), rng.randn(2, 3), np.eye(2) * 0.1), (0, 0, 0, None, None), 0),
    ("particle_weights", particle_weights, (rng.randn(B, 20) * 3,), 0, 0),
    ("systematic_resample", systematic_resample, (rng.rand(B, 10), rng.rand(B)), 0, 0),
    ("entropy_kl", entropy_kl, (rng.rand(B, 5) + 0.1, rng.rand(B, 5) + 0.1), 0, 0),
    ("dirichlet_logpdf", dirichlet_logpdf, (rng.dirichlet(np.ones(4), B), [1.5, 2.0, 0.7, 3.0]), (0, None), 0),
    ("beta_bernoulli_update", beta_bernoulli_update, (1.0, 1.0, rng.randint(0, 2, (B, 12))), (None, None, 0), 0),
    ("dtw_np_min", dtw_np_min, (rng.randn(B, 5), rng.randn(B, 6)), 0, 0),
    ("dtw", dtw, (rng.randn(B, 5), rng.randn(B, 6)), 0, 0),
    ("edit_distance", edit_distance, (rng.randint(0, 3, (B, 6)), rng.randint(0, 3, (B, 5))), 0, 0),
    ("bisection_sqrt", bisection_sqrt, (rng.rand(B, 4) * 10,), 0, 0),
    ("newton_cubic_root", newton_cubic_root, (rng.rand(B) * 20 + 0.1,), 0, 0),
    ("kepler_fixed_point", kepler_fixed_point, (rng.rand(B, 3) * 6, rng.rand(B, 1) * 0.5), 0, 0),
    ("bubble_sort", bubble_sort, (rng.randn(B, 6),), 0, 0),
    ("insertion_sort", insertion_sort, (rng.randint(-5, 5, (B, 6)),), 0, 0),
    ("swap_rows_fixed", swap_rows_fixed, (rng.randn(B, 3, 3),), 0, 0),
    ("running_max", running_max, (rng.randn(B, 8),), 0, 0),
    ("horner", horner, ([2.0, -1.0, 0.5, 3.0], rng.randn(B, 5)), (None, 0), 0),
    ("life_step", life_step, ((rng.rand(B, 6, 6) > 0.6).astype(np.int64),), 0, 0),
    ("rule30_step", rule30_step, (rng.randint(0, 2, (B, 12)),), 0, 0),
    ("gcd_euclid", gcd_euclid, (rng.randint(1, 200, (B, 5)), rng.randint(1, 200, (B, 5))), 0, 0),
    ("matrix_power_loop", matrix_power_loop, (rng.randn(B, 3, 3) * 0.5,), 0, 0),
    ("knapsack_dp", knapsack_dp, (rng.rand(B, 4) * 10, [2, 3, 4, 5]), (0, None), 0),
    ("lu_partial_pivot", lu_partial_pivot, (rng.randn(B, 4, 4),), 0, 0),
    ("swap_rows_views", swap_rows_views, (rng.randn(B, 3, 3),), 0, 0),
    ("reverse_by_swaps", reverse_by_swaps, (rng.randint(0, 9, (B, 5)),), 0, 0),
    ("peak_location_axis1", peak_location, (rng.randn(5, B, 6),), 1, 0),
    ("pre_emphasis", pre_emphasis, (rng.randn(B, 16),), 0, 0),
    ("frame_signal", frame_signal, (rng.randn(B, 20),), 0, 0),
    ("frame_signal_f32", frame_signal, (rng.randn(B, 20).astype(np.float32),), 0, 0),
    ("hann_rms", hann_rms, (rng.randn(B, 20),), 0, 0),
    ("zero_crossing_rate", zero_crossing_rate, (np.round(rng.randn(B, 16), 1),), 0, 0),
    ("autocorr_pitch", autocorr_pitch, (np.sin(np.arange(24) * 2 * np.pi / 6 + rng.rand(B, 1)) + 0.1 * rng.randn(B, 24),), 0, 0),
    ("biquad", biquad, (rng.randn(B, 12),), 0, 0),
    ("one_pole_lowpass_f32", one_pole_lowpass_f32, (rng.randn(B, 10).astype(np.float32),), 0, 0),
    ("pcm16_roundtrip", pcm16_roundtrip, (rng.uniform(-1.1, 1.1, (B, 10)).astype(np.float32),), 0, 0),
    ("spectral_centroid_dft", spectral_centroid_dft, (rng.randn(B, 16),), 0, 0),
    ("mu_law", mu_law, (rng.uniform(-1, 1, (B, 8)),), 0, 0),
    ("envelope_follower", envelope_follower, (rng.randn(B, 10),), 0, 0),
    ("delay_echo_scaled", delay_echo_scaled, (rng.randn(B, 10),), 0, 0),
    ("delay_echo_out", delay_echo, (rng.randn(B, 10),), 0, 0),
    ("delay_echo_scaled_axis1", delay_echo_scaled, (rng.randn(10, B),), 1, 1),
    ("hard_clip_putmask", hard_clip_putmask, (rng.randn(B, 12),), 0, 0),
    ("per_pixel_then_pool", per_pixel_then_pool, (rng.rand(B, 3, 4, 3),), 0, 0),
    ("per_point_projection", per_point_projection, (rng.randn(B, 4, 3), rotations(B), rng.randn(B, 3)), 0, 0),
    ("posterior_predictive_shared_cov", posterior_predictive, (rng.randn(B, 3), spd(1, 3)[0], rng.randn(3)), (0, None, None), 0),
]
# Refused, each with its message and the rewrite (in CASES) that batches:
# (name, function, args, in_axes, error, message pattern, the rewrite's name)
REFUSED = [
    ("bubble_sort_if", bubble_sort_if, (rng.randn(B, 6),), 0,
     TracerConversionError, r"Python `if`.*np\.where\(cond, x, y\)", "bubble_sort"),
    ("spectral_centroid_rfft", spectral_centroid, (rng.randn(B, 16),), 0,
     NotImplementedError, r"numpy\.fft\.rfft.*complex.*np\.hypot\(re, im\) is np\.abs\(np\.fft\.rfft\(x\)\)",
     "spectral_centroid_dft"),
]


(test_engineering_corpus_function, test_engineering_corpus_refusal_and_its_rewrite,
 test_engineering_corpus_size) = corpus_tests(CASES, REFUSED, (90, 2))
