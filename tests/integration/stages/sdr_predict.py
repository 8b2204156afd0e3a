"""sdr-dendrites stage: the false-match probability P_fm(n, a, s, theta) (Ahmad & Hawkins 2016, eq. 3).

usage: sdr_predict.py N A S THETA
"""

import sys

from _stage import report

from sdr_dendrites import false_match_probability

n, a, s, theta = map(int, sys.argv[1:5])
report(p=float(false_match_probability(n, a, s, theta)))
