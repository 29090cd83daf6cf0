-- wrk reporter for bench/run.sh: one machine-readable line after the run (latencies in µs).
-- errors.status counts responses with status >= 400; the other errors are socket failures.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK requests=%d duration_us=%d p50_us=%d p99_us=%d bad_status=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
