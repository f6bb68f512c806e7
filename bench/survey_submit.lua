-- wrk script for the storing survey submit: each request answers a fresh link, so each POSTs to
-- its own path. The paths (one per line, made by bench/endpoints.py submit_links()) are in the
-- file BENCH_PATHS; thread i of BENCH_THREADS takes lines i, i + threads, ... The next wrk run
-- (warm-up, then each measured run) starts after the lines the previous one used, kept in
-- BENCH_PATHS .. ".offset". Past the last line the paths wrap round: used links, 410s, which show
-- up as non-2xx answers. Headers, cookie and done() are report.lua's.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
local report_done = done

local file = os.getenv("BENCH_PATHS")
local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
local offset_file = file .. ".offset"

local function read_offset()
  local f = io.open(offset_file, "r")
  if not f then return 0 end
  local n = tonumber(f:read("*l") or "0") or 0
  f:close()
  return n
end

local started = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(started, thread)
end

local paths, at, used = {}, 1, 0
function init(args)
  local start = read_offset()
  local n = 0
  for line in io.lines(file) do
    if n >= start and (n - start) % threads == id then table.insert(paths, line) end
    n = n + 1
  end
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.body = os.getenv("BENCH_FORM")
end

function request()
  local path = paths[at] or "/s/none/"
  at = at % math.max(#paths, 1) + 1
  used = used + 1
  -- Counted per thread, read back in done(): where the next run must start.
  wrk.thread:set("used", used)
  return wrk.format("POST", path)
end

done = function(summary, latency, requests)
  local most = 0
  for _, thread in ipairs(started) do
    most = math.max(most, tonumber(thread:get("used")) or 0)
  end
  local f = io.open(offset_file, "w")
  f:write(tostring(read_offset() + most * threads) .. "\n")
  f:close()
  report_done(summary, latency, requests)
end
