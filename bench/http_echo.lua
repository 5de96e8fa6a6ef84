-- http_echo.lua - wrk's script for the HTTP rpc row of bench/runtime.sh: POST /lv/rpc/echo, one request per connection, the result as one JSON line.
wrk.method = "POST"
wrk.body = '{"n":7}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Connection"] = "close"

local label = os.getenv("BENCH_LABEL") or "http"

function done(summary, latency, requests)
	local s = summary.duration / 1e6
	local e = summary.errors
	local bad = e.connect + e.read + e.write + e.status + e.timeout
	io.write(string.format(
		'{"label":"%s","mode":"http","conns":%s,"ops":%d,"window_s":%.3f,"ops_per_s":%.1f,' ..
		'"p50_us":%.1f,"p99_us":%.1f,"p999_us":%.1f,"errors":%d,"status_errors":%d}\n',
		label, os.getenv("BENCH_CONNS") or "0", summary.requests, s, summary.requests / s,
		latency:percentile(50), latency:percentile(99), latency:percentile(99.9), bad, e.status))
end
