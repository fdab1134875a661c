"""Per-example NumPy code from science and engineering (rigid-body kinematics, physics
steps, geometry and graphics, signal and image processing, numerical methods, units and
dtypes), each function unmodified as a scientist would write it for one example, against
the loop oracle on every backend and plan kind.

Of the first 55 functions 51 batched on arrival; numpy.trapezoid now batches too. Probing
around them found two silent wrong answers, both fixed (tracing.py): a result NumPy copies
(``x.astype(x.dtype)``, ``np.concatenate([x])``, ``x.flatten()``...) was the operand itself,
so a write into one changed the other (``smooth_keeping_original``); and a write into an
untracked view (``img.reshape(4, 4)``, ``out.T``) never reached the array it views
(``paste_patch_via_reshape``, now refused with the rewrite). Of the 62 functions here 61
batch (``np.float64(x)`` of a traced value converts now, and np.bincount(q, minlength=levels)
counts that many bins, checked when it runs); the one in ``REFUSED`` is refused with a
message naming the rewrite, which is in the corpus too.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import gvmap
from oracle import assert_tree_close, oracle

rng = np.random.RandomState(20261202)
B = 7  # batch size

# --- rigid-body kinematics ----------------------------------------------------------


def euler_zyx_to_matrix(angles):
    yaw, pitch, roll = angles
    cz, sz = np.cos(yaw), np.sin(yaw)
    cy, sy = np.cos(pitch), np.sin(pitch)
    cx, sx = np.cos(roll), np.sin(roll)
    Rz = np.array([[cz, -sz, 0.0], [sz, cz, 0.0], [0.0, 0.0, 1.0]])
    Ry = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    Rx = np.array([[1.0, 0.0, 0.0], [0.0, cx, -sx], [0.0, sx, cx]])
    return Rz @ Ry @ Rx


def _qmul(q, r):
    w0, x0, y0, z0 = q
    w1, x1, y1, z1 = r
    return np.array([w0 * w1 - x0 * x1 - y0 * y1 - z0 * z1,
                     w0 * x1 + x0 * w1 + y0 * z1 - z0 * y1,
                     w0 * y1 - x0 * z1 + y0 * w1 + z0 * x1,
                     w0 * z1 + x0 * y1 - y0 * x1 + z0 * w1])


def quat_compose(q, r):
    out = _qmul(q, r)
    out /= np.linalg.norm(out)
    return out


def quat_rotate_vector(q, v):
    q = q / np.sqrt(np.sum(q ** 2))
    qv = np.concatenate([[0.0], v])
    conj = q * np.array([1.0, -1.0, -1.0, -1.0])
    return _qmul(_qmul(q, qv), conj)[1:]


def rodrigues(axis_angle):
    theta = np.linalg.norm(axis_angle)
    k = axis_angle / theta
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(theta) * K + (1 - np.cos(theta)) * (K @ K)


def homogeneous_transform(R_flat, t, points):
    T = np.eye(4)
    T[:3, :3] = R_flat.reshape(3, 3)
    T[:3, 3] = t
    ph = np.hstack([points, np.ones((points.shape[0], 1))])
    return (T @ ph.T).T[:, :3]


LINKS = np.array([1.0, 0.7, 0.4])


def fk_planar_3link(q):
    x, y, phi = 0.0, 0.0, 0.0
    joints = np.zeros((4, 2))
    for i in range(3):
        phi = phi + q[i]
        x = x + LINKS[i] * np.cos(phi)
        y = y + LINKS[i] * np.sin(phi)
        joints[i + 1] = [x, y]
    return joints, phi


def quat_to_euler(q):
    w, x, y, z = q / np.linalg.norm(q)
    roll = np.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    pitch = np.arcsin(np.clip(2 * (w * y - z * x), -1.0, 1.0))
    yaw = np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return np.array([roll, pitch, yaw])


# --- physics ------------------------------------------------------------------------

G = 9.81


def pendulum_rk4(state):
    def deriv(s):
        theta, omega = s
        return np.array([omega, -G / 1.5 * np.sin(theta) - 0.1 * omega])

    dt = 0.01
    for _ in range(10):
        k1 = deriv(state)
        k2 = deriv(state + 0.5 * dt * k1)
        k3 = deriv(state + 0.5 * dt * k2)
        k4 = deriv(state + dt * k3)
        state = state + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return state


SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0


def _lorenz(s):
    x, y, z = s[0], s[1], s[2]
    return np.array([SIGMA * (y - x), x * (RHO - z) - y, x * y - BETA * z])


def lorenz_rk4(s, dt=0.005):
    k1 = _lorenz(s)
    k2 = _lorenz(s + dt / 2 * k1)
    k3 = _lorenz(s + dt / 2 * k2)
    k4 = _lorenz(s + dt * k3)
    return s + dt * (k1 + 2 * k2 + 2 * k3 + k4) / 6


def velocity_verlet(x, v):
    k, m, dt = 4.0, 0.5, 0.02
    a = -k / m * x
    for _ in range(20):
        x = x + v * dt + 0.5 * a * dt ** 2
        a_new = -k / m * x
        v = v + 0.5 * (a + a_new) * dt
        a = a_new
    return x, v


SPRING_K = np.array([3.0, 1.5, 2.0, 0.5])
MASSES = np.array([1.0, 2.0, 1.0, 0.5, 1.5])


def spring_chain_energy(pos, vel):
    stretch = np.diff(pos) - 1.0
    potential = 0.5 * np.sum(SPRING_K * stretch ** 2)
    kinetic = 0.5 * np.dot(MASSES, vel ** 2)
    return {"kinetic": kinetic, "potential": potential, "total": kinetic + potential}


def projectile_with_drag(v0):
    c, m, dt = 0.02, 0.145, 0.01
    pos = np.zeros(2)
    vel = v0.copy()
    g = np.array([0.0, -9.81])
    max_h = 0.0
    for _ in range(50):
        speed = np.sqrt(vel @ vel)
        acc = g - (c / m) * speed * vel
        vel += acc * dt
        pos += vel * dt
        max_h = np.maximum(max_h, pos[1])
    return pos, max_h


NBODY_MASS = np.linspace(1.0, 2.0, 8)


def nbody_forces(pos):
    n = pos.shape[0]
    forces = np.zeros_like(pos)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            r = pos[j] - pos[i]
            d = np.sqrt(np.sum(r * r) + 0.01)
            forces[i] += NBODY_MASS[i] * NBODY_MASS[j] * r / d ** 3
    return forces


def nbody_forces_vectorized(pos):
    r = pos[None, :, :] - pos[:, None, :]
    d2 = (r ** 2).sum(axis=-1) + 0.01
    inv = d2 ** -1.5
    np.fill_diagonal(inv, 0.0)
    return np.einsum("i,j,ij,ijk->ik", NBODY_MASS, NBODY_MASS, inv, r)


def damped_oscillator_analytic(t, params):
    omega0, zeta, x0 = params
    wd = omega0 * np.sqrt(1 - zeta ** 2)
    return x0 * np.exp(-zeta * omega0 * t) * np.cos(wd * t)


# --- geometry and graphics ----------------------------------------------------------


def ray_sphere(origin, direction):
    center = np.array([0.0, 0.0, 5.0])
    radius = 1.5
    d = direction / np.linalg.norm(direction)
    oc = origin - center
    b = np.dot(oc, d)
    c = np.dot(oc, oc) - radius ** 2
    disc = b * b - c
    hit = disc >= 0
    t = np.where(hit, -b - np.sqrt(np.maximum(disc, 0.0)), np.inf)
    return hit, t


def ray_triangle(orig, d, tri):
    v0, v1, v2 = tri[0], tri[1], tri[2]
    e1 = v1 - v0
    e2 = v2 - v0
    p = np.cross(d, e2)
    det = e1 @ p
    inv = 1.0 / det
    s = orig - v0
    u = (s @ p) * inv
    q = np.cross(s, e1)
    v = (d @ q) * inv
    t = (e2 @ q) * inv
    hit = (np.abs(det) > 1e-9) & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
    return np.where(hit, t, -1.0)


def barycentric(p, tri):
    a, b, c = tri
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


def shoelace_area(poly):
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * np.abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def point_in_triangle(p, tri):
    def sign(p1, p2, p3):
        return (p1[0] - p3[0]) * (p2[1] - p3[1]) - (p2[0] - p3[0]) * (p1[1] - p3[1])

    d1 = sign(p, tri[0], tri[1])
    d2 = sign(p, tri[1], tri[2])
    d3 = sign(p, tri[2], tri[0])
    has_neg = (d1 < 0) | (d2 < 0) | (d3 < 0)
    has_pos = (d1 > 0) | (d2 > 0) | (d3 > 0)
    return ~(has_neg & has_pos)


def bounding_box(points):
    lo = points.min(axis=0)
    hi = points.max(axis=0)
    center = (lo + hi) / 2
    extent = hi - lo
    return np.concatenate([lo, hi]), center, np.prod(extent)


def triangle_normals(verts, faces=np.array([[0, 1, 2], [0, 2, 3], [0, 3, 1], [1, 3, 2]])):
    a = verts[faces[:, 0]]
    b = verts[faces[:, 1]]
    c = verts[faces[:, 2]]
    n = np.cross(b - a, c - a)
    return n / np.linalg.norm(n, axis=1, keepdims=True)


LIGHT_DIR = np.array([1.0, 1.0, 1.0]) / np.sqrt(3.0)


def phong_pixel(normal, view, albedo):
    n = normal / np.linalg.norm(normal)
    v = view / np.linalg.norm(view)
    diffuse = np.maximum(np.dot(n, LIGHT_DIR), 0.0)
    r = 2 * np.dot(n, LIGHT_DIR) * n - LIGHT_DIR
    spec = np.maximum(np.dot(r, v), 0.0) ** 32
    color = 0.1 * albedo + 0.7 * diffuse * albedo + 0.2 * spec
    return np.clip(color, 0.0, 1.0)


def rgb_to_hsv(rgb):
    r, g, b = rgb
    mx = np.max(rgb)
    mn = np.min(rgb)
    delta = mx - mn
    safe = np.where(delta == 0, 1.0, delta)
    h = np.select([delta == 0, mx == r, mx == g],
                  [0.0, ((g - b) / safe) % 6, (b - r) / safe + 2],
                  default=(r - g) / safe + 4) * 60.0
    s = np.where(mx == 0, 0.0, delta / np.where(mx == 0, 1.0, mx))
    return np.array([h, s, mx])


def srgb_to_linear(img):
    img = img.astype(np.float32) / 255.0
    low = img / 12.92
    high = ((img + 0.055) / 1.055) ** 2.4
    return np.where(img <= 0.04045, low, high)


def gamma_encode_uint8(lin):
    out = np.clip(lin, 0, 1) ** (1 / 2.2)
    return np.round(out * 255).astype(np.uint8)


RGB2YCBCR = np.array([[0.299, 0.587, 0.114],
                      [-0.168736, -0.331264, 0.5],
                      [0.5, -0.418688, -0.081312]])


def rgb_to_ycbcr_image(img):
    ycc = img @ RGB2YCBCR.T
    ycc[..., 1:] += 128.0
    return ycc


# --- signal and image ---------------------------------------------------------------

BLUR = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16.0


def conv3x3_same(patch):
    padded = np.pad(patch, 1, mode="reflect")
    out = np.empty_like(patch)
    H, W = patch.shape
    for i in range(H):
        for j in range(W):
            out[i, j] = np.sum(padded[i:i + 3, j:j + 3] * BLUR)
    return out


def sobel_magnitude(img):
    kx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    ky = kx.T
    H, W = img.shape
    gx = np.zeros((H - 2, W - 2))
    gy = np.zeros((H - 2, W - 2))
    for di in range(3):
        for dj in range(3):
            win = img[di:di + H - 2, dj:dj + W - 2]
            gx += kx[di, dj] * win
            gy += ky[di, dj] * win
    return np.hypot(gx, gy), np.arctan2(gy, gx)


def hist_equalize_tile(tile):
    levels = 16
    q = np.floor(tile * levels).astype(int)
    q = np.clip(q, 0, levels - 1)
    hist = np.bincount(q.ravel(), minlength=levels)
    cdf = np.cumsum(hist).astype(np.float64)
    cdf = (cdf - cdf.min()) / (cdf.max() - cdf.min())
    return cdf[q]


def moving_average_valid(x):
    w = 5
    return np.convolve(x, np.ones(w) / w, mode="valid")


FIR_TAPS = np.array([0.05, 0.2, 0.5, 0.2, 0.05])


def fir_filter(x):
    y = np.zeros_like(x)
    for k, h in enumerate(FIR_TAPS):
        y[k:] += h * x[:len(x) - k]
    return y


def zero_crossings(x):
    s = np.sign(x)
    return np.count_nonzero(s[1:] * s[:-1] < 0)


def peak_pick(spectrum):
    freqs = np.linspace(0.0, 500.0, spectrum.shape[0])
    k = np.argmax(spectrum)
    return freqs[k], spectrum[k], k


def resample_linear(y):
    t_old = np.linspace(0, 1, y.shape[0])
    t_new = np.linspace(0, 1, 25)
    return np.interp(t_new, t_old, y)


def quantize_signal(x):
    step = 0.25
    q = np.round(x / step) * step
    floor_q = np.floor(x / step) * step
    return np.clip(q, -1, 1), x - floor_q


def rms_and_crest(x):
    rms = np.sqrt(np.mean(x ** 2))
    peak = np.max(np.abs(x))
    return rms, peak / rms, 20 * np.log10(rms)


def autocorr(x):
    x = x - x.mean()
    r = np.correlate(x, x, mode="full")[len(x) - 1:]
    return r / r[0]


# --- numerical methods --------------------------------------------------------------


def newton_sqrt(a):
    x = np.maximum(a, 1.0)
    for _ in range(8):
        x = 0.5 * (x + a / x)
    return x


def bisection_root(c):
    # root of x**3 - c in [0, 3] for c in (0, 27), fixed iteration count
    lo = np.zeros_like(c)
    hi = np.full_like(c, 3.0)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        f_mid = mid ** 3 - c
        lo = np.where(f_mid < 0, mid, lo)
        hi = np.where(f_mid < 0, hi, mid)
    return 0.5 * (lo + hi)


def trapezoid_integral(y):
    x = np.linspace(0.0, 2.0, y.shape[0])
    trap = getattr(np, "trapezoid", None) or np.trapz
    return trap(y, x), trap(y ** 2, dx=x[1] - x[0])


def horner(coeffs, x):
    result = np.zeros_like(x)
    for c in coeffs:
        result = result * x + c
    return result


def gauss_elim_3x3(A, b):
    M = np.hstack([A + 4 * np.eye(3), b[:, None]])
    n = 3
    for k in range(n):
        M[k] = M[k] / M[k, k]
        for i in range(n):
            if i != k:
                M[i] = M[i] - M[i, k] * M[k]
    return M[:, -1]


def power_iteration(A):
    S = A @ A.T + np.eye(A.shape[0])
    v = np.ones(S.shape[0]) / np.sqrt(S.shape[0])
    for _ in range(30):
        w = S @ v
        v = w / np.linalg.norm(w)
    lam = v @ S @ v
    return lam, v * np.sign(v[0])


def simpson(y):
    n = y.shape[0] - 1
    h = 1.0 / n
    return h / 3 * (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum())


def secant_fixed(c):
    f = lambda x: np.cos(x) - c * x
    x0, x1 = 0.0, 1.0
    for _ in range(12):
        f0, f1 = f(x0), f(x1)
        x0, x1 = x1, x1 - f1 * (x1 - x0) / np.where(f1 == f0, 1.0, f1 - f0)
    return x1


def finite_diff_jacobian(x):
    def func(v):
        return np.array([v[0] ** 2 + v[1], np.sin(v[0]) * v[1], v[0] * v[1] ** 3])

    eps = 1e-6
    f0 = func(x)
    J = np.zeros((3, 2))
    for j in range(2):
        dx = np.zeros(2)
        dx[j] = eps
        J[:, j] = (func(x + dx) - f0) / eps
    return J


def euler_heat_1d(u):
    alpha, dx, dt = 0.1, 0.1, 0.01
    u = u.copy()
    for _ in range(10):
        lap = np.zeros_like(u)
        lap[1:-1] = (u[2:] - 2 * u[1:-1] + u[:-2]) / dx ** 2
        u = u + alpha * dt * lap
    return u


# --- units and dtypes ---------------------------------------------------------------


def f32_mixed_python_floats(x32):
    scale = 2.5
    y = x32 * scale + 1.0
    return y, y.sum() / len(y), y.astype(np.float64) ** 2


def int_sensor_to_volts(counts):
    vref, bits = 3.3, 12
    return counts * (vref / (2 ** bits - 1)), counts / 4095


def celsius_report(temps_c):
    kelvin = np.float64(273.15) + temps_c
    fahrenheit = temps_c * 9 / 5 + 32
    return np.array([kelvin.mean(), fahrenheit.max(), np.float64(temps_c.min())])


def mask_arithmetic(x):
    valid = (x > -1) & (x < 1)
    n_valid = valid.sum()
    mean_valid = (x * valid).sum() / np.maximum(n_valid, 1)
    return mean_valid, valid.astype(np.int8), n_valid


def astype_roundtrip(x):
    cents = (x * 100).astype(np.int64)
    back = cents.astype(np.float32) / 100
    return back, cents % 7


def uint8_image_stats(img):
    f = img.astype(np.float64)
    return f.mean(), img.max(), np.float32(img.std())


def celsius_report_astype(temps_c):
    # np.float64(traced) is its astype (the rebinding's scalar types): both forms batch
    kelvin = np.float64(273.15) + temps_c
    fahrenheit = temps_c * 9 / 5 + 32
    return np.array([kelvin.mean(), fahrenheit.max(), temps_c.min().astype(np.float64)])


def uint8_image_stats_astype(img):
    f = img.astype(np.float64)
    return f.mean(), img.max(), img.std().astype(np.float32)


def hist_equalize_tile_add_at(tile):
    # the rewrite gvmap's refusal of np.bincount names: a known number of bins, np.add.at
    levels = 16
    q = np.clip(np.floor(tile * levels).astype(int), 0, levels - 1)
    hist = np.zeros(levels, np.intp)
    np.add.at(hist, q.ravel(), 1)
    cdf = np.cumsum(hist).astype(np.float64)
    cdf = (cdf - cdf.min()) / (cdf.max() - cdf.min())
    return cdf[q]


def normalize_into_buffer(v):
    out = np.empty_like(v)
    out[:] = v
    out /= np.linalg.norm(out)
    out[0] = np.abs(out[0])
    return out


def smooth_keeping_original(x):
    y = x.copy()
    original = y.astype(np.float64)   # a copy: the smoothing below must not reach it
    y[1:-1] = (y[:-2] + y[1:-1] + y[2:]) / 3
    return original, y


def paste_patch_via_reshape(patch):
    img = np.zeros(16)
    grid = img.reshape(4, 4)
    grid[1:3, 1:3] = patch            # NumPy: img changes through the view
    return img


def paste_patch_into_grid(patch):
    # the rewrite gvmap's refusal names: write into the array itself, reshape at the end
    grid = np.zeros((4, 4))
    grid[1:3, 1:3] = patch
    return grid.ravel()


def float32_rk_step(y32):
    h = np.float32(0.1)
    k = -2.0 * y32
    return y32 + h * k, math.exp(-0.2) * y32


CASES = [
    # rigid-body kinematics
    ("euler_zyx_to_matrix", euler_zyx_to_matrix, (rng.uniform(-np.pi, np.pi, (B, 3)),)),
    ("quat_compose", quat_compose, (rng.randn(B, 4), rng.randn(B, 4))),
    ("quat_rotate_vector", quat_rotate_vector, (rng.randn(B, 4), rng.randn(B, 3))),
    ("rodrigues", rodrigues, (rng.randn(B, 3),)),
    ("homogeneous_transform", homogeneous_transform,
     (rng.randn(B, 9), rng.randn(B, 3), rng.randn(B, 5, 3))),
    ("fk_planar_3link", fk_planar_3link, (rng.uniform(-np.pi, np.pi, (B, 3)),)),
    ("quat_to_euler", quat_to_euler, (rng.randn(B, 4),)),
    # physics
    ("pendulum_rk4", pendulum_rk4, (rng.uniform(-1, 1, (B, 2)),)),
    ("lorenz_rk4", lorenz_rk4, (rng.uniform(-10, 10, (B, 3)),)),
    ("velocity_verlet", velocity_verlet, (rng.randn(B), rng.randn(B))),
    ("spring_chain_energy", spring_chain_energy,
     (np.cumsum(rng.uniform(0.8, 1.2, (B, 5)), axis=1), rng.randn(B, 5))),
    ("projectile_with_drag", projectile_with_drag, (rng.uniform(5, 30, (B, 2)),)),
    ("nbody_forces", nbody_forces, (rng.randn(B, 8, 3),)),
    ("nbody_forces_vectorized", nbody_forces_vectorized, (rng.randn(B, 8, 3),)),
    ("damped_oscillator_analytic", damped_oscillator_analytic,
     (rng.uniform(0, 10, (B, 20)), np.column_stack([rng.uniform(1, 5, B), rng.uniform(0, 0.9, B),
                                                   rng.randn(B)]))),
    # geometry and graphics
    ("ray_sphere", ray_sphere, (rng.randn(B, 3) * 0.5, rng.randn(B, 3) * 0.2 + [0, 0, 1])),
    ("ray_triangle", ray_triangle, (rng.randn(B, 3) * 0.3 + [0, 0, -2], rng.randn(B, 3) * 0.3 + [0, 0, 1],
                                    rng.randn(B, 3, 3) + [[0, 0, 0]])),
    ("barycentric", barycentric, (rng.randn(B, 2), rng.randn(B, 3, 2))),
    ("shoelace_area", shoelace_area, (rng.randn(B, 6, 2),)),
    ("point_in_triangle", point_in_triangle, (rng.randn(B, 2), rng.randn(B, 3, 2))),
    ("bounding_box", bounding_box, (rng.randn(B, 10, 3),)),
    ("triangle_normals", triangle_normals, (rng.randn(B, 4, 3),)),
    ("phong_pixel", phong_pixel, (rng.randn(B, 3), rng.randn(B, 3), rng.rand(B, 3))),
    ("rgb_to_hsv", rgb_to_hsv, (np.round(rng.rand(B, 3), 1),)),
    ("srgb_to_linear", srgb_to_linear, (rng.randint(0, 256, (B, 4, 4, 3)).astype(np.uint8),)),
    ("gamma_encode_uint8", gamma_encode_uint8, (rng.rand(B, 4, 3) * 1.2 - 0.1,)),
    ("rgb_to_ycbcr_image", rgb_to_ycbcr_image, (rng.rand(B, 4, 4, 3) * 255,)),
    # signal and image
    ("conv3x3_same", conv3x3_same, (rng.rand(B, 5, 6),)),
    ("sobel_magnitude", sobel_magnitude, (rng.rand(B, 6, 7),)),
    ("hist_equalize_tile", hist_equalize_tile, (rng.rand(B, 16, 16),)),
    ("moving_average_valid", moving_average_valid, (rng.randn(B, 20),)),
    ("fir_filter", fir_filter, (rng.randn(B, 16),)),
    ("zero_crossings", zero_crossings, (rng.randn(B, 30),)),
    ("peak_pick", peak_pick, (rng.rand(B, 64),)),
    ("resample_linear", resample_linear, (rng.randn(B, 10),)),
    ("quantize_signal", quantize_signal, (rng.uniform(-1.5, 1.5, (B, 12)),)),
    ("rms_and_crest", rms_and_crest, (rng.randn(B, 32),)),
    ("autocorr", autocorr, (rng.randn(B, 12),)),
    # numerical methods
    ("newton_sqrt", newton_sqrt, (rng.uniform(0.1, 100, (B, 4)),)),
    ("bisection_root", bisection_root, (rng.uniform(0.5, 26, (B, 3)),)),
    ("trapezoid_integral", trapezoid_integral, (rng.randn(B, 11),)),
    ("horner", horner, (rng.randn(B, 5), rng.randn(B, 6))),
    ("gauss_elim_3x3", gauss_elim_3x3, (rng.randn(B, 3, 3), rng.randn(B, 3))),
    ("power_iteration", power_iteration, (rng.randn(B, 4, 4),)),
    ("simpson", simpson, (rng.randn(B, 9),)),
    ("secant_fixed", secant_fixed, (rng.uniform(0.5, 2.0, B),)),
    ("finite_diff_jacobian", finite_diff_jacobian, (rng.randn(B, 2),)),
    ("euler_heat_1d", euler_heat_1d, (rng.rand(B, 12),)),
    # units and dtypes
    ("f32_mixed_python_floats", f32_mixed_python_floats, (rng.randn(B, 4).astype(np.float32),)),
    ("int_sensor_to_volts", int_sensor_to_volts, (rng.randint(0, 4096, (B, 6)),)),
    ("celsius_report", celsius_report, (rng.uniform(-30, 40, (B, 24)),)),
    ("mask_arithmetic", mask_arithmetic, (rng.uniform(-2, 2, (B, 10)),)),
    ("astype_roundtrip", astype_roundtrip, (rng.uniform(0, 50, (B, 5)),)),
    ("uint8_image_stats", uint8_image_stats, (rng.randint(0, 256, (B, 8, 8)).astype(np.uint8),)),
    ("float32_rk_step", float32_rk_step, (rng.randn(B, 3).astype(np.float32),)),
    # the rewrites the refusals below name, and habits behind the bugs found here
    ("celsius_report_astype", celsius_report_astype, (rng.uniform(-30, 40, (B, 24)),)),
    ("uint8_image_stats_astype", uint8_image_stats_astype,
     (rng.randint(0, 256, (B, 8, 8)).astype(np.uint8),)),
    ("hist_equalize_tile_add_at", hist_equalize_tile_add_at, (rng.rand(B, 16, 16),)),
    ("normalize_into_buffer", normalize_into_buffer, (rng.randn(B, 5),)),
    ("smooth_keeping_original", smooth_keeping_original, (rng.randn(B, 8),)),
    ("paste_patch_via_reshape", paste_patch_via_reshape, (rng.randn(B, 2, 2),)),
    ("paste_patch_into_grid", paste_patch_into_grid, (rng.randn(B, 2, 2),)),
]

# Refused, each with the pattern its message must match (the rewrite it names is in CASES)
REFUSED: dict[str, str] = {
    # a write into img.reshape(4, 4) while img is alive: NumPy changes img -> paste_patch_into_grid
    "paste_patch_via_reshape": r"reshape, ravel.*Write into the array itself",
}


@pytest.mark.parametrize("name,f,args", [c for c in CASES if c[0] not in REFUSED],
                         ids=[c[0] for c in CASES if c[0] not in REFUSED])
def test_science_function(plan_kind, name, f, args):
    assert_tree_close(gvmap.vmap(f)(*args), oracle(f)(*args))


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_science_refusal_names_the_rewrite(backend, name):
    f, args = {n: (f, a) for n, f, a in CASES}[name]
    with pytest.raises((TypeError, NotImplementedError), match=REFUSED[name]):
        gvmap.vmap(f)(*args)


def test_science_corpus_size():
    assert len(CASES) == len({name for name, _, _ in CASES}) == 62
    assert set(REFUSED) <= {name for name, _, _ in CASES}


@pytest.mark.parametrize("f", [
    lambda y: np.trapezoid(y),
    lambda y: np.trapezoid(y, dx=0.5, axis=0),
    lambda y: np.trapezoid(y.astype(np.int64)),
    lambda y: np.trapezoid(y, y ** 2, axis=1),
    lambda y: np.trapezoid(y[0], np.linspace(0.0, 1.0, 4) ** 2),
    lambda y: np.trapezoid(y.astype(np.float32), dx=y[0, 0]),
], ids=["default", "dx_axis0", "int", "x_nd", "x_1d", "float32_traced_dx"])
def test_trapezoid_keywords(backend, f):
    y = np.random.RandomState(3).randn(B, 3, 4) * 3
    assert_tree_close(gvmap.vmap(f)(y), oracle(f)(y))
