-- wrk script: POST a device with a MAC no other request uses, so every request is a
-- real create (201), not a 409. Each wrk thread gets its own prefix; the counter runs
-- per thread. Usage: wrk -s benches/create_device.lua ... URL  (with the Authorization
-- header given on the wrk command line).
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  -- A random run prefix keeps repeated runs against one database apart.
  math.randomseed(os.time() + tid)
  run = math.random(0, 255)
end

function request()
  counter = counter + 1
  local mac = string.format("02%02x%02x%06x", run, tid, counter)
  local body = '{"mac_address":"' .. mac .. '","vendor":"Yealink","model":"T54W"}'
  -- wrk.format replaces the command line's headers (-H) with the table it is given, so
  -- they are copied in: the Authorization header comes from there.
  local headers = { ["Content-Type"] = "application/json" }
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("non-2xx: %d\n", non2xx))
end
