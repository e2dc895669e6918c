-- wrk script: checkout POSTs for one free ticket each, as fast as the connections allow.
--
-- Every POST carries an email of its own and a client address of its own in X-Forwarded-For
-- (the server trusts 127.0.0.1 as its proxy), so the per-address checkout limit counts each
-- buyer apart. The CSRF cookie and the form's token come from one GET of the event page done
-- by the harness (bench/scaling.py): Litestar's token belongs to the cookie, not to a request,
-- so every buyer may send the same pair. wrk is C: it costs the shared cores far less than the
-- Python buyers do.
--
-- Environment: BENCH_SLUG, BENCH_TIER, BENCH_COOKIE, BENCH_TOKEN, BENCH_FIRST (first buyer
-- number). Prints one line, "checkouts <sold> <sold_out> <other>", when done.

local slug = os.getenv("BENCH_SLUG")
local tier = os.getenv("BENCH_TIER")
local cookie = os.getenv("BENCH_COOKIE")
local token = os.getenv("BENCH_TOKEN")
local first = tonumber(os.getenv("BENCH_FIRST") or "0")

local threads = {}

function setup(thread)
  thread:set("number", #threads)
  table.insert(threads, thread)
end

function init(args)
  sent, sold, sold_out, other = 0, 0, 0, 0
end

local function address(n)
  local d = n % 254
  n = (n - d) / 254
  return string.format("10.%d.%d.%d", math.floor(n / 256) % 256, n % 256, d + 1)
end

function request()
  sent = sent + 1
  local buyer = first + number * 10000000 + sent
  local body = string.format(
    "_csrf_token=%s&qty-%s=1&email=buyer%d%%40example.com", token, tier, buyer)
  return wrk.format("POST", "/e/" .. slug .. "/checkout", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
    ["X-Forwarded-For"] = address(buyer),
  }, body)
end

function response(status, headers, body)
  if status == 303 then
    sold = sold + 1
  elseif status == 422 then
    sold_out = sold_out + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local s, o, x = 0, 0, 0
  for _, thread in ipairs(threads) do
    s = s + thread:get("sold")
    o = o + thread:get("sold_out")
    x = x + thread:get("other")
  end
  io.write(string.format("checkouts %d %d %d\n", s, o, x))
end
