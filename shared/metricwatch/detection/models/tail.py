"""How rare a surprise is: an exponential tail fitted above a high training quantile.

Peaks over threshold, the simplest form: above the training data's `q`
quantile u0, excesses are taken as exponential with their mean excess, so
p(s) = (1 - q) * exp(-(s - u0) / mean_excess). This extrapolates past the
largest value seen in training, which an empirical rank cannot do, and gives
one calibrated scale for every series: a p of 1e-6 means "about one row in a
million this surprising in a week like the training week".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A glitch (a counter wrapping to 1e19) left whole would set the tail alone and
# hide every anomaly for the week it stays in training. An excess beyond this
# many times the median excess is cut to it, when there are only a few such
# (GLITCHES_AT_MOST of the rows): an exponential tail passes it with
# probability e^-69, and a series whose training holds many (regular bursts
# far above its noise) keeps them, since they are its tail. At 1,000 a 1e19
# glitch still tripled the mean excess (an 8-sigma spike read 2.4 digits
# instead of 7.3); at 100 it reads 5.7.
MAX_EXCESS_RATIO = 100.0
GLITCHES_AT_MOST = 0.002


@dataclass
class Tail:
    q: float
    u0: float
    mean_excess: float
    log_space: bool = False

    def log10_p(self, s: np.ndarray) -> np.ndarray:
        """log10 of the tail probability (0 below the fitted quantile's reach)."""
        if self.log_space:
            s = np.log(np.maximum(s, 1e-12))
        logp = (s - self.u0) * (-1.0 / (self.mean_excess * np.log(10.0))) + np.log10(1.0 - self.q)
        logp[s < self.u0] = 0.0
        return logp


def fit_tail(s: np.ndarray, q: float = 0.9, floor: float = 1e-9, log_space: bool = False) -> Tail:
    s = s[np.isfinite(s)]
    if log_space:
        s = np.log(np.maximum(s, 1e-12))
    u0 = float(np.quantile(s, q)) if len(s) else 0.0
    over = s[s > u0] - u0
    if len(over):
        cap = MAX_EXCESS_RATIO * float(np.median(over))
        if (over > cap).sum() <= max(1, GLITCHES_AT_MOST * len(s)):
            over = np.minimum(over, cap)
    mean_excess = float(over.mean()) if len(over) else 0.0
    return Tail(q, u0, max(mean_excess, floor, abs(u0) * 1e-3), log_space)


def fit_side_tail(s: np.ndarray, q: float, caution: float) -> Tail:
    """The tail of one side's deviations (`s` >= 0), its mean excess widened by 1 + caution / sqrt(n)
    for its n excesses.

    A side is fitted on about half the rows, and its tail on a tenth of those:
    a week of hourly data leaves some 8 excesses, whose mean can come out half
    the true one by chance, and a tail that light calls ordinary noise rare
    (`make bench-shapes`, hourly Gaussian noise: false alarms 0 -> 15 in 16
    series' judged fortnights without the widening, 0 -> 2 with it). At n = 8
    the widening is x 2.1, about the 95 % upper bound of an exponential mean
    (x 2.0); it fades more slowly than that bound as evidence grows (x 1.2 at
    n = 200, a side of a week of 5-minute rows, where the bound is x 1.13).
    """
    tail = fit_tail(s, q)
    n = max(int(np.count_nonzero(s > tail.u0)), 1)
    return Tail(tail.q, tail.u0, tail.mean_excess * (1.0 + caution / np.sqrt(n)), tail.log_space)
