"""Fits the erfc polynomial used by native/fused/gelu.cc (ErfcTail):
erfc(a) ≈ t·exp(−a² + P(t)), t = 1/(1 + a/2), a ≥ 0, P of degree 9, least squares on log(erfc) over
a in [0, 10] (t sampled at Chebyshev-like points), with Python's double-precision math.erfc as the truth.
Prints the coefficients (constant term first) and the fit's max relative error of erfc.

Run: .venv/bin/python scripts/fit-erfc-tail.py [degree]
"""
import math
import sys

import numpy as np

degree = int(sys.argv[1]) if len(sys.argv) > 1 else 9
t_lo = 1 / 6  # t at a = 10
t = np.cos(np.linspace(0, np.pi, 4000)) * (1 - t_lo) / 2 + (1 + t_lo) / 2
a = 2 * (1 / t - 1)
target = np.array([math.log(math.erfc(v)) for v in a]) - np.log(t) + a * a
coeffs, *_ = np.linalg.lstsq(np.vander(t, degree + 1, increasing=True), target, rcond=None)

check_a = np.linspace(0, 10, 200001)
check_t = 1 / (1 + check_a / 2)
approx = check_t * np.exp(-check_a * check_a + np.polyval(coeffs[::-1], check_t))
exact = np.array([math.erfc(v) for v in check_a])
print(f"degree {degree}: max relative error of erfc {np.max(np.abs(approx / exact - 1)):.3g}")
print(", ".join(f"{c:.9e}f" for c in coeffs))
