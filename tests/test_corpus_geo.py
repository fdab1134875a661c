"""Per-example NumPy code from astronomy, geodesy and navigation, heavy on angles and on
floating-point edge values: Kepler's equation by fixed Newton iterations (math on scalars and
NumPy, with a traced starting guess by np.where), orbital elements to state vectors through
rotation matrices built by ``np.array([[c, -s, 0], ...])``, orbit propagation at shared
times; Julian dates by integer floor division (negative months, years before 4713 BC), by
np.floor of floats, day fractions, GMST / local sidereal time by ``% 360`` of negative
values, hour-angle wrapping, GPS weeks by np.floor_divide, weekdays of negative day numbers;
equatorial -> horizontal / ecliptic / ENU transforms, angular separations by np.arccos of
clipped dot products (identical and parallel vectors), simple precession; haversine (NumPy
and math), Vincenty's inverse with 20 fixed iterations, great-circle slerp, midpoints,
destination points, cross-track distance, initial bearing by np.arctan2 and
``np.mod(..., 360)`` (due north / south, poles), ECEF <-> geodetic (Bowring, fixed
iterations; math version), ENU and look angles from a constant station (in_axes None) and
from a batch of stations, a UTM-like projection with an int64 zone, Mercator; longitude
wrapping by ``%``, np.fmod, math.fmod, math.remainder and arctan2(sin, cos) near +-pi / 0 /
360 and at -0.0; np.unwrap (default, period=360, discont=), circular means, dead
reckoning over a static number of steps (a Python list of tuples into np.array) and by
cumsum, turn rates; quaternion products, slerp, Euler angles, rotation of vectors, Rodrigues
matrices; the NOAA sun position, solar elevation, sunrise hour angles at polar latitudes,
light-time iteration, Doppler, barycentric and parallax corrections, magnitudes; and the
edge values themselves: arctan2(+-0, -1), np.fmod / np.remainder / % / math.fmod /
math.remainder of negatives and -0.0, np.modf / np.divmod of negative floats, np.round to
4, -1 and 2 decimals (half-even), np.floor_divide of floats, DMS by floor and by int(),
copysign / sign / signbit of +-0 and +-inf, hypot near overflow, 1 - cos against
2 sin^2(x/2), a Kahan sum, frexp / ldexp of subnormals, nextafter / spacing, builtin round /
divmod / int() % 7 / math.isclose / math.hypot of three / math.dist on traced numbers, and
float16 / float32 inputs; with in_axes None and 1, a dict in_axes with a None leaf (a
station's height), out_axes 1 and tuples, dict outputs and three nested vmaps (stations x
satellites, sources x targets, dates x sun elevations).

All 122 cases batched on arrival and gave the loop's values within the oracle's tolerance,
with the same sign of every zero and the same NaN placement (checked apart from the oracle,
whose allclose ignores the sign of zero), and again with chunk_size=2 and under jit. Run
again with every float64 input as float32 and as float16, and with NaN / inf / -0.0 planted
in them, compared bit for bit, three answers were wrong, fixed here:

* ``np.degrees`` / ``np.radians`` of float32: gvmap multiplied by float32(180 / pi), one
  ulp from the 180.0f / NPY_PIf NumPy's loop uses, so 3 of 4 results were an ulp off
  (``solar_elevation_station`` on float32 Julian dates: 3e-7 relative in its float64
  result, far beyond float64's tolerance); float16 rounded the factor to float16 where
  NumPy computes in float32. Both round as NumPy's now (gvmap/numpy/extras.py;
  tests/test_edge_values.py, bit for bit on every plan kind).
* ``np.linalg.norm`` of a whole float16 vector was sqrt(sum(x * x)), each square rounded
  to float16, where NumPy takes sqrt(x.ravel().dot(x.ravel())), rounded once; one norm in
  ten was an ulp apart, and in the float16 run ``angle_between`` (arccos of a dot over
  norms) moved 0.26 degrees, beyond float16's tolerance. It is NumPy's sqrt of dot now for axis=None
  (gvmap/numpy/linalg.py; tests/test_linalg.py).
* ``np.mean`` of float16 summed and divided in float16; NumPy's works in float32 and
  rounds once (``mean_heading_float16``: a third of the means an ulp apart, 0.016 degrees).
  It works in float32 now unless dtype= is given (gvmap/numpy/reductions.py;
  tests/test_edge_values.py).

The corpus keeps ``angle_between_float16`` and ``mean_heading_float16``, whose data pass
on the old code within float16's tolerance; the regression tests named compare bit for
bit and fail on it.

The other bit differences are NumPy's own and stay: a float32 NumPy scalar's ``** 2`` and
``10 ** x`` go through powf while arrays square and use the array power loop (1 ulp,
``cos_small_angle``, ``distance_modulus_float32``), and matrix products and norms sum in
another order batched (``elements_to_state``, ``slerp``); NumPy's float32 / float64
arctan2 and power differ by an ulp between strided and contiguous operands (which the
loop's per-example views are). One stays gvmap's: float32 ``np.logaddexp`` is composed of
np.exp and np.log1p, whose SIMD array loops differ by an ulp from the libm expf inside
NumPy's logaddexp loop (``logaddexp(1, 0)`` is 1.3132616, NumPy's 1.3132617); it is within
float32's tolerance.

The 6 in ``REFUSED`` stay refused, each with a message naming the argument: ``while``
loops that wrap an angle and ``if a < 0: a += 360`` (np.where; arctan2(sin, cos)), Newton
``while True`` until a tolerance (fixed iterations), datetime.date of traced numbers (a
library needs concrete ints: Julian-day arithmetic), complex inputs to np.angle (real and
imaginary parts as floats: arctan2 and hypot) and math.fsum (np.sum).
"""
from __future__ import annotations

import datetime
import math

import numpy as np

import gvmap
from gvmap.errors import TracerConversionError
from corpus import corpus_tests

rng = np.random.RandomState(20261202)
B = 5  # examples per batch

R_EARTH = 6371008.8
WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563
WGS84_B = WGS84_A * (1 - WGS84_F)
WGS84_E2 = WGS84_F * (2 - WGS84_F)
C_LIGHT = 299792458.0
AU = 149597870700.0


# --- orbits ---------------------------------------------------------------------------------
def kepler_math(M, e, iters=8):
    """Mean anomaly -> eccentric anomaly, Newton on E - e sin E = M (math on scalars)."""
    E = M + e * math.sin(M)
    for _ in range(iters):
        E = E - (E - e * math.sin(E) - M) / (1 - e * math.cos(E))
    return E


def kepler_numpy(M, e, iters=10):
    E = np.where(e > 0.8, np.pi * np.ones_like(M), M)
    for _ in range(iters):
        f = E - e * np.sin(E) - M
        E = E - f / (1.0 - e * np.cos(E))
    return E


def true_anomaly(M, e):
    E = kepler_numpy(M, e)
    nu = 2 * np.arctan2(np.sqrt(1 + e) * np.sin(E / 2), np.sqrt(1 - e) * np.cos(E / 2))
    return np.mod(nu, 2 * np.pi)


def rot_z(t):
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def rot_x(t):
    c, s = np.cos(t), np.sin(t)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def elements_to_state(a, e, i, raan, argp, M, mu=3.986004418e14):
    E = kepler_numpy(M, e)
    nu = 2 * np.arctan2(np.sqrt(1 + e) * np.sin(E / 2), np.sqrt(1 - e) * np.cos(E / 2))
    p = a * (1 - e ** 2)
    r = p / (1 + e * np.cos(nu))
    r_pf = np.array([r * np.cos(nu), r * np.sin(nu), 0.0])
    v_pf = np.sqrt(mu / p) * np.array([-np.sin(nu), e + np.cos(nu), 0.0])
    Q = rot_z(raan) @ rot_x(i) @ rot_z(argp)
    return Q @ r_pf, Q @ v_pf


def orbit_period_and_energy(a, mu=3.986004418e14):
    return {"period": 2 * math.pi * math.sqrt(a ** 3 / mu), "energy": -mu / (2 * a)}


def kepler_propagate_points(el, ts):
    """el = [a, e, M0]; positions in the orbital plane at shared times ts."""
    a, e, M0 = el[0], el[1], el[2]
    n = np.sqrt(3.986004418e14 / a ** 3)
    M = np.mod(M0 + n * ts, 2 * np.pi)
    E = M.copy()
    for _ in range(12):
        E -= (E - e * np.sin(E) - M) / (1 - e * np.cos(E))
    return np.stack([a * (np.cos(E) - e), a * np.sqrt(1 - e * e) * np.sin(E)], axis=-1)


# --- time -------------------------------------------------------------------------------------
def julian_date(year, month, day):
    """Fliegel-Van Flandern style, with floor division of integers (negative months too)."""
    a = (14 - month) // 12
    y = year + 4800 - a
    m = month + 12 * a - 3
    return day + (153 * m + 2) // 5 + 365 * y + y // 4 - y // 100 + y // 400 - 32045


def julian_date_float(year, month, day, hour):
    yy = np.where(month <= 2, year - 1, year)
    mm = np.where(month <= 2, month + 12, month)
    A = np.floor(yy / 100)
    Bc = 2 - A + np.floor(A / 4)
    return (np.floor(365.25 * (yy + 4716)) + np.floor(30.6001 * (mm + 1)) + day + Bc - 1524.5
            + hour / 24.0)


def day_of_year(jd):
    z = np.floor(jd + 0.5)
    f = jd + 0.5 - z
    return z, f


def gmst_deg(jd):
    T = (jd - 2451545.0) / 36525.0
    g = 280.46061837 + 360.98564736629 * (jd - 2451545.0) + 0.000387933 * T ** 2 - T ** 3 / 38710000
    return g % 360.0


def local_sidereal_hours(jd, lon_deg):
    gmst = gmst_deg(jd)
    return ((gmst + lon_deg) % 360.0) / 15.0


def seconds_to_hms(t):
    h, rem = np.divmod(t, 3600.0)
    m, s = np.divmod(rem, 60.0)
    return h, m, s


def hour_angle_wrap(lst_h, ra_h):
    ha = lst_h - ra_h
    return np.where(ha < -12, ha + 24, np.where(ha > 12, ha - 24, ha))


def weekday_of_jd(jdn):
    return (jdn + 1) % 7


def gps_week_seconds(t):
    week = np.floor_divide(t, 604800.0)
    sow = t - week * 604800.0
    return week.astype(np.int64), sow


# --- coordinates ------------------------------------------------------------------------------
def equatorial_to_horizontal(ra, dec, lat, lst):
    ha = lst - ra
    sin_alt = np.sin(dec) * np.sin(lat) + np.cos(dec) * np.cos(lat) * np.cos(ha)
    alt = np.arcsin(np.clip(sin_alt, -1.0, 1.0))
    az = np.arctan2(-np.cos(dec) * np.sin(ha),
                    np.sin(dec) * np.cos(lat) - np.cos(dec) * np.sin(lat) * np.cos(ha))
    return alt, np.mod(az, 2 * np.pi)


def equatorial_to_ecliptic_matrix(v, eps=np.deg2rad(23.4392911)):
    c, s = np.cos(eps), np.sin(eps)
    R = np.array([[1, 0, 0], [0, c, s], [0, -s, c]])
    return R @ v


def radec_to_ecliptic(ra, dec, eps=math.radians(23.4392911)):
    x = np.cos(dec) * np.cos(ra)
    y = np.cos(dec) * np.sin(ra)
    z = np.sin(dec)
    v = np.array([x, y, z])
    c, s = math.cos(eps), math.sin(eps)
    w = np.array([[1, 0, 0], [0, c, s], [0, -s, c]]) @ v
    lam = np.arctan2(w[1], w[0]) % (2 * np.pi)
    beta = np.arcsin(w[2])
    return lam, beta


def rotate_batch_by_angle(pts, theta):
    c, s = np.cos(theta), np.sin(theta)
    R = np.array([[c, -s], [s, c]])
    return pts @ R.T


def horizontal_to_enu(az, alt):
    return np.stack([np.cos(alt) * np.sin(az), np.cos(alt) * np.cos(az), np.sin(alt)])


def angular_separation(ra1, dec1, ra2, dec2):
    d = (np.sin(dec1) * np.sin(dec2) + np.cos(dec1) * np.cos(dec2) * np.cos(ra1 - ra2))
    return np.arccos(np.clip(d, -1.0, 1.0))


def angle_between(u, v):
    cosang = np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))
    return np.degrees(np.arccos(np.clip(cosang, -1, 1)))


def precess_simple(ra_deg, dec_deg, years):
    m = 3.07496 + 0.0  # s/yr
    n = 1.33621
    ra = np.radians(ra_deg)
    dec = np.radians(dec_deg)
    dra = (m + n * np.sin(ra) * np.tan(dec)) * years * 15 / 3600
    ddec = 20.0431 * np.cos(ra) * years / 3600
    return np.mod(ra_deg + dra, 360.0), dec_deg + ddec


# --- geodesy ---------------------------------------------------------------------------------
def haversine(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * R_EARTH * np.arcsin(np.sqrt(a))


def haversine_math(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R_EARTH * math.atan2(math.sqrt(a), math.sqrt(1 - a))


def haversine_pairs(p, q):
    lat1, lon1 = np.deg2rad(p[..., 0]), np.deg2rad(p[..., 1])
    lat2, lon2 = np.deg2rad(q[..., 0]), np.deg2rad(q[..., 1])
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * R_EARTH * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def track_length(lats, lons):
    lat = np.radians(lats)
    lon = np.radians(lons)
    a = (np.sin(np.diff(lat) / 2) ** 2
         + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2)
    return np.sum(2 * R_EARTH * np.arcsin(np.sqrt(a)))


def initial_bearing(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    x = np.sin(dl) * np.cos(p2)
    y = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.mod(np.degrees(np.arctan2(x, y)), 360)


def bearing_math(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(x, y)) + 360) % 360


def vincenty_inverse(lat1, lon1, lat2, lon2, iters=20):
    a, f = WGS84_A, WGS84_F
    b = (1 - f) * a
    U1 = np.arctan((1 - f) * np.tan(np.radians(lat1)))
    U2 = np.arctan((1 - f) * np.tan(np.radians(lat2)))
    L = np.radians(lon2 - lon1)
    lam = L
    sinU1, cosU1, sinU2, cosU2 = np.sin(U1), np.cos(U1), np.sin(U2), np.cos(U2)
    for _ in range(iters):
        sin_sigma = np.sqrt((cosU2 * np.sin(lam)) ** 2
                            + (cosU1 * sinU2 - sinU1 * cosU2 * np.cos(lam)) ** 2)
        cos_sigma = sinU1 * sinU2 + cosU1 * cosU2 * np.cos(lam)
        sigma = np.arctan2(sin_sigma, cos_sigma)
        sin_alpha = cosU1 * cosU2 * np.sin(lam) / sin_sigma
        cos2_alpha = 1 - sin_alpha ** 2
        cos_2sm = cos_sigma - 2 * sinU1 * sinU2 / cos2_alpha
        C = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        lam = L + (1 - C) * f * sin_alpha * (
            sigma + C * sin_sigma * (cos_2sm + C * cos_sigma * (-1 + 2 * cos_2sm ** 2)))
    u2 = cos2_alpha * (a ** 2 - b ** 2) / b ** 2
    A = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)))
    Bv = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)))
    dsig = Bv * sin_sigma * (cos_2sm + Bv / 4 * (cos_sigma * (-1 + 2 * cos_2sm ** 2)
                             - Bv / 6 * cos_2sm * (-3 + 4 * sin_sigma ** 2) * (-3 + 4 * cos_2sm ** 2)))
    return b * A * (sigma - dsig)


def great_circle_interp(p, q, n=6):
    """Points along the great circle between unit vectors p and q (slerp)."""
    omega = np.arccos(np.clip(np.dot(p, q), -1.0, 1.0))
    t = np.linspace(0.0, 1.0, n)[:, None]
    so = np.sin(omega)
    return (np.sin((1 - t) * omega) * p + np.sin(t * omega) * q) / so


def latlon_to_unit(lat_deg, lon_deg):
    lat, lon = np.deg2rad(lat_deg), np.deg2rad(lon_deg)
    return np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def midpoint(lat1, lon1, lat2, lon2):
    p1, l1, p2 = np.radians(lat1), np.radians(lon1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    bx = np.cos(p2) * np.cos(dl)
    by = np.cos(p2) * np.sin(dl)
    p3 = np.arctan2(np.sin(p1) + np.sin(p2), np.sqrt((np.cos(p1) + bx) ** 2 + by ** 2))
    l3 = l1 + np.arctan2(by, np.cos(p1) + bx)
    return np.degrees(p3), (np.degrees(l3) + 540) % 360 - 180


def destination_point(lat, lon, brng, dist):
    d = dist / R_EARTH
    p1, l1, th = np.radians(lat), np.radians(lon), np.radians(brng)
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(th))
    l2 = l1 + np.arctan2(np.sin(th) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return np.degrees(p2), np.mod(np.degrees(l2) + 180, 360) - 180


def geodetic_to_ecef(lat_deg, lon_deg, h):
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    N = WGS84_A / np.sqrt(1 - WGS84_E2 * np.sin(lat) ** 2)
    x = (N + h) * np.cos(lat) * np.cos(lon)
    y = (N + h) * np.cos(lat) * np.sin(lon)
    z = (N * (1 - WGS84_E2) + h) * np.sin(lat)
    return np.array([x, y, z])


def ecef_to_geodetic_bowring(xyz, iters=4):
    x, y, z = xyz
    lon = np.arctan2(y, x)
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1 - WGS84_E2))
    for _ in range(iters):
        N = WGS84_A / np.sqrt(1 - WGS84_E2 * np.sin(lat) ** 2)
        h = p / np.cos(lat) - N
        lat = np.arctan2(z, p * (1 - WGS84_E2 * N / (N + h)))
    N = WGS84_A / np.sqrt(1 - WGS84_E2 * np.sin(lat) ** 2)
    h = p / np.cos(lat) - N
    return np.degrees(lat), np.degrees(lon), h


def ecef_to_geodetic_math(x, y, z, iters=5):
    lon = math.atan2(y, x)
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1 - WGS84_E2))
    for _ in range(iters):
        s = math.sin(lat)
        N = WGS84_A / math.sqrt(1 - WGS84_E2 * s * s)
        lat = math.atan2(z + WGS84_E2 * N * s, p)
    return math.degrees(lat), math.degrees(lon)


def ecef_to_enu(xyz, station_llh):
    lat, lon = np.radians(station_llh[0]), np.radians(station_llh[1])
    ref = geodetic_to_ecef(station_llh[0], station_llh[1], station_llh[2])
    d = xyz - ref
    sl, cl = np.sin(lon), np.cos(lon)
    sp, cp = np.sin(lat), np.cos(lat)
    R = np.array([[-sl, cl, 0.0], [-sp * cl, -sp * sl, cp], [cp * cl, cp * sl, sp]])
    return R @ d


def look_angles(sat_ecef, station_llh):
    e, n, u = ecef_to_enu(sat_ecef, station_llh)
    rng_ = np.sqrt(e * e + n * n + u * u)
    el = np.degrees(np.arcsin(u / rng_))
    az = np.degrees(np.arctan2(e, n)) % 360.0
    return {"az": az, "el": el, "range": rng_}


def utm_like(lat_deg, lon_deg):
    zone = np.floor((lon_deg + 180) / 6).astype(np.int64) + 1
    lon0 = np.radians((zone - 1) * 6 - 180 + 3)
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    k0 = 0.9996
    ep2 = WGS84_E2 / (1 - WGS84_E2)
    N = WGS84_A / np.sqrt(1 - WGS84_E2 * np.sin(lat) ** 2)
    T = np.tan(lat) ** 2
    C = ep2 * np.cos(lat) ** 2
    A = np.cos(lat) * (lon - lon0)
    e2 = WGS84_E2
    M = WGS84_A * ((1 - e2 / 4 - 3 * e2 ** 2 / 64) * lat
                   - (3 * e2 / 8 + 3 * e2 ** 2 / 32) * np.sin(2 * lat)
                   + (15 * e2 ** 2 / 256) * np.sin(4 * lat))
    easting = k0 * N * (A + (1 - T + C) * A ** 3 / 6) + 500000.0
    northing = k0 * (M + N * np.tan(lat) * (A ** 2 / 2 + (5 - T + 9 * C) * A ** 4 / 24))
    northing = np.where(lat_deg < 0, northing + 10000000.0, northing)
    return zone, easting, northing


def mercator(lat_deg, lon_deg):
    x = R_EARTH * np.deg2rad(lon_deg)
    y = R_EARTH * np.log(np.tan(np.pi / 4 + np.deg2rad(lat_deg) / 2))
    return np.stack([x, y])


def wrap_lon_180(lon):
    return (lon + 180.0) % 360.0 - 180.0


def wrap_lon_fmod(lon):
    w = np.fmod(lon + 180.0, 360.0)
    return np.where(w < 0, w + 360.0, w) - 180.0


def wrap_angle_remainder(a):
    return math.remainder(a, 2 * math.pi)


def wrap_angle_math_fmod(a):
    return math.fmod(a, 360.0), a % 360.0


def wrap_pi_arctan2(a):
    return np.arctan2(np.sin(a), np.cos(a))


def heading_difference(h1, h2):
    return (h2 - h1 + 180) % 360 - 180


# --- navigation -------------------------------------------------------------------------------
def unwrap_headings(h_deg):
    return np.degrees(np.unwrap(np.radians(h_deg)))


def unwrap_period(h):
    return np.unwrap(h, period=360.0)


def mean_heading(h_deg):
    r = np.deg2rad(h_deg)
    return np.rad2deg(np.arctan2(np.mean(np.sin(r)), np.mean(np.cos(r)))) % 360


def dead_reckoning(start, speeds, headings, dt=60.0):
    lat, lon = start[0], start[1]
    track = []
    for k in range(speeds.shape[0]):
        d = speeds[k] * dt
        th = np.radians(headings[k])
        lat = lat + np.degrees(d * np.cos(th) / R_EARTH)
        lon = lon + np.degrees(d * np.sin(th) / (R_EARTH * np.cos(np.radians(lat))))
        track.append((lat, lon))
    return np.array(track)


def dead_reckoning_cumsum(v, hdg_deg, dt=1.0):
    th = np.deg2rad(hdg_deg)
    dx = v * np.sin(th) * dt
    dy = v * np.cos(th) * dt
    return np.cumsum(dx), np.cumsum(dy)


def turn_rate(h_deg, dt=1.0):
    dh = np.diff(h_deg)
    dh = (dh + 180) % 360 - 180
    return dh / dt


def cross_track(lat1, lon1, lat2, lon2, lat3, lon3):
    d13 = haversine(lat1, lon1, lat3, lon3) / R_EARTH
    t13 = np.radians(initial_bearing(lat1, lon1, lat3, lon3))
    t12 = np.radians(initial_bearing(lat1, lon1, lat2, lon2))
    return np.arcsin(np.sin(d13) * np.sin(t13 - t12)) * R_EARTH


# --- quaternions --------------------------------------------------------------------------
def quat_mul(q, r):
    w0, x0, y0, z0 = q
    w1, x1, y1, z1 = r
    return np.array([w0 * w1 - x0 * x1 - y0 * y1 - z0 * z1,
                     w0 * x1 + x0 * w1 + y0 * z1 - z0 * y1,
                     w0 * y1 - x0 * z1 + y0 * w1 + z0 * x1,
                     w0 * z1 + x0 * y1 - y0 * x1 + z0 * w1])


def slerp(q0, q1, t):
    q0 = q0 / np.linalg.norm(q0)
    q1 = q1 / np.linalg.norm(q1)
    dot = np.dot(q0, q1)
    q1 = np.where(dot < 0, -q1, q1)
    dot = np.abs(dot)
    dot = np.clip(dot, -1.0, 1.0)
    theta = np.arccos(dot) * t
    q2 = q1 - q0 * dot
    q2 = q2 / np.linalg.norm(q2)
    return q0 * np.cos(theta) + q2 * np.sin(theta)


def quat_to_euler(q):
    w, x, y, z = q
    roll = np.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    pitch = np.arcsin(np.clip(2 * (w * y - z * x), -1, 1))
    yaw = np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return np.array([roll, pitch, yaw])


def quat_rotate(q, v):
    qv = np.concatenate([[0.0], v])
    qc = q * np.array([1, -1, -1, -1])
    return quat_mul(quat_mul(q, qv), qc)[1:]


def axis_angle_to_matrix(axis, angle):
    k = axis / np.linalg.norm(axis)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * (K @ K)


# --- sun and light ------------------------------------------------------------------------
def noaa_sun(jd):
    T = (jd - 2451545.0) / 36525.0
    L0 = np.mod(280.46646 + T * (36000.76983 + T * 0.0003032), 360)
    M = 357.52911 + T * (35999.05029 - 0.0001537 * T)
    e = 0.016708634 - T * (0.000042037 + 0.0000001267 * T)
    Mr = np.radians(M)
    C = (np.sin(Mr) * (1.914602 - T * (0.004817 + 0.000014 * T))
         + np.sin(2 * Mr) * (0.019993 - 0.000101 * T) + np.sin(3 * Mr) * 0.000289)
    true_long = L0 + C
    omega = 125.04 - 1934.136 * T
    app_long = true_long - 0.00569 - 0.00478 * np.sin(np.radians(omega))
    eps0 = 23 + (26 + (21.448 - T * (46.815 + T * (0.00059 - T * 0.001813))) / 60) / 60
    eps = eps0 + 0.00256 * np.cos(np.radians(omega))
    decl = np.degrees(np.arcsin(np.sin(np.radians(eps)) * np.sin(np.radians(app_long))))
    y = np.tan(np.radians(eps / 2)) ** 2
    L0r = np.radians(L0)
    eot = 4 * np.degrees(y * np.sin(2 * L0r) - 2 * e * np.sin(Mr) + 4 * e * y * np.sin(Mr) * np.cos(2 * L0r)
                         - 0.5 * y * y * np.sin(4 * L0r) - 1.25 * e * e * np.sin(2 * Mr))
    return decl, eot


def solar_elevation(jd, lat, lon):
    decl, eot = noaa_sun(jd)
    frac = np.mod(jd + 0.5, 1.0)
    tst = np.mod(frac * 1440 + eot + 4 * lon, 1440)
    ha = np.where(tst / 4 < 0, tst / 4 + 180, tst / 4 - 180)
    zen = np.degrees(np.arccos(np.clip(
        np.sin(np.radians(lat)) * np.sin(np.radians(decl))
        + np.cos(np.radians(lat)) * np.cos(np.radians(decl)) * np.cos(np.radians(ha)), -1, 1)))
    return 90 - zen


def sunrise_hour_angle(lat, decl):
    c = (np.cos(np.radians(90.833)) / (np.cos(np.radians(lat)) * np.cos(np.radians(decl)))
         - np.tan(np.radians(lat)) * np.tan(np.radians(decl)))
    return np.degrees(np.arccos(np.clip(c, -1, 1)))


def light_time_correct(r_obs, r_tgt, v_tgt, iters=3):
    tau = np.linalg.norm(r_tgt - r_obs) / C_LIGHT
    for _ in range(iters):
        tau = np.linalg.norm(r_tgt - v_tgt * tau - r_obs) / C_LIGHT
    return tau


def doppler_shift(f0, v_rad):
    beta = v_rad / C_LIGHT
    return f0 * np.sqrt((1 - beta) / (1 + beta))


def radial_velocity(r, v):
    return np.dot(r, v) / np.linalg.norm(r)


def barycentric_correction(t, ra, dec):
    lam = 2 * np.pi * (t - 79.0) / 365.25
    v_earth = 29780.0
    return v_earth * np.cos(dec) * np.sin(lam - ra)


def parallax_shift(d_pc, phase):
    p_arcsec = 1.0 / d_pc
    return p_arcsec * np.cos(phase), p_arcsec * np.sin(phase)


def magnitude_sum(mags):
    return -2.5 * np.log10(np.sum(10 ** (-0.4 * mags)))


def distance_modulus(m, M):
    return 10 ** ((m - M + 5) / 5)


# --- precision and edge values --------------------------------------------------------------
def arctan2_signed_zero(y):
    return np.arctan2(y, -1.0), np.arctan2(y, 1.0)


def fmod_variants(a, b):
    return np.fmod(a, b), np.remainder(a, b), a % b


def math_fmod_vs_mod(a):
    return math.fmod(a, 3.0), a % 3.0, math.remainder(a, 3.0)


def modf_and_divmod(x):
    frac, whole = np.modf(x)
    q, r = np.divmod(x, 1.5)
    return frac, whole, q, r


def round_coords(x):
    return np.round(x, 4), np.round(x, -1), np.around(x, 2)


def floor_div_floats(x, y):
    return np.floor_divide(x, y), x // y


def to_dms(deg):
    sign = np.sign(deg)
    a = np.abs(deg)
    d = np.floor(a)
    m = np.floor((a - d) * 60)
    s = (a - d - m / 60) * 3600
    return sign * d, m, s


def to_dms_math(deg):
    a = abs(deg)
    d = int(a)
    m = int((a - d) * 60)
    s = (a - d - m / 60.0) * 3600
    return math.copysign(d, deg), m, s


def deg_rad_roundtrip(x):
    return np.rad2deg(np.deg2rad(x)), np.degrees(np.radians(x))


def copysign_angles(a, b):
    return np.copysign(a, b), np.sign(b), np.signbit(b)


def hypot_overflow(x, y):
    return np.hypot(x, y), np.sqrt(x * x + y * y)


def float32_haversine(lat1, lon1, lat2, lon2):
    return haversine(lat1, lon1, lat2, lon2)


def cos_small_angle(x):
    return 1 - np.cos(x), 2 * np.sin(x / 2) ** 2, np.expm1(np.log1p(-np.cos(x) + 1e-300))


def kahan_sum(x):
    s = 0.0
    c = 0.0
    for i in range(x.shape[0]):
        y = x[i] - c
        t = s + y
        c = (t - s) - y
        s = t
    return s


def ldexp_frexp(x):
    m, e = np.frexp(x)
    return m, e, np.ldexp(m, e)


def nextafter_ulp(x):
    return np.nextafter(x, np.inf) - x, np.spacing(x)


def angle_clip_arccos(u, v):
    cos = np.sum(u * v, axis=-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.arccos(np.clip(cos, -1.0, 1.0))


def normalize_angle_loop(a):
    while a > math.pi:
        a -= 2 * math.pi
    while a < -math.pi:
        a += 2 * math.pi
    return a


def normalize_angle_if(a):
    if a < 0:
        a += 360.0
    return a


def kepler_until_tol(M, e):
    E = M
    while True:
        dE = (E - e * np.sin(E) - M) / (1 - e * np.cos(E))
        E = E - dE
        if np.abs(dE) < 1e-12:
            break
    return E



# --- Python builtins and math on traced numbers ----------------------------------------------
def round_builtin(x):
    return round(float(x), 2), round(float(x))


def divmod_builtin(x):
    return divmod(x, 360.0)


def int_mod(x):
    return int(x) % 7, int(x) // 7


def isclose_math(a, b):
    return math.isclose(a, b, rel_tol=1e-9)


def atan2_math_signed(y):
    return math.atan2(y, -1.0), math.copysign(1.0, y)


def hypot3(x, y, z):
    return math.hypot(x, y, z), math.dist((x, y), (z, 0.0))


def cross_norm(u, v):
    w = np.cross(u, v); return w / np.linalg.norm(w)


def normalize_angle_where(a):
    return np.where(a < 0, a + 360.0, a)


def float16_deg(x):
    return np.radians(x), np.sin(np.radians(x))


def unwrap_discont(p):
    return np.unwrap(p, discont=np.pi / 2)


def round_neg_half(x):
    return np.round(x, 1), np.rint(x)


def mod_int_neg(x):
    return np.mod(x, -3), np.fmod(x, -3), np.remainder(x, 3), x % -3


def doy_datetime(y, m, d):
    return datetime.date(int(y), int(m), int(d)).timetuple().tm_yday


def np_angle_complex(z):
    return np.angle(z, deg=True), np.abs(z)


def phase_from_parts(re_, im):
    return np.degrees(np.arctan2(im, re_)), np.hypot(re_, im)


def magnitude_fsum(mags):
    return -2.5 * math.log10(math.fsum(10 ** (-0.4 * mags)))


# --- nested ----------------------------------------------------------------------------------
def station_elevation(station_llh, sat_ecef):
    return look_angles(sat_ecef, station_llh)["el"]


def stations_by_times(stations, sats):
    inner = gvmap.vmap(station_elevation, in_axes=(None, 0))
    return inner(stations, sats)


def sep_grid(ra1, dec1, ra2, dec2):
    return angular_separation(ra1, dec1, ra2, dec2)


def sep_all_pairs(ra1, dec1, ra2s, dec2s):
    return gvmap.vmap(sep_grid, in_axes=(None, None, 0, 0))(ra1, dec1, ra2s, dec2s)


def station_range(st, sat):
    ref = geodetic_to_ecef(st["lat"], st["lon"], st["h"])
    d = sat - ref
    return {"range": np.linalg.norm(d), "unit": d / np.linalg.norm(d)}


def sun_table(jds, lat):
    return gvmap.vmap(lambda jd: solar_elevation(jd, lat, 10.0))(jds)


def unwrap_columns(h):
    return np.unwrap(h, axis=0, period=360)


# --- the corpus ------------------------------------------------------------------------------
lat_a = rng.uniform(-80, 80, B)
lon_a = rng.uniform(-180, 180, B)
lat_b = rng.uniform(-80, 80, B)
lon_b = rng.uniform(-180, 180, B)
jd_b = 2451545.0 + rng.uniform(-20000, 20000, B)
ecc = rng.uniform(0.0, 0.9, B)
Mb = rng.uniform(-np.pi, 3 * np.pi, B)
near_pi = np.array([np.pi, -np.pi, np.nextafter(np.pi, 0), -np.nextafter(np.pi, 0), 0.0])
neg_angles = np.array([-725.5, -360.0, -0.0, 359.9999999, 720.25])
station = np.array([48.85, 2.35, 35.0])
sats = geodetic_to_ecef(rng.uniform(-60, 60, B), rng.uniform(-180, 180, B), 2.0e7 + 0 * np.arange(B)).T
stations = np.stack([np.array([48.85, 2.35, 35.0]), np.array([-33.9, 18.4, 10.0]), np.array([35.7, 139.7, 40.0])])
q0s = rng.randn(B, 4)
q1s = rng.randn(B, 4)
unit_p = np.stack([latlon_to_unit(a, b) for a, b in zip(lat_a, lon_a)])
unit_q = np.stack([latlon_to_unit(a, b) for a, b in zip(lat_b, lon_b)])

CASES = [
    ("kepler_math", kepler_math, (Mb, ecc), 0, 0),
    ("kepler_numpy", kepler_numpy, (Mb, ecc), 0, 0),
    ("kepler_numpy_shared_e", kepler_numpy, (rng.uniform(0, 2 * np.pi, (B, 7)), 0.3), (0, None), 0),
    ("true_anomaly", true_anomaly, (Mb, ecc), 0, 0),
    ("elements_to_state", elements_to_state,
     (rng.uniform(7e6, 4.2e7, B), ecc * 0.5, rng.uniform(0, np.pi, B), rng.uniform(0, 2 * np.pi, B),
      rng.uniform(0, 2 * np.pi, B), Mb), 0, 0),
    ("elements_to_state_axis1_out", elements_to_state,
     (rng.uniform(7e6, 4.2e7, B), 0.1, 0.9, 1.2, 0.4, Mb), (0, None, None, None, None, 0), 1),
    ("orbit_period_and_energy", orbit_period_and_energy, (rng.uniform(7e6, 4.2e7, B),), 0, 0),
    ("kepler_propagate_points", kepler_propagate_points,
     (np.stack([rng.uniform(7e6, 4e7, B), ecc * 0.5, Mb], axis=1), np.linspace(0, 86400, 9)), (0, None), 0),
    ("julian_date_int", julian_date,
     (rng.randint(-4000, 2100, B), rng.randint(1, 13, B), rng.randint(1, 29, B)), 0, 0),
    ("julian_date_neg_month_shared_day", julian_date,
     (rng.randint(1900, 2100, B), np.array([-3, 0, 1, 2, 14]), 15), (0, 0, None), 0),
    ("julian_date_float", julian_date_float,
     (rng.randint(1600, 2100, B).astype(float), rng.randint(1, 13, B).astype(float),
      rng.randint(1, 29, B).astype(float), rng.uniform(0, 24, B)), 0, 0),
    ("day_of_year", day_of_year, (np.concatenate([jd_b[:3], [-0.5, -1234.75]]),), 0, (0, 0)),
    ("gmst_deg", gmst_deg, (jd_b,), 0, 0),
    ("gmst_float32", gmst_deg, (jd_b.astype(np.float32),), 0, 0),
    ("local_sidereal_hours", local_sidereal_hours, (jd_b, lon_a), 0, 0),
    ("local_sidereal_shared_lon", local_sidereal_hours, (jd_b, -71.06), (0, None), 0),
    ("seconds_to_hms", seconds_to_hms, (np.array([-3661.5, -0.0, 0.0, 86399.999, 1e9]),), 0, 0),
    ("hour_angle_wrap", hour_angle_wrap, (rng.uniform(0, 24, B), rng.uniform(0, 24, B)), 0, 0),
    ("weekday_of_jd_negative", weekday_of_jd, (np.array([-1, -7, -8, 0, 2460000]),), 0, 0),
    ("gps_week_seconds", gps_week_seconds, (np.array([-1.0, -604800.0, 0.0, 1.4e9, 604799.5]),), 0, 0),
    ("equatorial_to_horizontal", equatorial_to_horizontal,
     (rng.uniform(0, 2 * np.pi, B), rng.uniform(-1.5, 1.5, B), 0.7, rng.uniform(0, 2 * np.pi, B)),
     (0, 0, None, 0), 0),
    ("equatorial_to_horizontal_out_tuple_axes", equatorial_to_horizontal,
     (rng.uniform(0, 2 * np.pi, (B, 3)), rng.uniform(-1.5, 1.5, (B, 3)), rng.uniform(-1, 1, B),
      rng.uniform(0, 2 * np.pi, B)), 0, (0, 1)),
    ("equatorial_to_ecliptic_matrix", equatorial_to_ecliptic_matrix, (rng.randn(B, 3),), 0, 0),
    ("ecliptic_traced_obliquity", equatorial_to_ecliptic_matrix,
     (rng.randn(B, 3), rng.uniform(0.40, 0.41, B)), 0, 0),
    ("radec_to_ecliptic", radec_to_ecliptic, (rng.uniform(0, 2 * np.pi, B), rng.uniform(-1.5, 1.5, B)), 0, 0),
    ("rotate_batch_by_angle", rotate_batch_by_angle, (rng.randn(B, 6, 2), rng.uniform(-np.pi, np.pi, B)), 0, 0),
    ("rotate_axis1_points", rotate_batch_by_angle, (rng.randn(6, B, 2), 0.3), (1, None), 1),
    ("horizontal_to_enu", horizontal_to_enu, (rng.uniform(0, 2 * np.pi, B), rng.uniform(0, 1.5, B)), 0, 1),
    ("angular_separation", angular_separation,
     (rng.uniform(0, 6, B), rng.uniform(-1.5, 1.5, B), rng.uniform(0, 6, B), rng.uniform(-1.5, 1.5, B)), 0, 0),
    ("angular_separation_identical", angular_separation,
     (np.full(B, 1.1), np.full(B, 0.3), np.full(B, 1.1), np.full(B, 0.3)), 0, 0),
    ("angle_between", angle_between, (rng.randn(B, 3), rng.randn(B, 3)), 0, 0),
    ("angle_between_parallel", angle_between, (np.tile([1.0, 2.0, 3.0], (B, 1)), np.arange(1, B + 1)[:, None] * np.array([1.0, 2.0, 3.0])), 0, 0),
    ("angle_between_float16", angle_between,
     ((rng.randn(B, 3) * 30).astype(np.float16), (rng.randn(B, 3) * 30).astype(np.float16)), 0, 0),
    ("precess_simple", precess_simple, (rng.uniform(0, 360, B), rng.uniform(-80, 80, B), 50.0), (0, 0, None), 0),
    ("haversine", haversine, (lat_a, lon_a, lat_b, lon_b), 0, 0),
    ("haversine_from_station", haversine, (48.85, 2.35, lat_b, lon_b), (None, None, 0, 0), 0),
    ("haversine_math", haversine_math, (lat_a, lon_a, lat_b, lon_b), 0, 0),
    ("haversine_pairs_axis1", haversine_pairs, (rng.uniform(-80, 80, (4, B, 2)), rng.uniform(-80, 80, (4, B, 2))), 1, 0),
    ("haversine_float32", float32_haversine,
     tuple(v.astype(np.float32) for v in (lat_a, lon_a, lat_b, lon_b)), 0, 0),
    ("track_length", track_length, (rng.uniform(-60, 60, (B, 8)), rng.uniform(-170, 170, (B, 8))), 0, 0),
    ("initial_bearing", initial_bearing, (lat_a, lon_a, lat_b, lon_b), 0, 0),
    ("initial_bearing_due_north_south", initial_bearing,
     (np.zeros(B), np.zeros(B), np.array([10.0, -10.0, 0.0, 90.0, -90.0]), np.zeros(B)), 0, 0),
    ("bearing_math", bearing_math, (lat_a, lon_a, lat_b, lon_b), 0, 0),
    ("vincenty_inverse", vincenty_inverse, (lat_a, lon_a, lat_b, lon_b), 0, 0),
    ("great_circle_interp", great_circle_interp, (unit_p, unit_q), 0, 0),
    ("great_circle_interp_out1", great_circle_interp, (unit_p, unit_q), 0, 1),
    ("midpoint", midpoint, (lat_a, lon_a, lat_b, lon_b), 0, 0),
    ("destination_point", destination_point, (lat_a, lon_a, rng.uniform(0, 360, B), rng.uniform(1e3, 5e6, B)), 0, 0),
    ("geodetic_to_ecef", geodetic_to_ecef, (lat_a, lon_a, rng.uniform(0, 9000, B)), 0, 1),
    ("ecef_to_geodetic_bowring", ecef_to_geodetic_bowring,
     (geodetic_to_ecef(lat_a, lon_a, rng.uniform(0, 9000, B)).T,), 0, 0),
    ("ecef_to_geodetic_axis1", ecef_to_geodetic_bowring,
     (geodetic_to_ecef(lat_a, lon_a, rng.uniform(0, 9000, B)),), 1, 0),
    ("ecef_to_geodetic_math", ecef_to_geodetic_math, tuple(geodetic_to_ecef(lat_a, lon_a, 100.0)), 0, 0),
    ("ecef_to_enu_shared_station", ecef_to_enu, (sats, station), (0, None), 0),
    ("look_angles_dict", look_angles, (sats, station), (0, None), {"az": 0, "el": 0, "range": 0}),
    ("look_angles_from_stations", look_angles, (sats[0], stations), (None, 0), 0),
    ("utm_like", utm_like, (np.array([-33.9, 0.0, 51.5, -0.0, 78.2]), np.array([18.4, -180.0, -0.1, 179.99, 15.6])), 0, 0),
    ("mercator", mercator, (rng.uniform(-80, 80, (B, 3)), rng.uniform(-180, 180, (B, 3))), 0, 1),
    ("wrap_lon_180", wrap_lon_180, (neg_angles,), 0, 0),
    ("wrap_lon_fmod", wrap_lon_fmod, (neg_angles,), 0, 0),
    ("wrap_angle_remainder", wrap_angle_remainder, (np.array([-7.0, -np.pi, np.pi, 3 * np.pi, -0.0]),), 0, 0),
    ("wrap_angle_math_fmod", wrap_angle_math_fmod, (neg_angles,), 0, 0),
    ("wrap_pi_arctan2", wrap_pi_arctan2, (near_pi,), 0, 0),
    ("heading_difference", heading_difference, (np.array([350.0, 10.0, -170.0, 0.0, 180.0]), np.array([10.0, 350.0, 170.0, -0.0, 0.0])), 0, 0),
    ("unwrap_headings", unwrap_headings, (np.cumsum(rng.uniform(-40, 80, (B, 12)), axis=1) % 360,), 0, 0),
    ("unwrap_period_axis1", unwrap_period, (np.cumsum(rng.uniform(-40, 80, (12, B)), axis=0) % 360,), 1, 1),
    ("mean_heading", mean_heading, (rng.uniform(-30, 30, (B, 6)) % 360,), 0, 0),
    ("mean_heading_float16", mean_heading, ((rng.uniform(-30, 30, (B, 6)) % 360).astype(np.float16),), 0, 0),
    ("dead_reckoning", dead_reckoning,
     (np.stack([lat_a * 0.5, lon_a], axis=1), rng.uniform(2, 12, (B, 6)), rng.uniform(0, 360, (B, 6))), 0, 0),
    ("dead_reckoning_shared_start", dead_reckoning,
     (np.array([10.0, 20.0]), rng.uniform(2, 12, (B, 6)), rng.uniform(0, 360, (B, 6))), (None, 0, 0), 0),
    ("dead_reckoning_cumsum", dead_reckoning_cumsum, (rng.uniform(0, 5, (B, 10)), rng.uniform(0, 360, (B, 10))), 0, (0, 0)),
    ("turn_rate", turn_rate, (rng.uniform(0, 360, (B, 7)),), 0, 0),
    ("cross_track", cross_track, (lat_a, lon_a, lat_b, lon_b, 0.5 * (lat_a + lat_b), 0.5 * (lon_a + lon_b)), 0, 0),
    ("quat_mul", quat_mul, (q0s, q1s), 0, 0),
    ("slerp", slerp, (q0s, q1s, rng.uniform(0, 1, B)), 0, 0),
    ("slerp_shared_t_axis1", slerp, (q0s.T, q1s.T, 0.25), (1, 1, None), 0),
    ("quat_to_euler", quat_to_euler, (q0s / np.linalg.norm(q0s, axis=1, keepdims=True),), 0, 0),
    ("quat_rotate", quat_rotate, (q0s / np.linalg.norm(q0s, axis=1, keepdims=True), rng.randn(B, 3)), 0, 0),
    ("axis_angle_to_matrix", axis_angle_to_matrix, (rng.randn(B, 3), rng.uniform(-np.pi, np.pi, B)), 0, 0),
    ("noaa_sun", noaa_sun, (jd_b,), 0, 0),
    ("solar_elevation_station", solar_elevation, (jd_b, 40.0, -105.0), (0, None, None), 0),
    ("sunrise_hour_angle_polar", sunrise_hour_angle, (np.array([0.0, 45.0, 70.0, 89.0, -89.0]), 23.0), (0, None), 0),
    ("light_time_correct", light_time_correct, (rng.randn(B, 3) * AU, rng.randn(B, 3) * 5 * AU, rng.randn(B, 3) * 3e4), 0, 0),
    ("doppler_shift", doppler_shift, (1.42e9, rng.uniform(-3e5, 3e5, B)), (None, 0), 0),
    ("radial_velocity", radial_velocity, (rng.randn(B, 3), rng.randn(B, 3)), 0, 0),
    ("barycentric_correction", barycentric_correction, (rng.uniform(0, 365, B), 1.2, -0.4), (0, None, None), 0),
    ("parallax_shift", parallax_shift, (rng.uniform(1, 100, B), rng.uniform(0, 2 * np.pi, B)), 0, (0, 0)),
    ("magnitude_sum", magnitude_sum, (rng.uniform(5, 15, (B, 4)),), 0, 0),
    ("distance_modulus_float32", distance_modulus, (rng.uniform(5, 15, B).astype(np.float32), np.float32(4.8)), (0, None), 0),
    ("arctan2_signed_zero", arctan2_signed_zero, (np.array([0.0, -0.0, 1e-300, -1e-300, 0.0]),), 0, 0),
    ("fmod_variants_negative", fmod_variants, (np.array([-7.5, 7.5, -0.0, -360.0, 1e-17]), np.array([2.0, -2.0, 3.0, 360.0, -360.0])), 0, 0),
    ("math_fmod_vs_mod", math_fmod_vs_mod, (np.array([-7.5, 7.5, -0.0, -3.0, 4.5]),), 0, 0),
    ("modf_and_divmod_negative", modf_and_divmod, (np.array([-2.5, -0.0, 3.75, -1e-20, -4.5]),), 0, 0),
    ("round_coords", round_coords, (np.array([12.34565, -0.00005, 45.0, -15.0, 2.675]),), 0, 0),
    ("floor_div_floats", floor_div_floats, (np.array([-7.0, 7.0, -0.5, 0.5, -1e-300]), np.array([2.0, -2.0, 1.0, -1.0, 1.0])), 0, 0),
    ("to_dms", to_dms, (np.array([-12.5125, 0.0, -0.0, 45.999999, 179.25]),), 0, 0),
    ("to_dms_math", to_dms_math, (np.array([-12.5125, 0.25, -0.5, 45.999999, 179.25]),), 0, 0),
    ("deg_rad_roundtrip_float32", deg_rad_roundtrip, (np.array([-180, -0.0, 90, 359.99, 1e-30], np.float32),), 0, 0),
    ("copysign_angles", copysign_angles, (np.full(B, np.pi), np.array([0.0, -0.0, -1.0, np.inf, -np.inf])), 0, 0),
    ("hypot_overflow", hypot_overflow, (np.array([1e200, 3.0, -0.0, np.inf, 1e-200]), np.array([1e200, 4.0, 0.0, np.nan, 1e-200])), 0, 0),
    ("cos_small_angle", cos_small_angle, (np.array([1e-8, 1e-4, 0.5, np.pi, -1e-8]),), 0, 0),
    ("kahan_sum", kahan_sum, (rng.randn(B, 12) * 10.0 ** rng.randint(-8, 8, (B, 12)),), 0, 0),
    ("ldexp_frexp", ldexp_frexp, (np.array([-0.0, 1e-310, -3.5, 1e300, 6.0]),), 0, 0),
    ("nextafter_ulp", nextafter_ulp, (np.array([1.0, 2451545.0, -0.0, 1e-320, 360.0]),), 0, 0),
    ("angle_clip_arccos", angle_clip_arccos, (rng.randn(B, 4, 3), rng.randn(B, 4, 3)), 0, 0),
    ("stations_by_times", stations_by_times, (stations, sats), (0, None), 0),
    ("station_range_dict_in", station_range,
     ({"lat": rng.uniform(-60, 60, B), "lon": rng.uniform(-180, 180, B), "h": 100.0}, rng.randn(B, 3) * 2e7),
     ({"lat": 0, "lon": 0, "h": None}, 0), {"range": 0, "unit": 1}),
    ("sun_table_nested", sun_table, (2451545.0 + rng.uniform(0, 3000, (B, 6)), rng.uniform(-60, 60, B)), 0, 0),
    ("unwrap_columns_axis1", unwrap_columns, (rng.uniform(0, 360, (7, B, 2)),), 1, 1),
    ("sep_all_pairs", sep_all_pairs, (rng.uniform(0, 6, B), rng.uniform(-1, 1, B), rng.uniform(0, 6, (4, 3)), rng.uniform(-1, 1, (4, 3))), (0, 0, None, None), 1),
    ("round_builtin", round_builtin, (np.array([2.675, -0.125, 1.005, -2.5, 0.5]),), 0, 0),
    ("divmod_builtin", divmod_builtin, (neg_angles,), 0, 0),
    ("int_mod", int_mod, (np.array([-8.7, -1.0, 15.2, -0.5, 6.99]),), 0, 0),
    ("isclose_math", isclose_math, (np.arange(1.0, 6.0), np.arange(1.0, 6.0) + np.array([1e-12, 0.1, 0, -1e-9, 1e-8])), 0, 0),
    ("atan2_math_signed", atan2_math_signed, (np.array([0.0, -0.0, 1.0, -1e-300, np.inf]),), 0, 0),
    ("hypot3", hypot3, (np.array([3.0, 1e200, -0.0, 1.0, 2.0]), np.array([4.0, 1e200, 0.0, 1.0, 3.0]),
                        np.array([12.0, 1.0, -0.0, 1.0, 6.0])), 0, 0),
    ("cross_norm", cross_norm, (rng.randn(B, 3), rng.randn(B, 3)), 0, 0),
    ("normalize_angle_where", normalize_angle_where, (rng.uniform(-20, 20, B),), 0, 0),
    ("float16_deg", float16_deg, (np.array([[-180, 90.5, 359.9], [1.0, -0.0, 45.0]], np.float16).repeat(3, 0)[:B],), 0, 0),
    ("unwrap_discont", unwrap_discont, (np.cumsum(rng.uniform(-2, 2, (B, 8)), axis=1),), 0, 0),
    ("round_neg_half", round_neg_half, (np.array([-0.25, -0.05, -2.5, 0.35, -0.0]),), 0, 0),
    ("mod_int_neg", mod_int_neg, (np.array([[-7, 7, 0, -3, 5]]).repeat(B, 0),), 0, 0),
    ("phase_from_parts", phase_from_parts, (np.array([-1.0, -1.0, 0.0, -0.0, 3.0]), np.array([0.0, -0.0, 1.0, -0.0, 4.0])), 0, 0),
]

REFUSED = [
    ("normalize_angle_loop", normalize_angle_loop, (rng.uniform(-20, 20, B),), 0, TracerConversionError,
     r"Python `if`/`while`.*computed from argument 0 \('a'\).*np\.where\(cond, x, y\)", "wrap_pi_arctan2"),
    ("normalize_angle_if", normalize_angle_if, (rng.uniform(-20, 20, B),), 0, TracerConversionError,
     r"Python `if`.*computed from argument 0 \('a'\).*np\.where\(cond, x, y\)", "normalize_angle_where"),
    ("kepler_until_tol", kepler_until_tol, (Mb, ecc), 0, TracerConversionError,
     r"Python `if`/`while`.*computed from argument 0 \('M'\), argument 1 \('e'\)", "kepler_numpy"),
    ("doy_datetime", doy_datetime, (np.array([2000, 2001, 2024, 1999, 2023]), np.array([3, 12, 2, 1, 7]),
                                    np.array([1, 31, 29, 1, 4])), 0, TracerConversionError,
     r"traced array as a Python index or size \(computed from argument 0 \('y'\)\)", "julian_date_int"),
    ("np_angle_complex", np_angle_complex, (np.array([-1 + 0j, -1 - 0j, 1j, -0.0 - 0j, 3 + 4j]),), 0, TypeError,
     r"argument 0 \('z'\) has dtype complex128.*real and imaginary parts as two float arrays",
     "phase_from_parts"),
    ("magnitude_fsum", magnitude_fsum, (rng.uniform(5, 15, (B, 4)),), 0, TracerConversionError,
     r"math\.fsum\(\) of a traced array.*np\.sum\(x\)", "magnitude_sum"),
]


(test_geo_corpus_function, test_geo_corpus_refusal_and_its_rewrite,
 test_geo_corpus_size) = corpus_tests(CASES, REFUSED, (122, 6))
