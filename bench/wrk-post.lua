-- wrk script for bench/timelines.sh: POST /api/v1/statuses with a form body (the bearer token
-- comes with -H), reported like bench/wrk-report.lua. Every request creates a status.
wrk.method = "POST"
wrk.body = "status=bench+post"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
dofile("bench/wrk-report.lua")
