"""Load tests: k6 result imports, run figures, comparisons, SLO verdicts and the capacity plan."""
