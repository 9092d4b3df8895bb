-- "reuse": every request carries one of the session cookies listed in the file given after
-- `--` (one `name=value` a line), in turn; the cookie is never updated from the responses.
local cookies, next_one = {}, 0

function init(args)
  for line in io.lines(args[1]) do
    cookies[#cookies + 1] = line
  end
end

function request()
  next_one = next_one % #cookies + 1
  return wrk.format("GET", "/incr", { Cookie = cookies[next_one] })
end

dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
