r"""Theoretical cost of standard and depthwise-separable convolutions (MobileNetV1, Sec. 3.1).

Symbols of the paper: $D_K$ kernel size, $M$ input channels, $N$ output channels, $D_F$ size of the
(square) feature map, stride 1 and "same" padding. A width multiplier $\alpha$ and a resolution
multiplier $\rho$ (Eq. 6) enter by passing $\alpha M$, $\alpha N$ and $\rho D_F$.
"""

from __future__ import annotations

__all__ = ["depthwise_conv_macs", "separable_conv_macs", "separable_cost_ratio", "standard_conv_macs"]


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def standard_conv_macs(D_K: int, M: int, N: int, D_F: int) -> int:
    r"""Mult-adds of a standard convolution, $D_K \cdot D_K \cdot M \cdot N \cdot D_F \cdot D_F$ (Eq. 2)."""
    _check_positive(D_K=D_K, M=M, N=N, D_F=D_F)
    return D_K * D_K * M * N * D_F * D_F


def depthwise_conv_macs(D_K: int, M: int, D_F: int) -> int:
    r"""Mult-adds of a depthwise convolution, $D_K \cdot D_K \cdot M \cdot D_F \cdot D_F$ (Eq. 4)."""
    _check_positive(D_K=D_K, M=M, D_F=D_F)
    return D_K * D_K * M * D_F * D_F


def separable_conv_macs(D_K: int, M: int, N: int, D_F: int) -> int:
    r"""Mult-adds of a depthwise-separable convolution (Eq. 5).

    $D_K \cdot D_K \cdot M \cdot D_F \cdot D_F + M \cdot N \cdot D_F \cdot D_F$: the depthwise filter plus
    the $1\times1$ pointwise combination.
    """
    _check_positive(D_K=D_K, M=M, N=N, D_F=D_F)
    return depthwise_conv_macs(D_K, M, D_F) + M * N * D_F * D_F


def separable_cost_ratio(N: int, D_K: int) -> float:
    r"""Cost of a separable conv relative to a standard one, $\frac{1}{N} + \frac{1}{D_K^2}$ (Sec. 3.1).

    Independent of $M$ and $D_F$: for $3\times3$ kernels it is 8 to 9 times cheaper.
    """
    _check_positive(N=N, D_K=D_K)
    return 1.0 / N + 1.0 / D_K**2
