-- "fresh": no cookie, so every request creates a session.
function request()
  return wrk.format("GET", "/incr")
end

dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
