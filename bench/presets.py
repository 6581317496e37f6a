"""Shop presets of the full sync benchmark: the load model the simulator gets.

fast         a quick shop: the default of earlier versions of this benchmark
shared-host  a typical shared host: 0.3 s a read, 0.5 s a write, 100 requests a minute
             answered with 429 and Retry-After beyond that (a sliding 60 s window)

write_row_latency is what each row a write saves adds: 1.5 ms measured on a real 8.1.2
(a 44-row PATCH in 0.065-0.071 s against 0.013-0.017 s for one row, transcripts README);
the shared host is taken as slower by a factor of about three.
"""

PRESETS = {
    "fast": {
        "read_latency": 0.02,
        "write_latency": 0.03,
        "write_row_latency": 0.0015,
        "capacity": 4,
        "rate_limit": 6000,
        "baseline_sample": 500,
        "single_sample_chunks": 0,
    },
    "shared-host": {
        "read_latency": 0.3,
        "write_latency": 0.5,
        "write_row_latency": 0.005,
        "capacity": 4,
        "rate_limit": 100,
        "baseline_sample": 60,
        "single_sample_chunks": 2,
    },
}


def apply_preset(args) -> None:
    """Fill every option left unset (None) from the chosen preset."""
    for name, value in PRESETS[args.preset].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
