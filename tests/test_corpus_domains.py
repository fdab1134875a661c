"""Per-example NumPy code from 3-D graphics and geometry (quaternions, Rodrigues, ray
intersections, barycentric coordinates, point-in-polygon, shoelace, bounding boxes,
homogeneous transforms, splines), robotics (planar and DH forward kinematics with Python
loops over links, Jacobians, damped least-squares IK, PID, Kalman / EKF predict-update,
quaternion integration, odometry, Kabsch), audio / DSP (biquads and second-order sections
with Python loops over samples, envelopes, zero-crossing rate and RMS in frames, windows,
a mel filterbank and DFT tables closed over, Goertzel, wavetables, ADSR) and games /
simulation (reflecting particles, cellular automata with np.roll, elastic collisions,
Verlet, boids, tile maps, grid DDA, sprite blending), written as a new user writes them
(index updates on copies, ``np.array([...])`` of traced scalars, tuple unpacking, Python
loops over static sizes, closed-over tables, ``math`` on static parameters, methods,
np.linalg on tiny matrices, np.block / np.r_ / np.einsum, in-place operators, float32 /
float64 / int / uint8 inputs), each function unmodified, against the loop oracle on every
backend and plan kind.

Of the 98 cases (91 functions) first written, 96 batched on arrival and matched the loop,
with no wrong answer; ``tile_lookup_collision`` was my bug (it clipped x against the map's
height: NumPy's IndexError, which gvmap raises too) and ``spring_damper_camera`` (``vel *=
1.0`` on an array unpacked from an argument) is refused for a good reason. About 400
one-line probes around the corpus (NumPy functions, ufunc methods, array methods, dtype
promotion of small ints, float16 and bools, view and in-place write habits, nested vmap,
batch axis 1) and 10 longer programs (a rasterizer, ray bounces, IK iterations, comb and
allpass reverbs, a pong step, EKF-SLAM: cases here) found no wrong answer either. They
found refusals of things NumPy users expect, now implemented and each a case here:
``np.cross`` of 2-vectors (NumPy 2 deprecates but computes them:
``convex_polygon_check``, ``segments_intersect``; gvmap/numpy/extras.py),
``np.logical_xor.reduce`` and ``np.bitwise_or / xor / and .reduce``
(``point_in_polygon_xor_reduce``, ``collision_layer_mask``; gvmap/numpy/folds.py),
``np.vander``, ``np.polyder``, ``np.polyint`` and ``np.unstack`` (``trajectory_fit_vander``,
``cubic_segment``, ``quat_conjugate_unstack``; gvmap/numpy/polynomials.py),
``np.round`` of integers to tens (``score_rounding``; gvmap/numpy/elementwise.py),
``np.bitwise_count`` (``bitboard_king_moves``) and ``np.packbits`` / ``np.unpackbits``
(``ca_packed_history``; folds.py). Of the 139 cases here 127 batch on the code before
these changes, and all 139 now.

The 5 in ``REFUSED`` are refused for good reasons, each with a message naming a rewrite
that is a case here: ``np.fft.rfft`` (complex results: the real DFT tables), two writes
into an argument (``vel *= 1.0``, ``vel[:, 1] -= 0.5``: copy first, or ``x = x * ...``),
``np.maximum.reduce([a, b, c])`` (NumPy makes the array of the list in C, before a traced
value can take the call) and ``assert a or b`` on traced values (Python tests them one
by one; ``assert a and b``, ``quat_normalize_checked``, refused at first, batches as a
check per condition, gvmap/assertions.py, and so does the rewrite ``assert a | b``).
Their messages improved:
a write into an argument names it, "argument 0 ('cam') at [1]", where it said "an argument
(or an array it closes over)" (gvmap/tracing.py, aliasing.py); the ufunc of a list names
``np.stack``, where it said ``np.asarray()`` (gvmap/concrete.py); the assert is named as
one, with the check moved to the batched result or the condition returned as an output,
where it said "Python if/while/bool()"; and every refusal of a concrete value (``if``,
``assert``, ``float()``) names the arguments the value is computed from, "(computed from
argument 0 ('q'))". Builtin max/min/any/all appear only on static values here (they work
on traced ones too: gvmap/pybuiltins.py): the functions use np.maximum / np.minimum /
np.all / np.any.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from gvmap.errors import TracerConversionError
from corpus import corpus_tests

# np.cross of 2-vectors warns (NumPy 2 deprecates them) in the loop and in gvmap alike
pytestmark = pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")

rng = np.random.RandomState(20261202)
B = 5  # examples per batch


# --- 3-D graphics and geometry -----------------------------------------------------------
def quat_mul_unpacked(q, r):
    # Hamilton product, (w, x, y, z), written component by component
    w0, x0, y0, z0 = q
    w1, x1, y1, z1 = r
    return np.array([
        w0 * w1 - x0 * x1 - y0 * y1 - z0 * z1,
        w0 * x1 + x0 * w1 + y0 * z1 - z0 * y1,
        w0 * y1 - x0 * z1 + y0 * w1 + z0 * x1,
        w0 * z1 + x0 * y1 - y0 * x1 + z0 * w1,
    ])


def quat_mul_vector_form(q, r):
    # the scalar/vector form: (s1 s2 - v1.v2, s1 v2 + s2 v1 + v1 x v2)
    s1, v1 = q[0], q[1:]
    s2, v2 = r[0], r[1:]
    return np.concatenate([[s1 * s2 - v1.dot(v2)], s1 * v2 + s2 * v1 + np.cross(v1, v2)])


def quat_rotate_sandwich(q, p):
    # rotate the points p (n, 3) by the unit quaternion q: q p q*
    q = q / np.linalg.norm(q)
    conj = q * np.array([1.0, -1.0, -1.0, -1.0])
    out = np.empty_like(p)
    for i in range(p.shape[0]):
        pq = np.concatenate([[0.0], p[i]])
        out[i] = quat_mul_unpacked(quat_mul_unpacked(q, pq), conj)[1:]
    return out


def quat_rotate_fast(q, v):
    # v' = v + 2 w (u x v) + 2 u x (u x v), the form game engines use
    q = q / np.sqrt(np.sum(q ** 2))
    w, u = q[0], q[1:]
    t = 2.0 * np.cross(u, v)
    return v + w * t + np.cross(u, t)


def quat_slerp_frames(q0, q1, n=5):
    # a static number of in-betweens, math on the static t
    q0 = q0 / np.linalg.norm(q0)
    q1 = q1 / np.linalg.norm(q1)
    d = np.dot(q0, q1)
    q1 = np.where(d < 0.0, -q1, q1)
    d = np.clip(np.abs(d), 0.0, 1.0)
    omega = np.arccos(d)
    so = np.sin(omega)
    frames = []
    for k in range(n):
        t = k / (n - 1)
        a = np.where(so > 1e-8, np.sin((1 - t) * omega) / np.maximum(so, 1e-8), 1 - t)
        b = np.where(so > 1e-8, np.sin(t * omega) / np.maximum(so, 1e-8), t)
        frames.append(a * q0 + b * q1)
    return np.stack(frames)


def quat_from_axis_angle(axis, angle):
    axis = axis / np.linalg.norm(axis)
    half = 0.5 * angle
    return np.hstack([np.cos(half), np.sin(half) * axis])


def quat_to_matrix_einsum(q):
    q = q / np.linalg.norm(q)
    w, x, y, z = q
    R = np.eye(3)
    R = R - 2 * (y * y + z * z) * np.diag([1.0, 0.0, 0.0])
    R = R - 2 * (x * x + z * z) * np.diag([0.0, 1.0, 0.0])
    R = R - 2 * (x * x + y * y) * np.diag([0.0, 0.0, 1.0])
    off = np.array([[0.0, x * y - w * z, x * z + w * y],
                    [x * y + w * z, 0.0, y * z - w * x],
                    [x * z - w * y, y * z + w * x, 0.0]])
    return R + 2 * off


def rodrigues_matrix(axis, theta):
    k = axis / np.linalg.norm(axis)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.identity(3) + np.sin(theta) * K + (1 - np.cos(theta)) * (K @ K)


def rodrigues_outer(rotvec):
    # a rotation vector (axis * angle), the outer-product form
    theta = np.linalg.norm(rotvec)
    k = rotvec / np.maximum(theta, 1e-12)
    c, s = np.cos(theta), np.sin(theta)
    kx, ky, kz = k
    K = np.array([[0.0, -kz, ky], [kz, 0.0, -kx], [-ky, kx, 0.0]])
    return c * np.eye(3) + s * K + (1 - c) * np.outer(k, k)


def rotation_angle_from_matrix(R):
    cos = (np.trace(R) - 1.0) / 2.0
    return np.arccos(np.clip(cos, -1.0, 1.0))


def euler_xyz_matrix(angles):
    rx, ry, rz = angles
    cx, sx = np.cos(rx), np.sin(rx)
    cy, sy = np.cos(ry), np.sin(ry)
    cz, sz = np.cos(rz), np.sin(rz)
    Rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    Ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    Rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return Rz.dot(Ry).dot(Rx)


def homogeneous_block(R, t, pts):
    # build the 4x4 with np.block, apply to points in homogeneous coordinates
    T = np.block([[R, t[:, None]], [np.zeros((1, 3)), np.ones((1, 1))]])
    ph = np.hstack([pts, np.ones((pts.shape[0], 1))])
    out = (T @ ph.T).T
    return out[:, :3] / out[:, 3:]


def homogeneous_index_fill(R, t, pts):
    T = np.eye(4)
    T[:3, :3] = R
    T[:3, 3] = t
    Tinv = np.eye(4)
    Tinv[:3, :3] = R.T
    Tinv[:3, 3] = -R.T @ t
    ph = np.column_stack([pts, np.ones(len(pts))])
    moved = ph @ T.T
    back = moved @ Tinv.T
    return moved[:, :3], np.abs(back[:, :3] - pts).max()


def look_at_matrix(eye, target, up=np.array([0.0, 1.0, 0.0])):
    f = target - eye
    f /= np.linalg.norm(f)
    s = np.cross(f, up)
    s /= np.linalg.norm(s)
    u = np.cross(s, f)
    M = np.eye(4, dtype=eye.dtype)
    M[0, :3], M[1, :3], M[2, :3] = s, u, -f
    M[:3, 3] = -M[:3, :3] @ eye
    return M


def perspective_project(pts, fov_deg=60.0, aspect=1.5, near=0.1, far=100.0):
    f = 1.0 / math.tan(math.radians(fov_deg) / 2)
    P = np.array([[f / aspect, 0, 0, 0], [0, f, 0, 0],
                  [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
                  [0, 0, -1, 0]])
    ph = np.concatenate([pts, np.ones_like(pts[:, :1])], axis=1)
    clip = np.einsum("ij,nj->ni", P, ph)
    ndc = clip[:, :3] / clip[:, 3:4]
    visible = np.all(np.abs(ndc) <= 1.0, axis=1)
    return ndc, visible


def moller_trumbore_tuple(orig, direction, tri, eps=1e-8):
    v0, v1, v2 = tri
    e1, e2 = v1 - v0, v2 - v0
    h = np.cross(direction, e2)
    a = np.dot(e1, h)
    f = 1.0 / np.where(np.abs(a) < eps, eps, a)
    s = orig - v0
    u = f * np.dot(s, h)
    q = np.cross(s, e1)
    v = f * np.dot(direction, q)
    t = f * np.dot(e2, q)
    hit = (np.abs(a) >= eps) & (u >= 0.0) & (v >= 0.0) & (u + v <= 1.0) & (t > eps)
    return hit, np.where(hit, t, np.inf)


def ray_mesh_nearest(orig, direction, tris=None):
    # a closed-over mesh of triangles, a Python loop over them, the nearest hit
    tris = MESH if tris is None else tris
    best = np.inf
    best_i = -1
    for i in range(tris.shape[0]):
        hit, t = moller_trumbore_tuple(orig, direction, tris[i])
        closer = t < best
        best_i = np.where(closer, i, best_i)
        best = np.minimum(best, t)
    return best, best_i


def ray_sphere_quadratic(orig, d, center, radius):
    oc = orig - center
    a = d @ d
    b = 2.0 * (oc @ d)
    c = oc @ oc - radius ** 2
    disc = b * b - 4 * a * c
    sq = np.sqrt(np.maximum(disc, 0.0))
    t0 = (-b - sq) / (2 * a)
    t1 = (-b + sq) / (2 * a)
    t = np.where(t0 > 0, t0, t1)
    hit = (disc >= 0) & (t > 0)
    point = orig + np.where(hit, t, 0.0) * d
    normal = (point - center) / radius
    return hit, np.where(hit, t, -1.0), normal


def ray_aabb_slab(orig, d, lo, hi):
    inv = 1.0 / d
    t1 = (lo - orig) * inv
    t2 = (hi - orig) * inv
    tmin = np.minimum(t1, t2).max()
    tmax = np.maximum(t1, t2).min()
    return (tmax >= np.maximum(tmin, 0.0)), tmin, tmax


def barycentric_solve(p, a, b, c):
    # solve the 2x2 system for (v, w), u = 1 - v - w
    T = np.column_stack([b - a, c - a])
    vw = np.linalg.solve(T, p - a)
    u = 1.0 - vw.sum()
    return np.array([u, vw[0], vw[1]])


def barycentric_areas(p, tri):
    a, b, c = tri[0], tri[1], tri[2]

    def area(p0, p1, p2):
        return 0.5 * ((p1[0] - p0[0]) * (p2[1] - p0[1]) - (p2[0] - p0[0]) * (p1[1] - p0[1]))

    total = area(a, b, c)
    lam = np.array([area(p, b, c), area(a, p, c), area(a, b, p)]) / total
    inside = np.all(lam >= 0)
    return lam, inside


def point_in_polygon_crossings(pt, poly=None):
    # even-odd rule with a static vertex count; the loop body as in every textbook
    poly = HEXAGON if poly is None else poly
    x, y = pt
    n = len(poly)
    inside = False
    j = n - 1
    for i in range(n):
        xi, yi = poly[i]
        xj, yj = poly[j]
        crosses = ((yi > y) != (yj > y)) & (x < (xj - xi) * (y - yi) / (yj - yi) + xi)
        inside = inside ^ crosses
        j = i
    return inside


def point_in_polygon_vectorized(pts, poly):
    # many points against a per-example polygon
    xi, yi = poly[:, 0], poly[:, 1]
    xj, yj = np.roll(xi, 1), np.roll(yi, 1)
    x, y = pts[:, 0:1], pts[:, 1:2]
    crosses = ((yi > y) != (yj > y)) & (x < (xj - xi) * (y - yi) / (yj - yi + 1e-300) + xi)
    return crosses.sum(axis=1) % 2 == 1


def shoelace_roll(poly):
    x, y = poly.T
    signed = 0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return np.abs(signed), signed > 0


def polygon_perimeter_centroid(poly):
    edges = np.diff(np.vstack([poly, poly[:1]]), axis=0)
    perim = np.linalg.norm(edges, axis=1).sum()
    x, y = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    A = cross.sum() / 2
    cx = ((x + x1) * cross).sum() / (6 * A)
    cy = ((y + y1) * cross).sum() / (6 * A)
    return perim, np.array([cx, cy])


def oriented_bbox_pca(pts):
    # a bounding box without a hull: in the principal axes of the points
    c = pts.mean(axis=0)
    X = pts - c
    evals, evecs = np.linalg.eigh(X.T @ X)
    local = X @ evecs
    lo, hi = local.min(axis=0), local.max(axis=0)
    return (hi - lo).prod(), np.sort(hi - lo)


def aabb_of_transformed_box(lo, hi, R, t):
    # the 8 corners by a static itertools-like loop, then min/max
    corners = []
    for i in range(8):
        corners.append([hi[0] if i & 1 else lo[0], hi[1] if i & 2 else lo[1], hi[2] if i & 4 else lo[2]])
    C = np.array(corners) @ R.T + t
    return C.min(axis=0), C.max(axis=0)


def aabb_union_iou(a, b):
    # boxes as (xmin, ymin, xmax, ymax)
    ix0, iy0 = np.maximum(a[0], b[0]), np.maximum(a[1], b[1])
    ix1, iy1 = np.minimum(a[2], b[2]), np.minimum(a[3], b[3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])
    union = area(a) + area(b) - inter
    hull = np.concatenate([np.minimum(a[:2], b[:2]), np.maximum(a[2:], b[2:])])
    return inter / union, hull


def triangle_mesh_normals(verts, faces=None):
    # closed-over faces (int table), area-weighted vertex normals with np.add.at
    faces = FACES if faces is None else faces
    v0, v1, v2 = verts[faces[:, 0]], verts[faces[:, 1]], verts[faces[:, 2]]
    fn = np.cross(v1 - v0, v2 - v0)
    vn = np.zeros_like(verts)
    for k in range(3):
        np.add.at(vn, faces[:, k], fn)
    vn /= np.linalg.norm(vn, axis=1, keepdims=True)
    return vn


def reflect_refract(d, n, eta=1.0 / 1.5):
    d = d / np.linalg.norm(d)
    n = n / np.linalg.norm(n)
    cosi = -np.clip(d @ n, -1, 1)
    r = d + 2 * cosi * n
    k = 1 - eta ** 2 * (1 - cosi ** 2)
    t = eta * d + (eta * cosi - np.sqrt(np.maximum(k, 0))) * n
    return r, np.where(k < 0, r, t)


def closest_point_on_segment(p, a, b):
    ab = b - a
    t = np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0.0, 1.0)
    q = a + t * ab
    return q, np.linalg.norm(p - q)


def signed_distance_box(p, half=np.array([1.0, 0.5, 0.25])):
    q = np.abs(p) - half
    outside = np.linalg.norm(np.maximum(q, 0.0))
    inside = np.minimum(np.max(q), 0.0)
    return outside + inside


def catmull_rom(ctrl, samples=6):
    # uniform Catmull-Rom through 4 control points, static sample count
    p0, p1, p2, p3 = ctrl
    t = np.linspace(0, 1, samples)[:, None]
    t2, t3 = t * t, t * t * t
    return 0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                  + (-p0 + 3 * p1 - 3 * p2 + p3) * t3)


def bezier_de_casteljau(ctrl, t):
    pts = ctrl.copy()
    n = len(pts)
    for r in range(1, n):
        pts[:n - r] = (1 - t) * pts[:n - r] + t * pts[1:n - r + 1]
    return pts[0]


def srgb_luminance_f32(rgb):
    rgb = rgb.astype(np.float32) / 255
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return lin @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


# --- robotics ----------------------------------------------------------------------------
ARM = [1.0, 0.8, 0.5, 0.3]


def fk_planar_transforms(q):
    # chain of 3x3 homogeneous transforms, one per link, Python loop over links
    T = np.eye(3)
    points = [T[:2, 2]]
    for qi, L in zip(q, ARM):
        c, s = np.cos(qi), np.sin(qi)
        A = np.array([[c, -s, L * c], [s, c, L * s], [0.0, 0.0, 1.0]])
        T = T @ A
        points.append(T[:2, 2])
    return np.array(points), np.arctan2(T[1, 0], T[0, 0])


def jacobian_planar_loop(q):
    n = len(ARM)
    J = np.zeros((2, n))
    phi = np.cumsum(q)
    for i in range(n):
        for k in range(i, n):
            J[0, i] -= ARM[k] * np.sin(phi[k])
            J[1, i] += ARM[k] * np.cos(phi[k])
    return J


def ik_step_damped(q, target, lam=0.1):
    # one damped-least-squares step toward a target
    phi = np.cumsum(q)
    L = np.asarray(ARM)
    tip = np.array([(L * np.cos(phi)).sum(), (L * np.sin(phi)).sum()])
    J = np.vstack([-np.cumsum((L * np.sin(phi))[::-1])[::-1], np.cumsum((L * np.cos(phi))[::-1])[::-1]])
    err = target - tip
    dq = J.T @ np.linalg.solve(J @ J.T + lam ** 2 * np.eye(2), err)
    return q + dq, np.linalg.norm(err)


def ik_two_link_analytic(target, l1=1.0, l2=0.8):
    x, y = target
    c2 = (x ** 2 + y ** 2 - l1 ** 2 - l2 ** 2) / (2 * l1 * l2)
    c2 = np.clip(c2, -1.0, 1.0)
    s2 = np.sqrt(1 - c2 ** 2)
    q2 = np.arctan2(s2, c2)
    q1 = np.arctan2(y, x) - np.arctan2(l2 * s2, l1 + l2 * c2)
    return np.array([q1, q2])


DH = np.array([[0.0, 0.3, math.pi / 2], [0.5, 0.0, 0.0], [0.4, 0.0, 0.0], [0.0, 0.1, math.pi / 2]])


def fk_dh(q):
    T = np.eye(4)
    for i, (a, d, alpha) in enumerate(DH):
        ct, st = np.cos(q[i]), np.sin(q[i])
        ca, sa = math.cos(alpha), math.sin(alpha)
        A = np.array([[ct, -st * ca, st * sa, a * ct],
                      [st, ct * ca, -ct * sa, a * st],
                      [0.0, sa, ca, d],
                      [0.0, 0.0, 0.0, 1.0]])
        T = T.dot(A)
    return T


def pid_step_state(state, error, kp=1.2, ki=0.4, kd=0.05, dt=0.01, limit=2.0):
    integral, prev = state
    integral = integral + error * dt
    derivative = (error - prev) / dt
    u = kp * error + ki * integral + kd * derivative
    u_sat = np.clip(u, -limit, limit)
    integral = integral - (u - u_sat) * dt / max(ki, 1e-9)   # anti-windup on a static gain
    return u_sat, (integral, error)


def pid_track(setpoints, kp=2.0, ki=0.5, kd=0.1, dt=0.05):
    y, v, integ, prev_e = 0.0, 0.0, 0.0, 0.0
    ys = np.zeros(setpoints.shape[0])
    for k in range(setpoints.shape[0]):
        e = setpoints[k] - y
        integ += e * dt
        u = kp * e + ki * integ + kd * (e - prev_e) / dt
        prev_e = e
        v += (u - 0.5 * v) * dt
        y += v * dt
        ys[k] = y
    return ys


KF_A = np.array([[1.0, 0.1, 0.005], [0.0, 1.0, 0.1], [0.0, 0.0, 1.0]])
KF_Hm = np.array([[1.0, 0.0, 0.0]])
KF_Qm = 1e-3 * np.eye(3)


def kalman_predict_update(x, P, z, r=0.25):
    x = KF_A @ x
    P = KF_A @ P @ KF_A.T + KF_Qm
    S = KF_Hm @ P @ KF_Hm.T + r
    K = P @ KF_Hm.T / S            # S is 1x1: divide rather than invert
    innov = z - KF_Hm @ x
    x = x + (K @ innov[:, None]).ravel()
    I_KH = np.eye(3) - K @ KF_Hm
    P = I_KH @ P @ I_KH.T + r * K @ K.T   # Joseph form
    return x, P, innov


def kalman_track(zs, r=0.25):
    x = np.zeros(3)
    P = np.eye(3)
    xs = []
    for z in zs:
        x, P, _ = kalman_predict_update(x, P, np.atleast_1d(z), r)
        xs.append(x[0])
    return np.array(xs), np.trace(P)


def ekf_range_bearing(x, P, z, landmark=np.array([2.0, 1.0]), R=np.diag([0.01, 0.001])):
    dx, dy = landmark - x[:2]
    q = dx * dx + dy * dy
    zhat = np.array([np.sqrt(q), np.arctan2(dy, dx) - x[2]])
    H = np.array([[-dx / np.sqrt(q), -dy / np.sqrt(q), 0.0],
                  [dy / q, -dx / q, -1.0]])
    S = H @ P @ H.T + R
    K = P @ H.T @ np.linalg.inv(S)
    y = z - zhat
    y[1] = (y[1] + np.pi) % (2 * np.pi) - np.pi
    return x + K @ y, (np.eye(3) - K @ H) @ P


def quat_integrate(q, omegas, dt=0.01):
    # integrate body rates with the quaternion kinematics, renormalising each step
    for w in omegas:
        wx, wy, wz = w
        Omega = np.array([[0, -wx, -wy, -wz],
                          [wx, 0, wz, -wy],
                          [wy, -wz, 0, wx],
                          [wz, wy, -wx, 0]])
        q = q + 0.5 * dt * Omega @ q
        q /= np.linalg.norm(q)
    return q


def quat_integrate_exp(q, omega, dt=0.05, steps=4):
    # exact exponential map per step
    theta = np.linalg.norm(omega) * dt
    axis = omega / np.linalg.norm(omega)
    dq = np.r_[np.cos(theta / 2), np.sin(theta / 2) * axis]
    for _ in range(steps):
        q = quat_mul_unpacked(q, dq)
    return q


def diff_drive_odometry(wheel_ticks, r=0.05, base=0.3, ticks_per_rev=512):
    # int encoder deltas, a pose integrated over time
    x = y = th = 0.0
    per_tick = 2 * math.pi * r / ticks_per_rev
    for dl, dr in wheel_ticks:
        sl, sr = dl * per_tick, dr * per_tick
        ds = (sl + sr) / 2
        dth = (sr - sl) / base
        x = x + ds * np.cos(th + dth / 2)
        y = y + ds * np.sin(th + dth / 2)
        th = th + dth
    return np.array([x, y, th])


def complementary_filter(acc, gyro, dt=0.01, alpha=0.98):
    angle = np.arctan2(acc[0, 1], acc[0, 2])
    out = []
    for k in range(acc.shape[0]):
        acc_angle = np.arctan2(acc[k, 1], acc[k, 2])
        angle = alpha * (angle + gyro[k] * dt) + (1 - alpha) * acc_angle
        out.append(angle)
    return np.array(out)


def skew_jacobian_se3(xi):
    # the left Jacobian of SO(3) from a rotation vector
    theta = np.linalg.norm(xi)
    W = np.zeros((3, 3))
    W[0, 1], W[0, 2], W[1, 2] = -xi[2], xi[1], -xi[0]
    W = W - W.T
    a = (1 - np.cos(theta)) / theta ** 2
    b = (theta - np.sin(theta)) / theta ** 3
    return np.eye(3) + a * W + b * W @ W


# --- audio / DSP -------------------------------------------------------------------------
def biquad_direct_form2(x, b=(0.2, 0.4, 0.2), a=(1.0, -0.5, 0.3)):
    # transposed direct form II, static coefficients in tuples, a Python loop over samples
    b0, b1, b2 = b
    _, a1, a2 = a
    z1 = z2 = 0.0
    y = np.empty_like(x)
    for n, xn in enumerate(x):
        yn = b0 * xn + z1
        z1 = b1 * xn - a1 * yn + z2
        z2 = b2 * xn - a2 * yn
        y[n] = yn
    return y


def biquad_lowpass_design(x, fs=8000.0, f0=800.0, Q=0.707):
    # RBJ cookbook coefficients from static parameters, then the direct form I loop
    w0 = 2 * math.pi * f0 / fs
    alpha = math.sin(w0) / (2 * Q)
    cosw = math.cos(w0)
    b = np.array([(1 - cosw) / 2, 1 - cosw, (1 - cosw) / 2])
    a = np.array([1 + alpha, -2 * cosw, 1 - alpha])
    b, a = b / a[0], a / a[0]
    y = np.zeros(len(x), dtype=x.dtype)
    for n in range(len(x)):
        acc = b[0] * x[n]
        if n >= 1:
            acc += b[1] * x[n - 1] - a[1] * y[n - 1]
        if n >= 2:
            acc += b[2] * x[n - 2] - a[2] * y[n - 2]
        y[n] = acc
    return y


def envelope_attack_release(x, fs=1000.0, attack_ms=5.0, release_ms=50.0):
    ga = math.exp(-1.0 / (fs * attack_ms / 1000))
    gr = math.exp(-1.0 / (fs * release_ms / 1000))
    env = 0.0
    out = np.zeros_like(x)
    for i in range(x.size):
        level = abs(x[i])
        g = np.where(level > env, ga, gr)
        env = g * env + (1 - g) * level
        out[i] = env
    return out


def zero_crossing_rate_frames(x, frame=8):
    frames = x[: len(x) // frame * frame].reshape(-1, frame)
    signs = np.signbit(frames)
    crossings = np.count_nonzero(signs[:, 1:] != signs[:, :-1], axis=1)
    return crossings / (frame - 1)


def rms_frames_db(x, frame=6):
    n = x.shape[0] // frame
    frames = x[: n * frame].reshape(n, frame)
    rms = np.sqrt(np.mean(frames ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-10))


def pre_emphasis_inplace(x, coef=0.97):
    y = x.astype(np.float64)
    y[1:] -= coef * x[:-1]
    return y


def windowed_frames(x, frame=8, hop=4):
    win = np.hanning(frame)
    n = 1 + (len(x) - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
    return x[idx] * win


def window_gallery(x):
    # the NumPy window functions, closed-over and static
    n = x.shape[-1]
    return {
        "hamming": x * np.hamming(n),
        "blackman": x * np.blackman(n),
        "bartlett": x * np.bartlett(n),
        "kaiser": x * np.kaiser(n, 8.6),
    }


def _mel(f):
    return 2595.0 * np.log10(1.0 + f / 700.0)


def _mel_filterbank(n_filters=6, n_fft=16, fs=8000.0):
    n_bins = n_fft // 2 + 1
    mels = np.linspace(_mel(0.0), _mel(fs / 2), n_filters + 2)
    hz = 700.0 * (10 ** (mels / 2595.0) - 1)
    bins = np.floor((n_fft + 1) * hz / fs).astype(int)
    fb = np.zeros((n_filters, n_bins))
    for m in range(1, n_filters + 1):
        for k in range(bins[m - 1], bins[m]):
            fb[m - 1, k] = (k - bins[m - 1]) / (bins[m] - bins[m - 1])
        for k in range(bins[m], bins[m + 1]):
            fb[m - 1, k] = (bins[m + 1] - k) / (bins[m + 1] - bins[m])
    return fb


MEL_FB = _mel_filterbank()
DFT_N = 16
DFT_COS = np.cos(2 * np.pi * np.outer(np.arange(DFT_N // 2 + 1), np.arange(DFT_N)) / DFT_N)
DFT_SIN = -np.sin(2 * np.pi * np.outer(np.arange(DFT_N // 2 + 1), np.arange(DFT_N)) / DFT_N)


def log_mel_energies(frame):
    # a power spectrum from closed-over DFT tables, a closed-over mel matrix
    w = frame * np.hamming(DFT_N)
    power = (DFT_COS @ w) ** 2 + (DFT_SIN @ w) ** 2
    return np.log(MEL_FB.dot(power) + 1e-10)


def mfcc_like(frame, n_coef=4):
    logmel = log_mel_energies(frame)
    M = len(logmel)
    dct = np.cos(np.pi / M * (np.arange(M)[None, :] + 0.5) * np.arange(n_coef)[:, None])
    return dct @ logmel


def magnitude_spectrum_fft(frame):
    spec = np.abs(np.fft.rfft(frame * np.hanning(len(frame))))
    return spec


def magnitude_spectrum_tables(frame):
    w = frame * np.hanning(DFT_N)
    return np.hypot(DFT_COS @ w, DFT_SIN @ w)


def fir_convolve_same(x, taps=np.array([0.25, 0.5, 0.25])):
    return np.convolve(x, taps, mode="same")


def moving_rms_cumsum(x, w=4):
    c = np.cumsum(np.insert(x * x, 0, 0.0))
    return np.sqrt((c[w:] - c[:-w]) / w)


def dc_block(x, R=0.995):
    y = np.zeros_like(x)
    xm1 = 0.0
    ym1 = 0.0
    for n in range(len(x)):
        y[n] = x[n] - xm1 + R * ym1
        xm1, ym1 = x[n], y[n]
    return y


def soft_clip_tanh_f32(x, drive=3.0):
    x = np.asarray(x, dtype=np.float32)
    y = np.tanh(drive * x) / np.tanh(np.float32(drive))
    return y.astype(np.float32)


def pcm_int16_gain(samples, gain_db=-6.0):
    g = 10 ** (gain_db / 20)
    y = np.round(samples.astype(np.float64) * g)
    return np.clip(y, -32768, 32767).astype(np.int16)


def peak_normalize(x, target=0.9):
    peak = np.abs(x).max()
    return x * (target / np.where(peak > 0, peak, 1.0))


def compressor_static(x, threshold_db=-12.0, ratio=4.0):
    level_db = 20 * np.log10(np.abs(x) + 1e-9)
    over = np.maximum(level_db - threshold_db, 0.0)
    gain_db = -over * (1 - 1 / ratio)
    return x * 10 ** (gain_db / 20)


def goertzel_power(x, k=3):
    # one DFT bin by the Goertzel recursion
    N = len(x)
    w = 2 * math.pi * k / N
    coeff = 2 * math.cos(w)
    s1 = s2 = 0.0
    for n in range(N):
        s = x[n] + coeff * s1 - s2
        s2, s1 = s1, s
    return s1 ** 2 + s2 ** 2 - coeff * s1 * s2


def autocorrelation_pitch_lag(frame, min_lag=2, max_lag=7):
    frame = frame - frame.mean()
    r = np.correlate(frame, frame, mode="full")[len(frame) - 1:]
    lag = min_lag + np.argmax(r[min_lag:max_lag + 1])
    return lag, r[lag] / r[0]


def phase_unwrap(phase):
    return np.unwrap(phase)


def phase_unwrap_cumsum(phase):
    d = np.diff(phase)
    dd = (d + np.pi) % (2 * np.pi) - np.pi
    dd = np.where((dd == -np.pi) & (d > 0), np.pi, dd)
    corr = dd - d
    corr = np.where(np.abs(d) < np.pi, 0.0, corr)
    return np.concatenate([phase[:1], phase[1:] + np.cumsum(corr)])


def sinc_resample(x, factor=2):
    # band-limited interpolation onto a finer static grid
    n = np.arange(len(x))
    t = np.arange(len(x) * factor) / factor
    return np.sinc(t[:, None] - n[None, :]) @ x


# --- games and simulation ----------------------------------------------------------------
BOX = np.array([10.0, 6.0])


def particles_reflect(pos, vel, dt=0.1, steps=5):
    for _ in range(steps):
        pos = pos + vel * dt
        hit_lo = pos < 0.0
        hit_hi = pos > BOX
        vel = np.where(hit_lo | hit_hi, -vel, vel)
        pos = np.where(hit_lo, -pos, pos)
        pos = np.where(hit_hi, 2 * BOX - pos, pos)
    return pos, vel


def particles_gravity_inplace(pos, vel, g=-9.81, dt=0.02, restitution=0.8):
    pos = pos.copy()
    vel = vel.copy()
    for _ in range(4):
        vel[:, 1] += g * dt
        pos += vel * dt
        below = pos[:, 1] < 0
        pos[:, 1] = np.where(below, -pos[:, 1], pos[:, 1])
        vel[:, 1] = np.where(below, -restitution * vel[:, 1], vel[:, 1])
    return pos, vel


def life_step_roll_axes(grid):
    n = np.zeros_like(grid)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                n += np.roll(grid, (dy, dx), axis=(0, 1))
    alive = (n == 3) | ((grid == 1) & (n == 2))
    return alive.astype(np.uint8)


def life_steps_bool(grid, steps=3):
    g = grid.astype(bool)
    for _ in range(steps):
        nb = sum(np.roll(np.roll(g, i, 0), j, 1).astype(int)
                 for i in (-1, 0, 1) for j in (-1, 0, 1)) - g
        g = np.logical_or(nb == 3, np.logical_and(g, nb == 2))
    return g, g.sum()


def elementary_ca(cells, rule=110, steps=4):
    table = np.array([(rule >> i) & 1 for i in range(8)], dtype=np.uint8)
    history = [cells]
    for _ in range(steps):
        idx = 4 * np.roll(cells, 1) + 2 * cells + np.roll(cells, -1)
        cells = table[idx]
        history.append(cells)
    return np.stack(history)


def forest_fire_step(grid, burn=2, tree=1):
    # burning cells ignite neighbouring trees, padded edges
    p = np.pad(grid, 1)
    near_fire = ((p[:-2, 1:-1] == burn) | (p[2:, 1:-1] == burn)
                 | (p[1:-1, :-2] == burn) | (p[1:-1, 2:] == burn))
    new = grid.copy()
    new[(grid == tree) & near_fire] = burn
    new[grid == burn] = 0
    return new


def elastic_collision_disks(p1, v1, p2, v2, m1=1.0, m2=2.0):
    n = p1 - p2
    dist2 = n @ n
    approaching = (v1 - v2) @ n < 0
    f = 2 * ((v1 - v2) @ n) / ((m1 + m2) * dist2)
    u1 = v1 - m2 * f * n
    u2 = v2 + m1 * f * n
    colliding = (dist2 <= 1.0) & approaching
    return np.where(colliding, u1, v1), np.where(colliding, u2, v2)


def elastic_collision_masses(state, masses):
    # state: (2, 4) rows (x, y, vx, vy); masses per example
    (x1, y1, vx1, vy1), (x2, y2, vx2, vy2) = state
    m1, m2 = masses
    nx, ny = x2 - x1, y2 - y1
    d = np.hypot(nx, ny)
    nx, ny = nx / d, ny / d
    a1 = vx1 * nx + vy1 * ny
    a2 = vx2 * nx + vy2 * ny
    p = 2 * (a1 - a2) / (m1 + m2)
    return np.array([[vx1 - p * m2 * nx, vy1 - p * m2 * ny],
                     [vx2 + p * m1 * nx, vy2 + p * m1 * ny]])


def verlet_cloth_chain(pos, steps=6, dt=0.02, rest=0.5):
    # position Verlet with distance constraints, pinned first point
    prev = pos.copy()
    g = np.array([0.0, -9.8])
    for _ in range(steps):
        new = 2 * pos - prev + g * dt * dt
        new[0] = pos[0]
        prev, pos = pos, new
        for _ in range(2):
            d = pos[1:] - pos[:-1]
            L = np.linalg.norm(d, axis=1, keepdims=True)
            corr = 0.5 * (L - rest) / L * d
            pos[:-1] += corr
            pos[1:] -= corr
            pos[0] = prev[0]
    return pos


def velocity_verlet_spring(x, v, k=4.0, m=1.0, dt=0.05, n=20):
    a = -k / m * x
    xs = np.empty(n)
    for i in range(n):
        x = x + v * dt + 0.5 * a * dt ** 2
        a_new = -k / m * x
        v = v + 0.5 * (a + a_new) * dt
        a = a_new
        xs[i] = x
    energy = 0.5 * m * v ** 2 + 0.5 * k * x ** 2
    return xs, energy


def boids_step(pos, vel, r=1.5, dt=0.1):
    diff = pos[None, :, :] - pos[:, None, :]
    dist = np.sqrt((diff ** 2).sum(-1)) + np.eye(len(pos)) * 1e9
    near = dist < r
    cnt = np.maximum(near.sum(1, keepdims=True), 1)
    cohesion = (near[:, :, None] * diff).sum(1) / cnt
    align = (near.astype(float) @ vel) / cnt - vel
    separation = -(near[:, :, None] * diff / dist[:, :, None] ** 2).sum(1)
    vel = vel + dt * (0.5 * cohesion + 0.3 * align + 0.8 * separation)
    speed = np.linalg.norm(vel, axis=1, keepdims=True)
    vel = vel * np.clip(speed, 0.1, 2.0) / np.maximum(speed, 1e-12)
    return pos + vel * dt, vel


def grid_pathcost_dp(cost):
    # minimum monotone path cost through a small grid (DP table, np.minimum)
    h, w = cost.shape
    D = np.full((h, w), np.inf)
    D[0, 0] = cost[0, 0]
    for i in range(h):
        for j in range(w):
            if i == 0 and j == 0:
                continue
            up = D[i - 1, j] if i > 0 else np.inf
            left = D[i, j - 1] if j > 0 else np.inf
            D[i, j] = cost[i, j] + np.minimum(up, left)
    return D[-1, -1]


def tile_lookup_collision(pos, tilemap=None):
    # world position to tile index (int cast, clip), a closed-over int map
    tilemap = TILEMAP if tilemap is None else tilemap
    ij = np.floor(pos).astype(np.int64)
    ij = np.clip(ij, 0, np.array(tilemap.shape[::-1]) - 1)   # (x, y) against (width, height)
    solid = tilemap[ij[:, 1], ij[:, 0]] == 1
    return solid, ij


def projectile_aim(target, v0=12.0, g=9.81):
    x, y = target[0], target[1]
    disc = v0 ** 4 - g * (g * x * x + 2 * y * v0 * v0)
    ok = disc >= 0
    root = np.sqrt(np.where(ok, disc, 0.0))
    low = np.arctan2(v0 * v0 - root, g * x)
    high = np.arctan2(v0 * v0 + root, g * x)
    return ok, np.degrees(low), np.rad2deg(high)


def damage_falloff_int(hp, dist, radius=5.0, max_dmg=40):
    # int hit points, float distances, result back to int
    falloff = np.clip(1.0 - dist / radius, 0.0, 1.0)
    dmg = (max_dmg * falloff).astype(hp.dtype)
    new_hp = np.maximum(hp - dmg, 0)
    return new_hp, (new_hp == 0).sum()


def spring_damper_camera(cam, target, stiffness=30.0, damping=8.0, dt=1 / 60):
    pos, vel = cam
    for _ in range(10):
        acc = stiffness * (target - pos) - damping * vel
        vel *= 1.0
        vel = vel + acc * dt
        pos = pos + vel * dt
    return pos, vel


def heightmap_normals(h, scale=1.0):
    dzdx = (np.roll(h, -1, axis=1) - np.roll(h, 1, axis=1)) / 2
    dzdy = (np.roll(h, -1, axis=0) - np.roll(h, 1, axis=0)) / 2
    n = np.stack([-dzdx * scale, -dzdy * scale, np.ones_like(h)], axis=-1)
    return n / np.linalg.norm(n, axis=-1, keepdims=True)


def sph_density(pos, h=1.0, mass=1.0):
    r2 = np.sum((pos[:, None] - pos[None]) ** 2, axis=-1)
    q = np.maximum(h * h - r2, 0.0)
    return mass * 315 / (64 * math.pi * h ** 9) * np.sum(q ** 3, axis=1)


# --- more habits: 2-vector cross products, ufunc reductions, polynomials, decompositions ---
def convex_polygon_check(poly):
    # np.cross of 2-vectors (NumPy 2 deprecates them but computes them)
    e = np.roll(poly, -1, axis=0) - poly
    z = np.cross(e, np.roll(e, -1, axis=0))
    return np.all(z > 0) | np.all(z < 0), z


def segments_intersect(seg1, seg2):
    p, p2 = seg1
    q, q2 = seg2
    r, s = p2 - p, q2 - q
    denom = np.cross(r, s)
    t = np.cross(q - p, s) / denom
    u = np.cross(q - p, r) / denom
    hit = (denom != 0) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    return hit, np.where(hit, 1.0, np.nan) * (p + t * r)


def point_in_polygon_xor_reduce(pt, poly=None):
    poly = HEXAGON if poly is None else poly
    x, y = pt[0], pt[1]
    xi, yi = poly[:, 0], poly[:, 1]
    xj, yj = np.roll(xi, 1), np.roll(yi, 1)
    crosses = ((yi > y) != (yj > y)) & (x < (xj - xi) * (y - yi) / (yj - yi) + xi)
    return np.logical_xor.reduce(crosses)


LAYER_BITS = np.array([1, 2, 4, 8, 16], dtype=np.int32)


def collision_layer_mask(flags, hits):
    # bit flags of the layers an entity touches: one int mask per entity
    touched = np.where(hits, LAYER_BITS[flags], 0)
    return np.bitwise_or.reduce(touched, axis=-1), np.bitwise_xor.reduce(touched, axis=-1)


def trajectory_fit_vander(t_samples, z, deg=3):
    # least-squares polynomial fit of a 1-D trajectory, then velocity and acceleration
    A = np.vander(t_samples, deg + 1)
    coef, *_ = np.linalg.lstsq(A, z, rcond=None)
    vel = np.polyder(coef)
    acc = np.polyder(coef, 2)
    t_end = t_samples[-1]
    return np.polyval(coef, t_end), np.polyval(vel, t_end), np.polyval(acc, t_end)


def cubic_segment(p0, p1, v0, v1, T=2.0, n=5):
    # Hermite coefficients of a joint trajectory, sampled and integrated (np.polyint)
    a0, a1 = p0, v0
    a2 = (3 * (p1 - p0) - (2 * v0 + v1) * T) / T ** 2
    a3 = (2 * (p0 - p1) + (v0 + v1) * T) / T ** 3
    coef = np.array([a3, a2, a1, a0])
    t = np.linspace(0.0, T, n)
    area = np.polyval(np.polyint(coef), T)
    return np.polyval(coef, t), np.polyval(np.polyder(coef), t), area


def quat_conjugate_unstack(q):
    w, x, y, z = np.unstack(q)
    return np.stack([w, -x, -y, -z]) / (w * w + x * x + y * y + z * z)


def fast_inverse_sqrt_normalize(v):
    # the Quake trick on float32 vectors, one Newton step
    x = (v * v).sum(axis=-1).astype(np.float32)
    i = x.view(np.int32)
    i = np.int32(0x5F3759DF) - (i >> 1)
    y = i.view(np.float32)
    y = y * (np.float32(1.5) - np.float32(0.5) * x * y * y)
    return v * y[..., None]


def kabsch_rotation(P, Q):
    # the rotation that best maps P onto Q (both centred), with the reflection fixed
    Pc, Qc = P - P.mean(0), Q - Q.mean(0)
    H = Pc.T @ Qc
    U, S, Vt = np.linalg.svd(H)
    d = np.sign(np.linalg.det(Vt.T @ U.T))
    D = np.diag([1.0, 1.0, d])
    R = Vt.T @ D @ U.T
    rmsd = np.sqrt(((Pc @ R.T - Qc) ** 2).sum(1).mean())
    return R, rmsd


def quat_average_markley(qs):
    # the principal eigenvector of sum q q^T, its sign fixed so that w >= 0
    M = np.einsum("ni,nj->ij", qs, qs)
    w, V = np.linalg.eigh(M)
    q = V[:, -1]
    return q * np.where(q[0] < 0, -1.0, 1.0)


def inertia_principal_axes(pts, masses):
    c = (masses[:, None] * pts).sum(0) / masses.sum()
    r = pts - c
    I = np.zeros((3, 3))
    for m, ri in zip(masses, r):
        I += m * ((ri @ ri) * np.eye(3) - np.outer(ri, ri))
    evals, evecs = np.linalg.eigh(I)
    signs = np.sign(evecs[np.argmax(np.abs(evecs), axis=0), np.arange(3)])
    return evals, evecs * signs


def circle_fit_lstsq(pts):
    x, y = pts[:, 0], pts[:, 1]
    A = np.column_stack([x, y, np.ones_like(x)])
    b = x ** 2 + y ** 2
    (a, bb, c), *_ = np.linalg.lstsq(A, b, rcond=None)
    cx, cy = a / 2, bb / 2
    return np.array([cx, cy]), np.sqrt(c + cx ** 2 + cy ** 2)


def wavetable_oscillator(freqs, fs=8000.0, n=16, table=None):
    # phase accumulator, wrap with np.mod, linear interpolation in a closed-over table
    table = WAVETABLE if table is None else table
    L = len(table)
    phase = np.mod(np.cumsum(freqs * np.ones(n) / fs), 1.0) * L
    i0 = np.floor(phase).astype(np.intp)
    frac = phase - i0
    i1 = (i0 + 1) % L
    return table[i0] * (1 - frac) + table[i1] * frac


def adsr_envelope(t, a=0.1, d=0.2, s=0.6, r=0.3, note_off=0.8):
    return np.piecewise(t, [t < a, (t >= a) & (t < a + d), (t >= a + d) & (t < note_off), t >= note_off],
                        [lambda t: t / a, lambda t: 1 - (1 - s) * (t - a) / d, s,
                         lambda t: np.maximum(s * (1 - (t - note_off) / r), 0.0)])


def adsr_select(t, a=0.1, d=0.2, s=0.6, r=0.3, note_off=0.8):
    return np.select([t < a, t < a + d, t < note_off],
                     [t / a, 1 - (1 - s) * (t - a) / d, np.full_like(t, s)],
                     default=np.clip(s * (1 - (t - note_off) / r), 0.0, None))


SOS = np.array([[0.2, 0.4, 0.2, 1.0, -0.3, 0.1], [1.0, -1.0, 0.0, 1.0, -0.8, 0.0]])


def sos_cascade(x):
    # second-order sections from a closed-over table, a Python loop over sections and samples
    y = x.astype(float)
    for b0, b1, b2, a0, a1, a2 in SOS:
        out = np.zeros_like(y)
        z1 = z2 = 0.0
        for n in range(y.shape[0]):
            v = b0 * y[n] + z1
            z1 = b1 * y[n] - a1 * v + z2
            z2 = b2 * y[n] - a2 * v
            out[n] = v / a0
        y = out
    return y


def mix_int16_saturate(tracks, gains=np.array([0.8, 0.5, 1.2])):
    acc = (tracks.astype(np.int32) * (gains[:, None] * 256).astype(np.int32)).sum(axis=0) >> 8
    return np.clip(acc, np.iinfo(np.int16).min, np.iinfo(np.int16).max).astype(np.int16)


def sprite_alpha_blend(dst, src, alpha):
    a = alpha.astype(np.uint16)
    out = (src.astype(np.uint16) * a + dst.astype(np.uint16) * (255 - a) + 127) // 255
    return out.astype(np.uint8)


def marching_squares_cases(field, iso=0.5):
    b = (field > iso).astype(np.uint8)
    return (b[:-1, :-1] << 3) | (b[:-1, 1:] << 2) | (b[1:, 1:] << 1) | b[1:, :-1]


def grid_dda(orig, d, steps=6):
    # voxel traversal on a 2-D grid: the cells a ray visits, a static number of steps
    cell = np.floor(orig).astype(np.int64)
    step = np.where(d > 0, 1, -1)
    inv = 1.0 / np.where(d == 0, 1e-12, d)
    t_max = (cell + (step > 0) - orig) * inv
    t_delta = np.abs(inv)
    visited = [cell]
    for _ in range(steps):
        ax = np.argmin(t_max)
        onehot = np.arange(2) == ax
        cell = cell + np.where(onehot, step, 0)
        t_max = t_max + np.where(onehot, t_delta, 0.0)
        visited.append(cell)
    return np.stack(visited)


def spatial_hash_cells(pts, cell=0.5, dims=(8, 8)):
    ij = np.floor_divide(pts, cell).astype(np.int64)
    ij = np.mod(ij, dims)
    flat = np.ravel_multi_index((ij[:, 0], ij[:, 1]), dims)
    counts = np.zeros(dims[0] * dims[1], dtype=np.int64)
    np.add.at(counts, flat, 1)
    return flat, counts.max()


def swept_sphere_toi(c0, v, r, plane_n=np.array([0.0, 0.0, 1.0]), plane_d=0.0):
    dist = c0 @ plane_n - plane_d
    speed = v @ plane_n
    t = (r - dist) / np.where(speed == 0, -1e-12, speed)
    hits = (dist > r) & (speed < 0) & (t <= 1.0)
    return hits, np.where(hits, t, np.inf)


def spring_damper_camera_rebind(cam, target, stiffness=30.0, damping=8.0, dt=1 / 60):
    pos, vel = cam
    for _ in range(10):
        acc = stiffness * (target - pos) - damping * vel
        vel = vel * 1.0 + acc * dt
        pos = pos + vel * dt
    return pos, vel


def joint_limit_violation(q, lo=np.array([-1.0, -2.0, -0.5]), hi=np.array([1.0, 2.0, 0.5])):
    # the worst violation per joint, of the three limits a robot checks
    return np.maximum.reduce([lo - q, q - hi, np.zeros_like(q)])


def joint_limit_violation_stack(q, lo=np.array([-1.0, -2.0, -0.5]), hi=np.array([1.0, 2.0, 0.5])):
    return np.maximum.reduce(np.stack([lo - q, q - hi, np.zeros_like(q)]))


def score_rounding(points, multiplier):
    # int points to the nearest ten, a bonus to the nearest hundred (np.round, decimals < 0)
    shown = np.round(points, -1)
    bonus = np.round(points * multiplier, -2).astype(np.int64)
    return shown, bonus, np.round(bonus / 1000, 1)


# compiled from source: pytest rewrites the assert statements of test modules into code
# that is no longer Python's assert, and user code is not rewritten
_USER_CODE: dict = {"np": np}
exec("def quat_normalize_checked(q):\n"
     "    n = np.linalg.norm(q)\n"
     "    assert np.all(np.isfinite(q)) and n > 0, 'bad quaternion'\n"
     "    return q / n\n", _USER_CODE)
exec("def quat_unit_checked(q):\n"
     "    n = np.linalg.norm(q)\n"
     "    assert abs(n - 1.0) < 1e-6 or n == 0, 'not a unit quaternion'\n"
     "    return q * np.array([1.0, -1.0, -1.0, -1.0])\n"
     "def quat_unit_checked_one(q):\n"
     "    n = np.linalg.norm(q)\n"
     "    assert (abs(n - 1.0) < 1e-6) | (n == 0), 'not a unit quaternion'\n"
     "    return q * np.array([1.0, -1.0, -1.0, -1.0])\n", _USER_CODE)
quat_normalize_checked = _USER_CODE["quat_normalize_checked"]
quat_unit_checked = _USER_CODE["quat_unit_checked"]
quat_unit_checked_one = _USER_CODE["quat_unit_checked_one"]
UNIT_Q = np.random.RandomState(5).randn(B, 4)
UNIT_Q /= np.linalg.norm(UNIT_Q, axis=1, keepdims=True)


def quat_normalize_flagged(q):
    n = np.linalg.norm(q)
    ok = np.all(np.isfinite(q)) & (n > 0)
    return q / np.where(ok, n, 1.0), ok


NOT_A_FILE = np.uint64(0xFEFEFEFEFEFEFEFE)
NOT_H_FILE = np.uint64(0x7F7F7F7F7F7F7F7F)


def bitboard_king_moves(king, own):
    # 8x8 boards as uint64 bitboards: the king's moves off its own pieces, and their count
    b = king
    sides = ((b << 1) & NOT_A_FILE) | ((b >> 1) & NOT_H_FILE)
    b = b | sides
    moves = sides | (b << 8) | (b >> 8)
    moves &= ~own
    return moves, np.bitwise_count(moves), np.bitwise_count(own)


# --- longer programs: a rasterizer, bounces, IK iterations, reverbs, a game step, EKF-SLAM ---
def rasterize_triangle(tri, z, W=8, H=6):
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    (x0, y0), (x1, y1), (x2, y2) = tri
    def edge(ax, ay, bx, by):
        return (bx - ax) * (ys - ay) - (by - ay) * (xs - ax)
    w0, w1, w2 = edge(x1, y1, x2, y2), edge(x2, y2, x0, y0), edge(x0, y0, x1, y1)
    area = w0 + w1 + w2
    inside = ((w0 >= 0) & (w1 >= 0) & (w2 >= 0)) | ((w0 <= 0) & (w1 <= 0) & (w2 <= 0))
    depth = (w0 * z[0] + w1 * z[1] + w2 * z[2]) / np.where(area == 0, 1, area)
    zbuf = np.full((H, W), np.inf)
    zbuf[inside] = depth[inside]
    return zbuf, inside.sum()
def path_bounces(o, d, bounces=4):
    # a ray bouncing inside a unit box: reflect on the face it hits first
    color = 1.0
    for _ in range(bounces):
        inv = 1.0 / np.where(d == 0, 1e-12, d)
        t = np.where(d > 0, (1 - o) * inv, (-1 - o) * inv)
        k = np.argmin(t)
        tmin = t[k]
        o = o + tmin * d
        n = -np.sign(d) * (np.arange(3) == k)
        d = d - 2 * (d @ n) * n
        color *= 0.8
    return o, d, color
def ik_dls_iterate(target, q0=np.array([0.3, 0.3, 0.3]), L=np.array([1.0, 0.7, 0.4]), iters=8, lam=0.05):
    q = q0.copy()
    for _ in range(iters):
        phi = np.cumsum(q)
        tip = np.array([L @ np.cos(phi), L @ np.sin(phi)])
        s, c = L * np.sin(phi), L * np.cos(phi)
        J = np.stack([-np.cumsum(s[::-1])[::-1], np.cumsum(c[::-1])[::-1]])
        e = target - tip
        q += J.T @ np.linalg.solve(J @ J.T + lam * np.eye(2), e)
    return q, np.linalg.norm(e)
def schroeder_comb(x, delays=(3, 5), g=0.6):
    out = np.zeros_like(x)
    for D in delays:
        y = np.zeros_like(x)
        for n in range(len(x)):
            y[n] = x[n] + (g * y[n - D] if n >= D else 0.0)
        out += y / len(delays)
    return out
def allpass(x, D=2, g=0.5):
    y = np.zeros_like(x)
    for n in range(len(x)):
        xd = x[n - D] if n >= D else 0.0
        yd = y[n - D] if n >= D else 0.0
        y[n] = -g * x[n] + xd + g * yd
    return y
def pitch_shift_interp(x, ratio=1.3):
    n = len(x)
    t = np.arange(n) * ratio
    return np.interp(t, np.arange(n), x, right=0.0)
def compressor_dynamic(x, thr=0.5, ratio=4.0, att=0.3, rel=0.05):
    env = 0.0
    g = np.empty_like(x)
    for i in range(len(x)):
        lvl = np.abs(x[i])
        env = np.where(lvl > env, env + att * (lvl - env), env + rel * (lvl - env))
        over = np.maximum(env / thr, 1.0)
        g[i] = over ** (1.0 / ratio - 1.0)
    return x * g
def pong_step(ball, vel, paddles, dt=0.05, steps=6):
    score = np.zeros(2, dtype=np.int64)
    for _ in range(steps):
        ball = ball + vel * dt
        hit_wall = (ball[1] < 0) | (ball[1] > 1)
        vel = vel * np.where(hit_wall, [1.0, -1.0], [1.0, 1.0])
        ball[1] = np.clip(ball[1], 0, 1)
        left = (ball[0] < 0) & (np.abs(ball[1] - paddles[0]) < 0.15)
        right = (ball[0] > 1) & (np.abs(ball[1] - paddles[1]) < 0.15)
        vel[0] = np.where(left | right, -vel[0], vel[0])
        miss_l = (ball[0] < 0) & ~left
        miss_r = (ball[0] > 1) & ~right
        score += np.array([miss_r, miss_l]).astype(np.int64)
        ball = np.where(miss_l | miss_r, np.array([0.5, 0.5]), ball)
    return ball, vel, score
def particles_lifetime(pos, vel, life, spawn, dt=0.1):
    # vel[:, 1] -= ... writes into the caller's array (an argument)
    for _ in range(5):
        life = life - 1
        dead = life <= 0
        pos = np.where(dead[:, None], spawn, pos + vel * dt)
        life = np.where(dead, 5, life)
        vel[:, 1] -= 0.5
    return pos, life
def ekf_slam_landmark_update(mu, Sigma, z, j=1, Q=np.diag([0.05, 0.01])):
    n = mu.shape[0]
    lx, ly = mu[3 + 2 * j], mu[4 + 2 * j]
    dx, dy = lx - mu[0], ly - mu[1]
    q = dx ** 2 + dy ** 2
    sq = np.sqrt(q)
    zhat = np.array([sq, np.arctan2(dy, dx) - mu[2]])
    F = np.zeros((5, n))
    F[:3, :3] = np.eye(3)
    F[3, 3 + 2 * j] = 1
    F[4, 4 + 2 * j] = 1
    h = np.array([[-sq * dx, -sq * dy, 0, sq * dx, sq * dy], [dy, -dx, -q, -dy, dx]]) / q
    H = h @ F
    K = Sigma @ H.T @ np.linalg.inv(H @ Sigma @ H.T + Q)
    innov = z - zhat
    innov[1] = np.arctan2(np.sin(innov[1]), np.cos(innov[1]))
    return mu + K @ innov, (np.eye(n) - K @ H) @ Sigma
def particles_lifetime_copy(pos, vel, life, spawn, dt=0.1):
    vel = vel.copy()
    return particles_lifetime(pos, vel, life, spawn, dt)


def ca_packed_history(cells, rule=90, steps=3):
    # a cellular automaton's rows stored as bytes (np.packbits), and read back
    history = elementary_ca(cells, rule, steps)
    packed = np.packbits(history, axis=1)
    return packed, np.unpackbits(packed, axis=1, count=cells.shape[0])


WAVETABLE = np.sin(2 * np.pi * np.arange(32) / 32) + 0.3 * np.sin(6 * np.pi * np.arange(32) / 32)


# --- cases -------------------------------------------------------------------------------
def unit(*shape):
    v = rng.randn(*shape)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def rotations(n):
    q = unit(n, 4)
    return np.stack([quat_to_matrix_einsum(qi) for qi in q])


def spd(n, d):
    A = rng.randn(n, d, d)
    return A @ A.transpose(0, 2, 1) + d * np.eye(d)


MESH = np.array([[[0.0, 0, 3], [1, 0, 3], [0, 1, 3]],
                 [[-1.0, -1, 5], [2, -1, 5], [0, 2, 5]],
                 [[-0.5, -0.5, 2], [0.5, -0.5, 2], [0, 0.5, 2.5]]])
HEXAGON = np.array([[math.cos(a), math.sin(a)] for a in np.arange(6) * math.pi / 3]) * 2
FACES = np.array([[0, 1, 2], [0, 2, 3], [0, 3, 1], [1, 3, 2]])
TILEMAP = (rng.rand(6, 8) < 0.3).astype(np.int64)
RAY_O = np.concatenate([rng.uniform(-0.2, 0.4, (B, 2)), np.zeros((B, 1))], 1)
RAY_D = np.concatenate([0.05 * rng.randn(B, 2), np.ones((B, 1))], 1)
TRI = np.array([[-1.0, -1, 3], [2, -1, 3], [0, 2, 3]]) + 0.2 * rng.randn(B, 3, 3)
POLY5 = np.array([[0.0, 0.0], [3.0, 0.0], [3.0, 2.0], [1.5, 3.0], [0.0, 2.0]]) + 0.2 * rng.randn(B, 5, 2)
SIGNAL = np.sin(np.linspace(0, 6, 32) * rng.uniform(1, 4, (B, 1))) + 0.1 * rng.randn(B, 32)

# (name, function, args, in_axes, out_axes)
CASES = [
    ("quat_mul_unpacked", quat_mul_unpacked, (unit(B, 4), unit(B, 4)), 0, 0),
    ("quat_mul_vector_form", quat_mul_vector_form, (unit(B, 4), unit(B, 4)), 0, 0),
    ("quat_mul_vector_form_f32", quat_mul_vector_form, (unit(B, 4).astype(np.float32), unit(B, 4).astype(np.float32)), 0, 0),
    ("quat_rotate_sandwich", quat_rotate_sandwich, (rng.randn(B, 4), rng.randn(B, 3, 3)), 0, 0),
    ("quat_rotate_fast", quat_rotate_fast, (rng.randn(B, 4), rng.randn(B, 3)), 0, 0),
    ("quat_rotate_fast_shared_v", quat_rotate_fast, (rng.randn(B, 4), np.array([1.0, 0.0, 0.0])), (0, None), 0),
    ("quat_slerp_frames", quat_slerp_frames, (unit(B, 4), unit(B, 4)), 0, 0),
    ("quat_from_axis_angle", quat_from_axis_angle, (rng.randn(B, 3), rng.uniform(-3, 3, B)), 0, 0),
    ("quat_to_matrix_einsum", quat_to_matrix_einsum, (rng.randn(B, 4),), 0, 0),
    ("rodrigues_matrix", rodrigues_matrix, (rng.randn(B, 3), rng.uniform(-3, 3, B)), 0, 0),
    ("rodrigues_outer", rodrigues_outer, (rng.randn(B, 3),), 0, 0),
    ("rotation_angle_from_matrix", rotation_angle_from_matrix, (rotations(B),), 0, 0),
    ("euler_xyz_matrix", euler_xyz_matrix, (rng.uniform(-3, 3, (B, 3)),), 0, 0),
    ("homogeneous_block", homogeneous_block, (rotations(B), rng.randn(B, 3), rng.randn(B, 4, 3)), 0, 0),
    ("homogeneous_index_fill", homogeneous_index_fill, (rotations(B), rng.randn(B, 3), rng.randn(B, 4, 3)), 0, 0),
    ("look_at_matrix", look_at_matrix, (rng.randn(B, 3) + [0, 0, 5], rng.randn(B, 3)), 0, 0),
    ("look_at_matrix_f32", look_at_matrix, ((rng.randn(B, 3) + [0, 0, 5]).astype(np.float32), rng.randn(B, 3).astype(np.float32)), 0, 0),
    ("perspective_project", perspective_project, (rng.randn(B, 6, 3) - [0, 0, 4],), 0, 0),
    ("moller_trumbore_tuple", moller_trumbore_tuple, (RAY_O, RAY_D, TRI), 0, 0),
    ("ray_mesh_nearest", ray_mesh_nearest, (RAY_O, RAY_D), 0, 0),
    ("ray_sphere_quadratic", ray_sphere_quadratic, (RAY_O, RAY_D, rng.randn(B, 3) * 0.3 + [0, 0, 4], rng.uniform(0.2, 1.0, B)), 0, 0),
    ("ray_aabb_slab", ray_aabb_slab, (RAY_O, RAY_D, np.array([-0.5, -0.5, 2.0]), np.array([0.5, 0.5, 3.0])), (0, 0, None, None), 0),
    ("barycentric_solve", barycentric_solve, (rng.rand(B, 2), rng.randn(B, 2), rng.randn(B, 2), rng.randn(B, 2)), 0, 0),
    ("barycentric_areas", barycentric_areas, (rng.rand(B, 2), rng.randn(B, 3, 2)), 0, 0),
    ("point_in_polygon_crossings", point_in_polygon_crossings, (rng.uniform(-2.5, 2.5, (B, 2)),), 0, 0),
    ("point_in_polygon_vectorized", point_in_polygon_vectorized, (rng.uniform(-0.5, 3.5, (B, 7, 2)), POLY5), 0, 0),
    ("shoelace_roll", shoelace_roll, (POLY5,), 0, 0),
    ("shoelace_roll_reversed", shoelace_roll, (POLY5[:, ::-1],), 0, 0),
    ("polygon_perimeter_centroid", polygon_perimeter_centroid, (POLY5,), 0, 0),
    ("oriented_bbox_pca", oriented_bbox_pca, (rng.randn(B, 8, 3) * [3.0, 1.0, 0.2],), 0, 0),
    ("aabb_of_transformed_box", aabb_of_transformed_box, (-rng.rand(B, 3), rng.rand(B, 3), rotations(B), rng.randn(B, 3)), 0, 0),
    ("aabb_union_iou", aabb_union_iou, (np.concatenate([rng.rand(B, 2), 1 + rng.rand(B, 2)], 1),
                                        np.concatenate([rng.rand(B, 2), 1 + rng.rand(B, 2)], 1)), 0, 0),
    ("triangle_mesh_normals", triangle_mesh_normals, (np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]) + 0.1 * rng.randn(B, 4, 3),), 0, 0),
    ("reflect_refract", reflect_refract, (rng.randn(B, 3), rng.randn(B, 3)), 0, 0),
    ("closest_point_on_segment", closest_point_on_segment, (rng.randn(B, 3), rng.randn(B, 3), rng.randn(B, 3)), 0, 0),
    ("signed_distance_box", signed_distance_box, (rng.randn(B, 3),), 0, 0),
    ("catmull_rom", catmull_rom, (rng.randn(B, 4, 2),), 0, 0),
    ("bezier_de_casteljau", bezier_de_casteljau, (rng.randn(B, 4, 3), rng.rand(B)), 0, 0),
    ("srgb_luminance_f32", srgb_luminance_f32, (rng.randint(0, 256, (B, 6, 3)).astype(np.uint8),), 0, 0),
    ("fk_planar_transforms", fk_planar_transforms, (rng.uniform(-2, 2, (B, 4)),), 0, 0),
    ("jacobian_planar_loop", jacobian_planar_loop, (rng.uniform(-2, 2, (B, 4)),), 0, 0),
    ("ik_step_damped", ik_step_damped, (rng.uniform(-1, 1, (B, 4)), rng.uniform(-1.5, 1.5, (B, 2))), 0, 0),
    ("ik_two_link_analytic", ik_two_link_analytic, (rng.uniform(0.3, 1.2, (B, 2)),), 0, 0),
    ("fk_dh", fk_dh, (rng.uniform(-2, 2, (B, 4)),), 0, 0),
    ("pid_step_state", pid_step_state, ((rng.randn(B), rng.randn(B)), rng.randn(B)), 0, 0),
    ("pid_track", pid_track, (np.repeat(rng.uniform(0, 2, (B, 1)), 12, 1),), 0, 0),
    ("kalman_predict_update", kalman_predict_update, (rng.randn(B, 3), spd(B, 3), rng.randn(B, 1)), 0, 0),
    ("kalman_track", kalman_track, (np.cumsum(rng.randn(B, 8), 1),), 0, 0),
    ("ekf_range_bearing", ekf_range_bearing, (rng.randn(B, 3) * 0.3, spd(B, 3) * 0.1, rng.randn(B, 2) * 0.1 + [2.0, 0.4]), 0, 0),
    ("quat_integrate", quat_integrate, (unit(B, 4), rng.randn(B, 5, 3)), 0, 0),
    ("quat_integrate_exp", quat_integrate_exp, (unit(B, 4), rng.randn(B, 3)), 0, 0),
    ("diff_drive_odometry", diff_drive_odometry, (rng.randint(0, 40, (B, 6, 2)),), 0, 0),
    ("complementary_filter", complementary_filter, (rng.randn(B, 8, 3) + [0, 0, 9.8], rng.randn(B, 8)), 0, 0),
    ("skew_jacobian_se3", skew_jacobian_se3, (rng.randn(B, 3),), 0, 0),
    ("biquad_direct_form2", biquad_direct_form2, (SIGNAL,), 0, 0),
    ("biquad_direct_form2_f32", biquad_direct_form2, (SIGNAL.astype(np.float32),), 0, 0),
    ("biquad_lowpass_design", biquad_lowpass_design, (SIGNAL,), 0, 0),
    ("envelope_attack_release", envelope_attack_release, (SIGNAL,), 0, 0),
    ("zero_crossing_rate_frames", zero_crossing_rate_frames, (SIGNAL,), 0, 0),
    ("rms_frames_db", rms_frames_db, (SIGNAL,), 0, 0),
    ("pre_emphasis_inplace", pre_emphasis_inplace, (SIGNAL,), 0, 0),
    ("pre_emphasis_inplace_int16", pre_emphasis_inplace, ((1000 * SIGNAL).astype(np.int16),), 0, 0),
    ("windowed_frames", windowed_frames, (SIGNAL,), 0, 0),
    ("window_gallery", window_gallery, (SIGNAL[:, :12],), 0, 0),
    ("log_mel_energies", log_mel_energies, (SIGNAL[:, :16],), 0, 0),
    ("mfcc_like", mfcc_like, (SIGNAL[:, :16],), 0, 0),
    ("magnitude_spectrum_tables", magnitude_spectrum_tables, (SIGNAL[:, :16],), 0, 0),
    ("fir_convolve_same", fir_convolve_same, (SIGNAL,), 0, 0),
    ("moving_rms_cumsum", moving_rms_cumsum, (SIGNAL,), 0, 0),
    ("dc_block", dc_block, (SIGNAL + 0.5,), 0, 0),
    ("soft_clip_tanh_f32", soft_clip_tanh_f32, (SIGNAL,), 0, 0),
    ("pcm_int16_gain", pcm_int16_gain, ((20000 * SIGNAL).clip(-32768, 32767).astype(np.int16),), 0, 0),
    ("peak_normalize", peak_normalize, (SIGNAL,), 0, 0),
    ("compressor_static", compressor_static, (SIGNAL,), 0, 0),
    ("goertzel_power", goertzel_power, (SIGNAL[:, :16],), 0, 0),
    ("autocorrelation_pitch_lag", autocorrelation_pitch_lag, (SIGNAL[:, :16],), 0, 0),
    ("phase_unwrap", phase_unwrap, (np.angle(np.exp(1j * np.cumsum(rng.uniform(0, 2.5, (B, 10)), 1))),), 0, 0),
    ("phase_unwrap_cumsum", phase_unwrap_cumsum, (np.angle(np.exp(1j * np.cumsum(rng.uniform(0, 2.5, (B, 10)), 1))),), 0, 0),
    ("sinc_resample", sinc_resample, (SIGNAL[:, :8],), 0, 0),
    ("particles_reflect", particles_reflect, (rng.rand(B, 6, 2) * BOX, 5 * rng.randn(B, 6, 2)), 0, 0),
    ("particles_gravity_inplace", particles_gravity_inplace, (rng.rand(B, 4, 2) * 0.05, rng.randn(B, 4, 2)), 0, 0),
    ("life_step_roll_axes", life_step_roll_axes, ((rng.rand(B, 6, 7) < 0.4).astype(np.uint8),), 0, 0),
    ("life_steps_bool", life_steps_bool, ((rng.rand(B, 6, 6) < 0.4).astype(np.int64),), 0, 0),
    ("elementary_ca", elementary_ca, ((rng.rand(B, 12) < 0.5).astype(np.uint8),), 0, 0),
    ("forest_fire_step", forest_fire_step, (rng.randint(0, 3, (B, 5, 6)),), 0, 0),
    ("elastic_collision_disks", elastic_collision_disks, (rng.randn(B, 2) * 0.4, rng.randn(B, 2), rng.randn(B, 2) * 0.4, rng.randn(B, 2)), 0, 0),
    ("elastic_collision_masses", elastic_collision_masses, (rng.randn(B, 2, 4), rng.uniform(0.5, 3, (B, 2))), 0, 0),
    ("verlet_cloth_chain", verlet_cloth_chain, (np.stack([np.arange(5) * 0.5, np.zeros(5)], 1) + 0.05 * rng.randn(B, 5, 2),), 0, 0),
    ("velocity_verlet_spring", velocity_verlet_spring, (rng.randn(B), rng.randn(B)), 0, 0),
    ("velocity_verlet_spring_f32", velocity_verlet_spring, (rng.randn(B).astype(np.float32), rng.randn(B).astype(np.float32)), 0, 0),
    ("boids_step", boids_step, (rng.rand(B, 6, 2) * 3, rng.randn(B, 6, 2)), 0, 0),
    ("grid_pathcost_dp", grid_pathcost_dp, (rng.rand(B, 4, 5),), 0, 0),
    ("tile_lookup_collision", tile_lookup_collision, (rng.uniform(-1, 9, (B, 5, 2)),), 0, 0),
    ("projectile_aim", projectile_aim, (rng.uniform(2, 15, (B, 2)),), 0, 0),
    ("damage_falloff_int", damage_falloff_int, (rng.randint(1, 60, (B, 6)), rng.uniform(0, 7, (B, 6))), 0, 0),
    ("heightmap_normals", heightmap_normals, (rng.rand(B, 5, 6),), 0, 0),
    ("sph_density", sph_density, (rng.rand(B, 6, 3),), 0, 0),
    ("convex_polygon_check", convex_polygon_check, (POLY5,), 0, 0),
    ("convex_polygon_check_int", convex_polygon_check, (rng.randint(-5, 6, (B, 4, 2)),), 0, 0),
    ("segments_intersect", segments_intersect, (rng.randn(B, 2, 2), rng.randn(B, 2, 2)), 0, 0),
    ("point_in_polygon_xor_reduce", point_in_polygon_xor_reduce, (rng.uniform(-2.5, 2.5, (B, 2)),), 0, 0),
    ("collision_layer_mask", collision_layer_mask, (rng.randint(0, 5, (B, 3, 4)), rng.rand(B, 3, 4) < 0.5), 0, 0),
    ("trajectory_fit_vander", trajectory_fit_vander, (np.sort(rng.rand(B, 8), 1), rng.randn(B, 8)), 0, 0),
    ("cubic_segment", cubic_segment, (rng.randn(B), rng.randn(B), rng.randn(B), rng.randn(B)), 0, 0),
    ("quat_conjugate_unstack", quat_conjugate_unstack, (rng.randn(B, 4),), 0, 0),
    ("fast_inverse_sqrt_normalize", fast_inverse_sqrt_normalize, (rng.randn(B, 4, 3).astype(np.float32),), 0, 0),
    ("kabsch_rotation", kabsch_rotation, (rng.randn(B, 6, 3), rng.randn(B, 6, 3)), 0, 0),
    ("quat_average_markley", quat_average_markley, (unit(B, 5, 4) * np.where(rng.rand(B, 5, 1) < 0.5, -1, 1),), 0, 0),
    ("inertia_principal_axes", inertia_principal_axes, (rng.randn(B, 6, 3) * [2.0, 1.0, 0.5], rng.uniform(0.5, 2, (B, 6))), 0, 0),
    ("circle_fit_lstsq", circle_fit_lstsq, (np.stack([np.cos(np.linspace(0, 5, 7)), np.sin(np.linspace(0, 5, 7))], 1) * 2 + 0.05 * rng.randn(B, 7, 2),), 0, 0),
    ("wavetable_oscillator", wavetable_oscillator, (rng.uniform(100, 900, B),), 0, 0),
    ("adsr_envelope", adsr_envelope, (rng.uniform(0, 1.2, (B, 9)),), 0, 0),
    ("adsr_select", adsr_select, (rng.uniform(0, 1.2, (B, 9)),), 0, 0),
    ("sos_cascade", sos_cascade, (SIGNAL[:, :12],), 0, 0),
    ("sos_cascade_int16", sos_cascade, ((1000 * SIGNAL[:, :12]).astype(np.int16),), 0, 0),
    ("mix_int16_saturate", mix_int16_saturate, (rng.randint(-32768, 32768, (B, 3, 8)).astype(np.int16),), 0, 0),
    ("sprite_alpha_blend", sprite_alpha_blend, tuple(rng.randint(0, 256, (3, B, 4, 4)).astype(np.uint8)), 0, 0),
    ("marching_squares_cases", marching_squares_cases, (rng.rand(B, 5, 6),), 0, 0),
    ("grid_dda", grid_dda, (rng.uniform(0, 4, (B, 2)), rng.randn(B, 2)), 0, 0),
    ("spatial_hash_cells", spatial_hash_cells, (rng.uniform(-3, 3, (B, 7, 2)),), 0, 0),
    ("swept_sphere_toi", swept_sphere_toi, (rng.randn(B, 3) + [0, 0, 1.5], rng.randn(B, 3), rng.uniform(0.1, 0.5, B)), 0, 0),
    ("spring_damper_camera_rebind", spring_damper_camera_rebind, ((rng.randn(B, 3), rng.randn(B, 3)), rng.randn(B, 3)), 0, 0),
    ("joint_limit_violation_stack", joint_limit_violation_stack, (rng.randn(B, 3) * 1.5,), 0, 0),
    ("score_rounding", score_rounding, (rng.randint(-500, 5000, (B, 6)), rng.uniform(1, 3, B)), (0, 0), 0),
    ("score_rounding_int16", score_rounding, (rng.randint(-500, 5000, (B, 6)).astype(np.int16), 1.5), (0, None), 0),
    ("bitboard_king_moves", bitboard_king_moves, (np.uint64(1) << rng.randint(0, 64, (B, 3)).astype(np.uint64),
                                                  rng.randint(0, 2 ** 62, (B, 3), dtype=np.int64).astype(np.uint64)), 0, 0),
    ("rasterize_triangle", rasterize_triangle, (rng.uniform(0, 8, (B, 3, 2)) * [1, 0.75], rng.rand(B, 3)), 0, 0),
    ("path_bounces", path_bounces, (rng.uniform(-0.5, 0.5, (B, 3)), rng.randn(B, 3)), 0, 0),
    ("ik_dls_iterate", ik_dls_iterate, (rng.uniform(-1.5, 1.5, (B, 2)),), 0, 0),
    ("schroeder_comb", schroeder_comb, (SIGNAL[:, :12],), 0, 0),
    ("allpass", allpass, (SIGNAL[:, :12],), 0, 0),
    ("allpass_f32", allpass, (SIGNAL[:, :12].astype(np.float32),), 0, 0),
    ("pitch_shift_interp", pitch_shift_interp, (SIGNAL[:, :12],), 0, 0),
    ("compressor_dynamic", compressor_dynamic, (SIGNAL[:, :12],), 0, 0),
    ("pong_step", pong_step, (rng.rand(B, 2), rng.randn(B, 2) * 3, rng.rand(B, 2)), 0, 0),
    ("particles_lifetime_copy", particles_lifetime_copy, (rng.randn(B, 5, 2), rng.randn(B, 5, 2), rng.randint(1, 6, (B, 5)), rng.randn(B, 2)), 0, 0),
    ("ekf_slam_landmark_update", ekf_slam_landmark_update, (rng.randn(B, 7), spd(B, 7) * 0.1, rng.rand(B, 2) + [1.0, 0.0]), 0, 0),
    ("ca_packed_history", ca_packed_history, ((rng.rand(B, 12) < 0.5).astype(np.uint8),), 0, 0),
    ("quat_normalize_flagged", quat_normalize_flagged, (np.concatenate([rng.randn(B - 1, 4), [[np.nan, 0, 0, 1]]]),), 0, 0),
    ("quat_normalize_checked", quat_normalize_checked, (rng.randn(B, 4),), 0, 0),
    ("quat_unit_checked_one", quat_unit_checked_one, (UNIT_Q,), 0, 0),
]
# Refused, each with its message and the rewrite (in CASES) that batches:
# (name, function, args, in_axes, error, message pattern, the rewrite's name)
REFUSED = [
    ("magnitude_spectrum_fft", magnitude_spectrum_fft, (SIGNAL[:, :16],), 0,
     NotImplementedError, r"numpy\.fft\.rfft.*complex.*DFT", "magnitude_spectrum_tables"),
    ("spring_damper_camera", spring_damper_camera, ((rng.randn(B, 3), rng.randn(B, 3)), rng.randn(B, 3)), 0,
     TypeError, r"`x \*= \.\.\.` writes into an argument of the traced function, argument 0 \('cam'\) at \[1\].*"
     r"`x = x \* \.\.\.`", "spring_damper_camera_rebind"),
    ("joint_limit_violation", joint_limit_violation, (rng.randn(B, 3) * 1.5,), 0,
     TracerConversionError, r"numpy\.maximum\.reduce\(\) of a list.*np\.maximum\.reduce\(np\.stack\(\[a, b, c\]\)\)",
     "joint_limit_violation_stack"),
    ("particles_lifetime", particles_lifetime, (rng.randn(B, 5, 2), rng.randn(B, 5, 2), rng.randint(1, 6, (B, 5)), rng.randn(B, 2)), 0,
     TypeError, r"writing into a view of an argument of the traced function, argument 1 \('vel'\).*x = x\.copy\(\)",
     "particles_lifetime_copy"),
    ("quat_unit_checked", quat_unit_checked, (UNIT_Q,), 0,
     TracerConversionError, r"Python `assert` on a traced array \(computed from argument 0 \('q'\)\).*"
     r"ONE traced condition.*check the batched result after the call.*"
     r"return the condition as an output", "quat_unit_checked_one"),
]


(test_domains_corpus_function, test_domains_corpus_refusal_and_its_rewrite,
 test_domains_corpus_size) = corpus_tests(CASES, REFUSED, (141, 5))
