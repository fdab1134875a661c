"""``np.fft``: the transforms are refused, with the real rewrite; the index shuffles
(``fftshift``, ``ifftshift``) of a real array are ``np.roll``.

Every transform gives (or takes) complex numbers, which gvmap does not support (its
primitives and kernels have real semantics only). A magnitude or power spectrum, what
per-example audio code mostly wants, is two real matrix products with the DFT's cosine
and sine tables, which the message spells out.
"""
from __future__ import annotations

from typing import Any, Callable

from ._core import check_operand, ndim_of, normalize_axes, refused, shape_of
from .extras import roll

__all__ = ["fftshift", "ifftshift", "TRANSFORMS", "transform_refusal"]

TRANSFORMS = ("fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn",
              "ifftn", "rfftn", "irfftn", "hfft", "ihfft")


def transform_refusal(name: str) -> Callable:
    """numpy.fft.<name> refused: its results are complex."""
    return refused(
        f"fft.{name}", "the transform works on complex numbers, which gvmap does not support",
        "For a spectrum of a real signal x of length n use the real DFT tables, built outside "
        "the function: k = np.arange(n // 2 + 1)[:, None]; C = np.cos(2 * np.pi * k * "
        "np.arange(n) / n); S = np.sin(2 * np.pi * k * np.arange(n) / n); then re, im = C @ x, "
        "-(S @ x) are the real and imaginary parts of np.fft.rfft(x), and np.hypot(re, im) is "
        "np.abs(np.fft.rfft(x))")


def _shift(a: Any, axes: Any, sign: int, name: str) -> Any:
    a = check_operand(a, f"fft.{name}")
    axes = tuple(range(ndim_of(a))) if axes is None else normalize_axes(axes, ndim_of(a))
    return roll(a, tuple(sign * (shape_of(a)[ax] // 2) for ax in axes), axes)


def fftshift(x: Any, axes: Any = None) -> Any:
    """numpy.fft.fftshift: the zero frequency moved to the centre (a roll by n // 2)."""
    return _shift(x, axes, 1, "fftshift")


def ifftshift(x: Any, axes: Any = None) -> Any:
    """numpy.fft.ifftshift: fftshift undone (a roll by -(n // 2))."""
    return _shift(x, axes, -1, "ifftshift")
