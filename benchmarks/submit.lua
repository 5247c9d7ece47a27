-- wrk script for benchmarks/bench_submit.py: every connection submits survey
-- links, one POST per link with all answers in the body; every Kth link is
-- submitted a second time (a retry, which must answer already_answered).
--
--   wrk -t T -c C -d 20s -s benchmarks/submit.lua http://127.0.0.1:PORT -- TOKENS BODY K T
--
-- TOKENS: a file of one token per line (thread i takes lines i, i+T, ...);
-- BODY: the JSON body; K: retry every Kth link (0: never); T: wrk's -t.
-- done() prints one JSON line the benchmark reads, with how many links each
-- thread took, so the benchmark knows exactly which links were sent.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  local nthreads = tonumber(args[4])
  every = tonumber(args[3])
  tokens = {}
  local n = 0
  for line in io.lines(args[1]) do
    if n % nthreads == id - 1 then
      table.insert(tokens, line)
    end
    n = n + 1
  end
  local f = assert(io.open(args[2], "r"))
  body = f:read("*a")
  f:close()
  headers = { ["Content-Type"] = "application/json" }
  sent, retries, answered, repeated, bad, exhausted = 0, 0, 0, 0, 0, 0
  retry = nil
end

function request()
  local token
  if retry ~= nil then
    token, retry = retry, nil
    retries = retries + 1
  elseif sent >= #tokens then
    -- Out of links: repeat the first one (answered long ago).
    exhausted = 1
    token = tokens[1]
    retries = retries + 1
  else
    sent = sent + 1
    token = tokens[sent]
    if every > 0 and sent % every == 0 then
      retry = token
    end
  end
  return wrk.format("POST", "/api/v1/surveys/" .. token .. "/submit", headers, body)
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  elseif body:find('"already_answered":true', 1, true) then
    repeated = repeated + 1
  else
    answered = answered + 1
  end
end

function done(summary, latency, requests)
  local t = { sent = 0, retries = 0, answered = 0, repeated = 0, bad = 0, exhausted = 0 }
  local per_thread = {}
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do
      t[k] = t[k] + thread:get(k)
    end
    table.insert(per_thread, tostring(thread:get("sent")))
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, '
      .. '"sent": %d, "retries": %d, "answered": %d, "repeated": %d, "bad": %d, '
      .. '"exhausted": %d, "sent_per_thread": [%s]}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    t.sent, t.retries, t.answered, t.repeated, t.bad, t.exhausted,
    table.concat(per_thread, ", ")))
end
