-- wrk script for the ingestion benchmark (bench/ingest/run.py): send pre-signed Shopify webhooks,
-- count what came back.
--
-- Arguments (after `--`): the requests file written by bench/common/payloads.py and the
-- number of wrk threads. Thread k sends lines k, k+T, k+2T, ... in order, so no
-- two threads send the same line and the script knows exactly which deliveries
-- went out from each thread's `sent` count. A thread that runs out of lines
-- starts again from its first (those repeats are answered as duplicates).
-- done() prints one line, "WRK_RESULT {json}", that bench/common/loadgen.py parses.

local thread_count = 0
local threads = {}

function setup(thread)
   thread:set("id", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

local requests = {}
local cursor = 0
sent = 0
answered = 0
non2xx = 0
duplicates = 0

-- A line is tab-separated "Name: value" headers, then the body (compact JSON has no raw tabs).
local function parse(line)
   local fields, headers = {}, {}
   for field in line:gmatch("[^\t]+") do
      fields[#fields + 1] = field
   end
   local body = table.remove(fields)
   for _, field in ipairs(fields) do
      local name, value = field:match("^([^:]+): (.*)$")
      headers[name] = value
   end
   return headers, body
end

function init(args)
   local path, threads_total = args[1], tonumber(args[2])
   local index = 0
   for line in io.lines(path) do
      if index % threads_total == id then
         local headers, body = parse(line)
         requests[#requests + 1] = wrk.format("POST", nil, headers, body)
      end
      index = index + 1
   end
end

-- wrk 4.x calls request() once in thread 0 right after init(), to check the request it
-- builds, and never sends that one: hand it the first request without counting it.
local checked = false

function request()
   if #requests == 0 then -- a thread given no lines (not with the pool sizes bench/ingest/run.py uses)
      return wrk.format()
   end
   if id == 0 and not checked then
      checked = true
      return requests[1]
   end
   cursor = cursor % #requests + 1
   sent = sent + 1
   return requests[cursor]
end

function response(status, headers, body)
   answered = answered + 1
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   elseif body and body:find('"duplicate"', 1, true) then
      duplicates = duplicates + 1
   end
end

local function thread_totals()
   local totals = { sent = 0, answered = 0, non2xx = 0, duplicates = 0, per_thread = {} }
   for _, thread in ipairs(threads) do
      for _, name in ipairs({ "sent", "answered", "non2xx", "duplicates" }) do
         totals[name] = totals[name] + thread:get(name)
      end
      totals.per_thread[thread:get("id") + 1] = string.format("%d", thread:get("sent"))
   end
   return totals
end

function done(summary, latency, requests)
   local t = thread_totals()
   local e = summary.errors
   io.write(string.format(
      'WRK_RESULT {"completed":%d,"duration_us":%d,"sent":%d,"answered":%d,"non2xx":%d,"duplicates":%d,'
         .. '"per_thread_sent":[%s],"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,'
         .. '"p50_us":%.0f,"p95_us":%.0f,"p99_us":%.0f,"mean_us":%.0f,"max_us":%.0f}\n',
      summary.requests, summary.duration, t.sent, t.answered, t.non2xx, t.duplicates,
      table.concat(t.per_thread, ","), e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max))
end
