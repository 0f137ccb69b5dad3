"""Regenerates the .npy fixtures used by tests/io.rs (run from this directory).

Requires numpy. Every fixture is small (< 2 KB) and deterministic.
"""
import numpy as np
from numpy.lib import format as fmt

a = np.arange(6, dtype="<f8").reshape(2, 3) / 4  # [[0, .25, .5], [.75, 1, 1.25]]


def save(name, arr, version=None):
    with open(name, "wb") as f:
        fmt.write_array(f, arr, version=version, allow_pickle=True)


save("f8_2x3.npy", a)
save("f4_3.npy", np.array([1.5, -2.0, 3.25], dtype="<f4"))
save("be_i4_2x2.npy", np.array([[1, -2], [3, -4]], dtype=">i4"))
save("be_f8_3.npy", np.array([1.0, -0.5, 1e300], dtype=">f8"))
save("i8_3.npy", np.array([-(2**40), 0, 7], dtype="<i8"))
save("i2_3.npy", np.array([-32768, 1, 32767], dtype="<i2"))
save("i1_3.npy", np.array([-128, 0, 127], dtype="i1"))
save("u1_3.npy", np.array([0, 200, 255], dtype="u1"))
save("u2_be_2.npy", np.array([1, 65535], dtype=">u2"))
save("u8_2.npy", np.array([0, 2**53], dtype="<u8"))
save("b1_4.npy", np.array([True, False, False, True]))
save("fortran_2x3.npy", np.asfortranarray(a))
save("fortran_2x3x2.npy", np.asfortranarray(np.arange(12, dtype="<f8").reshape(2, 3, 2)))
save("scalar.npy", np.array(2.5))
save("empty_0x3.npy", np.zeros((0, 3)))
save("v2_f8_2x3.npy", a, version=(2, 0))
save("v3_f8_2x3.npy", a, version=(3, 0))
save("object.npy", np.array([1, "a"], dtype=object))
save("unicode.npy", np.array(["ab", "c"]))
save("complex.npy", np.array([1 + 2j]))
save("f2_2.npy", np.array([1.0, 2.0], dtype="<f2"))
save("structured.npy", np.zeros(2, dtype=[("x", "<f8"), ("y", "<i4")]))
